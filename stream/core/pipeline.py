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
from itertools import repeat
from typing import Any, Iterable, Iterator, Mapping, MutableMapping, Sequence

from stream.core.alerts import build_alert, fired_by
from stream.core.contract import Event
from stream.core.entities import EntityState, Sighting, late_at_merchant, sightings
from stream.core.entity_alerts import EntityOutcome, EntityThresholds, observe
from stream.core.features import LOAN_FEATURES, Copy, FeatureRow, UserState, update
from stream.core.outcome_watch import BatchWatch, Realised, after_fold, before_repayment
from stream.core.rule_storm import SURGE_LINE, StormWatch, held, yardsticks
from stream.core.rules import RuleConfig
from stream.core.scoring import (Decision, ScoringModel, by_readers, decide_batch, discounted, far_out, model_reasons,
                                 ranks_far_out, reasons_for)
from stream.core.state_epoch import StateEpoch
from stream.core.suppression import remember_alert, repeats_last_alert


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one valid event."""

    event: Event
    duplicate: bool
    decision: Decision | None = None
    alert: dict[str, Any] | None = None  # the alert document when the event alerted
    suppressed: bool = False  # alerted, but repeats the user's previous alert: counted, not sent
    held: bool = False  # alerted by storming sources alone (``stream.core.rule_storm``): not sent; counted unless suppressed
    sightings: tuple[Sighting, ...] = ()  # for the entity views (stream.core.entities)
    realised: tuple[Realised, ...] = ()  # outcomes of early-warning-scored loans this event realised
    #: a loan the early warning scored that holds neither an open-loan slot nor a watch slot (its
    #: user's are full of sooner-due loans): its outcome will never be realised, and the live watch
    #: counts it as untracked
    untracked: bool = False


def fold(states: MutableMapping[str, UserState], event: Event, at: int = 0,
         copy: Copy | None = None) -> FeatureRow | None:
    """Update the user's state with ``event`` (at input ``position`` ``at``, 0: none; ``copy``: where
    the original of a re-keyed copy sat); None when it is a redelivered duplicate."""
    state = states.get(event.user_id)
    if state is None:
        state = states[event.user_id] = UserState()
    return update(state, event, at, copy)


_NEW_DEVICE = (LOAN_FEATURES.index("unseen_device"), LOAN_FEATURES.index("recent_device"))


def _new_device(row: FeatureRow) -> bool:
    """The loan's device is new to its user (or first seen on their established account within hours)."""
    return row.event_type == "loan" and any(row.values[i] for i in _NEW_DEVICE)


def featurize(events: Iterable[Event], states: MutableMapping[str, UserState] | None = None) -> Iterator[tuple[Event, FeatureRow]]:
    """Features of every non-duplicate event, in input order (used by training)."""
    for event, row, _ in featurize_sighted(events, states):
        yield event, row


def featurize_sighted(
    events: Iterable[Event], states: MutableMapping[str, UserState] | None = None,
) -> Iterator[tuple[Event, FeatureRow, tuple[Sighting, ...]]]:
    """``featurize`` with each event's sightings of shared devices and merchants (``states``: empty, or
    none, as a stream from its start: the state epoch is its first event's)."""
    states = {} if states is None else states
    epoch = StateEpoch()
    for event in events:
        row, seen = fold_sighted(states, event, epoch)
        if row is not None:
            yield event, row, seen


def fold_sighted(states: MutableMapping[str, UserState], event: Event, epoch: StateEpoch | None = None,
                 at: int = 0, copy: Copy | None = None) -> tuple[FeatureRow | None, tuple[Sighting, ...]]:
    """``fold`` and the event's sightings, read from the user's state right after this event
    (not after the rest of a batch: a later repayment of the user lowers the balance); a
    repayment's merchant is read before it, since the last repayment closes the loan.
    ``epoch``: when the states began, to judge accounts first seen soon after (None: judge every
    account by its own state alone).  ``at``, ``copy``: as for ``fold``."""
    drawn_at = late_at_merchant(states.get(event.user_id), event)
    row = fold(states, event, at, copy)
    if row is None:
        return None, ()
    state = states[event.user_id]
    unknown_past = False
    if epoch is not None:
        epoch.see(state.first_ts, event.ts)
        unknown_past = epoch.unknown_past(state.first_ts)
    return row, sightings(event, state, _new_device(row), drawn_at, unknown_past)


