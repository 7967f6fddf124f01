"""household_tablet: families of two to four (parents, adult children, grandparents)
each with their own account and phone, all also borrowing from one home tablet.

Normal: one device shared by several accounts is ordinary here (grandparents use the
tablet almost always, mostly in the evening).  Test window: a smart-TV app channel
launches (partner channel); many households start borrowing through it on a new,
shared TV device, and borrow a little more while it is new.
"""
from __future__ import annotations

import random

from ..clock import DAY, HOUR, hour_profile
from ..desk import Desk, Draft
from ..model import User
from ..seeds import hexid
from ..spec import Product, Segment, WorldSpec
from ..world import World
from .common import front_loaded_day, within_day

SPEC = WorldSpec(
    name="household_tablet",
    code="ht",
    description="families of 2-4 borrowing from a shared home tablet and their own phones; a smart-TV app "
                "channel launches in the test window (new shared TV devices)",
    segments=(
        Segment("individual", 0.85, 12_000, 0.55, 670, 2.2,
                (("cash_loan", 0.4), ("credit_line", 0.35), ("installment", 0.25))),
        Segment("student", 0.15, 3_000, 0.4, 610, 2.0,
                (("cash_loan", 0.3), ("credit_line", 0.5), ("installment", 0.2))),
    ),
    products={
        "cash_loan": Product("cash_loan", (30, 90, 180), (0.4, 0.4, 0.2), "mixed", 0.12, 0.5, 0.2,
                             (("app", 0.85), ("web", 0.15)), step=10_000, floor=30_000),
        "credit_line": Product("credit_line", (30,), (1,), "bullet", 0.05, 0.7, 0.0,
                               (("app", 0.7), ("merchant", 0.3)), step=1, floor=1_000),
        "installment": Product("installment", (90, 180, 360), (0.4, 0.4, 0.2), "monthly", 0.15, 0.5, 0.14,
                               (("app", 0.6), ("merchant", 0.4)), step=100, floor=20_000),
    },
    hours=hour_profile((20.5, 1.5, 1.0), (12.5, 1.2, 0.5), (8, 1.0, 0.2), base=0.03),
    weekday=(0.95, 0.95, 0.95, 1.0, 1.05, 1.1, 1.05),
    late_p=0.08, late_mean=2.5, early_p=0.2, autopay_p=0.35, running=1.2, score_p=0.85, purpose_p=0.4,
    currency="never", outstanding=False, merchants=250,
)

ROLES = {"parent": (1.0, 0.3), "child": (1.1, 0.15), "grandparent": (0.5, 0.85)}  # rate factor, tablet use


class HouseholdTablet(World):
    spec = SPEC
    max_boost = 1.3

    def customise(self, users: list[User]) -> None:
        rng = self.rng
        self.homes: dict[str, dict] = {}
        i = 0
        while i < len(users):
            size = rng.choices((2, 3, 4), (0.35, 0.4, 0.25))[0]
            home = hexid(rng, "h", 32)
            self.homes[home] = {"tablet": hexid(rng, "tab"), "tv": hexid(rng, "tv"), "members": users[i:i + size]}
            for k, user in enumerate(users[i:i + size]):
                user.group = home
                user.role = "child" if user.segment == "student" else ("parent" if k < 2 else
                                                                      rng.choice(("grandparent", "child")))
                if k == 1 and user.segment != "student" and rng.random() < 0.2:
                    user.role = "grandparent"
                user.rate *= ROLES[user.role][0]
            i += size
        self.launch = self.change_day(0.25)
        uptake = rng.uniform(0.45, 0.6)
        adopters = [h for h in self.homes if rng.random() < uptake]
        for home in adopters:
            self.homes[home]["since"] = front_loaded_day(rng, self.launch, self.clock.days, 2.0)
        self.change = {"kind": "tv_channel_launch", "start_day": self.launch, "households": len(adopters)}

    def on_tv(self, user: User, day: int) -> bool:
        return day >= self.homes[user.group].get("since", 10 ** 9)

    def rate(self, user: User, day: int) -> float:
        return self.spec.weekday[day % 7] * (1.25 if self.on_tv(user, day) else 1.0)

    def device(self, user: User, channel: str, t: int, rng: random.Random) -> str | None:
        """Evenings at home raise the chance the family tablet is used."""
        if channel == "app" and user.group:
            evening = 18 <= (t % DAY) // HOUR <= 23
            if rng.random() < ROLES[user.role][1] * (1.5 if evening else 0.6):
                return self.homes[user.group]["tablet"]
        return super().device(user, channel, t, rng)

    def adjust(self, user: User, t: int, draft: Draft, rng: random.Random) -> Draft | None:
        if self.on_tv(user, t // DAY) and rng.random() < 0.45:
            draft.channel, draft.device, draft.merchant = "partner", self.homes[user.group]["tv"], None
        return draft

    def apply_change(self, users: list[User], desk: Desk) -> None:
        """Each adopting household's first TV loan, someone on the sofa in the evening."""
        rng = self.rng
        for home in self.homes.values():
            members = [u for u in home["members"] if not u.blank and u.active]
            if "since" not in home or not members:
                continue
            user = rng.choice(members)
            t = within_day(rng, home["since"], 19, 23)
            product = "installment" if rng.random() < 0.6 else "credit_line"
            draft = self.make_draft(user, t, rng, product=product, channel="partner")
            if draft:
                draft.device, draft.merchant = home["tv"], None
                desk.lend(user, t, draft, rng)
