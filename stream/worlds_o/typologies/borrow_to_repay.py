"""borrow_to_repay: a chain in which each new loan pays off the previous one.

Range: two to six links; each new loan 0.8-2x what the old one still owes, same or
another product, on the lender's own (short) terms; the old loan settled minutes,
hours or a day or two after the new one is disbursed; the old loan settled early, on
its due day or some days late (early when the window leaves no time for more).  The
last link is repaid normally or not at all.
"""
from __future__ import annotations

import random

from ..clock import DAY, HOUR
from ..desk import Desk
from ..model import Loan, User
from ..world import World
from .base import Episode, Typology, lerp, roomy_time, short_term, usual_time


class BorrowToRepay(Typology):
    name = "borrow_to_repay"
    span_days = (8.0, 35.0)

    def run(self, ep: Episode, world: World, desk: Desk) -> None:
        user, rng, x = ep.user, ep.rng, ep.intensity
        links = 2 + int(rng.random() * lerp(1.5, 5.0, x))
        stop = min(ep.stop, world.clock.end)
        timing = rng.choice(("early", "on_time", "late"))
        delay = rng.choice(((60, 40 * 60), (HOUR, 9 * HOUR), (DAY, 2 * DAY)))
        t = roomy_time(world, user, ep.start, ep.start + (stop - ep.start) // links, rng, need=0.25)
        old = self.seed_loan(world, desk, user, t, rng)
        for _ in range(links):
            if old is None or t >= stop:
                break
            desk.cancel(old, min(t, old.due_day * DAY))
            owed = user.book.remaining(old, t)
            size = owed * rng.uniform(0.8, lerp(1.2, 2.0, x))
            new = None
            for product in dict.fromkeys((old.product if rng.random() < 0.5 else world.cash_product(user),
                                          world.cash_product(user))):
                new = new or self.lend(world, desk, ep, user, t, product=product, amount=size,
                                       term=short_term(world, product, rng))
            if new is None or new.principal < 0.8 * owed:
                break
            desk.payoff(old, t + rng.randrange(*delay), label=1, scenario=self.name,
                        since=min(t, old.due_day * DAY), due_day=old.due_day)
            old = new
            t = usual_time(user, self.next_link(new, t, stop, timing, links, rng), rng)
        if old is not None and old.opening is not None and old.opening.label and rng.random() > lerp(0.1, 0.5, x):
            desk.plan_repayments(old, rng)

    @staticmethod
    def next_link(loan: Loan, t: int, stop: int, timing: str, links: int, rng: random.Random) -> int:
        """When the next loan is taken: on the due day, some days after it, or early."""
        due = loan.due_day * DAY
        nxt = {"on_time": due, "late": due + rng.randint(1, 6) * DAY}.get(timing, 0)
        if timing == "early" or nxt >= stop:
            nxt = t + int(min(due - t, (stop - t) / max(1, links - 1)) * rng.uniform(0.3, 0.9))
        return max(nxt, t + HOUR)

    def seed_loan(self, world: World, desk: Desk, user: User, t: int, rng: random.Random) -> Loan | None:
        """The loan the chain starts from: the largest one still owed that a new loan
        could cover, or an ordinary loan taken some time earlier (before the stream,
        if need be) sized to leave room for the chain."""
        room = user.book.headroom(t)
        owed = [(loan, rest) for loan, rest in user.book.open_loans(t, floor=10_000) if 0.85 * rest <= room]
        if owed:
            return max(owed, key=lambda pair: pair[1])[0]
        product = world.cash_product(user)
        term = short_term(world, product, rng)
        t_seed = t - int(term * DAY * rng.uniform(0.3, 1.1))
        draft = world.make_draft(user, t_seed, rng, product=product, term=term, frac=rng.uniform(0.3, 0.45))
        return desk.lend(user, t_seed, draft, rng) if draft else None