def process(
    model: ScoringModel,
    rules: RuleConfig,
    states: MutableMapping[str, UserState],
    events: list[Event],
    suppress_window_s: float = 0.0,
    now: datetime | None = None,
    storms: StormWatch | None = None,
    epoch: StateEpoch | None = None,
    positions: Sequence[int] | None = None,
    copies: Sequence[Copy | None] | None = None,
) -> list[Outcome]:
    """Fold, score and alert a batch of events (each user's events in the given order).

    Scoring is one forest call per event type for the whole batch; alerting
    is sequential per event, because suppression depends on the user's
    previous alert (kept in their state and touched only here, so the order
    within the batch is all that matters).  A loan scored by the early warning
    is tagged in its open-loan slot (or watch slot), and a repayment into a tagged loan, or
    the borrower's next event once it is long past due unpaid, realises its
    outcome (``stream.core.outcome_watch``).  With ``storms``, an
    alert raised only by sources that fire across the book far above their
    training rate (rules, and the model under ``StormPolicy.model``) is held
    (``stream.core.rule_storm``); the watch counts every scored event in
    order, as the stream does per worker.  A held alert is remembered as a
    sent one is (its repeats are suppressed), so the user's state and
    suppression do not depend on the storm, only whether it is sent.
    ``epoch``: when ``states`` began (``stream.core.state_epoch``), kept up to date here; the
    worker's covers its whole table, not only the batch's ``states``.
    ``positions``: each event's input position (``features.position``), by which a replay after
    a crash is recognised however long it is; None offline, where events have none.  ``copies``:
    for each event that is a re-keyed copy, where its original sat (``features.Copy``; None for
    the others), by which a copy sent again after the forwarder's crash is recognised.
    """
    ew = model.early_warning
    watch = BatchWatch.of(ew)
    folded, views = [], []
    for e, at, copy in zip(events, positions or repeat(0), copies or repeat(None)):
        before = before_repayment(states.get(e.user_id), e)
        overdue = watch.overdue(states.get(e.user_id), e) if ew is not None else ()
        row, sighted = fold_sighted(states, e, epoch, at, copy)
        folded.append((e, row, sighted))
        views.append((before, after_fold(states[e.user_id], e.loan_id), overdue))
    fresh = [(e, r) for e, r, _ in folded if r is not None]
    decided = decide_batch(model, rules, fresh) if fresh else []
    fresh_events = [e for e, _ in fresh]
    fars = far_out(model, fresh_events, decided, SURGE_LINE) if storms is not None else [None] * len(decided)
    decisions = iter(zip(decided, model_reasons(model, fresh_events, decided), fars))
    outcomes = []
    storm_rates = {} if storms is None else yardsticks(storms.policy, model.expected_rule_rates,
                                                       model.expected_model_rate)
    for (event, row, sighted), (before, was_followed, overdue) in zip(folded, views):
        if row is None:
            outcomes.append(Outcome(event, duplicate=True))
            continue
        decision, drivers, far = next(decisions)
        # Only alerting events have a rule hit, so storms are read for them alone; this event is not counted yet.
        storming = storms.storming(event.ts, storm_rates) if storms is not None and decision.alert else frozenset()
        if storms is not None:  # the ranking score only: what fired stays as the model and the rules saw it
            evidence = decision.model_score
            if decision.readers is not None:  # each reader's surge first; the model's surge counts what is left
                evidence = by_readers(model, event.event_type, decision,
                                      storms.reader_surges(event.ts, len(decision.readers)))
                if far is not None and evidence < decision.model_score:
                    far = replace(far, model=ranks_far_out(model, event.event_type, evidence, SURGE_LINE))
            decision = discounted(model, event.event_type, decision, storms.surge(event.ts), storming, evidence)
        alert, suppressed, on_hold = None, False, False
        state = states[event.user_id]
        realised = watch.swept(state, event.user_id, overdue)
        if decision.alert:
            alert = build_alert(event, decision, reasons_for(model, decision, drivers), model.version, now)
            suppressed = repeats_last_alert(state, alert, event.ts, suppress_window_s)
            if not suppressed:
                remember_alert(state, alert, event.ts)  # held or sent alike: the state does not depend on storms
            on_hold = held(storming, alert["fired_by"])
        if storms is not None:
            storms.observe(event.ts, fired_by(decision), event.user_id,  # what fired, alert or not; only yardsticks storm
                           None if far is None else far.model, () if far is None else far.readers)
        if event.event_type == "repayment":
            repaid = watch.repayment(state, event, before, was_followed)
            realised += (repaid,) if repaid is not None else ()
        elif decision.early_warning is not None:
            source = "early_warning" if decision.early_warning_fired else "other_alert" if alert else "no_alert"
            watch.loan_scored(state, event, decision.early_warning, source, was_followed)
        untracked = event.event_type == "loan" and decision.early_warning is not None and not was_followed
        outcomes.append(Outcome(event, False, decision, alert, suppressed, on_hold, sighted, realised, untracked))
    return outcomes


def sweep_quiet(model: ScoringModel, states: Mapping[str, UserState], at: float) -> dict[str, tuple[Realised, ...]]:
    """The quiet sweep: each tagged loan ``states`` follow whose next due date lies the early
    warning's ``late_days`` or more before ``at`` (the stream's event time) realised bad, once (its
    tag cleared in the state); by user, those with any.

    A borrower who defaults often sends nothing more, so :func:`process`'s sweep at the borrower's
    next event never sees the loan; on held-out lenders whose bad loans went unpaid, outcomes
    realised only then lagged the truth by weeks (docs/early_warning.md).  The worker calls this on
    a few stored users per batch, who are not in the batch (``stream.worker.batch``); ``riskmon
    seed`` on every state at the history's end.  Nothing else of the state changes: features,
    scores and alerts do not depend on when the sweep ran, and a state differs from an offline
    replay's only in the tags a sweep cleared.  Each state is fetched anew from ``states`` (a
    ``PackedStates`` keeps the change of one it had packed).
    """
    if model.early_warning is None:
        return {}
    watch = BatchWatch.of(model.early_warning)
    out: dict[str, tuple[Realised, ...]] = {}
    for user_id in list(states):
        state = states[user_id]
        realised = watch.swept(state, user_id, watch.overdue_at(state, at))
        if realised:
            out[user_id] = realised
    return out


def observe_sightings(
    states: MutableMapping[tuple[str, str], EntityState],
    outcomes: Iterable[Outcome],
    thresholds: EntityThresholds,
    model_version: str,
    now: datetime | None = None,
) -> list[EntityOutcome]:
    """The entity stage over a dict of entity states, in outcome order (the offline commands)."""
    out = []
    for outcome in outcomes:
        for s in outcome.sightings:
            key = (s.entity_type, s.entity_id)
            state = states.get(key)
            if state is None:
                state = states[key] = EntityState()
            out.append(observe(state, s, thresholds, model_version, now))
    return out
