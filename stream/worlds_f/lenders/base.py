"""What every lender world provides: users, ordinary loans and loan defaults."""

from __future__ import annotations

from random import Random

from ..core import DAY, Intent


class World:
    name = ""
    tag = "x"
    desc = ""
    typologies: tuple = ()
    strong = True  # risk episodes go bad far more often than ordinary loans
    products: tuple = ("cash_loan",)
    channels: tuple = ("app",)
    anomalous_share = 0.045
    test_share = 0.4  # share of episodes that start in the test window
    outstanding = True  # repayments carry `outstanding`
    currency = False  # loans and repayments carry "currency": "CNY"

    def __init__(self, seed: int, users: int, history_days: int, test_days: int):
        self.seed = seed
        self.users = users
        self.H = history_days
        self.T = test_days
        self.days = history_days + test_days
        self.end = self.days * DAY
        self.rng = Random(f"F|{self.name}|{seed}|world")
        self.setup()

    def setup(self) -> None:
        pass

    def make_user(self, idx: int, rng):
        raise NotImplementedError

    def normal(self, u, rng) -> list:
        raise NotImplementedError

    def base(self, u, rng, t) -> dict:
        """Default fields of an ordinary loan of u at t (product, term, channel, ...)."""
        return {"product": self.products[0], "term": 30, "channel": u.channel}

    def typical(self, u) -> float:
        """A typical ordinary loan of u, in cents."""
        return u.limit * 0.3

    def raise_policy(self, u, limit, good):
        """Limit raise after good repayment: +15-25 % at the 3rd and 8th on-time payment."""
        if good in (3, 8) and u.raise_ok:
            return min(int(limit * u.raise_step), u.limit * 2) // 10000 * 10000
        return None

    def loan(self, u, rng, t, cents, **over) -> Intent:
        f = self.base(u, rng, t)
        f.update(over)
        ch = f["channel"]
        dev = f["device"] if "device" in f else u.device_at(t)
        merchant = f.get("merchant")
        if ch == "merchant" and not merchant:
            merchant = self.pick_merchant(u, rng)
        if ch != "merchant":
            merchant = None
        return Intent(t, cents // 100 * 100 if cents >= 10000 else cents, f["product"], f["term"], ch,
                      device=dev, merchant=merchant, segment=f.get("segment", u.segment),
                      purpose=f.get("purpose", u.purpose), score=f.get("score"), plan=f.get("plan", ()),
                      full=f.get("full", True), label=f.get("label", 0), scen=f.get("scen", "normal"),
                      drain=f.get("drain", 0.0), over=f.get("over", 1.0))

    def pick_merchant(self, u, rng) -> str:
        return f"m-{self.tag}-{rng.randint(1, 50):04d}"
