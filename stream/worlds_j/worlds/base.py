"""Base class of a world (a fictional lender) and small shared helpers."""
from __future__ import annotations

import random
from datetime import date

from ..core import User, pick, stable_hex


class World:
    name = "base"
    code = "00"  # two-char code used in event / user ids
    description = ""
    anchor = date(2026, 6, 1)  # first day of the test window (+08:00)
    # (product, weight) used by typologies to pick "other" products
    products = [("cash_loan", 1.0)]
    merchants: list = []  # shared merchant ids (legitimate)
    has_students = False

    # ---- hooks overridden by worlds
    def setup(self, tl, rng: random.Random, n_users: int, seed: int) -> dict:
        self.tl = tl
        self.seed = seed
        return {}

    def make_user(self, idx: int, rng: random.Random, ctx: dict) -> User:
        raise NotImplementedError

    def normal(self, u: User, L, ctx: dict) -> None:
        raise NotImplementedError

    # ---- defaults that typologies use
    def term_for(self, product: str, rng: random.Random) -> int:
        return rng.choice({
            "cash_loan": [7, 14, 30, 30, 60, 90],
            "credit_line": [30, 30, 30, 60],
            "installment": [90, 180, 180, 365],
            "merchant_loan": [30, 60, 90],
            "wealth_pledge": [30, 90, 180],
        }[product])

    def channel_for(self, product: str, rng: random.Random) -> str:
        if product in ("installment", "merchant_loan") and self.merchants and rng.random() < 0.7:
            return "merchant"
        return pick(rng, [("app", 0.7), ("web", 0.2), ("partner", 0.1)])

    def purpose_for(self, u: User, product: str, rng: random.Random) -> str:
        if u.segment == "small_business" or product == "merchant_loan":
            return "business"
        if u.segment == "student" and rng.random() < 0.5:
            return "education"
        return "consumption"

    def merchant_for(self, rng: random.Random) -> str | None:
        return rng.choice(self.merchants) if self.merchants else None

    def usual_hour(self, u: User, rng: random.Random) -> float:
        """A local hour at which this world's users ordinarily borrow."""
        return rng.uniform(9, 22)

    def typical_amount(self, u: User) -> float:
        return u.traits.get("amt", max(200.0, u.limit * 0.2))

    # ---- helpers for subclasses
    def uid(self, idx: int) -> str:
        return f"j{self.code}u{idx:05d}"

    def device_id(self, *parts) -> str:
        return "d-" + stable_hex(self.seed, self.name, "dev", *parts)

    def merchant_ids(self, kind: str, n: int) -> list:
        return [f"m-{kind}-{stable_hex(self.name, kind, i, n=6)}" for i in range(n)]
