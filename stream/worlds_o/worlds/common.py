"""Small mechanics the lenders' test-window changes share."""
from __future__ import annotations

import random

from ..book import Book
from ..clock import DAY, HOUR


def front_loaded_day(rng: random.Random, first: int, stop: int, mean_days: float) -> int:
    """A day in [first, stop): most soon after `first`, as uptake after a launch."""
    return first + min(int(rng.expovariate(1.0 / mean_days)), max(0, stop - first - 1))


def within_day(rng: random.Random, day: int, first_hour: float, last_hour: float) -> int:
    """A time on `day` between two hours."""
    return day * DAY + rng.randrange(int(first_hour * HOUR), int(last_hour * HOUR))


def same_day_later(rng: random.Random, t: int, least: int, most: int) -> int:
    """A moment least..most seconds after t, but before that day ends."""
    return min(t + rng.randrange(least, most), (t // DAY + 1) * DAY - 60)


def raise_to_fit(book: Book, t: int, amount: int, step: int = 100_000) -> None:
    """Raise the limit at t so that `amount` more fits (as a lender approving it does)."""
    need = book.outstanding_at(t) + amount
    for ev in book.ordered():
        if ev.t > t and ev.delta > 0:
            need += ev.delta
    if need > book.limit_at(t):
        book.raise_limit(t - 60, -(-need // step) * step)


def share_of(rng: random.Random, items: list, share: float) -> list:
    """A random subset of about `share` of the items, in their original order."""
    return [item for item in items if rng.random() < share]
