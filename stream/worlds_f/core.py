"""Time helpers, the loan intent record and the per-user limit ledger.

A world (and a typology) only proposes *intents*: a loan it would like to take
at a time, with a repayment plan. The ledger walks one user's intents in time
order, applies limit changes and earlier repayments, declines loans beyond the
remaining limit and turns accepted intents into loan and repayment records.
"""

from __future__ import annotations

import heapq
from datetime import date, timedelta

DAY = 86400
HOUR = 3600
START_DATE = date(2026, 1, 5)  # a Monday; START = 2026-01-05T00:00:00+08:00
MAX_CENTS = 1_000_000_000  # 10,000,000.00 yuan


def at(day: float, hour: float) -> int:
    """Seconds after START for a day index and an hour of day (may exceed 24)."""
    return int(day * DAY + hour * HOUR)


def weekday(day: int) -> int:
    return day % 7  # 0 = Monday


def calendar(day: int) -> date:
    return START_DATE + timedelta(days=day)


class TsFormat:
    """Formats seconds after START as RFC 3339 with +08:00, caching day prefixes."""

    def __init__(self, days: int):
        self.prefix = [calendar(d).isoformat() + "T" for d in range(days + 1)]

    def __call__(self, t: int) -> str:
        d, r = divmod(t, DAY)
        h, r = divmod(r, HOUR)
        m, s = divmod(r, 60)
        return f"{self.prefix[d]}{h:02d}:{m:02d}:{s:02d}+08:00"


class Intent:
    """A loan a user wants at time t, with its planned repayments.

    plan: list of (due_t, pay_t, frac) -- pay frac of the amount at pay_t
    against an instalment due at due_t. With full=True the last entry absorbs
    rounding so the loan is exactly repaid. drain (0-1) replaces the amount by
    that share of the remaining limit at t. over (>= 1) lets the loan pass up
    to over x the remaining limit (a partner channel that checks late).
    """

    __slots__ = ("t", "cents", "product", "term", "channel", "device", "merchant", "segment",
                 "purpose", "score", "plan", "full", "label", "scen", "drain", "over")

    def __init__(self, t, cents, product, term, channel, *, device=None, merchant=None, segment=None,
                 purpose=None, score=None, plan=(), full=True, label=0, scen="normal", drain=0.0, over=1.0):
        self.t = int(t)
        self.cents = int(cents)
        self.product = product
        self.term = max(1, min(3650, int(term)))
        self.channel = channel
        self.device = device
        self.merchant = merchant
        self.segment = segment
        self.purpose = purpose
        self.score = score
        self.plan = plan
        self.full = full
        self.label = label
        self.scen = scen
        self.drain = drain
        self.over = over


def run_ledger(user, intents, end: int, raise_policy=None):
    """Accept or decline a user's intents in time order.

    Returns (loans, repayments): loans as (t, intent, cents, limit, loan_no);
    repayments as (t, intent, cents, days_late, loan_no).
    raise_policy(user, limit, good_count) -> new limit or None is asked after
    every on-time repayment (the lender's "good payer" limit raises).
    """
    intents = sorted((i for i in intents if 0 <= i.t < end), key=lambda i: i.t)
    limits = sorted(user.limit_events)  # (t, factor): the lender multiplies the limit
    li = 0
    limit = user.limit
    pending: list = []  # heap of (pay_t, seq, cents, on_time)
    seq = 0
    out = 0
    good = 0
    loans, reps = [], []
    for it in intents:
        while pending and pending[0][0] <= it.t:
            _, _, c, on_time = heapq.heappop(pending)
            out -= c
            if on_time and raise_policy is not None:
                good += 1
                new = raise_policy(user, limit, good)
                if new:
                    limit = new
        while li < len(limits) and limits[li][0] <= it.t:
            limit = int(limit * limits[li][1]) // 10000 * 10000
            li += 1
        avail = limit - out
        cents = it.cents
        if it.drain:
            cents = int(avail * it.drain) // 100 * 100
        cents = min(cents, MAX_CENTS)
        if cents < 100 or cents > avail * it.over:
            continue
        loan_no = len(loans)
        loans.append((it.t, it, cents, limit, loan_no))
        out += cents
        paid = 0
        n = len(it.plan)
        for k, (due_t, pay_t, frac) in enumerate(it.plan):
            if it.full and k == n - 1:
                c = cents - paid
            else:
                c = min(cents - paid, max(1, int(round(cents * frac))))
            if c <= 0:
                break
            pay_t = max(int(pay_t), it.t + 60)
            paid += c
            late = max(0, (pay_t - int(due_t)) // DAY)
            late = min(late, (pay_t - it.t) // DAY)
            seq += 1
            heapq.heappush(pending, (pay_t, seq, c, late == 0))
            if pay_t < end:
                reps.append((pay_t, it, c, late, loan_no))
    return loans, reps
