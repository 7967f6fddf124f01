"""shopping_618: an e-commerce platform's checkout credit line and 3/6/12-month
instalments.

Normal: small evening checkouts at the platform's stores, weekend-heavy, one modest
member-day promotion in the history.  Test window: a mid-year shopping festival of
2-3 days with 3-5x the checkout volume (opening at midnight), many customers
converting near-limit baskets into instalments and padding baskets to just above
round coupon thresholds.
"""
from __future__ import annotations

import random

from ..clock import DAY, hour_profile
from ..desk import Draft
from ..model import User
from ..spec import Product, Segment, WorldSpec
from ..world import World
from .common import share_of, within_day

THRESHOLDS = (100, 200, 300, 500, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000)

SPEC = WorldSpec(
    name="shopping_618",
    code="sh",
    description="e-commerce checkout credit line and 3/6/12-month instalments; a 618-style shopping festival "
                "(3-5x checkouts, near-limit instalments, coupon thresholds) in the test window",
    segments=(
        Segment("individual", 0.76, 9_000, 0.6, 680, 4.0,
                (("credit_line", 0.62), ("installment", 0.3), ("cash_loan", 0.08))),
        Segment("student", 0.17, 3_000, 0.4, 610, 4.5,
                (("credit_line", 0.7), ("installment", 0.28), ("cash_loan", 0.02))),
        Segment("small_business", 0.07, 30_000, 0.6, 660, 3.0,
                (("credit_line", 0.5), ("installment", 0.3), ("cash_loan", 0.2))),
    ),
    products={
        "credit_line": Product("credit_line", (30,), (1,), "bullet", 0.035, 0.9, 0.0,
                               (("merchant", 0.9), ("app", 0.1)), step=1, floor=990),
        "installment": Product("installment", (90, 180, 360), (0.45, 0.35, 0.2), "monthly", 0.16, 0.6, 0.15,
                               (("merchant", 0.93), ("web", 0.07)), step=1, floor=10_000, prepay=0.08),
        "cash_loan": Product("cash_loan", (30, 90, 180), (0.4, 0.4, 0.2), "mixed", 0.15, 0.5, 0.22,
                             (("app", 0.9), ("web", 0.1)), step=10_000, floor=20_000),
    },
    hours=hour_profile((21, 2.0, 1.0), (12.5, 1.2, 0.45), (16, 2.0, 0.2), base=0.02),
    weekday=(0.9, 0.9, 0.95, 1.0, 1.1, 1.25, 1.2),
    late_p=0.06, late_mean=2.0, early_p=0.25, autopay_p=0.55, auto_hours=(7, 10), auto_fail=0.04,
    running=1.6, score_p=0.9, purpose_p=0.5, merchants=400,
    device_p={"app": 0.98, "web": 0.6, "merchant": 0.95, "partner": 0.5},
)


class Shopping618(World):
    spec = SPEC

    def customise(self, users: list[User]) -> None:
        clock, rng = self.clock, self.rng
        length = min(rng.choice((2, 3)), clock.test_days)
        first = clock.history_days + rng.randint(min(1, clock.test_days - length), clock.test_days - length)
        self.festival = range(first, first + length)
        self.boost = rng.uniform(3.0, 5.0)
        third = clock.history_days // 3
        self.member_day = rng.randint(third, max(third, 2 * third))
        self.peak = max(self.spec.weekday) * self.boost * 1.15
        for user in share_of(rng, self.regulars(users), rng.uniform(0.45, 0.6)):
            user.attrs["splurge"] = True
        self.change = {"kind": "shopping_festival", "start_day": first, "end_day": first + length,
                       "boost": round(self.boost, 2)}

    def rate(self, user: User, day: int) -> float:
        base = self.spec.weekday[day % 7]
        if day in self.festival:
            return base * self.boost * (1.15 if day == self.festival[0] else 1.0)
        return base * 1.6 if day == self.member_day else base

    def moment(self, user: User, day: int, rng: random.Random) -> int:
        """The festival opens at midnight and a crowd checks out in the first hours."""
        if day == self.festival[0] and rng.random() < 0.3:
            return within_day(rng, day, 0, 2)
        return super().moment(user, day, rng)

    def adjust(self, user: User, t: int, draft: Draft, rng: random.Random) -> Draft | None:
        festive = t // DAY in self.festival
        if festive and user.attrs.get("splurge") and rng.random() < 0.6:
            draft = self.make_draft(user, t, rng, product="installment", frac=rng.uniform(0.7, 0.97),
                                    channel="merchant") or draft
        if draft.channel == "merchant" and rng.random() < (0.7 if festive else 0.12):
            draft.amount = coupon_basket(draft.amount, rng)
        return draft


def coupon_basket(cents: int, rng: random.Random) -> int:
    """Pad a basket to just above the largest round coupon threshold it reaches
    (never above what was approved, so the limit still holds)."""
    reached = [c * 100 for c in THRESHOLDS if c * 100 <= cents]
    if not reached:
        return cents
    top = reached[-1]
    return top + int(rng.uniform(0.0, min(cents - top, top * 0.06)))
