"""Brute-force reference for the exactly-defined per-user features of ``stream.core.features``.

Deliberately naive: a ``ReferenceUser`` keeps the user's FULL list of accepted
events, in arrival order, and recomputes every feature from scratch by scanning
that list.  No rings, no slots, no running moments.  It is written from the
documented semantics (the ``stream.core.features`` module docstring and the contract),
not from the fast code, so the property tests in ``test_features.py`` can tell
when the bounded-state implementation drifts from what it promises.

Definitions (``newest`` is the largest event time among the user's accepted
events so far, loans and repayments alike):

* Windows are bucket-aligned: "1h" = 10-minute buckets, newest bucket plus the 5
  before it; "24h" = hour buckets, newest plus 23; "7d" / "30d" = UTC-day
  buckets, newest plus 6 / 29.  A loan counts in a window iff its bucket was
  inside the window as of ``newest`` when it arrived (a late event that was
  already too old is never counted) and is still inside it now.
* A window's count is the counted loans, at most 255 per bucket (the state keeps
  a byte per bucket); its amount sums all of them.
* Window amounts are sums of ``round(amount)`` (whole yuan) over counted loans,
  divided by ``max(credit_limit, 1)``: the event's own limit for a loan, the
  limit of the latest-arrived loan for a repayment (0 before any loan).
* ``short_loans_30d`` (both event types): the loans with ``term_days <= 14`` among
  those counted in the 30d window.
* ``distinct_products_7d`` / ``distinct_channels_7d``: products / channels whose
  newest loan time is ``>= newest - 7 days``, at whole-second precision
  (``int(ts) >= int(newest) - 7 days``; continuous, not bucketed).
* ``new_channel`` / ``new_product``: the user has earlier loans and none on this
  channel / of this product; the user's first loan is never "new".
* ``log_hours_since_prev_loan``: ``log1p`` of the hours from the newest earlier
  loan to this event, floored at 0 (an out-of-order event is "0 h after"); 90 days
  when there is no earlier loan.
* ``hour_unusual``: ``1 - (n[h] + 0.5) / (max(n) + 0.5)`` over the local-hour
  histogram ``n`` of earlier loans, 0 without earlier loans.
* ``utilisation``: outstanding / limit, outstanding = loans added and repayments
  subtracted (floored at 0) in arrival order; 0 before the user's first loan (the
  limit is unknown then); only defined here while no repayment carried
  ``outstanding`` (then ``None``: not compared).
* ``late_max_90d``: worst ``days_late`` among repayments in the 90-day window:
  10-day buckets, the newest one plus the eight before it, as of the newest
  time (same bucket rule as the loan windows; 0 if none).
* ``late_ewm``: ``days_late`` of the first repayment, then
  ``0.7 * ewm + 0.3 * days_late`` per repayment in arrival order;
  ``late_trend`` = ``days_late`` minus the ewm before this repayment (0 for the first).
* ``late_last``: ``days_late`` of the latest-arrived repayment (0 if none);
  ``late_streak``: how many of the latest-arrived repayments in a row were each
  later than the one before (the first ever is compared with 0).
* Open loans: a loan is open from its arrival until a repayment with its
  ``loan_id`` (arrival order) closes it.  Its due moment is ``int(ts) + term``
  (days) for a bullet loan; an ``installment`` loan is due every 30 days from
  ``int(ts)`` until ``int(ts) + term``: each repayment moves it to the next due
  moment, the one that reaches the end closes it.  Defined while the user never
  has more than 8 loans open at once, and no loan_id is opened twice while open
  (the fast code keeps 8 slots); otherwise ``None``.
* ``overdue_days``: ``max(0, int(ts) - due)`` in days over the open loans (for a
  loan: before it opens; for a repayment: after it is applied); ``overdue_loans``
  (loans): how many open loans are more than one day past due.
* Rollover: a loan rolls over each open loan whose due moment is from 4 days
  after to 1 day before ``int(ts)`` and whose whole-yuan amount ``a`` is > 0 with
  ``1 <= amount / a <= 3``.  ``rollover_chain`` of a loan is 0 when it rolls
  nothing over, else the largest, over the loans it rolls over, of their
  ``rollover_chain`` + 1 where ``amount / a >= 1.1`` and of 1 otherwise;
  ``rollover_growth`` the largest ``amount / a`` among them (0 if none).
  For a repayment, ``rollover_chain`` is that of the latest loan whose time is
  not before any earlier-arrived loan's; ``repaid_by_rollover`` is the largest
  ``rollover_chain`` of the loans that rolled over the repaid loan since it
  opened or last moved to its next due moment (0 if none or unknown).
* ``funded_repeats_30d`` (repayments): a repayment is funded when the loan it
  repays is open with a whole-yuan amount ``a > 0``, and the user's newest earlier
  loan (largest time; equal times: the later-arrived) is of another product, at
  most 48 h before the repayment (and not after it), with ``0.9 a <= round(amount)
  <= 1.5 a``.  Over the funded repayments in arrival order, one within 30 days
  (whole seconds, either way) of the previous funded one extends the run, any
  other starts it at 1 (at most 255); the feature is the run at a funded
  repayment, 0 at one that is not.  Defined while the open loans are.
* ``loans_while_late``: for a repayment ``d`` days late (``d >= 1``), the loans
  in a window of the newest ``min(d, 29) + 1`` UTC-day buckets (same counting
  rule as the windows above); 0 when on time.
* ``late_rising``: over the late (``days_late >= 1``) repayments in arrival
  order, each one later than the previous late one, within 30 days of it,
  extends the run, any other resets it to 0; on-time repayments are skipped.
  The feature is the run while the latest late repayment is within 30 days of
  the event (else 0).
* Duplicates: an event whose ``event_id`` is among the ids of the last 16
  accepted events is ignored (``update`` returns ``None``).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from stream.core.contract import PRODUCTS, SEGMENTS, Event, LoanEvent, RepaymentEvent

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
DEDUP_HORIZON = 16
NO_PREVIOUS_LOAN_HOURS = 90 * 24.0
LATE_MAX_WINDOW = (10 * DAY, 9)  # (bucket width, buckets)
BUCKET_COUNT_MAX = 255  # a window's bucket counts at most this many loans (one byte of state)
FUNDED_HOURS, FUNDED_MIN_RATIO, FUNDED_MAX_RATIO, FUNDED_HORIZON_DAYS = 48.0, 0.9, 1.5, 30
DISTINCT_HORIZON = 7 * DAY
OPEN_LOAN_LIMIT = 8
INSTALMENT_PERIOD = int(30 * DAY)
ROLLOVER_BEFORE = int(4 * DAY)
ROLLOVER_AFTER = int(DAY)
RISING_HORIZON = int(30 * DAY)
SHORT_TERM_DAYS = 14

#: window name -> (bucket width in seconds, number of buckets in the window)
WINDOWS: dict[str, tuple[float, int]] = {
    "1h": (10 * MINUTE, 6),
    "24h": (HOUR, 24),
    "7d": (DAY, 7),
    "30d": (DAY, 30),
}


def _bucket(ts: float, width: float) -> int:
    return int(ts // width)


def _in_window(ts: float, newest: float, width: float, buckets: int) -> bool:
    """Whether ``ts``'s bucket is among the ``buckets`` newest ones as of ``newest``."""
    return _bucket(newest, width) - _bucket(ts, width) < buckets


