"""The yardstick for the rolling features: an isolation forest on raw event fields alone.

The monitor's model sees each event through the user's history (loans in the
last hour, amount borrowed this week over the limit, a new device ...).  To show
what that history is worth, ``riskmon evaluate`` scores the same events with a
forest that sees only what is written on the event itself -- amount, limit,
term, hour of day, product, channel, segment, days late -- and reports both
AUCs side by side.  Everything else is kept equal on purpose: one forest per
event type, the same ``n_estimators`` and ``max_samples`` as ``models.train``,
and it is fitted on the history before the evaluated window, like the model.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
from sklearn.ensemble import IsolationForest

from stream.contract import CHANNELS, PRODUCTS, PURPOSES, SEGMENTS, Event, LoanEvent

#: Same forest size as ``models.train.train``'s defaults (a test keeps them equal).
N_ESTIMATORS = 200
MAX_SAMPLES = 256

LOAN_FIELDS: tuple[str, ...] = (
    "log_amount",
    "log_credit_limit",
    "amount_over_limit",
    "log_term_days",
    "hour",
    "credit_score",
    "has_credit_score",
    *(f"product={p}" for p in PRODUCTS),
    *(f"channel={c}" for c in CHANNELS),
    *(f"segment={s}" for s in SEGMENTS),
    *(f"purpose={p}" for p in PURPOSES),
)
REPAYMENT_FIELDS: tuple[str, ...] = ("log_amount", "days_late", "log_outstanding", "has_outstanding", "hour")


def raw_features(event: Event) -> list[float]:
    """The event's own fields as numbers (``LOAN_FIELDS`` or ``REPAYMENT_FIELDS`` order).

    Amounts are log-scaled because they span five orders of magnitude; optional
    fields become 0 plus a presence flag, so "missing" is a value the forest can
    isolate rather than an imputed guess.
    """
    if isinstance(event, LoanEvent):
        return [
            math.log1p(event.amount),
            math.log1p(event.credit_limit),
            event.amount / max(event.credit_limit, 1.0),  # a zero limit must not divide by zero
            math.log1p(event.term_days),
            float(event.local_hour),
            float(event.credit_score or 0),
            float(event.credit_score is not None),
            *(float(event.product == p) for p in PRODUCTS),
            *(float(event.channel == c) for c in CHANNELS),
            *(float(event.segment == s) for s in SEGMENTS),
            *(float(event.purpose == p) for p in PURPOSES),
        ]
    return [
        math.log1p(event.amount),
        float(event.days_late),
        math.log1p(event.outstanding or 0.0),
        float(event.outstanding is not None),
        float(event.local_hour),
    ]


def baseline_scores(
    events: Iterable[Event],
    window_start: float | None = None,
    n_estimators: int = N_ESTIMATORS,
    max_samples: int = MAX_SAMPLES,
    seed: int = 7,
) -> dict[str, float]:
    """Raw-field anomaly score (higher = more anomalous, in (0, 1]) of each evaluated event, by event id.

    With ``window_start`` (epoch seconds) each event type's forest is fitted on
    the events before it and scores the events at or after it, as a model
    trained on history and run on new traffic would; without it, it is fitted
    and scored on all events.  An event type with fewer than 2 events to fit on
    is left out (the evaluation notes how many events lack a baseline score).
    A repeated ``event_id`` is a redelivery and is used once, as in the stream.
    """
    seen: set[str] = set()
    unique: list[Event] = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            unique.append(event)
    scores: dict[str, float] = {}
    for event_type in ("loan", "repayment"):
        typed = [e for e in unique if e.event_type == event_type]
        fit = typed if window_start is None else [e for e in typed if e.ts < window_start]
        scored = typed if window_start is None else [e for e in typed if e.ts >= window_start]
        if not scored or len(fit) < 2:
            continue  # nothing to score, or no history to learn from: those events get no baseline score
        forest = _fit(fit, n_estimators, max_samples, seed)
        values = -forest.score_samples(_matrix(scored))  # sklearn's score is the negated anomaly score
        scores.update(zip((e.event_id for e in scored), values.tolist()))
    return scores


def _fit(events: Sequence[Event], n_estimators: int, max_samples: int, seed: int) -> IsolationForest:
    return IsolationForest(
        n_estimators=n_estimators, max_samples=min(max_samples, len(events)), random_state=seed
    ).fit(_matrix(events))


def _matrix(events: Sequence[Event]) -> np.ndarray:
    return np.array([raw_features(e) for e in events], dtype=np.float64)
