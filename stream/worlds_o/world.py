"""The base lender: default normal behaviour driven by a WorldSpec, plus the hooks
each of the seven lenders overrides to express what makes it unusual and what
changes in its test window.

Order of a run (see engine.py): customise the population and decide the change,
plan misbehaviour, then for every customer book the loans already running when the
stream opens and simulate normal borrowing, run the misbehaviour episodes, and last
book the test-window change, which therefore must leave labelled events alone and
only uses the room a scheme left.
"""
from __future__ import annotations

import bisect
import random

from .clock import DAY, Clock, cumulative, second_of_day
from .desk import Desk, Draft
from .model import User
from .seeds import hexid, pick, poisson, stream
from .spec import WorldSpec


class World:
    """A lender whose behaviour is the spec's defaults; subclasses add the rest."""

    spec: WorldSpec
    max_boost: float = 1.0

    def __init__(self, clock: Clock, seed: int) -> None:
        self.clock = clock
        self.seed = seed
        self.rng = stream(seed, self.spec.name, "world")
        self.change: dict = {}
        code = self.spec.code
        self.merchants = [f"{code}m{i:04d}" for i in range(self.spec.merchants)]
        self._merchant_cum = cumulative([1.0 / (i + 1) ** 0.9 for i in range(self.spec.merchants)])
        self.peak = max(self.spec.weekday) * self.max_boost

    # --- population and change ------------------------------------------------
    def customise(self, users: list[User]) -> None:
        """World-specific roles and groups, and the parameters of the change."""

    def apply_change(self, users: list[User], desk: Desk) -> None:
        """Book the test-window change (after normal behaviour exists)."""

    @staticmethod
    def regulars(users: list[User]) -> list[User]:
        """Users with ordinary lives (synthetic identities have none)."""
        return [u for u in users if not u.blank]

    def set_segment(self, user: User, name: str) -> None:
        user.segment = name
        user.products = self.spec.segment(name).products

    def change_day(self, latest_fraction: float = 0.25) -> int:
        """A day early in the test window on which a change begins."""
        span = max(0, int(self.clock.test_days * latest_fraction))
        return self.clock.history_days + self.rng.randint(0, span)

    # --- normal behaviour hooks --------------------------------------------------
    def rate(self, user: User, day: int) -> float:
        """Multiplier of the user's borrowing rate on a day (must stay <= self.peak)."""
        return self.spec.weekday[day % 7]

    def moment(self, user: User, day: int, rng: random.Random) -> int:
        """A time on `day` at which this user borrows."""
        return day * DAY + second_of_day(user.hours, rng)

    def draft(self, user: User, t: int, rng: random.Random) -> Draft | None:
        """An ordinary loan request at t, or None when the user cannot or will not."""
        d = self.make_draft(user, t, rng)
        return self.adjust(user, t, d, rng) if d else None

    def adjust(self, user: User, t: int, draft: Draft, rng: random.Random) -> Draft | None:
        """Per-world tweak of an ordinary loan (festival sizes, new channels...)."""
        return draft

    def extras(self, user: User, desk: Desk) -> None:
        """Recurring draws that are not a Poisson process (subscriptions)."""

    # --- building loans -----------------------------------------------------------
    def share(self, user: User, product: str) -> float:
        """The slice of the limit a product may use (1 for a single total limit)."""
        split = self.spec.limit_split
        if not split or product not in split:
            return 1.0
        own = [p for p, _ in user.products if p in split]
        total = sum(split[p] for p in own) or 1.0
        return min(1.0, split[product] / total)

    def room(self, user: User, t: int, product: str) -> int:
        return user.book.headroom(t, product, self.share(user, product))

    def make_draft(self, user: User, t: int, rng: random.Random, *, product: str | None = None,
                   amount: float | None = None, frac: float | None = None, term: int | None = None,
                   channel: str | None = None) -> Draft | None:
        """A loan request sized by the product norms, an explicit amount or a share of
        the room left; always within the limit, rounded the product's way.  Ordinary
        requests also stay within the user's comfortable share of the limit, which
        leaves the room that schemes and campaigns use."""
        product = product or pick(rng, user.products)
        spec = self.spec.product(product)
        term = term or rng.choices(spec.terms, spec.term_weights)[0]
        room = self.room(user, t, product)
        if amount is None and frac is None:
            limit = user.book.limit_at(t) * self.share(user, product)
            room -= int((1.0 - user.comfort) * limit)
            want = limit * spec.size * user.size * rng.lognormvariate(0.0, spec.spread)
            if room < 0.5 * want:
                return None
        else:
            want = room * frac if amount is None else amount
        cents = int(min(want, room)) // spec.step * spec.step
        if cents < spec.floor:
            return None
        channel = channel or self.pick_channel(user, product, rng)
        merchant = self.merchant(user, t, rng) if channel == "merchant" else None
        return Draft(product, cents, term, channel, self.device(user, channel, t, rng), merchant,
                     self.purpose(user, product, rng))

    def pick_channel(self, user: User, product: str, rng: random.Random) -> str:
        pairs = self.spec.product(product).channels
        return pick(rng, [(c, w * (2.0 if c == user.channel_bias else 1.0)) for c, w in pairs])

    def device(self, user: User, channel: str, t: int, rng: random.Random) -> str | None:
        """The device a loan is requested from, or None when the channel does not say."""
        if rng.random() >= self.spec.device_p.get(channel, 0.5):
            return None
        if channel == "web":
            return user.attrs.setdefault("browser", hexid(rng, "br"))
        if user.spare_device and rng.random() < 0.2:
            return user.spare_device
        return user.phone

    def merchant(self, user: User, t: int, rng: random.Random) -> str:
        """A merchant from the lender's network, popular ones more often."""
        return self.merchants[min(bisect.bisect_left(self._merchant_cum, rng.random()),
                                  len(self.merchants) - 1)]

    def purpose(self, user: User, product: str, rng: random.Random) -> str | None:
        if rng.random() >= self.spec.purpose_p:
            return None
        fixed = self.spec.product(product).purpose
        if fixed:
            return fixed
        if user.segment == "small_business":
            return "business" if rng.random() < 0.6 else "consumption"
        if user.segment == "student":
            return "education" if rng.random() < 0.25 else "consumption"
        return "consumption"

    # --- loans already running when the stream opens ------------------------------
    def running_loans(self, user: User, desk: Desk) -> None:
        """Loans taken before the stream opened and still being repaid.

        A loan running at the opening was taken uniformly within its term before it,
        and long loans are more likely to still be running (length-biased draw)."""
        rng = user.rng
        for _ in range(poisson(rng, self.spec.running)):
            weights = []
            for product, w in user.products:
                spec = self.spec.product(product)
                mean_term = sum(a * b for a, b in zip(spec.terms, spec.term_weights)) / sum(spec.term_weights)
                weights.append((product, w * mean_term))
            product = pick(rng, weights)
            spec = self.spec.product(product)
            term = rng.choices(spec.terms, [a * b for a, b in zip(spec.terms, spec.term_weights)])[0]
            self.book_past_loan(user, desk, product, term, -rng.randrange(DAY, term * DAY + 1))

    def book_past_loan(self, user: User, desk: Desk, product: str, term: int, t: int) -> None:
        draft = self.make_draft(user, t, user.rng, product=product, term=term)
        if draft:
            desk.lend(user, t, draft, user.rng)

    # --- helpers for schemes --------------------------------------------------------
    def cash_product(self, user: User) -> str:
        """The product a customer would use to get cash quickly."""
        names = [p for p, _ in user.products]
        for candidate in ("cash_loan", "merchant_loan", "credit_line"):
            if candidate in names:
                return candidate
        return names[0]

    def checkout_products(self) -> list[str]:
        """The lender's products that are drawn at a merchant's till."""
        own = [name for name, p in self.spec.products.items() if any(c == "merchant" for c, _ in p.channels)]
        return own or list(self.spec.products)[:1]
