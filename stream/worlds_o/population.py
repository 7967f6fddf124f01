"""Creating a lender's customers from its segment table.

Each customer gets a private random stream and personal habits drawn around the
lender's norms: borrowing rate, loan size, lateness, early payment, autopay, daily
rhythm, devices.  Heterogeneity matters: a detector must not mistake an ordinary
heavy borrower or a habitual late payer for a scheme.
"""
from __future__ import annotations

from .book import Book
from .clock import cumulative
from .model import User
from .seeds import hexid, pick, stream
from .spec import Segment, WorldSpec

STUDENT_SIZE = {"student": 0.5}  # students borrow small sums relative to their limit


def channels_of(spec: WorldSpec) -> list[str]:
    """Channels the lender's own products are sold through, in a stable order."""
    seen: list[str] = []
    for product in spec.products.values():
        for channel, _ in product.channels:
            if channel not in seen:
                seen.append(channel)
    return seen


def personal_hours(spec: WorldSpec, rng) -> tuple[float, ...]:
    """The lender's daily rhythm, shifted and roughened for one person."""
    shift = rng.choice((-2, -1, 0, 0, 0, 1, 2))
    base = spec.hours[-shift:] + spec.hours[:-shift] if shift else spec.hours
    return cumulative([w * rng.lognormvariate(0.0, 0.35) for w in base])


def make_user(spec: WorldSpec, seg: Segment, idx: int, uid: str, seed: int) -> User:
    rng = stream(seed, spec.name, "user", idx)
    limit = max(500, round(seg.limit * rng.lognormvariate(0.0, seg.limit_spread) / 100) * 100)
    habitual_late = rng.random() < 0.15
    late_p = min(0.9, spec.late_p * (3.0 if habitual_late else rng.uniform(0.0, 1.2)))
    return User(
        idx=idx,
        uid=uid,
        segment=seg.name,
        products=seg.products,
        score=min(930, max(380, int(rng.gauss(seg.score, 55)))),
        rate=seg.rate / 30.0 * rng.lognormvariate(0.0, 0.55),
        size=rng.lognormvariate(0.0, 0.35) * STUDENT_SIZE.get(seg.name, 1.0),
        late_p=late_p,
        late_mean=spec.late_mean * rng.lognormvariate(0.0, 0.4),
        early_p=min(0.6, spec.early_p * rng.uniform(0.0, 2.0)),
        comfort=0.95 if rng.random() < 0.1 else rng.uniform(0.25, 0.8),
        autopay=rng.random() < spec.autopay_p,
        hours=personal_hours(spec, rng),
        phone=hexid(rng, "dv"),
        channel_bias=rng.choice(channels_of(spec)),
        rng=rng,
        book=Book(limit * 100),
        spare_device=hexid(rng, "dv") if rng.random() < 0.15 else None,
    )


def build_users(spec: WorldSpec, n: int, seed: int) -> list[User]:
    """n customers with unique, unordered ids (ids reveal nothing about the user)."""
    rng = stream(seed, spec.name, "population")
    numbers = rng.sample(range(16 ** 7), n)
    shares = tuple((seg.name, seg.share) for seg in spec.segments)
    users = []
    for idx, number in enumerate(numbers):
        seg = spec.segment(pick(rng, shares))
        users.append(make_user(spec, seg, idx, f"{spec.code}{number:07x}", seed))
    return users
