"""fishing_moratorium: coastal fishermen (crew) and boat owners (small businesses).

Normal: borrowing at dawn before trips and in the evening after landing, much of it
at the harbour's dock offices on shared devices (partner channel), fuel and gear
financed at the fuel docks and chandlers (merchant channel); per-product
limits (cash vs operating credit); paying a few days late is ordinary.  Test
window: the seasonal fishing ban begins; boats idle, owners borrow cash for crew
wages and fuel, crews borrow to live, operating loans dry up and repayments slow.
"""
from __future__ import annotations

import random

from ..clock import DAY, hour_profile
from ..desk import Desk, Draft
from ..model import User
from ..seeds import hexid
from ..spec import Product, Segment, WorldSpec
from ..world import World
from .common import share_of

SPEC = WorldSpec(
    name="fishing_moratorium",
    code="fm",
    description="fishermen and boat owners borrowing at dock offices on shared devices, routinely a few days "
                "late; a fishing ban in the test window (cash for wages and fuel, slower repayments)",
    segments=(
        Segment("individual", 0.56, 6_000, 0.5, 600, 1.6, (("cash_loan", 1.0),)),
        Segment("small_business", 0.38, 60_000, 0.7, 640, 1.8, (("merchant_loan", 0.55), ("cash_loan", 0.45))),
        Segment("student", 0.06, 3_500, 0.4, 580, 1.2, (("cash_loan", 1.0),)),
    ),
    products={
        "cash_loan": Product("cash_loan", (14, 30, 60, 90), (0.15, 0.45, 0.25, 0.15), "mixed", 0.3, 0.5, 0.18,
                             (("app", 0.5), ("partner", 0.5)), step=10_000, floor=50_000),
        "merchant_loan": Product("merchant_loan", (90, 180), (0.6, 0.4), "monthly", 0.35, 0.5, 0.12,
                                 (("partner", 0.55), ("merchant", 0.25), ("app", 0.12), ("web", 0.08)),
                                 step=100_000, floor=500_000,
                                 purpose="business", prepay=0.03),
    },
    limit_split={"cash_loan": 0.35, "merchant_loan": 0.65},
    hours=hour_profile((5, 1.2, 1.0), (19, 1.8, 0.8), (12, 1.5, 0.2), base=0.015),
    weekday=(1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 0.9),
    late_p=0.35, late_mean=3.5, early_p=0.04, autopay_p=0.1, auto_hours=(8, 11),
    running=1.3, score_p=0.7, purpose_p=0.8, currency="loans", merchants=60,
    device_p={"app": 0.95, "web": 0.4, "merchant": 0.3, "partner": 0.9},
)

PORTS = 6


class FishingMoratorium(World):
    spec = SPEC
    max_boost = 1.4

    def customise(self, users: list[User]) -> None:
        rng = self.rng
        self.docks = {p: [hexid(rng, f"fm-dock{p}-", 16) for _ in range(rng.randint(2, 3))] for p in range(PORTS)}
        for user in users:
            user.group = str(rng.randrange(PORTS))
            user.role = {"small_business": "owner", "student": "student"}.get(user.segment, "crew")
            user.attrs["crew"] = rng.randint(3, 12)
        self.ban = self.change_day(0.3)
        self.change = {"kind": "fishing_ban", "start_day": self.ban}

    def rate(self, user: User, day: int) -> float:
        return self.spec.weekday[day % 7] * (1.35 if day >= self.ban else 1.0)

    def device(self, user: User, channel: str, t: int, rng: random.Random) -> str | None:
        """Dock-office loans are keyed in on the office's shared terminals."""
        if channel == "partner" and user.group:
            return rng.choice(self.docks[int(user.group)]) if rng.random() < 0.9 else None
        return super().device(user, channel, t, rng)

    def adjust(self, user: User, t: int, draft: Draft, rng: random.Random) -> Draft | None:
        """Idle boats need no operating credit; owners ask for cash instead."""
        if t // DAY >= self.ban and draft.product == "merchant_loan" and rng.random() < 0.7:
            return self.make_draft(user, t, rng, product="cash_loan", channel="partner")
        return draft

    def apply_change(self, users: list[User], desk: Desk) -> None:
        rng, start, end = self.rng, self.ban * DAY, self.clock.end
        people = self.regulars(users)
        for user in share_of(rng, [u for u in people if u.role == "owner"], 0.7):
            for _ in range(rng.choice((1, 1, 2))):
                t = self.moment(user, self.ban + rng.randrange(min(4, self.clock.days - self.ban)), rng)
                wages = user.attrs["crew"] * rng.uniform(3_000, 6_000) * 100
                self.book_loan(user, t, desk, rng, amount=wages, term=rng.choice((60, 90)))
        for user in share_of(rng, [u for u in people if u.role != "owner"], 0.35):
            t = self.moment(user, self.ban + rng.randrange(self.clock.days - self.ban), rng)
            self.book_loan(user, t, desk, rng, frac=rng.uniform(0.3, 0.6), term=rng.choice((30, 60)))
        for user in people:
            for ev in [e for e in user.book.events if e.kind == "repayment" and e.t >= start and e.label == 0]:
                if ev.due_day >= self.ban and rng.random() < 0.6 and ev.t < end:
                    desk.move(ev, ev.t + rng.randint(2, 9) * DAY)

    def book_loan(self, user: User, t: int, desk: Desk, rng: random.Random, **size) -> None:
        channel = "partner" if rng.random() < 0.75 else "app"
        draft = self.make_draft(user, t, rng, product="cash_loan", channel=channel, **size)
        if draft and t < self.clock.end:
            desk.lend(user, t, draft, rng)
