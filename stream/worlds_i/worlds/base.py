"""What every world (a fictional lender) must provide, plus small shared helpers.

A world owns its population, its users' ordinary behaviour and the house
style of its systems (id formats, which optional fields its systems send,
time-stamping quirks).  Typologies only borrow the style through this
interface, so an injected fraud looks like it came out of the same pipes as
the lender's ordinary traffic.
"""
from __future__ import annotations

import math
import random
import zlib
from typing import TYPE_CHECKING

import numpy as np

from ..model import Ev, User

if TYPE_CHECKING:
    from ..ledger import Ctx

ALL_TYPOLOGIES = (
    "loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
    "limit_jump_drain", "overdue_escalation", "merchant_cashout_ring",
    "synthetic_identity_farm", "promo_loop_arbitrage",
)


STANDARD_TERMS = (1, 3, 7, 14, 21, 30, 45, 60, 90, 120, 180, 270, 360)


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; lam here is always small (a handful of events)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def hexid(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def small_hours(rng: random.Random, p: float) -> float | None:
    """With probability p, an hour between midnight and 05:00: insomniacs, shift
    workers and long drives exist in every book, so night alone is no proof of fraud."""
    return rng.uniform(0, 5) if rng.random() < p else None


def round_to(x: float, step: float) -> float:
    return max(step, round(x / step) * step)


class World:
    name: str = ""
    description: str = ""
    anomalous_share: float = 0.04          # share of users running a typology
    typology_weights: dict[str, float] = {t: 1.0 for t in ALL_TYPOLOGIES}
    products: dict[str, float] = {"cash_loan": 1.0}   # what typologies may draw on
    channels: dict[str, float] = {"app": 1.0}
    cash_term: tuple[int, int] = (7, 60)     # typical short term for typology loans
    rate: float = 0.12                       # yearly interest used in repayments
    overdraft_p: float = 0.05                # chance an over-limit ordinary draw slips through

    # -- population and behaviour (per world) ---------------------------
    def population(self, ctx: "Ctx") -> list[User]:
        raise NotImplementedError

    def normal(self, ctx: "Ctx", user: User) -> None:
        raise NotImplementedError

    def np_rng(self, ctx: "Ctx") -> np.random.Generator:
        return np.random.default_rng([ctx.seed % 2**63, zlib.crc32(self.name.encode())])

    # -- house style ----------------------------------------------------
    def event_id(self, n: int) -> str:
        return f"{self.name}-e{n:07d}"

    def loan_id(self, n: int, user: User) -> str:
        return f"{self.name}-l{n:07d}"

    def new_device(self, rng: random.Random) -> str:
        return "dev-" + hexid(rng, 10)

    def new_merchant(self, rng: random.Random) -> str:
        return "m-" + hexid(rng, 6)

    def device_for(self, user: User, channel: str, rng: random.Random) -> str | None:
        if channel in ("app", "web") and user.devices:
            return user.devices[-1]
        return None

    def merchant_for(self, user: User, product: str, rng: random.Random) -> str | None:
        return self.new_merchant(rng)

    def purpose_for(self, user: User, product: str, rng: random.Random) -> str | None:
        if user.segment == "small_business" and product in ("merchant_loan", "cash_loan"):
            return "business"
        return "consumption"

    def term_for(self, product: str, rng: random.Random) -> int:
        if product == "installment":
            return rng.choice((90, 180, 360))
        if product == "merchant_loan":
            return rng.choice((90, 180))
        lo, hi = self.cash_term
        return rng.choice([t for t in STANDARD_TERMS if lo <= t <= hi] or [lo])

    def loan_hour(self, user: User, rng: random.Random) -> float:
        return rng.uniform(9, 22)

    def pay_hour(self, user: User, rng: random.Random) -> float:
        return rng.uniform(8, 21)

    def fresh_account(self, ctx: "Ctx", user: User, rng: random.Random, join_day: int) -> None:
        """Turn a slot into a just-opened account in this lender's style (used by identity farms)."""
        user.synthetic = True
        user.join_day = join_day
        user.segment = "individual"
        user.devices = []
        user.limits = [(-1, 0.0)]
        ctx.set_limit(user, join_day * 86400, round_to(rng.uniform(3000, 10000), 500))

    # -- rendering quirks, applied to normal and anomalous events alike --
    def stamp(self, ev: Ev, rng: random.Random) -> None:
        """Adjust how the time is written (offset, milliseconds, batch snapping)."""

    def presence(self, ev: Ev, rng: random.Random) -> None:
        """Decide which optional fields this lender's systems send on this event."""
