"""The yardstick for the rolling features: an isolation forest on raw event fields alone.

The monitor's model sees each event through the user's history (loans in the
last hour, amount borrowed this week over the limit, a new device ...).  To show
what that history is worth, ``riskmon evaluate`` scores the same events with a
forest that sees only what is written on the event itself -- amount, limit,
term, hour of day, product, channel, segment, days late -- and reports both
AUCs side by side.  Everything else is kept equal on purpose: one forest per
event type, the same ``n_estimators`` and ``max_samples`` as ``models.train``,
and it is fitted on the history before the evaluated window, like the model.

A second yardstick, the *plain baseline* (``plain_features``, ``PlainBaseline``;
issue 12), is the bar the monitor's forest must clear: an isolation forest on
13 simple per-user rolling features of each loan event, written to be
obviously correct rather than fast (plain per-user history lists).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
from sklearn.ensemble import IsolationForest

from stream.core.contract import CHANNELS, PRODUCTS, PURPOSES, SEGMENTS, Event, LoanEvent, RepaymentEvent, parse_document

#: The raw-field forest has the same size as ``models.train.train``'s defaults (a
#: test keeps them equal); the plain baseline keeps scikit-learn's 256 rows per
#: tree, as issue 12 defines it.
N_ESTIMATORS = 200
MAX_SAMPLES = 2048

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


# ---------------------------------------------------------------------------
# The plain 13-feature baseline (issue 12, item 3)
# ---------------------------------------------------------------------------

DAY_SECONDS = 86_400.0
#: Look-back of the short windows (loans, amount and products in the last 24 h).
WINDOW_24H = DAY_SECONDS
#: Look-back of the lateness feature.
WINDOW_LATE = 60 * DAY_SECONDS
#: log1p of the hours since the previous loan when the user has none (90 days).
NO_PREVIOUS_LOAN = math.log1p(24 * 90)

PLAIN_FEATURES: tuple[str, ...] = (
    "amount_over_limit",        # amount / limit
    "amount_24h_over_limit",    # (loans in the last 24 h + this one) / limit
    "loans_24h",                # earlier loans in the last 24 h
    "products_24h",             # distinct products in the last 24 h, this loan's included
    "log_hours_since_loan",     # log1p(hours since the previous loan); NO_PREVIOUS_LOAN when none
    "night",                    # local hour < 6 (the event's own offset)
    "new_device",               # device never seen for this user (0 without a device_id)
    "new_channel",              # channel never seen for this user
    "max_days_late_60d",        # max days_late of the user's repayments in the last 60 days
    "balance_over_limit",       # (outstanding + amount) / limit
    "limit_change",             # limit / the previous loan's limit (1 when none)
    "student",                  # segment == student
    "cash_loan",                # product == cash_loan
)


def _limit(credit_limit: float) -> float:
    """The limit every ratio divides by: at least 1, so a zero limit cannot divide by zero."""
    return max(credit_limit, 1.0)


@dataclass
class PlainUserState:
    """What the plain baseline remembers of one user: the whole history, as plain lists."""

    loans: list[tuple[float, float, str]] = field(default_factory=list)  # (ts, amount, product)
    repayments: list[tuple[float, int]] = field(default_factory=list)  # (ts, days_late)
    devices: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    balance: float = 0.0  # see PlainFeaturizer.feed
    last_limit: float | None = None  # _limit() of the previous loan


def _as_event(item: Event | Mapping[str, Any]) -> Event:
    return item if isinstance(item, (LoanEvent, RepaymentEvent)) else parse_document(dict(item))


class PlainFeaturizer:
    """Per-user state, advanced event by event in the order given (file order).

    ``feed`` yields ``(loan_event, vector)`` for each loan event, the vector in
    ``PLAIN_FEATURES`` order and computed from the user's state *before* the
    event; repayments only update the state.  Feeding a history and then the
    events after it continues the same state, as a stream would.  A repeated
    ``event_id`` is a redelivery and is skipped, as the stream does.

    The balance: a running sum of loan amounts minus repayment amounts, floored
    at 0; a repayment that reports ``outstanding`` sets it to that figure (the
    lender's own number), and later events move it from there.  So for a loan
    that directly follows a repayment with ``outstanding``, the feature uses
    exactly that repayment's ``outstanding``; without any reported figure it is
    the plain running sum.
    """

    def __init__(self) -> None:
        self.users: dict[str, PlainUserState] = {}
        self._seen: set[str] = set()

    def feed(self, events: Iterable[Event | Mapping[str, Any]]) -> Iterator[tuple[LoanEvent, list[float]]]:
        for item in events:
            event = _as_event(item)
            if event.event_id in self._seen:
                continue
            self._seen.add(event.event_id)
            user = self.users.setdefault(event.user_id, PlainUserState())
            if isinstance(event, LoanEvent):
                vector = self._loan_vector(user, event)
                self._add_loan(user, event)
                yield event, vector
            else:
                user.repayments.append((event.ts, event.days_late))
                if event.outstanding is not None:
                    user.balance = event.outstanding
                else:
                    user.balance = max(0.0, user.balance - event.amount)

    @staticmethod
    def _loan_vector(user: PlainUserState, event: LoanEvent) -> list[float]:
        t = event.ts
        limit = _limit(event.credit_limit)
        recent = [(ts, amount, product) for ts, amount, product in user.loans if t - ts < WINDOW_24H]
        amount_24h = sum(amount for _, amount, _ in recent) + event.amount
        products_24h = len({product for _, _, product in recent} | {event.product})
        if user.loans:
            hours = max(0.0, t - user.loans[-1][0]) / 3600.0
            since = math.log1p(hours)
        else:
            since = NO_PREVIOUS_LOAN
        new_device = float(event.device_id is not None and event.device_id not in user.devices)
        new_channel = float(event.channel not in user.channels)
        max_late = max((late for ts, late in user.repayments if t - ts < WINDOW_LATE), default=0)
        limit_change = 1.0 if user.last_limit is None else limit / user.last_limit
        return [
            event.amount / limit,
            amount_24h / limit,
            float(len(recent)),
            float(products_24h),
            since,
            float(event.local_hour < 6),
            new_device,
            new_channel,
            float(max_late),
            (user.balance + event.amount) / limit,
            limit_change,
            float(event.segment == "student"),
            float(event.product == "cash_loan"),
        ]

    @staticmethod
    def _add_loan(user: PlainUserState, event: LoanEvent) -> None:
        user.loans.append((event.ts, event.amount, event.product))
        if event.device_id is not None:
            user.devices.add(event.device_id)
        user.channels.add(event.channel)
        user.balance += event.amount
        user.last_limit = _limit(event.credit_limit)


def plain_features(events: Iterable[Event | Mapping[str, Any]]) -> Iterator[tuple[LoanEvent, list[float]]]:
    """``(loan_event, vector)`` per loan event of a fresh stream (see ``PlainFeaturizer``)."""
    return PlainFeaturizer().feed(events)


class PlainBaseline:
    """An IsolationForest (200 trees, scikit-learn defaults otherwise) on ``PLAIN_FEATURES``.

    ``fit`` featurises the history and fits on its loan events; ``score``
    continues the same per-user state over the events that follow the history
    and returns the anomaly score (``-score_samples``, higher = more anomalous)
    of each of their loan events, by event id in order.  ``score`` advances the
    state: call it once per stretch of new events, in time order.
    """

    def __init__(self, seed: int = 7, n_estimators: int = N_ESTIMATORS) -> None:
        self.seed = seed
        self.n_estimators = n_estimators
        self.featurizer = PlainFeaturizer()
        self.forest: IsolationForest | None = None
        self.fitted_on = 0

    def fit(self, history: Iterable[Event | Mapping[str, Any]]) -> "PlainBaseline":
        rows = [vector for _, vector in self.featurizer.feed(history)]
        if not rows:
            raise ValueError("the history has no loan events to fit the plain baseline on")
        self.forest = IsolationForest(n_estimators=self.n_estimators, random_state=self.seed)
        self.forest.fit(np.array(rows, dtype=np.float64))
        self.fitted_on = len(rows)
        return self

    def score(self, events: Iterable[Event | Mapping[str, Any]]) -> dict[str, float]:
        if self.forest is None:
            raise RuntimeError("fit the plain baseline before scoring")
        pairs = list(self.featurizer.feed(events))
        if not pairs:
            return {}
        matrix = np.array([vector for _, vector in pairs], dtype=np.float64)
        values = -self.forest.score_samples(matrix)
        return {event.event_id: float(v) for (event, _), v in zip(pairs, values)}
