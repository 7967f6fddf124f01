"""A borrower's habits (hours, devices, lateness, bad rate) and repayment plans."""

from __future__ import annotations

from .core import DAY, HOUR


class User:
    """One borrower. Worlds add their own attributes freely."""

    def __init__(self, idx: int, uid: str, rng, *, segment="individual", purpose="consumption",
                 limit=500000, score=None, device=None, channel="app"):
        self.idx = idx
        self.uid = uid
        self.segment = segment
        self.purpose = purpose
        self.limit = int(limit) // 10000 * 10000 or 10000
        self.score = score
        self.devices = [(0, device)]
        self.channel = channel
        self.limit_events: list = []
        self.anomalous = False
        self.typology = None
        # habits: most people are day people; some are night owls
        self.night = rng.random() < 0.08
        self.peak = rng.uniform(9, 21)
        self.pay_hour = rng.uniform(8, 22)
        late_habit = rng.random() < 0.10  # routinely late payers
        self.late_p = rng.uniform(0.3, 0.7) if late_habit else rng.uniform(0.0, 0.06)
        self.late_mean = rng.uniform(2, 8) if late_habit else rng.uniform(1, 3)
        self.early_p = rng.uniform(0.15, 0.5) if rng.random() < 0.2 else 0.02
        self.bad_p = rng.uniform(0.015, 0.05) if late_habit else rng.uniform(0.003, 0.015)
        self.raise_ok = rng.random() < 0.5 and not late_habit
        self.raise_step = rng.uniform(1.15, 1.25)

    def device_at(self, t: int):
        dev = self.devices[0][1]
        for t0, d in self.devices:
            if t0 <= t:
                dev = d
        return dev

    def new_device(self, t: int, dev) -> None:
        self.devices.append((t, dev))
        self.devices.sort(key=lambda x: x[0])

    def hour(self, rng) -> float:
        """An hour of day for an ordinary action (night owls run past midnight)."""
        if self.night:
            return rng.uniform(21.5, 26.5)
        return min(23.9, max(6.5, rng.gauss(self.peak, 2.5)))

    def score_at(self, t: int):
        if self.score is None:
            return None
        return max(350, min(950, self.score + (t // (30 * DAY)) * self.score_drift))

    score_drift = 0


def device_name(rng, prefix="d") -> str:
    return f"{prefix}-{rng.getrandbits(48):012x}"


def pay_time(rng, u, due: int, late_p=None, late_mean=None) -> int:
    """When the user pays an instalment due at `due` (same day, or late)."""
    day_start = due - due % DAY
    t = day_start + int((u.pay_hour + rng.uniform(-1.5, 1.5)) * HOUR)
    lp = u.late_p if late_p is None else late_p
    if rng.random() < lp:
        lm = u.late_mean if late_mean is None else late_mean
        t += int((1 + rng.expovariate(1 / lm)) * DAY)
    return t


def plan(rng, u, t: int, term: int, n: int = 1, bad_p=None, late_p=None):
    """An ordinary repayment plan: n equal instalments over term days.

    Returns (plan, full). With the user's (or the given) bad rate the loan goes
    bad: never repaid, partly repaid, or repaid 25-80 days late.
    """
    bad = rng.random() < (u.bad_p if bad_p is None else bad_p)
    kind = rng.choice(("never", "partial", "very_late")) if bad else "ok"
    dues = [t + int(term * DAY * (k + 1) / n) for k in range(n)]
    out = []
    if kind == "never":
        return out, False
    if kind == "partial":
        if n == 1:
            return [(dues[0], pay_time(rng, u, dues[0], 1.0, 6), rng.uniform(0.15, 0.6))], False
        cut = rng.randint(1, n - 1)
        return [(d, pay_time(rng, u, d, late_p), 1 / n) for d in dues[:cut]], False
    for k, d in enumerate(dues):
        if kind == "very_late":
            out.append((d, d + int(rng.uniform(25, 80) * DAY), 1 / n))
            continue
        if rng.random() < u.early_p / (1 + k):
            # early repayment of everything still owed
            lo = t if k == 0 else dues[k - 1]
            out.append((d, lo + int((d - lo) * rng.uniform(0.2, 0.9)), (n - k) / n))
            break
        out.append((d, pay_time(rng, u, d, late_p), 1 / n))
    return out, True
