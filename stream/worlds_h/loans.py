"""Building one loan or repayment record the way this lender would record it.

Why: normal behaviour and every typology create loans; the lender-specific
details (which optional fields its producer fills, how its clock rounds,
which merchant, which device) must be applied identically to both, or the
labels would be recoverable from formatting alone.
"""
from __future__ import annotations

from random import Random
from typing import Optional

from . import ids
from .context import Ctx
from .habits import money, pick_int
from .ledger import UserBook
from .records import LOAN, NORMAL, REPAY, Rec

AUTO = "<auto>"


def pick_term(ctx: Ctx, rng: Random, product: str) -> int:
    return pick_int(rng, ctx.spec.terms[product])


def build_loan(
    book: UserBook,
    ctx: Ctx,
    rng: Random,
    t: int,
    amount: float,
    *,
    product: Optional[str] = None,
    channel: Optional[str] = None,
    term: Optional[int] = None,
    device: Optional[str] = AUTO,
    merchant: Optional[str] = AUTO,
    purpose: Optional[str] = AUTO,
    label: int = 0,
    scenario: str = NORMAL,
    pinned: bool = False,
    emit: bool = True,
) -> Rec:
    """Record a disbursed loan. ``device``/``merchant`` override the user's own (e.g. an attacker's phone)."""
    prof = book.profile
    spec = ctx.spec
    pres = spec.presence
    product = product or prof.pick_product(rng)
    channel = channel or prof.pick_channel(rng)
    if term is None:
        term = pick_term(ctx, rng, product)
    if device == AUTO:
        device = prof.device_at(t)
    if device is not None and rng.random() >= pres.device.get(channel, 0.0):
        device = None
    if channel == "merchant":
        if merchant == AUTO:
            merchant = rng.choice(prof.merchants) if prof.merchants else None
        if merchant is not None and rng.random() >= pres.merchant:
            merchant = None
    else:
        merchant = None
    if purpose == AUTO:
        purpose = prof.purpose
    if purpose is not None and rng.random() >= pres.purpose:
        purpose = None
    score = prof.score_at(t) if prof.has_score and rng.random() < pres.score else None
    rec = Rec(
        t=ctx.quantize(t, channel),
        kind=LOAN,
        amount=money(amount),
        loan_id=ids.loan_id(spec.id_styles["loan"], prof.idx, book.next_loan_n()),
        uidx=prof.idx,
        label=label,
        scenario=scenario,
        pinned=pinned,
        emit=emit,
        product=product,
        term_days=int(min(3650, max(1, term))),
        channel=channel,
        device=device,
        merchant=merchant,
        purpose=purpose,
        score=score,
    )
    return book.add(rec)


def build_repayment(
    book: UserBook,
    ctx: Ctx,
    loan: Rec,
    t: int,
    amount: float,
    principal: float,
    due_day: int,
    *,
    label: int = 0,
    scenario: str = NORMAL,
    pinned: bool = False,
) -> Rec:
    """Record a payment into ``loan``; days_late follows from the calendar day vs the due day."""
    t = ctx.quantize(t, "repayment")
    if t <= loan.t:
        t = loan.t + 1000
    days_late = max(0, t // 86_400_000 - due_day)
    rec = Rec(
        t=t,
        kind=REPAY,
        amount=money(amount),
        loan_id=loan.loan_id,
        uidx=loan.uidx,
        label=label,
        scenario=scenario,
        pinned=pinned,
        emit=loan.emit or t >= 0,
        due_day=due_day,
        days_late=int(days_late),
        principal=max(0.0, min(principal, amount)),
    )
    return book.add(rec)
