"""Typologies about *how much* is borrowed: stacking, draining a raised limit, student overreach, a max-term switch.

Each draws its mechanics per episode (timing, count, sizes, products,
channels, devices, and whether the loans are ever repaid) from a range, and a
share of episodes is deliberately mild, so a detector cannot key on one shape.
"""

from __future__ import annotations

from ..clock import DAY, HOUR, MINUTE
from ..loans import MIN_AMOUNT
from .base import EpisodeContext

CASHABLE = ("cash_loan", "credit_line", "installment")


def _repayment_plan(ctx: EpisodeContext, p_bust: float) -> dict[str, object]:
    """Bust-out (never repaid) with probability ``p_bust``, else the user's usual habit."""
    return {"default_after": 0} if ctx.rng.random() < p_bust else {}


def loan_stacking(ctx: EpisodeContext) -> None:
    """Many loans in a short time, across products and/or channels, adding up to about the limit or beyond.

    Range: a burst of minutes, a day, or two days; 2-4 big loans, 6-12 small
    ones, or a mix; one product or several; one channel or several; one device
    or two; repaid normally, partly, or never.  A quarter are mild: 2-3 loans
    over a day for half the headroom.
    """
    rng, book, t0 = ctx.rng, ctx.book, ctx.t0
    subtle = rng.random() < 0.25
    if subtle:
        n, evenness, mode = rng.randint(2, 3), 0.5, "day"
    else:
        style = rng.choices(("big", "many_small", "mixed"), weights=(0.35, 0.3, 0.35))[0]
        n = {"big": rng.randint(2, 4), "many_small": rng.randint(6, 12), "mixed": rng.randint(3, 7)}[style]
        evenness = {"big": 0.5, "many_small": 0.25, "mixed": 0.7}[style]
        mode = rng.choices(("burst", "day", "two_days"), weights=(0.45, 0.35, 0.2))[0]
    span = {"burst": rng.uniform(3, 60) * MINUTE, "day": rng.uniform(2, 14) * HOUR, "two_days": rng.uniform(20, 48) * HOUR}[mode]
    times = ctx.spread(t0, int(span), n)

    pool = ctx.offered(*CASHABLE) or list(book.profile.offered)
    if book.profile.segment == "small_business" and rng.random() < 0.4:
        pool.append("merchant_loan")
    if rng.random() < 0.65 and len(pool) > 1:
        products = rng.sample(pool, min(len(pool), rng.randint(2, 4)))
    else:
        products = [rng.choice(pool)]
    per_loan = [products[i % len(products)] for i in range(n)]
    rng.shuffle(per_loan)

    if rng.random() < 0.6:
        channels = rng.sample(["app", "web", "partner", "merchant"], rng.randint(2, 4))
    else:
        channels = [ctx.usual_channel()]
    devices = [book.phone(t0)]
    if rng.random() < 0.25:
        devices.append(book.profile.devices[1] if len(book.profile.devices) > 1 else ctx.fresh_device())

    frac = rng.uniform(0.45, 0.7) if subtle else rng.uniform(0.8, 1.3)
    amounts: list[float] = [0.0] * n
    for product in dict.fromkeys(per_loan):  # ordered: keeps runs reproducible
        idx = [i for i, p in enumerate(per_loan) if p == product]
        if book.per_product:
            budget = max(book.available(t0, product), 0.3 * book.limit(t0, product)) * frac
        else:
            budget = max(book.available(t0, product), 0.3 * book.limit(t0)) * frac * len(idx) / n
        for i, amount in zip(idx, ctx.split(budget, len(idx), product, evenness)):
            amounts[i] = amount

    plan = _repayment_plan(ctx, 0.45)
    pays_first = rng.randint(1, n - 1) if not plan and rng.random() < 0.4 and n > 1 else n
    for i, (t, product, amount) in enumerate(zip(times, per_loan, amounts)):
        channel = channels[i % len(channels)]
        if channel == "merchant" and product not in ("credit_line", "installment"):
            channel = "partner"
        ctx.loan(
            t,
            amount,
            product,
            book.pick_term(rng, product, short=rng.random() < 0.6),
            channel,
            device_id=None if channel == "partner" and rng.random() < 0.5 else devices[i % len(devices)],
            purpose=book.pick_purpose(rng, product),
            **(plan if i < pays_first else {"default_after": 0}),  # type: ignore[arg-type]
        )


