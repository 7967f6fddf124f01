"""What an anomalous episode gets to work with, and small helpers shared by the typologies.

An episode is one user's anomalous stretch.  It writes loans and repayments
into the user's ``UserBook`` (so limits, balances and devices stay coherent with
the user's ordinary history) using its own random stream, so the user's normal
behaviour before the episode is identical with or without it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..clock import DAY, Window, at_hour, time_on_day
from ..loans import MIN_AMOUNT, Loan, RepayHabit
from ..normal import UserBook
from ..population import new_device


@dataclass(frozen=True)
class Ring:
    """Shared facts of a collusive group (several users, one episode)."""

    ring_id: int
    merchant_id: str
    shared_device: str | None
    start: int
    span: int
    product: str
    style: str  # "round" | "just_under"


@dataclass
class EpisodeContext:
    """One episode: the user's book, the episode's random stream and its onset ``t0``."""

    book: UserBook
    rng: random.Random
    t0: int
    window: Window
    scenario: str
    ring: Ring | None = None

    # ------------------------------------------------------------ time
    @property
    def day0(self) -> int:
        return self.t0 // DAY

    def usual_time(self, day: int) -> int:
        """A moment on ``day`` at an hour this user habitually borrows."""
        return time_on_day(self.rng, day, self.book.profile.cum_hours)

    def odd_time(self, day: int) -> int:
        """A moment in the small hours, when this kind of user rarely borrows."""
        return at_hour(self.rng, day, 1.0, 5.0)

    def spread(self, start: int, span: int, n: int) -> list[int]:
        """``n`` sorted moments: the first at ``start``, the rest within ``span`` seconds."""
        rest = sorted(start + int(self.rng.uniform(30, max(60, span))) for _ in range(n - 1))
        return [start, *rest]

    def lag(self, choices: tuple[tuple[float, float, float], ...]) -> int:
        """A delay drawn from weighted ``(weight, lo_seconds, hi_seconds)`` bands."""
        band = self.rng.choices(choices, weights=[c[0] for c in choices])[0]
        return int(self.rng.uniform(band[1], band[2]))

    # ------------------------------------------------------------ user facts
    def offered(self, *wanted: str) -> list[str]:
        """The wanted products this user can get (in the given order)."""
        return [p for p in wanted if p in self.book.profile.offered]

    def usual_channel(self) -> str:
        """The channel the user has borrowed through most."""
        counts: dict[str, int] = {}
        for loan in self.book.loans_before(self.t0):
            counts[loan.channel] = counts.get(loan.channel, 0) + 1
        return max(counts, key=counts.__getitem__) if counts else "app"

    def fresh_device(self) -> str:
        return new_device(self.rng, self.book.spec.tag)

    def open_loans(self, t: int) -> list[Loan]:
        return [loan for loan in self.book.loans if loan.t < t and loan.remaining(t) > 0]

    # ------------------------------------------------------------ writing
    def loan(self, t: int, amount: float, product: str, term: int, channel: str, **kw: object) -> Loan:
        """An anomalous (label 1) loan of this episode."""
        return self.book.add_loan(
            self.rng, t, amount, product, term, channel, label=1, scenario=self.scenario, **kw  # type: ignore[arg-type]
        )

    def ordinary_loan(self, t: int, product: str, *, amount: float | None = None, term: int | None = None) -> Loan:
        """A normal-looking (label 0) loan the episode needs to exist first (e.g. the loan later refinanced)."""
        rng, book = self.rng, self.book
        amount = amount or max(MIN_AMOUNT[product] * 1.5, book.typical_amount(product, t) * rng.lognormvariate(0, 0.4))
        channel = book.pick_channel(rng, product)
        return book.add_loan(
            rng,
            t,
            amount,
            product,
            term or book.pick_term(rng, product),
            channel,
            device_id=book.pick_device(rng, t, channel),
            purpose=book.pick_purpose(rng, product),
        )

    def split(self, total: float, n: int, product: str, evenness: float = 0.4) -> list[float]:
        """``total`` cut into ``n`` pieces (each at least the product's minimum)."""
        w = [self.rng.uniform(1 - evenness, 1 + evenness) for _ in range(n)]
        s = sum(w)
        return [max(MIN_AMOUNT[product] * 1.2, total * x / s) for x in w]

    def habit(self, **changes: object) -> RepayHabit:
        """A copy of the user's repayment habit with some fields changed."""
        base = self.book.habit
        values = {name: getattr(base, name) for name in base.__dataclass_fields__}
        values.update(changes)
        return RepayHabit(**values)  # type: ignore[arg-type]

