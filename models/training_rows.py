"""The history as training reads it: one pass through the stream's own feature code,
kept column by column.

Why columns: ``riskmon train`` used to hold every history event as a parsed
``Event`` beside its ``FeatureRow`` of Python floats, about 3.3 KB per event
on top of the process (a 239,000-event history peaked at 921 MB), so a
lender's ten million events would have needed some 33 GB.  What training
reads of an event is its time, its type, its user, a loan's segment and event
id, its features and its sightings of shared devices and merchants; those
are kept here as arrays, the outcome labels are read on the way
(``models.outcomes.OutcomeLabeller``), and the events themselves are dropped
as soon as they are folded.  A row is rebuilt as a ``FeatureRow`` (exactly
the same floats: float64 holds a Python float) where rules read it.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import numpy as np

from models.outcomes import OutcomeLabeller, OutcomeRules
from stream.core.contract import EVENT_TYPES, Event, LoanEvent
from stream.core.entities import Sighting
from stream.core.features import LOAN_FEATURES, REPAYMENT_FEATURES, FeatureRow, UserState, apply_segment_stats, segment_medians
from stream.core.packed_states import HOT_STATES, PackedStates
from stream.core.pipeline import featurize_sighted

MIN_ROWS = 50  # events of a type a history needs to train on (and to set a budget on its warm part)
#: Borrowers a history needs to train on: the rules' calibration, the model's reach and the storms
#: are shares of borrowers, and one borrower's 5,000 events trained a model that kept a rule firing
#: on all of them (an outside audit, 2026-12-06).
MIN_BORROWERS = 20
#: Rule hit rates and the alert budget are measured on the history from this many
#: days after its first event (at most its second half), where users' rolling
#: windows have filled as they have in production.  On the held-out worlds the
#: rules fired on 0-0.4 % of well-behaved users' loans in a history's first two
#: weeks and on 1.5-2.4 % from its fourth week on, so a budget set on the whole
#: history was overrun in production (docs/worlds.md).  The forests and the
#: directional tails are fitted on the same warm part: fitted on the whole
#: history they learnt the half-empty windows of its first weeks as normal, and
#: the well-behaved users' fuller windows of the weeks after read as anomalies
#: (held-out worlds' worst PR-AUC 0.452 -> 0.477 and 0.259 -> 0.279; level on
#: average on family D, written afterwards, and worse where users keep joining:
#: docs/worlds.md, "The readers learn normal on the warm history", "Family D").
WARM_DAYS = 21
_WIDTH = {"loan": len(LOAN_FEATURES), "repayment": len(REPAYMENT_FEATURES)}


def warm_start(times: Sequence[float] | np.ndarray) -> float:
    """The event time from which the history's rates are measured (see ``WARM_DAYS``)."""
    if not len(times):
        return 0.0
    first, last = float(np.min(times)), float(np.max(times))
    return first + min(WARM_DAYS * 86400.0, (last - first) / 2)