def limit_jump_drain(ctx: EpisodeContext) -> None:
    """A credit limit increase, then most of the new limit drawn quickly.

    Range: raise x1.3-4; drain minutes, hours or 1-3 days after; sometimes a
    small probe loan first; 1-4 drain loans for 55-100% of the new headroom;
    often never repaid.  Only the loans show the raise (the stream has no
    limit-change event), so the first loan after it carries the new limit.
    """
    rng, book, t0 = ctx.rng, ctx.book, ctx.t0
    product = rng.choice(ctx.offered(*CASHABLE) or list(book.profile.offered))
    if "cash_loan" in book.profile.offered and rng.random() < 0.55:
        product = "cash_loan"
    subtle = rng.random() < 0.25
    factor = rng.uniform(1.3, 1.7) if subtle else rng.uniform(1.6, 4.0)
    step = 100.0 if book.profile.segment == "student" else 500.0
    old = book.limit(t0, product)
    new = max(old + step, round(old * factor / step) * step)
    book.set_limit(t0, new, product)

    t = t0 + ctx.lag(((0.4, 2 * MINUTE, 60 * MINUTE), (0.35, HOUR, 12 * HOUR), (0.25, DAY, 3 * DAY)))
    if t >= ctx.window.end - HOUR:
        t = t0 + int(rng.uniform(2, 50) * MINUTE)  # keep the drain inside the window
    channel = ctx.usual_channel() if rng.random() < 0.7 else rng.choice(("app", "web", "partner"))
    if channel == "merchant" and product == "cash_loan":
        channel = "app"
    device = book.pick_device(rng, t, "app")
    plan = _repayment_plan(ctx, 0.55)
    if rng.random() < 0.3:  # probe: does the new limit work?
        probe = max(MIN_AMOUNT[product], new * rng.uniform(0.01, 0.05))
        ctx.loan(t, probe, product, book.pick_term(rng, product), channel, device_id=device, **plan)  # type: ignore[arg-type]
        t += ctx.lag(((0.6, 5 * MINUTE, HOUR), (0.4, HOUR, 8 * HOUR)))

    n = 1 if rng.random() < 0.4 else rng.randint(2, 4)
    headroom = max(book.available(t, product), 0.3 * new)
    total = headroom * (rng.uniform(0.55, 0.8) if subtle else rng.uniform(0.75, 1.0))
    times = ctx.spread(t, int(rng.uniform(10 * MINUTE, 2 * DAY)), n)
    long_term = rng.random() < 0.5
    for when, amount in zip(times, ctx.split(total, n, product)):
        term = book.spec.max_term(product) if long_term else book.pick_term(rng, product)
        ctx.loan(when, amount, product, term, channel, device_id=device, purpose=book.pick_purpose(rng, product), **plan)  # type: ignore[arg-type]


