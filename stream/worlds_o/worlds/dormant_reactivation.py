"""dormant_reactivation: a lender with many long-dormant accounts.

Normal: a minority of customers borrow regularly; most have not borrowed for months,
a few of them still paying off their last loan.  Test window: a win-back campaign;
10-20 % of the dormant customers come back after months, on new phones, often with a
freshly raised limit, and borrow close to it; then they keep borrowing as customers.
"""
from __future__ import annotations

from ..behaviour import simulate
from ..clock import DAY, hour_profile
from ..desk import Desk
from ..model import User
from ..seeds import hexid
from ..spec import Product, Segment, WorldSpec
from ..world import World
from .common import front_loaded_day, share_of

SPEC = WorldSpec(
    name="dormant_reactivation",
    code="dr",
    description="a lender with many long-dormant accounts; a win-back campaign in the test window brings "
                "10-20% back on new phones, often with raised limits, borrowing close to the limit",
    segments=(
        Segment("individual", 0.84, 10_000, 0.6, 640, 2.0, (("cash_loan", 0.7), ("credit_line", 0.3))),
        Segment("student", 0.1, 3_000, 0.4, 600, 1.8, (("cash_loan", 0.6), ("credit_line", 0.4))),
        Segment("small_business", 0.06, 40_000, 0.6, 650, 1.5, (("cash_loan", 0.8), ("credit_line", 0.2))),
    ),
    products={
        "cash_loan": Product("cash_loan", (30, 90, 180, 360), (0.25, 0.35, 0.25, 0.15), "mixed", 0.2, 0.55, 0.26,
                             (("app", 0.85), ("web", 0.15)), step=10_000, floor=50_000, prepay=0.08),
        "credit_line": Product("credit_line", (30,), (1,), "bullet", 0.05, 0.7, 0.0,
                               (("app", 0.6), ("merchant", 0.4)), step=1, floor=1_000),
    },
    hours=hour_profile((12, 1.5, 0.6), (21.5, 1.8, 1.0), (9, 1.0, 0.3), base=0.025),
    late_p=0.1, late_mean=3.0, early_p=0.12, autopay_p=0.3, running=1.0, score_p=0.95, purpose_p=0.5,
    currency="loans", merchants=150,
)


class DormantReactivation(World):
    spec = SPEC

    def customise(self, users: list[User]) -> None:
        rng, clock = self.rng, self.clock
        dormant = share_of(rng, users, rng.uniform(0.5, 0.6))
        for user in dormant:
            user.active = False
            user.attrs["idle_months"] = rng.randint(4, 30)
        self.campaign = self.change_day(0.25)
        back = share_of(rng, dormant, rng.uniform(0.1, 0.2))
        for user in back:
            user.attrs["return_day"] = front_loaded_day(rng, self.campaign, clock.days, clock.test_days / 3)
        self.change = {"kind": "winback_campaign", "start_day": self.campaign, "returning": len(back)}

    def running_loans(self, user: User, desk: Desk) -> None:
        """Dormant customers may still be paying off their last loan, taken long ago."""
        if user.active:
            super().running_loans(user, desk)
        elif user.rng.random() < 0.25:
            left = user.rng.randint(5, max(6, self.clock.history_days))
            self.book_past_loan(user, desk, "cash_loan", 360, -(360 - left) * DAY)

    def apply_change(self, users: list[User], desk: Desk) -> None:
        rng = self.rng
        for user in self.regulars(users):
            day = user.attrs.get("return_day")
            if day is None:
                continue
            t = self.moment(user, day, rng)
            user.phone = hexid(rng, "dv")
            user.spare_device = None
            if rng.random() < 0.6:
                raised = user.book.limit * rng.uniform(1.3, 2.5)
                user.book.raise_limit(t - rng.randrange(3600, 3 * DAY), round(raised / 50_000) * 50_000)
            draft = self.make_draft(user, t, rng, product="cash_loan", frac=rng.uniform(0.75, 0.98),
                                    term=rng.choice((90, 180, 360)), channel="app")
            if draft:
                desk.lend(user, t, draft, rng)
            if rng.random() < 0.3:
                follow = t + rng.randrange(600, DAY)
                extra = self.make_draft(user, follow, rng, product="credit_line", frac=0.9, channel="app")
                if extra and follow < self.clock.end:
                    desk.lend(user, follow, extra, rng)
            user.active = True
            simulate(self, desk, user, t + DAY, self.clock.end)
