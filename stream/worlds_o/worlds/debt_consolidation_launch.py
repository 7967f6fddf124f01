"""debt_consolidation_launch: a consumer lender whose customers juggle several small
loans at once (cash loans, instalments, a checkout line).

Normal: many concurrent small loans, office-hours and evening borrowing, modest
lateness.  Test window: a consolidation product launches; many customers take one
large, long, cheaper loan and settle two to four older loans the same day or the
next, the limit being raised to make room.
"""
from __future__ import annotations

from ..clock import DAY, hour_profile
from ..desk import Desk, Draft
from ..model import User
from ..spec import Product, Segment, WorldSpec
from ..world import World
from .common import front_loaded_day, raise_to_fit, same_day_later

SPEC = WorldSpec(
    name="debt_consolidation_launch",
    code="dc",
    description="consumer lender whose customers juggle several small loans; a consolidation product "
                "(one large loan settling 2-4 older ones within a day) launches in the test window",
    segments=(
        Segment("individual", 0.8, 20_000, 0.6, 660, 3.0,
                (("cash_loan", 0.55), ("installment", 0.25), ("credit_line", 0.2))),
        Segment("student", 0.08, 5_000, 0.4, 600, 2.5,
                (("cash_loan", 0.5), ("installment", 0.2), ("credit_line", 0.3))),
        Segment("small_business", 0.12, 50_000, 0.6, 650, 2.0,
                (("cash_loan", 0.6), ("credit_line", 0.2), ("installment", 0.2))),
    ),
    products={
        "cash_loan": Product("cash_loan", (30, 90, 180, 360), (0.3, 0.3, 0.25, 0.15), "mixed", 0.12, 0.6, 0.24,
                             (("app", 0.7), ("web", 0.3)), step=10_000, floor=50_000, prepay=0.06),
        "installment": Product("installment", (90, 180, 360), (0.4, 0.4, 0.2), "monthly", 0.1, 0.5, 0.16,
                               (("merchant", 0.6), ("app", 0.4)), step=100, floor=20_000),
        "credit_line": Product("credit_line", (30,), (1,), "bullet", 0.04, 0.7, 0.0,
                               (("merchant", 0.5), ("app", 0.5)), step=1, floor=2_000),
    },
    hours=hour_profile((10.5, 1.5, 0.7), (15, 2.0, 0.6), (21, 1.5, 1.0), base=0.02),
    weekday=(1.1, 1.05, 1.0, 1.0, 1.05, 0.9, 0.85),
    late_p=0.12, late_mean=4.0, early_p=0.15, autopay_p=0.4, running=2.5, purpose_p=0.7, merchants=300,
)


class DebtConsolidationLaunch(World):
    spec = SPEC

    def customise(self, users: list[User]) -> None:
        self.launch = self.change_day(0.25)
        self.uptake = self.rng.uniform(0.3, 0.45)
        self.change = {"kind": "consolidation_launch", "start_day": self.launch}

    def apply_change(self, users: list[User], desk: Desk) -> None:
        rng, end = self.rng, self.clock.days
        for user in self.regulars(users):
            if not user.active or rng.random() >= self.uptake:
                continue
            t = self.moment(user, front_loaded_day(rng, self.launch, end, 3.0), rng)
            owed = sorted(((loan, rest) for loan, rest in user.book.open_loans(t, 30_000)
                           if loan.opening is None or loan.opening.label == 0), key=lambda pair: -pair[1])
            if len(owed) < 2:
                continue
            chosen = owed[: rng.randint(2, 4)]
            amount = -(-int(sum(o for _, o in chosen) * rng.uniform(1.0, 1.08)) // 10_000) * 10_000
            raise_to_fit(user.book, t, amount)
            channel = "app" if rng.random() < 0.75 else "web"
            draft = Draft("cash_loan", amount, rng.choice((360, 720, 1080)), channel,
                          self.device(user, channel, t, rng), None, self.purpose(user, "cash_loan", rng),
                          plan="monthly", fee=0.12)
            desk.lend(user, t, draft, rng)
            for loan, _ in chosen:
                if rng.random() < 0.7:
                    desk.payoff(loan, same_day_later(rng, t, 300, 4 * 3600))
                else:
                    desk.payoff(loan, self.moment(user, t // DAY + 1, rng))