def student_overborrowing(ctx: EpisodeContext) -> None:
    """A student borrowing far beyond student norms: bigger, more often, on more products.

    Range: 2-21 days; 3-12 loans at 1.5-5x the student's usual size; 2-3
    products (cash loans, which students rarely take, more often than not);
    app and partner platforms; sometimes late at night; either piling balance
    past the limit or churning near it (repay fast, borrow again).
    """
    rng, book, t0 = ctx.rng, ctx.book, ctx.t0
    subtle = rng.random() < 0.3
    if subtle:
        days, n, mult = rng.uniform(10, 21), rng.randint(3, 5), rng.uniform(1.5, 2.2)
    else:
        days, n, mult = rng.uniform(2, 14), rng.randint(4, 12), rng.uniform(2.0, 5.0)
    pool = ctx.offered(*CASHABLE) or list(book.profile.offered)
    products = rng.sample(pool, min(len(pool), rng.randint(2, 3)))
    if "cash_loan" in pool and "cash_loan" not in products and rng.random() < 0.7:
        products[-1] = "cash_loan"
    night = rng.random() < 0.5
    churn = rng.random() < 0.35
    late_habit = ctx.habit(p_late=min(0.9, book.habit.p_late + rng.uniform(0.1, 0.4)), p_early=0.0)

    days_used = sorted(rng.sample(range(int(days) + 1), min(n, int(days) + 1)))
    while len(days_used) < n:
        days_used.append(rng.choice(days_used))
    days_used.sort()
    days_used[0] = 0  # the spree starts at onset
    times = sorted(
        max(t0 + k * 10 * MINUTE, ctx.odd_time(ctx.day0 + d) if night and rng.random() < 0.6 else ctx.usual_time(ctx.day0 + d))
        for k, d in enumerate(days_used)
    )
    for k, t in enumerate(times):
        product = products[k % len(products)]
        amount = book.typical_amount(product, t) * mult * rng.lognormvariate(0, 0.3)
        ceiling = book.limit(t, product) * rng.uniform(0.5, 1.0)  # no single loan above the limit
        amount = max(MIN_AMOUNT[product] * 2, min(amount, ceiling))
        channel = rng.choice(("app", "partner", "partner")) if product == "cash_loan" else book.pick_channel(rng, product)
        purpose = "consumption" if rng.random() < book.spec.purpose_share else None
        if churn:
            amount = min(amount, max(MIN_AMOUNT[product] * 2, book.available(t, product) * rng.uniform(0.7, 1.0)))
            loan = ctx.loan(t, amount, product, book.pick_term(rng, product, short=True), channel,
                            device_id=book.pick_device(rng, t, channel), purpose=purpose)
            loan.payoff(t + int(rng.uniform(0.5, 4) * DAY), 0, "normal")
        else:
            ctx.loan(t, amount, product, book.pick_term(rng, product), channel,
                     device_id=book.pick_device(rng, t, channel), purpose=purpose, habit=late_habit,
                     **({"default_after": 0} if rng.random() < 0.25 else {}))  # type: ignore[arg-type]


def product_switch_max_term(ctx: EpisodeContext) -> None:
    """A sudden switch to a product the user never used, at its longest term, for a large amount.

    Range: any product new to the user (a cash loan for a checkout-only user,
    a merchant loan claimed as "business" by a consumer, a pledge...); one loan
    or two within a day; 35-100% of that product's headroom; sometimes through
    a channel the user never used; often the first instalments are the last.
    """
    rng, book, t0 = ctx.rng, ctx.book, ctx.t0
    used = {loan.product for loan in book.loans_before(t0)} | set(book.profile.habitual)
    candidates = [p for p in book.profile.offered if p not in used]
    if not candidates:
        extra = ["cash_loan", "installment", "credit_line"]
        if book.profile.segment != "student":
            extra.append("merchant_loan")
        candidates = [p for p in extra if p not in used] or ["cash_loan"]
    product = rng.choice(candidates)
    term = book.spec.max_term(product)
    subtle = rng.random() < 0.3
    headroom = max(book.available(t0, product), 0.25 * book.limit(t0, product))
    total = headroom * (rng.uniform(0.35, 0.55) if subtle else rng.uniform(0.6, 1.0))
    n = 1 if rng.random() < 0.7 else 2
    channel = "web" if rng.random() < 0.5 else book.pick_channel(rng, product)
    purpose = None
    if rng.random() < book.spec.purpose_share:
        purpose = "business" if product == "merchant_loan" or rng.random() < 0.3 else "consumption"
    plan = {"default_after": rng.randint(0, 2)} if rng.random() < 0.5 else {}
    times = ctx.spread(t0, int(rng.uniform(HOUR, DAY)), n)
    for when, amount in zip(times, ctx.split(total, n, product, 0.3)):
        ctx.loan(when, amount, product, term, channel, device_id=book.pick_device(rng, when, channel),
                 purpose=purpose, allow_early=False, **plan)  # type: ignore[arg-type]
