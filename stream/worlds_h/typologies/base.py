"""What a typology is, and the helpers every typology uses.

Why: a typology shapes accounts before normal behaviour is simulated
(``prepare``: e.g. a brand-new synthetic identity, an established account for
a takeover) and then writes its risky events into the users' books
(``inject``). Shared helpers keep the mechanics short: when in the test
window to act, what is "typical" for this user, which products and channels
the lender offers.
"""
from __future__ import annotations

import statistics
from random import Random
from typing import Optional, Sequence

from ..context import Ctx
from ..habits import round_down
from ..ledger import UserBook
from ..loans import AUTO, build_loan
from ..profiles import Profile
from ..records import Rec
from ..timebase import MINUTE


class Typology:
    """Base class: one risky behaviour with several mechanics and intensities."""

    name: str = ""
    group: tuple[int, int] = (1, 1)     # accounts per episode (min, max)
    description: str = ""

    def eligible(self, prof: Profile, ctx: Ctx) -> bool:
        return True

    def prepare(self, profs: Sequence[Profile], ctx: Ctx, rng: Random) -> None:
        """Shape the accounts before their normal behaviour is simulated."""
        for p in profs:
            p.heavy = False
            p.draw_frac = min(p.draw_frac, 0.3)

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        """Write the episode's events (label 1 for the risky ones) into the members' books."""
        raise NotImplementedError


class EstablishedAccount(Typology):
    """A typology that strikes an account with a borrowing history of its own (a takeover, a
    limit raise): it borrows from the start, at least twice, and regularly."""

    def prepare(self, profs: Sequence[Profile], ctx: Ctx, rng: Random) -> None:
        super().prepare(profs, ctx, rng)
        p = profs[0]
        p.start_day = 0
        p.min_history_loans = max(p.min_history_loans, 2)
        if p.mode in ("once", "lumpy"):
            p.mode, p.rate = "poisson", max(p.rate, 1.5)


def intensity(rng: Random) -> str:
    return rng.choices(("subtle", "medium", "blatant"), weights=(0.35, 0.4, 0.25))[0]


def anchor(ctx: Ctx, rng: Random, need_ms: int = 0, latest_frac: float = 1.0) -> int:
    """A moment in the test window leaving ``need_ms`` for the episode to unfold."""
    lo = ctx.span.test_start + 30 * MINUTE
    hi = ctx.span.test_start + int((ctx.span.end - ctx.span.test_start) * latest_frac)
    hi = min(hi, ctx.span.end - need_ms - 30 * MINUTE)
    return rng.randrange(lo, hi) if hi > lo else lo


def clip(ctx: Ctx, t: int) -> int:
    """Keep an event inside the stream."""
    return min(max(0, t), ctx.span.end - 1000)


def typical_amount(book: UserBook, ctx: Ctx, before: Optional[int] = None) -> float:
    """Median size of the user's ordinary loans so far, or their habit if they have none."""
    before = ctx.span.test_start if before is None else before
    xs = [r.amount for r in book.recs if r.is_loan and r.label == 0 and r.t < before]
    if xs:
        return statistics.median(xs)
    return book.profile.draw_frac * book.profile.limit


def step_for(ctx: Ctx, product: str, channel: str) -> float:
    step = ctx.spec.amount_step.get(product, 1.0)
    if channel == "merchant" and ctx.spec.merchant_mode == "pool" and product != "merchant_loan":
        return 0.01
    return step


def cash_product(ctx: Ctx, prof: Profile) -> str:
    """What an attacker or a cash-hungry user picks: cash if the lender offers it."""
    prods = ctx.spec.products
    return "cash_loan" if "cash_loan" in prods else prof.main_product


def fitting_product(ctx: Ctx, product: str, channel: str, amount: float) -> str:
    """``product`` unless its rounding step is coarser than ``amount``; then the finest-grained one."""
    if step_for(ctx, product, channel) <= amount:
        return product
    return min(ctx.spec.products, key=lambda p: step_for(ctx, p, channel))


def longest_term(ctx: Ctx, product: str) -> int:
    return max(ctx.spec.terms[product])


def shortest_term(ctx: Ctx, product: str) -> int:
    """The lender's shortest term for a product (typologies never invent terms the lender lacks)."""
    return min(ctx.spec.terms[product])


def first_due_days(term: int) -> int:
    """Days to the first payment: the term itself, or the first monthly instalment."""
    return min(term, 30)


def take(book: UserBook, ctx: Ctx, rng: Random, t: int, amount: float, scenario: str, *,
         product: Optional[str] = None, channel: Optional[str] = None, term: Optional[int] = None,
         device: Optional[str] = AUTO, merchant: Optional[str] = AUTO, label: int = 1) -> Optional[Rec]:
    """A typology loan, rounded the lender's way and never above available credit; None if nothing is left."""
    prof = book.profile
    product = product or prof.pick_product(rng)
    channel = channel or prof.pick_channel(rng)
    step = step_for(ctx, product, channel)
    t = clip(ctx, t)
    amount = round_down(min(amount, book.available_at(t)), step)
    if amount < max(step, 1.0):
        return None
    return build_loan(book, ctx, rng, t, amount, product=product, channel=channel, term=term,
                      device=device, merchant=merchant, label=label, scenario=scenario, pinned=True)


def make_headroom(book: UserBook, t: int, need: float) -> None:
    """Ensure ``need`` yuan of credit is free at ``t`` by un-taking the user's latest ordinary loans.

    A user about to misbehave with most of their limit had, in their history,
    borrowed less than the average customer; removing their most recent
    ordinary loans (with their repayments) is that history.
    """
    if book.available_at(t) >= need:
        return
    cands = sorted((r for r in book.recs if r.is_loan and not r.pinned and r.label == 0 and r.t < t),
                   key=lambda r: -r.t)
    for r in cands:
        book.remove_loans({r.loan_id})
        if book.available_at(t) >= need:
            return


def drop_normal_loans_from(book: UserBook, t: int) -> None:
    """Remove the user's ordinary loans from ``t`` on: the typology replaces that behaviour."""
    book.remove_loans({r.loan_id for r in book.recs if r.is_loan and not r.pinned and r.emit and r.t >= t})


def cut_repayments_after(book: UserBook, loan_ids: set[str], t: int) -> None:
    """The user stops paying these loans from ``t`` on."""
    book.remove([r for r in book.recs if not r.is_loan and r.loan_id in loan_ids and r.t >= t])


def best_anchor(book: UserBook, ctx: Ctx, rng: Random, need_ms: int = 0, tries: int = 5,
                latest_frac: float = 1.0) -> int:
    """Of a few candidate moments, the one with the most available credit (fraudsters check first)."""
    best, best_av = -1, -1.0
    for _ in range(tries):
        t = anchor(ctx, rng, need_ms, latest_frac)
        av = book.available_at(t)
        if av > best_av:
            best, best_av = t, av
    return best
