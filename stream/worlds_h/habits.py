"""Small sampling helpers shared by normal behaviour and the typologies.

Why: hour-of-day styles, skewed amounts, rounding to the sums people actually
type, and Poisson counts are needed everywhere; one place keeps them
consistent and fast (stdlib ``random`` only, scalar calls are the hot path).
"""
from __future__ import annotations

import math
from itertools import accumulate
from random import Random
from typing import Mapping, Sequence

from .spec import Dist
from .timebase import HOUR, at

MAX_AMOUNT = 10_000_000.0


def _w(spec: dict[tuple[int, int], float], base: float) -> tuple[float, ...]:
    out = [base] * 24
    for (lo, hi), w in spec.items():
        for h in range(lo, hi + 1):
            out[h % 24] = w
    return tuple(out)


#: Relative activity per local hour for each hour style.
HOUR_WEIGHTS: dict[str, tuple[float, ...]] = {
    "office": _w({(8, 8): 1.0, (9, 11): 3.0, (12, 12): 1.5, (13, 17): 3.0, (18, 19): 1.0}, 0.05),
    "evening": _w({(7, 17): 0.4, (18, 18): 1.0, (19, 22): 3.0, (23, 23): 1.5, (0, 0): 0.4}, 0.05),
    "night": _w({(10, 20): 0.5, (21, 23): 3.0, (0, 1): 3.0, (2, 2): 1.5, (3, 3): 0.5}, 0.1),
    "lunch_evening": _w({(8, 10): 0.8, (11, 13): 3.0, (14, 18): 0.8, (19, 22): 3.0, (23, 23): 0.8}, 0.05),
    "daytime": _w({(8, 21): 1.0}, 0.05),
    "shop": _w({(6, 8): 2.0, (9, 20): 1.0, (21, 23): 1.5}, 0.05),
}
_HOUR_CUM = {k: list(accumulate(v)) for k, v in HOUR_WEIGHTS.items()}
_HOURS = list(range(24))


def sample_hour(rng: Random, style: str) -> int:
    return rng.choices(_HOURS, cum_weights=_HOUR_CUM[style])[0]


def time_on_day(rng: Random, day: int, style: str) -> int:
    """A moment on local ``day`` drawn from an hour style."""
    return at(day, sample_hour(rng, style)) + rng.randrange(HOUR)


def odd_time(rng: Random, day: int) -> int:
    """A moment between 01:00 and 05:00 local: when account owners sleep."""
    return at(day, rng.randint(1, 4)) + rng.randrange(HOUR)


def lognormal(rng: Random, d: Dist) -> float:
    v = d.median * math.exp(rng.gauss(0.0, d.sigma))
    return min(d.hi, max(d.lo, v))


def poisson(rng: Random, lam: float) -> int:
    """Poisson count; Knuth for small means, normal approximation above 30."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def pick(rng: Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def pick_int(rng: Random, weights: Mapping[int, float]) -> int:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def round_to(x: float, step: float) -> float:
    """Round to the sums people type: whole hundreds for cash, cents at a checkout."""
    if step >= 1:
        return float(max(step, round(x / step) * step))
    if step >= 0.1:
        return max(0.1, round(x, 1))
    return max(0.01, round(x, 2))


def round_down(x: float, step: float) -> float:
    """Round down (never above available credit)."""
    if step >= 1:
        return float(math.floor(x / step) * step)
    return math.floor(x * 100) / 100.0


def money(x: float) -> float:
    """A contract-valid amount: positive, at most 2 decimals, at most 10,000,000."""
    return min(MAX_AMOUNT, max(0.01, round(x, 2)))


def split(rng: Random, total: float, k: int, spread: float = 0.5) -> list[float]:
    """Split ``total`` into ``k`` uneven parts (weights 1 +- spread)."""
    ws = [max(0.05, 1.0 + rng.uniform(-spread, spread)) for _ in range(k)]
    s = sum(ws)
    return [total * w / s for w in ws]


def weighted_days(rng: Random, days: Sequence[int], weights: Sequence[float], k: int) -> list[int]:
    """Draw ``k`` distinct days with probability proportional to ``weights``."""
    pool = list(zip(days, weights))
    out: list[int] = []
    for _ in range(min(k, len(pool))):
        tot = sum(w for _, w in pool)
        if tot <= 0:
            break
        r = rng.random() * tot
        acc = 0.0
        for i, (d, w) in enumerate(pool):
            acc += w
            if acc >= r:
                out.append(d)
                pool.pop(i)
                break
    return sorted(out)
