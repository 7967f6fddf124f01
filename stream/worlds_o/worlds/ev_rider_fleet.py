"""ev_rider_fleet: delivery riders financing e-bikes and battery-swap plans.

Normal: most riders carry an e-bike instalment taken before the stream opened
(bought at a dealer or through the fleet platform, within a bike-financing slice of
the limit) and a monthly battery-swap subscription renewed automatically after
midnight; both are repaid by tiny weekly auto-debits in the small hours; riders
borrow small sums late at night through the fleet platform (partner channel), which
often does not pass a credit score.  Test window: a rival's price war; the lender halves its fees and many
riders refinance their bike into a new, longer loan, settling the old one the same
day (legitimate refinancing, with the limit adjusted to allow it).
"""
from __future__ import annotations

import random

from ..clock import DAY, hour_profile
from ..desk import Desk, Draft
from ..model import User
from ..spec import Product, Segment, WorldSpec
from ..world import World
from .common import front_loaded_day, raise_to_fit, same_day_later, share_of, within_day

SPEC = WorldSpec(
    name="ev_rider_fleet",
    code="ev",
    description="delivery riders on e-bike loans and battery-swap plans with tiny weekly night auto-debits; "
                "a rival's price war (halved fees, same-day refinancing into longer loans) in the test window",
    segments=(
        Segment("individual", 0.85, 6_000, 0.35, 590, 0.8, (("installment", 0.12), ("cash_loan", 0.88))),
        Segment("student", 0.15, 3_000, 0.3, 570, 0.6, (("installment", 0.15), ("cash_loan", 0.85))),
    ),
    products={
        "installment": Product("installment", (180, 360), (0.5, 0.5), "weekly", 0.55, 0.25, 0.24,
                               (("merchant", 0.45), ("partner", 0.45), ("app", 0.1)), step=100, floor=30_000,
                               purpose="consumption", prepay=0.03),
        "credit_line": Product("credit_line", (28,), (1,), "weekly", 0.03, 0.2, 0.1,
                               (("partner", 1.0),), step=100, floor=5_000),
        "cash_loan": Product("cash_loan", (7, 14, 30), (0.35, 0.4, 0.25), "bullet", 0.08, 0.6, 0.30,
                             (("app", 0.8), ("partner", 0.2)), step=5_000, floor=20_000),
    },
    limit_split={"installment": 0.65, "cash_loan": 0.25, "credit_line": 0.1},
    hours=hour_profile((23.5, 2.2, 1.0), (15, 1.2, 0.5), (10, 1.0, 0.15), base=0.03),
    weekday=(1.0, 0.95, 0.95, 1.0, 1.05, 1.1, 1.1),
    late_p=0.1, late_mean=1.5, early_p=0.05, autopay_p=0.9, auto_hours=(1, 4), auto_fail=0.08,
    running=0.3, score_p=0.45, purpose_p=0.3, currency="never", merchants=30,
    device_p={"app": 0.99, "web": 0.3, "merchant": 0.3, "partner": 0.97},
)

PLANS = (9_900, 14_900, 19_900, 29_900)


class EvRiderFleet(World):
    spec = SPEC

    def customise(self, users: list[User]) -> None:
        rng = self.rng
        for user in users:
            user.attrs["bike"] = rng.random() < 0.72
            user.attrs["battery"] = rng.choice(PLANS) if rng.random() < 0.6 else 0
        self.war = self.change_day(0.25)
        self.change = {"kind": "price_war", "start_day": self.war}

    def running_loans(self, user: User, desk: Desk) -> None:
        if user.attrs.get("bike"):
            term = user.rng.choice((180, 360))
            self.book_past_loan(user, desk, "installment", term, -user.rng.randrange(7 * DAY, term * DAY))
        super().running_loans(user, desk)

    def extras(self, user: User, desk: Desk) -> None:
        """Battery-swap plans renew every 28 days just after midnight, system-initiated."""
        price = user.attrs.get("battery")
        if not price or not user.active:
            return
        rng = user.rng
        day = -rng.randrange(28)
        while day < self.clock.days:
            t = within_day(rng, day, 0, 1)
            fee = 0.05 if day >= self.war else None
            desk.lend(user, t, Draft("credit_line", price, 28, "partner", fee=fee), rng)
            day += 28

    def adjust(self, user: User, t: int, draft: Draft, rng: random.Random) -> Draft | None:
        if t // DAY >= self.war:
            draft.fee = self.spec.product(draft.product).fee / 2
        return draft

    def apply_change(self, users: list[User], desk: Desk) -> None:
        """Riders refinance the bike loan: a new longer loan at half the fee, the old
        one settled minutes to hours later the same day."""
        rng, end = self.rng, self.clock.days
        for user in share_of(rng, [u for u in self.regulars(users) if u.active], rng.uniform(0.4, 0.55)):
            day = front_loaded_day(rng, self.war, end, 2.5)
            t = self.moment(user, day, rng)
            bikes = [(loan, owed) for loan, owed in user.book.open_loans(t, 80_000)
                     if loan.product == "installment" and (loan.opening is None or loan.opening.label == 0)]
            if not bikes:
                continue
            old, owed = bikes[0]
            amount = owed * (1 + rng.uniform(0.05, 0.25)) if rng.random() < 0.35 else owed
            amount = int(amount) // 100 * 100
            raise_to_fit(user.book, t, amount)
            term = min(720, old.term_days + rng.choice((180, 360)))
            channel = "partner" if rng.random() < 0.7 else "app"
            draft = Draft("installment", amount, term, channel, self.device(user, channel, t, rng), None,
                          "consumption", fee=self.spec.product("installment").fee / 2)
            desk.lend(user, t, draft, rng)
            desk.payoff(old, same_day_later(rng, t, 60, 3 * 3600))
