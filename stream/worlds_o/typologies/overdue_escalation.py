"""overdue_escalation: repayments later and later over weeks while the user keeps
borrowing.

Range: lateness growing by one to five days per payment; one to five new loans on
the way, whose own payments are late too; at the strong end some payments are
skipped altogether.  Payments due shortly before the episode start are pushed into
it, so the first sign is a late payment.
"""
from __future__ import annotations

import math

from ..clock import DAY, second_of_day
from ..desk import Desk
from ..world import World
from .base import Episode, Typology, lerp, short_term, usual_time


class OverdueEscalation(Typology):
    name = "overdue_escalation"
    span_days = (10.0, 35.0)

    def run(self, ep: Episode, world: World, desk: Desk) -> None:
        user, rng, x = ep.user, ep.rng, ep.intensity
        product = world.cash_product(user)
        fresh = set()
        for _ in range(1 + int(rng.random() * lerp(1.5, 5.0, x))):
            t = usual_time(user, ep.start + int((ep.stop - ep.start) * rng.uniform(0.0, 0.7)), rng)
            loan = self.lend(world, desk, ep, user, t, product=product, term=short_term(world, product, rng),
                             frac=rng.uniform(0.1, lerp(0.2, 0.4, x)), repay=True)
            fresh.add(loan)
        lookback = ep.start // DAY - 7
        dues = sorted((ev for ev in user.book.events
                       if ev.kind == "repayment" and ev.t >= 0 and ev.due_day >= lookback
                       and (ev.due_day <= ep.stop // DAY or ev.loan in fresh)),
                      key=lambda ev: (ev.due_day, ev.seq))
        step = lerp(1.0, 4.5, x) * rng.uniform(0.7, 1.3)
        late = 0.0
        skip = lerp(0.0, 0.35, x)
        for i, ev in enumerate(dues):
            floor = math.ceil((ep.start - ev.due_day * DAY) / DAY)
            late = max(late + step * rng.uniform(0.5, 1.5), floor, 1)
            if i > 1 and rng.random() < skip:
                desk.drop(ev)
                continue
            desk.move(ev, (ev.due_day + int(late)) * DAY + second_of_day(user.hours, rng))
            ev.label, ev.scenario = 1, self.name
