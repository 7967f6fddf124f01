"""restaurant_closures: small restaurants on operating loans.

Normal: a revolving operating line drawn at the restaurant's own card terminal
(merchant channel, the restaurant's merchant id) or online, repaid for most by a
nightly sweep of the day's card settlements (one small repayment per day at 2-4 am),
for the rest by monthly payments.  Test window: a food-safety inspection closes every
restaurant of a few districts (20-30 %) for a week: owners draw to pay wages,
settlements and sweeps stop, then the missed sweeps are caught up over a few nights.
"""
from __future__ import annotations

import random

from ..clock import DAY, hour_profile
from ..desk import Desk, Draft
from ..model import User
from ..seeds import hexid
from ..spec import Product, Segment, WorldSpec
from ..world import World
from .common import share_of, within_day

SPEC = WorldSpec(
    name="restaurant_closures",
    code="rc",
    description="restaurants on operating loans repaid by nightly card-settlement sweeps; a district "
                "food-safety closure for a week (wage draws, stopped sweeps, catch-up) in the test window",
    segments=(
        Segment("small_business", 0.9, 80_000, 0.7, 650, 0.7, (("merchant_loan", 0.85), ("cash_loan", 0.15))),
        Segment("individual", 0.06, 8_000, 0.5, 620, 0.8, (("cash_loan", 1.0),)),
        Segment("student", 0.04, 3_000, 0.4, 590, 0.7, (("cash_loan", 1.0),)),
    ),
    products={
        "merchant_loan": Product("merchant_loan", (90, 180, 360), (0.35, 0.45, 0.2), "daily", 0.22, 0.5, 0.14,
                                 (("merchant", 0.55), ("web", 0.3), ("app", 0.15)), step=100_000,
                                 floor=1_000_000, purpose="business", prepay=0.02),
        "cash_loan": Product("cash_loan", (30, 90), (0.5, 0.5), "mixed", 0.15, 0.5, 0.2,
                             (("app", 0.9), ("web", 0.1)), step=10_000, floor=50_000),
    },
    hours=hour_profile((15, 1.3, 1.0), (22.5, 1.2, 0.8), (9.5, 1.0, 0.4), base=0.02),
    weekday=(1.15, 1.0, 1.0, 1.0, 0.95, 0.85, 0.9),
    late_p=0.15, late_mean=3.0, early_p=0.1, autopay_p=0.3, auto_hours=(2, 4), auto_fail=0.03,
    running=0.8, score_p=1.0, purpose_p=0.9, merchants=50,
    device_p={"app": 0.97, "web": 0.5, "merchant": 0.75, "partner": 0.5},
)

DISTRICTS = 20
CLOSED_DAYS = 7


class RestaurantClosures(World):
    spec = SPEC

    def customise(self, users: list[User]) -> None:
        rng, clock = self.rng, self.clock
        for user in users:
            if user.segment == "small_business":
                user.role = "restaurant"
                user.group = f"d{rng.randrange(DISTRICTS):02d}"
                user.merchant_id = hexid(rng, "rcm", 28)
                user.attrs["sweep"] = rng.random() < 0.5
                user.attrs["staff"] = rng.randint(3, 15)
        districts = [f"d{i:02d}" for i in range(DISTRICTS)]
        self.closed = set(rng.sample(districts, round(DISTRICTS * rng.uniform(0.2, 0.3))))
        lo = min(1, clock.test_days - 1)
        self.first = clock.history_days + rng.randint(lo, max(lo, clock.test_days - CLOSED_DAYS - 2))
        self.reopen = self.first + CLOSED_DAYS
        self.change = {"kind": "district_closure", "start_day": self.first, "end_day": self.reopen,
                       "districts": sorted(self.closed)}

    def shut(self, user: User, day: int) -> bool:
        return user.group in self.closed and self.first <= day < self.reopen

    def rate(self, user: User, day: int) -> float:
        return self.spec.weekday[day % 7] * (0.15 if self.shut(user, day) else 1.0)

    def merchant(self, user: User, t: int, rng: random.Random) -> str:
        return user.merchant_id or super().merchant(user, t, rng)

    def device(self, user: User, channel: str, t: int, rng: random.Random) -> str | None:
        """The card terminal is the device of a till-side draw."""
        if channel == "merchant" and user.merchant_id:
            return f"pos-{user.merchant_id}" if rng.random() < self.spec.device_p["merchant"] else None
        return super().device(user, channel, t, rng)

    def adjust(self, user: User, t: int, draft: Draft, rng: random.Random) -> Draft | None:
        if draft.product == "merchant_loan" and not user.attrs.get("sweep"):
            draft.plan = "monthly"
        return draft

    def apply_change(self, users: list[User], desk: Desk) -> None:
        rng = self.rng
        hit = [u for u in self.regulars(users) if u.group in self.closed]
        for user in share_of(rng, hit, rng.uniform(0.55, 0.75)):
            for _ in range(rng.choice((1, 1, 2))):
                t = self.moment(user, self.first + rng.randrange(min(3, self.clock.days - self.first)), rng)
                wages = user.attrs["staff"] * rng.uniform(4_000, 6_000) * 100
                draft = self.make_draft(user, t, rng, product="merchant_loan", amount=wages,
                                        channel=rng.choice(("web", "app")))
                if draft and t < self.clock.end:
                    self.adjust(user, t, draft, rng)
                    desk.lend(user, t, draft, rng)
        for user in hit:
            self.catch_up(user, desk, rng)

    def catch_up(self, user: User, desk: Desk, rng: random.Random) -> None:
        """Sweeps of the closed week run after reopening, a few nights' worth at once;
        monthly payers pay what fell due a few days after reopening."""
        nights = rng.randint(1, 4)
        missed = [e for e in user.book.ordered()
                  if e.kind == "repayment" and e.label == 0 and self.first * DAY <= e.t < self.reopen * DAY]
        for i, ev in enumerate(missed):
            if ev.loan.plan == "daily":
                desk.move(ev, within_day(rng, self.reopen + i % nights, 2, 4))
            else:
                desk.move(ev, self.moment(user, self.reopen + rng.randint(0, 3), rng))
