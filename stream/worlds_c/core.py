"""Simulation engine for family C: per-user event-driven simulation.

Money is handled in integer cents internally; limits in whole yuan.
Time is integer seconds since the stream start (2026-01-05T00:00:00+08:00),
so ``t // DAY`` is the local (+08:00) calendar day index.

Repayment schedule (what ``days_late`` is measured against):
  * instalment-like loans -- product ``installment``, or ``cash_loan`` with
    ``term_days >= 90`` -- have ``n = term_days // 30`` monthly instalments due
    on local day ``loan_day + 30*k`` (k = 1..n), equal instalments in cents with
    the remainder on the last one;
  * every other loan is a single bullet due on local day ``loan_day + term_days``.
  A payment's ``days_late`` is ``max(0, pay_day - due_day)`` of the earliest
  instalment not yet fully paid before that payment.
"""
from __future__ import annotations

import heapq
import math
from datetime import date, timedelta

DAY = 86400
HOUR = 3600
START_DATE = date(2026, 1, 5)
START_TS = "2026-01-05T00:00:00+08:00"


def mix_seed(*parts: int) -> int:
    """Deterministic 64-bit seed from integers (no use of hash())."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h ^= (p + 0x9E3779B97F4A7C15 + ((h << 6) & 0xFFFFFFFFFFFFFFFF) + (h >> 2)) & 0xFFFFFFFFFFFFFFFF
        h = (h * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 31
    return h


def day_strings(n_days: int) -> list[str]:
    return [(START_DATE + timedelta(days=d)).isoformat() for d in range(n_days + 400)]


def is_instalment_like(product: str, term: int) -> bool:
    return product == "installment" or (product == "cash_loan" and term >= 90)


def schedule(amount_cents: int, product: str, term: int, loan_day: int):
    """Return (due_days, cumulative_cents) for a loan."""
    if is_instalment_like(product, term):
        n = max(1, term // 30)
        base = amount_cents // n
        dues = [loan_day + 30 * k for k in range(1, n + 1)]
        cum = [base * k for k in range(1, n)] + [amount_cents]
        return dues, cum
    return [loan_day + term], [amount_cents]


def clip(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def poisson(rng, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    L = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


class Loan:
    __slots__ = ("lid", "t", "day", "amount", "product", "term", "dues", "cum", "paid",
                 "managed", "intent_bad", "fate", "key", "max_late", "promo", "n", "restressed")

    def __init__(self, lid, t, amount, product, term, key):
        self.lid = lid
        self.t = t
        self.day = t // DAY
        self.amount = amount
        self.product = product
        self.term = term
        self.dues, self.cum = schedule(amount, product, term, self.day)
        self.n = len(self.dues)
        self.paid = 0
        self.managed = False
        self.intent_bad = 0.0
        self.fate = None
        self.key = key
        self.max_late = 0
        self.promo = False
        self.restressed = False

    def next_k(self):
        for k, c in enumerate(self.cum):
            if c > self.paid:
                return k
        return None

    @property
    def remaining(self):
        return self.amount - self.paid


class Profile:
    """Static-ish description of one user (mutable by episode planning)."""

    def __init__(self, idx: int):
        self.idx = idx
        self.uid = "c-u%06d" % idx
        self.open_day = -1          # -1: account exists before the stream
        self.no_ordinary = False    # account used only by its episode
        self.ordinary_until = None  # stop ordinary activity from this time
        self.extra = {}


class Sim:
    """Per-user simulation: heap of timed actions, state, event log."""

    def __init__(self, world, prof: Profile, rng, n_days: int, daystr):
        self.w = world
        self.u = prof
        self.rng = rng
        self.end = n_days * DAY
        self.n_days = n_days
        self.daystr = daystr
        self.heap = []
        self.seq = 0
        self.events = []          # (t, seq, dict, label, scenario)
        self.loans = []
        self.out = {}             # limit key -> outstanding cents
        self.out_total = 0
        self.limits = dict(prof.limits)  # limit key -> yuan
        self.loan_times = []
        self.delinquent = False
        self.ghost = False
        self.stress = 0.0
        self.now = 0
        self.nloan = 0
        self.limit_up_boost = 1.0
        self.force_habit = None
        self.small_amounts = False

    # ------------------------------------------------------------ scheduling
    def at(self, t, fn, *args):
        t = int(t)
        if t < self.now:
            t = self.now
        if t >= self.end:
            return
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, fn, args))

    def run(self):
        heap = self.heap
        while heap:
            t, _, fn, args = heapq.heappop(heap)
            self.now = t
            fn(t, *args)

    # ------------------------------------------------------------ helpers
    def ts(self, t):
        s = t % DAY
        return "%sT%02d:%02d:%02d+08:00" % (self.daystr[t // DAY], s // 3600, (s // 60) % 60, s % 60)

    def key_of(self, product):
        return product if self.w.per_product_limit else "total"

    def limit_of(self, product):
        return self.limits.get(self.key_of(product), 0)

    def total_limit(self):
        return sum(self.limits.values())

    def available(self, product):
        k = self.key_of(product)
        return max(0, self.limits.get(k, 0) * 100 - self.out.get(k, 0))

    def set_limit(self, key, yuan):
        self.limits[key] = int(yuan)

    def recent_loans(self, t, window):
        n = 0
        for lt in reversed(self.loan_times):
            if lt > t - window:
                n += 1
            else:
                break
        return n

    def open_loans(self):
        return [l for l in self.loans if l.paid < l.amount]

    def device(self, t, channel):
        return self.w.device_for(self, t, channel)

    # ------------------------------------------------------------ events
    def borrow(self, t, amount, product, term, channel, device=None, merchant=None,
               label=0, scen="normal", intent_bad=0.0, managed=False, purpose=None,
               score=None, device_auto=True):
        """Record a disbursed loan of `amount` cents; returns the Loan."""
        w, u, rng = self.w, self.u, self.rng
        amount = int(amount)
        if amount < 100:
            amount = 100
        if amount > 1_000_000_000:
            amount = 1_000_000_000
        self.nloan += 1
        key = self.key_of(product)
        loan = Loan("c-l%06d-%03d" % (u.idx, self.nloan), t, amount, product, term, key)
        loan.managed = managed
        loan.intent_bad = intent_bad
        self.loans.append(loan)
        self.out[key] = self.out.get(key, 0) + amount
        self.out_total += amount
        self.loan_times.append(t)
        ev = {"event_id": None, "event_type": "loan", "user_id": u.uid, "ts": self.ts(t),
              "amount": amount / 100}
        if rng.random() < w.p_currency:
            ev["currency"] = "CNY"
        ev["loan_id"] = loan.lid
        ev["product"] = product
        ev["term_days"] = int(term)
        ev["credit_limit"] = self.limits.get(key, 0)
        if score != -1 and rng.random() >= w.p_missing_score:
            sc = u.score if score is None else score
            sc = int(clip(sc + rng.randint(-6, 6), 350, 950))
            ev["credit_score"] = sc
        ev["segment"] = u.segment
        if rng.random() >= w.p_missing_purpose:
            ev["purpose"] = purpose or w.purpose_for(self, product)
        ev["channel"] = channel
        if device is None and device_auto:
            device = self.device(t, channel)
        if device is not None:
            ev["device_id"] = device
        if channel == "merchant":
            explicit_merchant = merchant is not None
            if merchant is None:
                merchant = w.merchant_for(self)
            if merchant is not None and (explicit_merchant or rng.random() >= w.p_missing_merchant):
                ev["merchant_id"] = merchant
        self.seq += 1
        self.events.append((t, self.seq, ev, label, scen))
        if not managed:
            self.schedule_decisions(loan)
        return loan

    def pay(self, t, loan, amount, label=0, scen="normal"):
        amount = int(min(amount, loan.amount - loan.paid))
        if amount <= 0 or t >= self.end:
            return 0
        k = loan.next_k()
        late = max(0, t // DAY - loan.dues[k])
        if late > loan.max_late:
            loan.max_late = late
        loan.paid += amount
        self.out[loan.key] -= amount
        self.out_total -= amount
        ev = {"event_id": None, "event_type": "repayment", "user_id": self.u.uid, "ts": self.ts(t),
              "amount": amount / 100}
        if self.rng.random() < self.w.p_currency:
            ev["currency"] = "CNY"
        ev["loan_id"] = loan.lid
        ev["days_late"] = late
        if self.rng.random() >= self.w.p_missing_outstanding:
            ev["outstanding"] = self.out_total / 100
        self.seq += 1
        self.events.append((t, self.seq, ev, label, scen))
        if loan.paid >= loan.amount and loan.max_late == 0 and not self.delinquent:
            self.w.maybe_limit_up(self, t, loan)
        if self.delinquent and late == 0 and all(l.max_late < 15 or l.paid >= l.amount for l in self.loans):
            # a cured user slowly returns to normal
            if self.rng.random() < 0.3:
                self.delinquent = False
        return amount

    # ------------------------------------------------------------ ordinary repayment
    def schedule_decisions(self, loan):
        rng = self.rng
        for k in range(loan.n):
            due_t = loan.dues[k] * DAY
            dt = max(loan.t + 60, due_t - 9 * DAY)
            if dt < self.end:
                self.at(dt, self._decide, loan, k)
        if loan.n == 1 and rng.random() < self.w.p_early_payoff_of(self, loan):
            span = loan.dues[0] * DAY - loan.t
            tp = loan.t + int(span * rng.uniform(0.15, 0.8))
            tp = tp - tp % DAY + self.w.pay_second(self, tp // DAY)
            if tp <= loan.t:
                tp = loan.t + rng.randint(1800, 6 * HOUR)
            self.at(tp, self._early_payoff, loan)

    def _early_payoff(self, t, loan):
        if loan.managed:
            return
        if loan.fate is None:
            loan.fate = self._fate(t, loan)
            loan.restressed = self.stress > 0
        if loan.fate[0] == "ok":
            self._pay_rest(t, loan, 0, 1.0)

    def _pay_rest(self, t, loan, k, frac, label=0, scen="normal"):
        if loan.managed:
            return
        rem = loan.cum[k] - loan.paid
        if rem <= 0:
            return
        amt = rem if frac >= 1.0 else max(100, int(rem * frac) // 100 * 100)
        self.pay(t, loan, amt, label, scen)

    def _fate(self, t, loan):
        w, u, rng = self.w, self.u, self.rng
        lim = self.total_limit() * 100
        util = self.out_total / lim if lim > 0 else 1.0
        nrec = self.recent_loans(t, 7 * DAY)
        risk = (w.util_weight * clip((util - 0.8) / 0.2, 0, 1)
                + w.burst_weight * clip((nrec - w.burst_norm) / 5.0, 0, 1)
                + w.fraud_bad * loan.intent_bad
                + w.stress_weight * self.stress)
        p = u.base_default + w.link * risk
        if self.delinquent:
            p = max(p, w.p_bad_when_delinquent)
        p = min(p, 0.97)
        if rng.random() < p:
            if loan.intent_bad >= 0.5 and rng.random() < 0.7:
                mode = "never"
            else:
                r = rng.random()
                mode = "never" if r < 0.35 else "partial" if r < 0.6 else "late"
            kf = 0 if loan.n == 1 else min(loan.n - 1, int(rng.expovariate(1.0)))
            return ("bad", mode, kf)
        return ("ok",)

    def _decide(self, t, loan, k):
        if loan.managed:
            return
        rem = loan.cum[k] - loan.paid
        if rem <= 0:
            return
        rng, w, u = self.rng, self.w, self.u
        if loan.fate is None:
            loan.fate = self._fate(t, loan)
            loan.restressed = self.stress > 0
        elif self.stress > 0 and not loan.restressed and loan.fate[0] == "ok":
            # risky behaviour after this loan's first decision also weighs on its later instalments
            loan.restressed = True
            if rng.random() < w.link * w.stress_weight * self.stress:
                r = rng.random()
                loan.fate = ("bad", "never" if r < 0.4 else "partial" if r < 0.65 else "late", k)
        due = loan.dues[k]
        fate = loan.fate
        if fate[0] == "bad" and k >= fate[2]:
            mode = fate[1]
            if k == fate[2]:
                self.delinquent = True
            if mode == "never":
                return
            if mode == "partial":
                if k == fate[2]:
                    d = due + rng.randint(0, 10)
                    self.at(d * DAY + w.pay_second(self, d), self._pay_rest, loan, k, rng.uniform(0.15, 0.6))
                return
            d = due + rng.randint(15, 50)
            self.at(d * DAY + w.pay_second(self, d), self._pay_rest, loan, k, 1.0)
            return
        habit = self.force_habit or u.habit
        if self.force_habit is None and rng.random() < 0.12:
            habit = rng.choice(("early", "ontime", "late", "auto"))
        if habit == "auto":
            d = due
            sec = w.autodebit_second(self)
            if rng.random() < u.p_autofail:
                d += rng.randint(1, 4)
                sec = w.pay_second(self, d)
        elif habit == "early":
            d = due - rng.randint(1, 7)
            sec = w.pay_second(self, d)
        elif habit == "ontime":
            d = due - (1 if rng.random() < 0.3 else 0)
            sec = w.pay_second(self, d)
        else:
            d = due + rng.randint(1, u.late_max)
            sec = w.pay_second(self, d)
        d = w.adjust_pay_day(self, due, habit, d)
        tp = d * DAY + sec
        if tp <= loan.t:
            tp = loan.t + rng.randint(1800, 8 * HOUR)
        if rng.random() < u.p_partial:
            self.at(tp, self._pay_rest, loan, k, rng.uniform(0.3, 0.7))
            d2 = tp // DAY + rng.randint(1, 6)
            self.at(max(tp + 600, d2 * DAY + w.pay_second(self, d2)), self._pay_rest, loan, k, 1.0)
        else:
            self.at(tp, self._pay_rest, loan, k, 1.0)
