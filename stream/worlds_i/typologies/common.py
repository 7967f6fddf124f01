"""Small helpers shared by typologies: splitting sums, picking hours, eligibility."""
from __future__ import annotations

import random

from ..ledger import Ctx
from ..model import User
from ..timeline import DAY, at


def split(total: float, k: int, rng: random.Random, round_step: float = 0.0) -> list[float]:
    """Split a sum into k uneven positive parts, optionally rounded to a step."""
    w = [rng.uniform(0.4, 1.6) for _ in range(k)]
    s = sum(w)
    parts = [total * x / s for x in w]
    if round_step:
        parts = [max(round_step, round(p / round_step) * round_step) for p in parts]
    return [max(1.0, p) for p in parts]


def odd_hour(rng: random.Random) -> float:
    return rng.uniform(0.5, 5.5)


def hour_like(ctx: Ctx, u: User, rng: random.Random, p_odd: float) -> float:
    return odd_hour(rng) if rng.random() < p_odd else ctx.world.loan_hour(u, rng)


def spread(start: int, k: int, span: int, rng: random.Random) -> list[int]:
    return sorted(start + rng.randint(0, max(1, span)) for _ in range(k))


def roundish(x: float, rng: random.Random) -> float:
    """People and fraud scripts like round or 'just under' numbers."""
    mode = rng.random()
    if x < 200 or mode < 0.35:
        return round(x, 2)
    step = 100 if x < 5000 else 1000
    v = max(step, round(x / step) * step)
    return v - 1 if mode > 0.8 else v


def established(ctx: Ctx, u: User, start: int, min_loans: int, min_age_days: int) -> bool:
    if u.join_day * DAY > start - min_age_days * DAY:
        return False
    return len(ctx.loans_before(u, start)) >= min_loans


def joined(u: User, start: int) -> bool:
    return u.join_day * DAY <= start


def in_window(ctx: Ctx, t: int, stop: int) -> bool:
    return 0 <= t < min(stop, ctx.end)


def usual_channel(u: User) -> str:
    ch = [e.channel for e in u.events if e.kind == "loan"]
    return max(sorted(set(ch)), key=ch.count) if ch else "app"     # sorted: ties must not depend on str hashing


def typical_amount(u: User, default: float) -> float:
    a = sorted(e.amount for e in u.events if e.kind == "loan")
    return a[len(a) // 2] if a else default


def late_hour(rng: random.Random) -> float:
    return rng.uniform(20, 26) % 24



def settle(ctx: Ctx, u: User, lo, rng: random.Random, *, late=0, early: int = 0,
           fraction: float = 1.0, stop_after: int | None = None, label: int = 0,
           scenario: str = "normal") -> None:
    """Repay a typology loan: monthly for instalment products, one bullet otherwise.

    ``late`` is an int or a function of the instalment number.
    """
    w = ctx.world
    late_fn = late if callable(late) else (lambda k, v=late: v)
    d0 = lo.t // DAY
    if lo.product == "installment" and lo.term >= 60:
        n = max(1, lo.term // 30)
        ctx.pay_instalments(u, lo, n, d0 + 30, 30, late_fn, lambda k: w.pay_hour(u, rng),
                            rate=w.rate, stop_after=stop_after, label=label, scenario=scenario)
        return
    if stop_after == 0:
        return
    due = d0 + lo.term
    ctx.pay_bullet(u, lo, due, late_fn(0), w.pay_hour(u, rng), rng, early=min(early, lo.term),
                   rate=w.rate, fraction=fraction, label=label, scenario=scenario)


def cash_products(ctx: Ctx) -> dict[str, float]:
    """The world's products that make sense for a short cash-like draw."""
    p = {k: v for k, v in ctx.world.products.items() if k in ("cash_loan", "credit_line", "merchant_loan")}
    return p or dict(ctx.world.products)


def next_at_hour(t: int, hour: float) -> int:
    """First time >= t that falls at the given local hour."""
    d = t // DAY
    c = at(d, hour)
    return c if c >= t else at(d + 1, hour)
