"""What every lender world shares: loan drawing with the world's field habits,
repayment helpers and the kit the typologies use to act in the world's style."""
from __future__ import annotations

from dataclasses import dataclass

from .clock import DAY, HOUR, Clock, HourProfile, profile
from .model import NORMAL, Loan, User
from .seeding import hex_id

HUNDRED_PRODUCTS = ("cash_loan", "merchant_loan", "wealth_pledge")


@dataclass(frozen=True)
class Option:
    """One way of borrowing in a world (product + channel + terms + merchants)."""

    product: str
    channel: str
    terms: tuple
    lo: float
    hi: float
    merchants: tuple = ()
    w: float = 1.0  # how common this way of borrowing is among the world's customers


class WorldBase:
    name = "base"
    description = ""
    anomaly_rate = 0.035
    typology_weights: dict = {}
    currency_mode = "omit"        # "omit" | "always" | "user"
    outstanding_mode = "always"   # "always" | "never" | "user"
    hours: HourProfile = profile({(8, 23): 1.0}, 0.1)

    def __init__(self, clock: Clock, seed: int, n_users: int):
        self.clock = clock
        self.seed = seed
        self.n_users = n_users
        self.key_counter = 0

    # hooks a world overrides ---------------------------------------------
    def setup(self, rng) -> None:
        pass

    def marks(self) -> dict:
        """Day indexes of the world's collective change and/or busy day, if any."""
        return {}

    def make_user(self, idx: int, uid: str, rng) -> User:
        raise NotImplementedError

    def simulate(self, user: User, rng) -> None:
        raise NotImplementedError

    def options(self, user: User) -> list[Option]:
        raise NotImplementedError

    def quick(self, user: User) -> Option:
        """A short-term cash-like way to borrow (for rolling and take-over)."""
        raise NotImplementedError

    def lkey(self, user: User, product: str) -> str:
        """Which limit the `credit_limit` field reports for this product."""
        return "total"

    def show_score(self, user: User, product: str, channel: str) -> bool:
        return True

    def purpose(self, user: User, product: str, rng) -> str | None:
        return {"student": "education", "small_business": "business"}.get(user.segment, "consumption")

    def show_device(self, user: User, channel: str) -> bool:
        return True

    def user_hours(self, user: User) -> HourProfile:
        return self.hours

    # shared helpers ------------------------------------------------------
    def limit_for(self, user: User, t: int, product: str) -> float:
        return user.limit_at(self.lkey(user, product), t)

    def new_device(self, rng) -> str:
        return "dv-" + hex_id(rng, 12)

    def amount(self, product: str, x: float, rng=None) -> float:
        x = max(x, 20.0)
        if product in HUNDRED_PRODUCTS:
            return float(max(100, int(round(x / 100.0)) * 100))
        return round(x, 2)

    def draw(self, user: User, t: int, amount: float, product: str, term: int, channel: str,
             rng, tag: str = NORMAL, device: str | None = None, merchant: str | None = None,
             limit: float | None = None, lkey: str | None = None) -> Loan:
        """Book a loan with this world's conventions for the optional fields."""
        self.key_counter += 1
        key = lkey if lkey is not None else self.lkey(user, product)
        lim = limit if limit is not None else user.limit_at(key, t)
        score = None
        if user.score is not None and self.show_score(user, product, channel):
            score = max(350, min(950, user.score + rng.randint(-4, 4)))
        if device is None and self.show_device(user, channel) and user.devices:
            device = user.devices[0] if len(user.devices) == 1 or rng.random() < 0.75 else rng.choice(user.devices)
        if not self.show_device(user, channel):
            device = None
        if channel != "merchant":
            merchant = None
        ln = Loan(self.key_counter, user, int(t), self.amount(product, amount, rng), product,
                  int(max(1, min(3650, term))), lim, key if limit is None else None, score,
                  self.purpose(user, product, rng), channel, device, merchant, tag)
        user.loans.append(ln)
        return ln

    def take(self, user: User, t: int, amount: float, opt: Option, rng, tag: str = NORMAL,
             term: int | None = None, device: str | None = None, channel: str | None = None,
             merchant: str | None = None) -> Loan:
        ch = channel or opt.channel
        if ch == "merchant" and merchant is None:
            merchant = rng.choice(opt.merchants) if opt.merchants else None
            if merchant is None:
                ch = "app"
        return self.draw(user, t, amount, opt.product, term or rng.choice(opt.terms), ch, rng,
                         tag=tag, device=device, merchant=merchant)

    # repayment habits ----------------------------------------------------
    def bullet(self, user: User, loan: Loan, rng, offset_days: float, hours: HourProfile | None = None,
               fraction: float = 1.0, tag: str | None = None):
        """Repay `fraction` of the loan around due + offset_days, at a habitual hour."""
        day = self.clock.day_of(loan.due + int(offset_days * DAY))
        h = (hours or self.user_hours(user)).hour(rng)
        t = self.clock.at(day, h)
        if t <= loan.t:
            t = loan.t + int(rng.uniform(0.5, 6) * HOUR)
        return user.pay(loan, t, loan.amount * fraction, tag)

    def monthly(self, user: User, loan: Loan, rng, first_t: int, period_days: float = 30.0,
                jitter_h: float = 0.5, tag: str | None = None):
        """Equal instalments every period from first_t until repaid or past the window."""
        n = max(1, int(round(loan.term / period_days)))
        inst = round(loan.amount / n, 2)
        t = first_t
        for i in range(n):
            if t >= self.clock.end:
                break
            amt = inst if i < n - 1 else loan.amount
            user.pay(loan, t + int(rng.random() * jitter_h * HOUR), amt, tag)
            t += int(period_days * DAY)

    def usual_offset(self, rng, early=0.2, late=0.15, late_max=8, early_max=15) -> float:
        r = rng.random()
        if r < early:
            return -rng.uniform(2, early_max)
        if r < early + late:
            return rng.uniform(1, late_max)
        return -rng.uniform(0, 2)