@dataclass(frozen=True)
class Accepted:
    """One accepted event and the user's newest event time right after it arrived."""

    event: Event
    newest_at_arrival: float


@dataclass
class ReferenceUser:
    """A user's complete accepted history; features are recomputed from it each time."""

    history: list[Accepted] = field(default_factory=list)

    def update(self, event: Event) -> dict[str, float | None] | None:
        """Accept ``event`` and return its reference features, or None for a duplicate."""
        recent_ids = [a.event.event_id for a in self.history[-DEDUP_HORIZON:]]
        if event.event_id in recent_ids:
            return None
        newest = max([event.ts] + [a.event.ts for a in self.history])
        self.history.append(Accepted(event, newest))
        if isinstance(event, LoanEvent):
            return self._loan_features(event)
        return self._repayment_features(event)

    # -- scans over the history --------------------------------------------------
    @property
    def newest(self) -> float:
        return self.history[-1].newest_at_arrival

    def _loans(self) -> list[Accepted]:
        return [a for a in self.history if isinstance(a.event, LoanEvent)]

    def _repayments(self) -> list[RepaymentEvent]:
        return [a.event for a in self.history if isinstance(a.event, RepaymentEvent)]

    def _counted(self, name: str) -> list[LoanEvent]:
        """The loans counted in window ``name`` now.

        Both halves of the documented rule are spelled out; since ``newest`` only
        grows, "inside now" in fact implies "inside on arrival".
        """
        width, buckets = WINDOWS[name]
        return [
            a.event
            for a in self._loans()
            if _in_window(a.event.ts, a.newest_at_arrival, width, buckets)
            and _in_window(a.event.ts, self.newest, width, buckets)
        ]

    def _window(self, name: str) -> tuple[int, int]:
        """Count and whole-yuan amount of the loans counted in window ``name`` now; a bucket
        counts at most ``BUCKET_COUNT_MAX`` loans (their amounts all add up)."""
        counted = self._counted(name)
        width, _ = WINDOWS[name]
        per_bucket = Counter(_bucket(e.ts, width) for e in counted)
        return sum(min(n, BUCKET_COUNT_MAX) for n in per_bucket.values()), sum(round(e.amount) for e in counted)

    def _short_loans_30d(self) -> float:
        return float(sum(1 for e in self._counted("30d") if e.term_days <= SHORT_TERM_DAYS))

    def _limit(self) -> float:
        """Credit limit of the latest-arrived loan (0 before any loan)."""
        loans = self._loans()
        return loans[-1].event.credit_limit if loans else 0.0

    def _hours_since_prev_loan(self, ts: float, earlier_loans: list[LoanEvent]) -> float:
        if not earlier_loans:
            return math.log1p(NO_PREVIOUS_LOAN_HOURS)
        return math.log1p(max(0.0, ts - max(e.ts for e in earlier_loans)) / HOUR)

    def _utilisation(self, limit: float) -> float | None:
        if not self._loans():
            return 0.0
        outstanding = 0.0
        for a in self.history:
            e = a.event
            if isinstance(e, LoanEvent):
                outstanding += e.amount
            elif e.outstanding is not None:
                return None
            else:
                outstanding = max(0.0, outstanding - e.amount)
        return outstanding / max(limit, 1.0)

    def _late_max_90d(self) -> float:
        return float(max(
            (r.days_late for r in self._repayments() if _in_window(r.ts, self.newest, *LATE_MAX_WINDOW)), default=0
        ))

    def _late_ewms(self) -> list[float]:
        """The lateness EWM after each repayment, in arrival order."""
        out: list[float] = []
        for r in self._repayments():
            out.append(float(r.days_late) if not out else 0.7 * out[-1] + 0.3 * r.days_late)
        return out

    def _late_last_and_streak(self) -> tuple[float, float]:
        lates = [0] + [r.days_late for r in self._repayments()]
        streak = 0
        while streak < len(lates) - 1 and lates[-1 - streak] > lates[-2 - streak]:
            streak += 1
        return float(lates[-1]), float(streak)

    def _segment_code(self) -> float:
        loans = self._loans()
        return float(SEGMENTS.index(loans[-1].event.segment)) if loans else -1.0

    def _open_loans(self, upto: int) -> list[dict] | None:
        """The open loans after the first ``upto`` accepted events, with their rollover
        bookkeeping, rebuilt from scratch; None once more than 8 were open at once."""
        open_: list[dict] = []
        for a in self.history[:upto]:
            e = a.event
            sec = int(e.ts)
            if isinstance(e, LoanEvent):
                if len(open_) >= OPEN_LOAN_LIMIT or any(o["id"] == e.loan_id for o in open_):
                    return None
                rolled = [
                    o for o in open_
                    if -ROLLOVER_AFTER <= o["due"] - sec <= ROLLOVER_BEFORE
                    and o["amount"] > 0 and 1.0 <= e.amount / o["amount"] <= 3.0
                ]
                # a rollover at least 1.1x the loan it repays deepens the chain; a smaller one starts it again at 1
                depth = max(o["depth"] + 1 if e.amount / o["amount"] >= 1.1 else 1 for o in rolled) if rolled else 0
                for o in rolled:
                    o["rolled_by"] = max(o["rolled_by"], depth)
                end = sec + e.term_days * int(DAY)
                due = min(end, sec + INSTALMENT_PERIOD) if e.product == "installment" else end
                open_.append({
                    "id": e.loan_id, "due": due, "end": end, "amount": round(e.amount), "depth": depth,
                    "rolled_by": 0, "growth": max((e.amount / o["amount"] for o in rolled), default=0.0),
                    "product": e.product,
                })
            else:
                for o in open_:
                    if o["id"] == e.loan_id:
                        if o["due"] + INSTALMENT_PERIOD < o["end"]:
                            o["due"] += INSTALMENT_PERIOD
                            o["rolled_by"] = 0
                        else:
                            open_.remove(o)
                        break
        return open_

    def _loan_depths(self) -> list[tuple[float, int]] | None:
        """(time, rollover_chain) of each accepted loan, in arrival order."""
        out = []
        for k, a in enumerate(self.history):
            if isinstance(a.event, LoanEvent):
                after = self._open_loans(k + 1)
                if after is None:
                    return None
                out.append((a.event.ts, after[-1]["depth"]))
        return out

    def _latest_loan_depth(self) -> float | None:
        depths = self._loan_depths()
        if depths is None:
            return None
        latest, newest = 0, -math.inf
        for ts, depth in depths:
            if ts >= newest:
                latest = depth
            newest = max(newest, ts)
        return float(latest)

    @staticmethod
    def _overdue(open_: list[dict], sec: int) -> tuple[float, float]:
        worst = max((sec - o["due"] for o in open_), default=0)
        return max(worst, 0) / DAY, float(sum(1 for o in open_ if sec - o["due"] > DAY))

    def _late_rising(self, sec: int) -> float:
        run, prev = 0, None
        for r in self._repayments():
            late = min(r.days_late, 0xFFFF)
            if late < 1:
                continue
            if prev is not None and abs(int(r.ts) - int(prev.ts)) <= RISING_HORIZON and late > min(prev.days_late, 0xFFFF):
                run += 1
            else:
                run = 0
            prev = r
        if prev is None or abs(sec - int(prev.ts)) > RISING_HORIZON:
            return 0.0
        return float(run)

    def _loans_in_days(self, days: int) -> int:
        width = DAY
        return sum(
            1 for a in self._loans()
            if _in_window(a.event.ts, a.newest_at_arrival, width, days) and _in_window(a.event.ts, self.newest, width, days)
        )

    # -- per event type ----------------------------------------------------------
    def _loan_features(self, e: LoanEvent) -> dict[str, float | None]:
        earlier = [a.event for a in self._loans()[:-1]]
        limit = max(e.credit_limit, 1.0)
        horizon = int(self.newest) - DISTINCT_HORIZON
        out: dict[str, float | None] = {
            "log_amount": math.log1p(e.amount),
            "amount_over_limit": e.amount / limit,
        }
        for name in WINDOWS:
            count, amount = self._window(name)
            out[f"loans_{name}"] = float(count)
            out[f"amount_{name}_over_limit"] = amount / limit
        loans = [a.event for a in self._loans()]
        out["distinct_products_7d"] = float(len({x.product for x in loans if int(x.ts) >= horizon}))
        out["distinct_channels_7d"] = float(len({x.channel for x in loans if int(x.ts) >= horizon}))
        out["new_channel"] = 1.0 if earlier and e.channel not in {x.channel for x in earlier} else 0.0
        out["new_product"] = 1.0 if earlier and e.product not in {x.product for x in earlier} else 0.0
        out["log_hours_since_prev_loan"] = self._hours_since_prev_loan(e.ts, earlier)
        out["night_hour"] = 1.0 if e.local_hour < 6 else 0.0
        hours = [x.local_hour for x in earlier]
        out["hour_unusual"] = (
            1.0 - (hours.count(e.local_hour) + 0.5) / (max(hours.count(h) for h in hours) + 0.5) if hours else 0.0
        )
        out["utilisation"] = self._utilisation(e.credit_limit)
        out["late_max_90d"] = self._late_max_90d()
        ewms = self._late_ewms()
        out["late_ewm"] = ewms[-1] if ewms else 0.0
        out["late_last"], out["late_streak"] = self._late_last_and_streak()
        out["segment_code"] = float(SEGMENTS.index(e.segment))
        before = self._open_loans(len(self.history) - 1)
        after = self._open_loans(len(self.history))
        if before is None or after is None:
            out["overdue_days"] = out["overdue_loans"] = out["rollover_chain"] = out["rollover_growth"] = None
        else:
            out["overdue_days"], out["overdue_loans"] = self._overdue(before, int(e.ts))
            out["rollover_chain"] = float(after[-1]["depth"])
            out["rollover_growth"] = after[-1]["growth"]
        out["late_rising"] = self._late_rising(int(e.ts))
        out["short_loans_30d"] = self._short_loans_30d()
        out["log_term_days"] = math.log1p(e.term_days)
        out["product_code"] = float(PRODUCTS.index(e.product))
        out["cash_loan"] = 1.0 if e.product == "cash_loan" else 0.0
        return out

    def _repayment_features(self, e: RepaymentEvent) -> dict[str, float | None]:
        limit = max(self._limit(), 1.0)
        ewms = self._late_ewms()
        n7, _ = self._window("7d")
        n30, a30 = self._window("30d")
        return {
            "days_late": float(e.days_late),
            "late_trend": e.days_late - ewms[-2] if len(ewms) > 1 else 0.0,
            "late_streak": self._late_last_and_streak()[1],
            "late_max_90d": self._late_max_90d(),
            "late_ewm": ewms[-1],
            "log_amount": math.log1p(e.amount),
            "utilisation": self._utilisation(self._limit()),
            "loans_7d": float(n7),
            "loans_30d": float(n30),
            "amount_30d_over_limit": a30 / limit,
            "log_hours_since_prev_loan": self._hours_since_prev_loan(e.ts, [a.event for a in self._loans()]),
            "segment_code": self._segment_code(),
            **self._repayment_loan_features(e),
            "loans_while_late": float(self._loans_in_days(min(e.days_late, 29) + 1)) if e.days_late else 0.0,
            "late_rising": self._late_rising(int(e.ts)),
            "short_loans_30d": self._short_loans_30d(),
            "funded_repeats_30d": self._funded_repeats(),
        }

    def _funded(self, k: int) -> bool | None:
        """Whether the repayment ``history[k]`` is funded (None: the open loans are undefined)."""
        e = self.history[k].event
        open_ = self._open_loans(k)
        if open_ is None:
            return None
        paid = next((o for o in open_ if o["id"] == e.loan_id), None)
        loans = [(a.event.ts, i, a.event) for i, a in enumerate(self.history[:k]) if isinstance(a.event, LoanEvent)]
        if paid is None or not paid["amount"] or not loans:
            return False
        newest = max(loans, key=lambda t: (t[0], t[1]))[2]  # equal times: the later-arrived
        return (newest.product != paid["product"] and 0.0 <= e.ts - newest.ts <= FUNDED_HOURS * HOUR
                and FUNDED_MIN_RATIO * paid["amount"] <= round(newest.amount) <= FUNDED_MAX_RATIO * paid["amount"])

    def _funded_repeats(self) -> float | None:
        """The latest repayment's place in the run of funded repayments (0: not funded)."""
        run, previous = 0, None
        for k, a in enumerate(self.history):
            if not isinstance(a.event, RepaymentEvent):
                continue
            funded = self._funded(k)
            if funded is None:
                return None
            if k == len(self.history) - 1 and not funded:
                return 0.0
            if funded:
                sec = int(a.event.ts)
                run = min(run + 1, 255) if previous is not None and abs(sec - previous) <= FUNDED_HORIZON_DAYS * DAY else 1
                previous = sec
        return float(run)

    def _repayment_loan_features(self, e: RepaymentEvent) -> dict[str, float | None]:
        before = self._open_loans(len(self.history) - 1)
        after = self._open_loans(len(self.history))
        if before is None or after is None:
            return {"overdue_days": None, "rollover_chain": None, "repaid_by_rollover": None}
        paid = next((o for o in before if o["id"] == e.loan_id), None)
        return {
            "overdue_days": self._overdue(after, int(e.ts))[0],
            "rollover_chain": self._latest_loan_depth(),
            "repaid_by_rollover": float(paid["rolled_by"]) if paid else 0.0,
        }
