"""What every misbehaviour typology shares: the episode record, the base class and
small mechanics (timing at usual or odd hours, bursts, splitting a total, booking a
labelled loan) that the individual schemes combine in their own ways.

Each episode has an intensity x in [0, 1]: x near 0 is a subtle case that sits close
to normal behaviour, x near 1 a blatant one.  Mechanics are drawn per episode, so
two episodes of the same typology rarely look alike.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..clock import DAY, HOUR, hour_weights, second_of_day
from ..desk import Desk
from ..model import Loan, User
from ..population import channels_of
from ..seeds import hexid
from ..world import World


@dataclass(eq=False)
class Episode:
    """One occurrence of a typology: who, when, how strongly."""

    typology: str
    users: list[User]
    intensity: float
    in_history: bool
    start: int = 0
    stop: int = 0
    rng: random.Random = field(default_factory=random.Random)

    @property
    def user(self) -> User:
        return self.users[0]


class Typology:
    """Base class: defaults for group size, eligibility and duration."""

    name = ""
    min_group = 1
    weight = 1.0  # chance of being served in each planning round (group schemes take many users)
    span_days: tuple[float, float] = (0.5, 3.0)

    def group(self, rng: random.Random, x: float) -> int:
        return 1

    def eligible(self, user: User, world: World) -> bool:
        return user.active and not user.blank

    def span(self, rng: random.Random, x: float) -> float:
        """Desired duration in days (the planner shortens it to fit its window)."""
        lo, hi = self.span_days
        return rng.uniform(lo, hi)

    def prepare(self, ep: Episode, world: World) -> None:
        """Adjust members before normal behaviour is simulated (rarely needed)."""

    def run(self, ep: Episode, world: World, desk: Desk) -> None:
        raise NotImplementedError

    # --- shared mechanics ---------------------------------------------------------
    def lend(self, world: World, desk: Desk, ep: Episode, user: User, t: int, *,
             product: str | None = None, amount: float | None = None, frac: float | None = None,
             term: int | None = None, channel: str | None = None, repay: bool = False,
             **overrides: object) -> Loan | None:
        """Book one labelled loan sized within the limit; overrides set Draft fields
        (device, merchant, purpose, plan, fee) after the world's defaults."""
        if t >= world.clock.end:
            return None
        draft = world.make_draft(user, t, ep.rng, product=product, amount=amount, frac=frac,
                                 term=term, channel=channel)
        if draft is None:
            return None
        for key, value in overrides.items():
            setattr(draft, key, value)
        return desk.lend(user, t, draft, ep.rng, label=1, scenario=self.name, repay=repay)


def lerp(a: float, b: float, x: float) -> float:
    return a + (b - a) * x


def usual_time(user: User, t_min: int, rng: random.Random) -> int:
    """The first moment at or after t_min at one of the user's usual hours."""
    day = t_min // DAY
    t = day * DAY + second_of_day(user.hours, rng)
    return t if t >= t_min else t + DAY


def odd_time(user: User, t_min: int, rng: random.Random, x: float) -> int:
    """A moment at an hour this user rarely borrows at; the stronger x, the rarer."""
    weights = hour_weights(user.hours)
    ranked = sorted(range(24), key=lambda h: weights[h])
    hour = rng.choice(ranked[: max(2, round(lerp(10, 3, x)))])
    t = (t_min // DAY) * DAY + hour * HOUR + rng.randrange(HOUR)
    return t if t >= t_min else t + DAY


def burst(rng: random.Random, t0: int, n: int, span: float) -> list[int]:
    """n times starting at t0 and spread over `span` seconds."""
    return [t0] + sorted(t0 + int(rng.random() * span) for _ in range(n - 1))


def split(rng: random.Random, total: float, n: int, unevenness: float) -> list[float]:
    """n positive parts of a total; unevenness 0 gives equal parts."""
    weights = [rng.uniform(1.0 - unevenness, 1.0 + unevenness) for _ in range(n)]
    s = sum(weights)
    return [total * w / s for w in weights]


def roomy_time(world: World, user: User, t_from: int, t_to: int, rng: random.Random,
               need: float = 0.3) -> int:
    """A usual-hour time in [t_from, t_to) with at least `need` of the limit free,
    or the roomiest candidate seen when none reaches it."""
    best_t, best_room = t_from, -1
    t = usual_time(user, t_from, rng)
    while t < t_to:
        room = user.book.headroom(t)
        if room >= need * user.book.limit_at(t):
            return t
        if room > best_room:
            best_t, best_room = t, room
        t = usual_time(user, t + DAY // 2, rng)
    return best_t


def new_device(rng: random.Random) -> str:
    return hexid(rng, "dv")


def usual_amount(user: User, before: int) -> int:
    """Median of the user's earlier loans, or an eighth of the limit for a user
    who has not borrowed yet."""
    amounts = sorted(ev.amount for ev in user.book.events
                     if ev.kind == "loan" and ev.t < before and ev.label == 0)
    return amounts[len(amounts) // 2] if amounts else user.book.limit // 8


def other_channel(world: World, user: User, rng: random.Random) -> str:
    """A channel of this lender (not the merchant till) the user has not borrowed
    through before, or any of them when the user has used them all."""
    offered = [c for c in channels_of(world.spec) if c != "merchant"] or ["app"]
    used = {ev.channel for ev in user.book.events if ev.kind == "loan"}
    return rng.choice([c for c in offered if c not in used] or offered)


def short_term(world: World, product: str, rng: random.Random) -> int:
    """One of the two shortest terms the lender offers for a product."""
    terms = sorted(world.spec.product(product).terms)
    return rng.choice(terms[:2])


def product_mix(world: World, user: User) -> list[str]:
    """Products a scheme may spread over: the user's own, or the lender's when the
    user only has one."""
    own = [p for p, _ in user.products]
    return own if len(own) > 1 else list(dict.fromkeys(own + list(world.spec.products)))


__all__ = ["Episode", "Typology", "burst", "lerp", "new_device", "odd_time",
           "other_channel", "product_mix", "roomy_time", "short_term", "split", "usual_amount", "usual_time"]
