"""The per-event path shared by the Faust worker and the offline commands:
contract -> features -> scoring -> rules -> alerts, as plain functions over plain data.

The worker wraps this with Kafka I/O and a Faust table; ``riskmon score`` and
``riskmon train`` wrap it with JSONL files and a dict.  Because both call the
same functions, a model trained offline sees exactly the features it will be
served in the stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Iterator, MutableMapping

from stream.core.alerts import build_alert
from stream.core.contract import Event
from stream.core.features import FeatureRow, UserState, update
from stream.core.rules import RuleConfig
from stream.core.scoring import Decision, ScoringModel, decide_batch, reasons_for
from stream.core.suppression import remember_alert, repeats_last_alert


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one valid event."""

    event: Event
    duplicate: bool
    decision: Decision | None = None
    alert: dict[str, Any] | None = None  # the alert document when the event alerted
    suppressed: bool = False  # alerted, but repeats the user's previous alert: counted, not sent


def fold(states: MutableMapping[str, UserState], event: Event) -> FeatureRow | None:
    """Update the user's state with ``event``; None when it is a redelivered duplicate."""
    state = states.get(event.user_id)
    if state is None:
        state = states[event.user_id] = UserState()
    return update(state, event)


def featurize(events: Iterable[Event], states: MutableMapping[str, UserState] | None = None) -> Iterator[tuple[Event, FeatureRow]]:
    """Features of every non-duplicate event, in input order (used by training)."""
    states = {} if states is None else states
    for event in events:
        row = fold(states, event)
        if row is not None:
            yield event, row


def process(
    model: ScoringModel,
    rules: RuleConfig,
    states: MutableMapping[str, UserState],
    events: list[Event],
    suppress_window_s: float = 0.0,
    now: datetime | None = None,
) -> list[Outcome]:
    """Fold, score and alert a batch of events (each user's events in the given order).

    Scoring is one forest call per event type for the whole batch; alerting
    is sequential per event, because suppression depends on the user's
    previous alert (kept in their state and touched only here, so the order
    within the batch is all that matters).
    """
    folded = [(e, fold(states, e)) for e in events]
    fresh = [(e, r) for e, r in folded if r is not None]
    decisions = iter(decide_batch(model, rules, fresh)) if fresh else iter(())
    outcomes = []
    for event, row in folded:
        if row is None:
            outcomes.append(Outcome(event, duplicate=True))
            continue
        decision = next(decisions)
        alert, suppressed = None, False
        if decision.alert:
            alert = build_alert(event, decision, reasons_for(model, event, decision), model.version, now)
            state = states[event.user_id]
            suppressed = repeats_last_alert(state, alert, event.ts, suppress_window_s)
            if not suppressed:
                remember_alert(state, alert, event.ts)
        outcomes.append(Outcome(event, duplicate=False, decision=decision, alert=alert, suppressed=suppressed))
    return outcomes
