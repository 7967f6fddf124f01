"""Small helpers shared by the typology injectors."""
from __future__ import annotations

from .clock import DAY, HOUR
from .model import User


def ref_limit(world, user: User, t: int, product: str | None = None) -> float:
    """The limit an episode sizes itself against: the product's, else the largest."""
    if product is not None:
        v = world.limit_for(user, t, product)
        if v > 0:
            return v
    vals = [user.limit_at(k, t) for k in user.limits]
    vals = [v for v in vals if v > 0]
    return max(vals) if vals else 5000.0


def split(rng, total: float, n: int, floor: float = 0.3) -> list[float]:
    w = [rng.random() + floor for _ in range(n)]
    s = sum(w)
    return [total * x / s for x in w]


def habitual_time(world, user: User, day: float, rng) -> int:
    return world.clock.at(int(day), world.user_hours(user).hour(rng))


def odd_time(world, user: User, day: float, rng) -> int:
    """A time of day this world's users rarely act at."""
    quiet = world.user_hours(user).quiet_hours(5)
    return world.clock.at(int(day), rng.choice(quiet) + rng.random())


def late_repay(world, user: User, ln, rng, late_lo: float, late_hi: float, fraction: float, tag: str):
    t = ln.due + int(rng.uniform(late_lo, late_hi) * DAY)
    t = world.clock.at(world.clock.day_of(t), world.user_hours(user).hour(rng))
    if t <= ln.t:
        t = ln.t + int(rng.uniform(1, 12) * HOUR)
    return user.pay(ln, t, ln.amount * fraction, tag)


def short_terms(opt) -> int:
    return min(opt.terms)


def pick(rng, opts):
    return rng.choices(opts, weights=[o.w for o in opts])[0]


def pick_k(rng, opts, k):
    left, out = list(opts), []
    for _ in range(min(k, len(left))):
        o = pick(rng, left)
        out.append(o)
        left.remove(o)
    return out


def cashlike(opts):
    c = [o for o in opts if o.product in ("cash_loan", "credit_line", "merchant_loan")]
    return c or list(opts)
