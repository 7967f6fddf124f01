"""The per-event path shared by the Faust worker and the offline commands:
contract -> features -> scoring -> rules -> alerts, as plain functions over plain data.

The worker wraps this with Kafka I/O and a Faust table; ``riskmon score`` and
``riskmon train`` wrap it with JSONL files and a dict.  Because both call the
same functions, a model trained offline sees exactly the features it will be
served in the stream.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Iterable, Iterator, MutableMapping

from models.model import RiskModel
from stream.alerts import build_alert, should_suppress
from stream.contract import Event
from stream.features import FeatureRow, UserState, update
from stream.rules import RuleConfig
from stream.scoring import Decision, decide_batch, reasons_for


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


def score_folded(
    model: RiskModel,
    rules: RuleConfig,
    folded: list[tuple[Event, FeatureRow | None]],
    now: datetime | None = None,
) -> list[Outcome]:
    """Decisions (and alert documents) for already-folded events, in order."""
    fresh = [(e, r) for e, r in folded if r is not None]
    decisions = iter(decide_batch(model, rules, fresh)) if fresh else iter(())
    outcomes = []
    for event, row in folded:
        if row is None:
            outcomes.append(Outcome(event, duplicate=True))
            continue
        decision = next(decisions)
        alert = None
        if decision.alert:
            alert = build_alert(event, decision, reasons_for(model, event, decision), model.version, now)
        outcomes.append(Outcome(event, duplicate=False, decision=decision, alert=alert))
    return outcomes


def process(
    model: RiskModel,
    rules: RuleConfig,
    states: MutableMapping[str, UserState],
    events: list[Event],
    suppress_window_s: float = 0.0,
) -> list[Outcome]:
    """Fold then score a batch of events (each user's events in the given order),
    marking alerts that repeat the user's previous alert within the window."""
    outcomes = score_folded(model, rules, [(e, fold(states, e)) for e in events])
    if suppress_window_s <= 0:
        return outcomes
    return [
        replace(o, suppressed=True)
        if o.alert is not None and should_suppress(states[o.event.user_id], o.alert, o.event.ts, suppress_window_s)
        else o
        for o in outcomes
    ]
