"""student_overborrowing: a student borrowing far beyond their usual amounts, many
loans over days, often late at night.

Range: three to eleven loan attempts; two to eight times the student's usual size
(an attempt the remaining limit cannot make big is given up); night share from a
third to almost all; products mixed; sometimes claimed as education.  The student
keeps paying, but later than before.
"""
from __future__ import annotations

from ..clock import DAY, HOUR
from ..desk import Desk
from ..model import User
from ..world import World
from .base import Episode, Typology, lerp, product_mix, usual_amount, usual_time


class StudentOverborrowing(Typology):
    name = "student_overborrowing"
    span_days = (2.0, 14.0)

    def eligible(self, user: User, world: World) -> bool:
        return user.segment == "student" and user.active and not user.blank

    def run(self, ep: Episode, world: World, desk: Desk) -> None:
        user, rng, x = ep.user, ep.rng, ep.intensity
        usual = usual_amount(user, ep.start)
        n = 3 + int(rng.random() * lerp(2.5, 8.5, x))
        night = lerp(0.35, 0.9, x)
        products = product_mix(world, user)
        user.late_p = min(0.9, user.late_p + lerp(0.1, 0.5, x))
        span = max(HOUR, ep.stop - ep.start)
        for t in sorted(ep.start + int(rng.random() * span) for _ in range(n)):
            if rng.random() < night:
                t = (t // DAY) * DAY + 22 * HOUR + rng.randrange(5 * HOUR)
            else:
                t = usual_time(user, t, rng)
            product = rng.choice(products)
            want = min(usual * rng.uniform(2.0, lerp(3.0, 8.0, x)), world.room(user, t, product))
            if want < 1.8 * usual:
                continue
            purpose = "education" if rng.random() < 0.3 else "consumption"
            self.lend(world, desk, ep, user, t, product=product, amount=want, repay=True, purpose=purpose)
