"""Shared machinery: seeded RNGs, the stream timeline, users, per-user ledgers.

Everything is driven by ``random.Random`` instances seeded from a SHA-256 of
``(seed, world, purpose)``, so output never depends on PYTHONHASHSEED.
Times are integer epoch seconds (UTC instants); each event also carries the
UTC offset (hours) used to render its ``ts``.
"""
from __future__ import annotations

import hashlib
import math
import random
from datetime import date, datetime, timedelta, timezone

DAY = 86400
HOUR = 3600
MINUTE = 60

PRODUCTS = ("cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge")
SEGMENTS = ("individual", "small_business", "student")
PURPOSES = ("consumption", "business", "education")
CHANNELS = ("app", "web", "merchant", "partner")
NORMAL = "normal"


# --------------------------------------------------------------------------- rng
def rng_for(seed: int, world: str, purpose: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}|{world}|{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def stable_hex(*parts, n: int = 10) -> str:
    """Deterministic hex id from parts (used for shared devices / merchants)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:n]


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def pick(rng: random.Random, weighted_items):
    """Choose from a list of (item, weight) pairs."""
    items = [i for i, _ in weighted_items]
    weights = [w for _, w in weighted_items]
    return rng.choices(items, weights)[0]


def money(x: float) -> float:
    """Contract amount: > 0, <= 10,000,000, at most 2 decimals."""
    return round(min(max(x, 1.0), 10_000_000.0), 2)


def round_limit(x: float) -> float:
    return float(max(0, int(round(x / 100.0)) * 100))


# ---------------------------------------------------------------------- timeline
_TZ_CACHE: dict = {}


def _tz(offset_h: float) -> timezone:
    tz = _TZ_CACHE.get(offset_h)
    if tz is None:
        tz = timezone(timedelta(minutes=int(round(offset_h * 60))))
        _TZ_CACHE[offset_h] = tz
    return tz


def fmt_ts(t: int, offset_h: float) -> str:
    return datetime.fromtimestamp(int(t), _tz(offset_h)).isoformat(timespec="seconds")


class Timeline:
    """Stream of history_days + test_days; the test window starts at ``anchor``
    (midnight, +08:00). Day indices count calendar days from the stream start."""

    def __init__(self, anchor: date, history_days: int, test_days: int):
        a = datetime(anchor.year, anchor.month, anchor.day, tzinfo=_tz(8))
        self.anchor = anchor
        self.history_days = history_days
        self.test_days = test_days
        self.days = history_days + test_days
        self.test_start = int(a.timestamp())
        self.start = self.test_start - history_days * DAY
        self.end = self.test_start + test_days * DAY
        self.start_date = anchor - timedelta(days=history_days)

    def test_day(self, frac: float) -> int:
        """Day index of a point inside the test window (frac of its length)."""
        return self.history_days + min(self.test_days - 1, max(0, int(round(frac * self.test_days))))

    def date_of(self, day_index: int) -> date:
        return self.start_date + timedelta(days=day_index)


# -------------------------------------------------------------------------- users
class User:
    def __init__(self, idx: int, uid: str, segment: str, limit: float, score: int,
                 offset_h: float = 8.0, device: str | None = None, channel: str = "app"):
        self.idx = idx
        self.uid = uid
        self.segment = segment
        self.limit = round_limit(limit)
        self.product_limits: dict | None = None  # per-product limits (some worlds)
        self.limit_changes: list = []  # (t, factor), applied in order
        self.score = score
        self.score_drift = 0.0  # points per day
        self.offset_h = offset_h
        self.device = device
        self.channel = channel
        self.traits: dict = {}
        # probability that optional fields are present on this user's events
        self.p_score = 1.0
        self.p_purpose = 1.0
        self.p_device = 1.0
        self.p_outstanding = 1.0
        self.p_currency = 0.0
        self.anomalous = False

    def limit_at(self, t: int, product: str) -> float:
        base = self.limit
        if self.product_limits:
            base = self.product_limits.get(product, self.limit)
        for ct, factor in self.limit_changes:
            if ct <= t:
                base *= factor
        return round_limit(base)

    def score_at(self, t: int, start: int) -> int:
        s = self.score + self.score_drift * (t - start) / DAY
        return int(min(950, max(350, round(s))))


class Loan:
    __slots__ = ("id", "t", "amount", "product", "term", "due", "remaining", "phantom",
                 "label", "scenario", "event")

    def __init__(self, lid, t, amount, product, term, phantom=False, label=0, scenario=NORMAL):
        self.id = lid
        self.t = t
        self.amount = amount
        self.product = product
        self.term = term
        self.due = t + term * DAY
        self.remaining = amount  # principal not yet covered by scheduled repayments
        self.phantom = phantom
        self.label = label
        self.scenario = scenario
        self.event = None


class Ledger:
    """All events of one user, plus helpers to schedule repayments."""

    def __init__(self, user: User, tl: Timeline, rng: random.Random):
        self.user = user
        self.tl = tl
        self.rng = rng
        self.events: list = []
        self.loans: list = []
        self.opening = 0.0  # outstanding principal of loans opened before the stream
        self._n = 0
        self._seq = 0

    # ---- time helpers
    def at(self, day_index: float, hour: float, offset_h: float | None = None) -> int:
        """Epoch of local ``hour`` on calendar day ``day_index`` (user's offset)."""
        off = self.user.offset_h if offset_h is None else offset_h
        return int(self.tl.start + int(day_index) * DAY + (8 - off) * HOUR + hour * HOUR)

    def local_hour_on(self, t: int, hour: float, offset_h: float | None = None) -> int:
        """Same local calendar day as ``t``, at ``hour``."""
        off = self.user.offset_h if offset_h is None else offset_h
        local = t + int(off * HOUR)
        return int(local - local % DAY + hour * HOUR - off * HOUR)

    def day_index(self, t: int) -> int:
        return int((t - self.tl.start) // DAY)

    # ---- events
    def _next_id(self) -> str:
        self._n += 1
        return f"{self.user.uid}-l{self._n}"

    def _add(self, ev: dict) -> dict:
        self._seq += 1
        ev["_seq"] = self._seq
        self.events.append(ev)
        return ev

    def loan(self, t, amount, product, term, channel, device="default", merchant=None,
             purpose=None, label=0, scenario=NORMAL, offset_h=None) -> Loan:
        t = int(t)
        ln = Loan(self._next_id(), t, money(amount), product, int(min(3650, max(1, term))),
                  label=label, scenario=scenario)
        ev = {"_t": t, "_kind": "loan", "_loan": ln, "_label": label, "_scen": scenario,
              "_off": self.user.offset_h if offset_h is None else offset_h,
              "channel": channel, "device": self.user.device if device == "default" else device,
              "merchant": merchant, "purpose": purpose}
        ln.event = self._add(ev)
        self.loans.append(ln)
        return ln

    def phantom(self, outstanding, product, opened_days_before, term) -> Loan:
        """A loan opened before the stream; only its later repayments appear."""
        t = self.tl.start - int(opened_days_before * DAY)
        ln = Loan(self._next_id(), t, money(outstanding), product, term, phantom=True)
        self.opening += ln.amount
        self.loans.append(ln)
        return ln

    def repay(self, t, loan: Loan, principal, due=None, label=None, scenario=None,
              offset_h=None, interest=0.0):
        t = int(t)
        principal = round(min(principal, loan.remaining), 2)
        if principal < 1.0 or t <= loan.t:
            return None
        loan.remaining = round(loan.remaining - principal, 2)
        due = loan.due if due is None else due
        ev = {"_t": t, "_kind": "repayment", "_loan": loan,
              "_label": loan.label if label is None else label,
              "_scen": loan.scenario if scenario is None else scenario,
              "_off": self.user.offset_h if offset_h is None else offset_h,
              "_principal": principal, "amount": money(principal * (1 + interest)), "_due": due,
              "days_late": max(0, int((t - due) // DAY))}
        return self._add(ev)

    def pay_bullet(self, loan: Loan, delay_days: float, hour=None, parts=1, gap_days=(1, 5),
                   label=None, scenario=None, offset_h=None, interest=0.0, fraction=1.0):
        """Repay at due + delay_days (negative = early), optionally in parts."""
        t = loan.due + int(delay_days * DAY)
        t = max(t, loan.t + int(self.rng.uniform(0.2, 6) * HOUR))
        if hour is not None:
            t = max(loan.t + 600, self.local_hour_on(t, hour, offset_h))
        todo = loan.remaining * fraction
        for p in range(parts):
            share = todo if p == parts - 1 else todo * self.rng.uniform(0.25, 0.6)
            self.repay(t, loan, share, label=label, scenario=scenario, offset_h=offset_h,
                       interest=interest)
            todo -= share
            t += int(self.rng.uniform(*gap_days) * DAY)

    def pay_installments(self, loan: Loan, early_days=(0, 2), late_days=None, period=30,
                         hour=None, interest=0.0, first_due=None):
        n = max(1, round(loan.term / period))
        part = loan.amount / n
        due = loan.t + period * DAY if first_due is None else first_due
        for _ in range(n):
            if due - 3 * DAY > self.tl.end:
                break
            shift = -self.rng.uniform(*early_days) if late_days is None else self.rng.uniform(*late_days)
            t = due + int(shift * DAY)
            if hour is not None:
                t = self.local_hour_on(t, hour)
            if t >= self.tl.start:
                self.repay(t, loan, min(part, loan.remaining), due=due, interest=interest)
            else:  # instalment fell before the stream started
                loan.remaining = round(loan.remaining - part, 2)
                if loan.phantom:
                    self.opening = max(0.0, self.opening - part)
            due += period * DAY

    def cancel_repayments(self, loan: Loan, after_t: int) -> float:
        """Remove scheduled repayments of ``loan`` at/after ``after_t``."""
        keep, restored = [], 0.0
        for ev in self.events:
            if ev["_kind"] == "repayment" and ev["_loan"] is loan and ev["_t"] >= after_t:
                restored += ev["_principal"]
            else:
                keep.append(ev)
        self.events = keep
        loan.remaining = round(loan.remaining + restored, 2)
        return restored

    def move_repayment(self, ev: dict, t: int) -> None:
        """Shift a scheduled repayment to time t (days_late recomputed)."""
        ev["_t"] = int(max(t, ev["_loan"].t + 600))
        ev["days_late"] = max(0, int((ev["_t"] - ev["_due"]) // DAY))

    def drop_normal_loans_after(self, t: int):
        """Remove normal loans disbursed after t, with their repayments."""
        gone = {id(ln) for ln in self.loans if ln.t > t and ln.label == 0 and not ln.phantom}
        self.events = [ev for ev in self.events if id(ev["_loan"]) not in gone]
        self.loans = [ln for ln in self.loans if id(ln) not in gone]

    def outstanding_at(self, t: int) -> float:
        bal = self.opening
        for ev in self.events:
            if ev["_t"] <= t:
                if ev["_kind"] == "loan":
                    bal += ev["_loan"].amount
                else:
                    bal -= ev["_principal"]
        return max(0.0, bal)

    def available(self, t: int, product: str = "cash_loan") -> float:
        return max(0.0, self.user.limit_at(t, product) - self.outstanding_at(t))

    def open_loans(self, t: int):
        """Loans disbursed before t that still have principal due at/after t."""
        out = []
        for ln in self.loans:
            if ln.t >= t:
                continue
            later = sum(ev["_principal"] for ev in self.events
                        if ev["_kind"] == "repayment" and ev["_loan"] is ln and ev["_t"] >= t)
            if later + ln.remaining >= 1.0:
                out.append((ln, later + ln.remaining))
        return out
