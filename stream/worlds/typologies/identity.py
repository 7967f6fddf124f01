"""Typologies about *who* is borrowing: a stolen account, and a merchant ring cashing out credit.

Both show in identity signals (devices, merchants, hours) more than in the
amounts alone, and both come in mild and blatant forms.
"""

from __future__ import annotations

from ..clock import DAY, HOUR, MINUTE, at_hour
from ..loans import MIN_AMOUNT
from ..population import new_merchant
from .base import EpisodeContext


def account_takeover(ctx: EpisodeContext) -> None:
    """An established account suddenly borrows from a new device and cashes out within hours.

    Range: 1 loan, 2-3, or 4-6 within minutes to 6 hours; sometimes a tiny
    probe first; a new device always, a new channel half the time, the small
    hours half the time; 30-100% of the headroom; cash loans or a credit-line
    draw at a merchant the user never used; almost never repaid.
    """
    rng, book, t0 = ctx.rng, ctx.book, ctx.t0
    if not book.loans_before(t0):
        start = max(book.profile.join_t, t0 - rng.randint(20, 60) * DAY)
        ctx.ordinary_loan(ctx.usual_time(start // DAY), next(iter(book.profile.habitual)))
    device = ctx.fresh_device()
    usual = ctx.usual_channel()
    channel = usual if rng.random() < 0.5 else rng.choice([c for c in ("app", "web", "partner") if c != usual])
    odd = rng.random() < 0.5
    first = ctx.odd_time(ctx.day0) if odd else ctx.usual_time(ctx.day0)
    n = rng.choices((1, rng.randint(2, 3), rng.randint(4, 6)), weights=(0.35, 0.45, 0.2))[0]
    times = ctx.spread(first, int(rng.uniform(5 * MINUTE, 6 * HOUR)), n)

    cash = "cash_loan" in book.profile.offered and rng.random() < 0.7
    product = "cash_loan" if cash else ("credit_line" if "credit_line" in book.profile.offered else book.profile.offered[0])
    via_merchant = product in ("credit_line", "installment") and rng.random() < 0.5
    mule_shop = new_merchant(rng, book.spec, len(book.merchants))  # a shop new to the platform
    frac = rng.uniform(0.3, 0.6) if n == 1 else rng.uniform(0.5, 1.0)
    total = max(book.available(first, product), 0.2 * book.limit(first, product)) * frac
    amounts = ctx.split(total, n, product)
    if n > 1 and rng.random() < 0.3:
        amounts[0] = max(MIN_AMOUNT[product], rng.uniform(50, 300))  # probe
    long_term = rng.random() < 0.5
    if channel == "merchant" and not via_merchant:
        channel = "app"
    for t, amount in zip(times, amounts):
        ctx.loan(
            t,
            amount,
            product,
            book.spec.max_term(product) if long_term else book.pick_term(rng, product),
            "merchant" if via_merchant else channel,
            device_id=device,
            merchant_id=mule_shop if via_merchant else None,
            purpose="consumption" if rng.random() < book.spec.purpose_share else None,
            **({"default_after": 0} if rng.random() < 0.85 else {}),  # type: ignore[arg-type]
        )


def merchant_cashout_ring(ctx: EpisodeContext) -> None:
    """Several users drawing their credit at one colluding merchant for cash (fake purchases).

    The merchant is new to everyone; draws are round or just-under-limit
    amounts, 60-100% of headroom over 1-3 draws; many come through the same
    till device; they cluster within the ring's few days.  Purchases on credit
    turned into cash at a discount are a classic consumer-credit fraud.
    Range: rings of 2-6 users; 1-10 days; credit line or instalments; shared
    device or not; some members repay normally (they wanted cash, not theft).
    """
    rng, book = ctx.rng, ctx.book
    ring = ctx.ring
    assert ring is not None, "merchant_cashout_ring needs a ring"
    product = ring.product if ring.product in book.profile.offered else (
        "credit_line" if "credit_line" in book.profile.offered else book.profile.offered[0]
    )
    n = rng.choices((1, 2, 3), weights=(0.5, 0.35, 0.15))[0]
    total = max(book.available(ctx.t0, product), 0.3 * book.limit(ctx.t0, product)) * rng.uniform(0.6, 1.0)
    plan = {} if rng.random() < 0.6 else {"default_after": 0}
    last_day = max(ctx.day0, (ring.start + ring.span) // DAY)
    days = sorted([ctx.day0] + [rng.randint(ctx.day0, last_day) for _ in range(n - 1)])
    for day, amount in zip(days, ctx.split(total, n, product, 0.3)):
        t = at_hour(rng, day, 0.5, 4.0) if rng.random() < 0.2 else at_hour(rng, day, 9.0, 22.0)
        if ring.style == "round":
            amount = max(500.0, round(amount / 500) * 500)
        else:
            amount = max(499.0, (int(amount / 1000) * 1000 or 1000) - rng.choice((1, 10, 100)))
        device = ring.shared_device if ring.shared_device and rng.random() < 0.6 else book.phone(t)
        term = book.spec.max_term(product) if product == "installment" else book.pick_term(rng, product)
        ctx.loan(t, amount, product, term, "merchant", device_id=device, merchant_id=ring.merchant_id,
                 purpose="consumption" if rng.random() < book.spec.purpose_share else None, **plan)  # type: ignore[arg-type]