@dataclass(frozen=True)
class TrainingRows:
    """Every non-duplicate history event, in input order, as columns.

    ``kinds``, ``ts`` and ``users`` have one entry per event; ``values[t]``
    one row per event of type ``t`` (in the same order), ``segments`` and
    ``loan_ids`` one per loan.  ``warm`` marks the events at or after
    ``warm_from``; ``stats`` are the segment medians of the warm loans.
    """

    kinds: np.ndarray  # per event: its index in EVENT_TYPES
    ts: np.ndarray  # per event: event time (seconds)
    users: np.ndarray  # per event: the user's index (users numbered as first seen; only equality matters)
    values: dict[str, np.ndarray]  # per event type: its rows' features as the stream computed them
    segments: list[str]  # per loan: the borrower's segment
    loan_ids: list[str]  # per loan: its event id (the outcome labels' key)
    sightings: list[tuple[int, Sighting]]  # (event index, sighting), in order
    outcomes: dict[str, bool] | None  # loan event id -> bad, for loans matured by the history's end
    revolving: dict[str, str]  # products whose outcomes are lateness only -> why (models.outcomes)
    warm: np.ndarray
    warm_from: float
    stats: dict[str, dict[str, float]]

    @classmethod
    def collect(cls, events: Iterable[Event], outcomes: OutcomeRules | None = None,
                hot_states: int = HOT_STATES) -> "TrainingRows":
        """Fold ``events`` through the stream's feature code once, keeping the columns (pass an
        iterator, as ``riskmon train`` does, and no event outlives its fold).

        ``outcomes``: also label the loans by what became of them (None: no labels).
        ``hot_states``: users' states kept decoded, the rest packed (memory only)."""
        kinds, users = array("b"), array("q")
        ts = array("d")
        values = {t: array("d") for t in EVENT_TYPES}
        segments: list[str] = []
        loan_ids: list[str] = []
        sightings: list[tuple[int, Sighting]] = []
        user_index: dict[str, int] = {}
        labeller = OutcomeLabeller(outcomes) if outcomes is not None else None
        states = PackedStates(UserState.from_bytes, UserState.to_bytes, hot_states)
        for i, (event, row, seen) in enumerate(featurize_sighted(events, states)):
            kinds.append(EVENT_TYPES.index(event.event_type))
            ts.append(event.ts)
            users.append(user_index.setdefault(event.user_id, len(user_index)))
            values[event.event_type].extend(row.values)
            if isinstance(event, LoanEvent):
                segments.append(event.segment)
                loan_ids.append(event.event_id)
            sightings.extend((i, s) for s in seen)
            if labeller is not None:
                labeller.add(event)
        # The arrays' own memory, not a copy (an empty one gives an empty array).
        times, kind = np.frombuffer(ts, dtype=np.float64), np.frombuffer(kinds, dtype=np.int8)
        matrices = {t: np.frombuffer(v, dtype=np.float64).reshape(-1, _WIDTH[t]) for t, v in values.items()}
        warm_from = warm_start(times)
        warm = times >= warm_from
        warm_loans = warm[kind == EVENT_TYPES.index("loan")]
        stats = segment_medians(
            (segments[j], FeatureRow("loan", tuple(matrices["loan"][j].tolist()))) for j in np.flatnonzero(warm_loans))
        return cls(kind, times, np.frombuffer(users, dtype=np.int64), matrices, segments, loan_ids, sightings,
                   labeller.labels() if labeller is not None else None,
                   labeller.revolving_reasons() if labeller is not None else {}, warm, warm_from, stats)

    def of_type(self, event_type: str) -> np.ndarray:
        """Which events are of ``event_type`` (a mask over the events)."""
        return self.kinds == EVENT_TYPES.index(event_type)

    def rows(self, event_type: str) -> Iterator[FeatureRow]:
        """The rows of ``event_type`` as the stream computed them, in order."""
        for v in self.values[event_type]:
            yield FeatureRow(event_type, tuple(v.tolist()))

    def in_order(self, mask: np.ndarray) -> Iterator[tuple[int, str, FeatureRow]]:
        """``(user, event type, row)`` of the events ``mask`` selects, in input order."""
        cursor = {t: 0 for t in EVENT_TYPES}
        for kind, user, take in zip(self.kinds.tolist(), self.users.tolist(), mask.tolist()):
            event_type = EVENT_TYPES[kind]
            j = cursor[event_type]
            cursor[event_type] = j + 1
            if take:
                yield user, event_type, FeatureRow(event_type, tuple(self.values[event_type][j].tolist()))

    def matrix(self, event_type: str) -> np.ndarray:
        """Every row of ``event_type``, whole, with its segment-relative features filled in."""
        raw = self.values[event_type]
        if event_type != "loan":
            return raw.copy()
        out = np.empty_like(raw)
        for j, row in enumerate(self.rows("loan")):
            out[j] = apply_segment_stats(row, self.segments[j], self.stats).values
        return out

    def fit_mask(self, event_type: str) -> np.ndarray:
        """The rows of ``event_type`` the readers are fitted on and the budget is set on: the warm
        ones, or all of them when fewer than ``MIN_ROWS`` are warm (too few to set a budget on)."""
        warm = self.warm[self.of_type(event_type)]
        return warm if warm.sum() >= MIN_ROWS else np.ones_like(warm)
