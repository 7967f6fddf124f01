"""Ordinary borrowing: a thinned Poisson process per customer.

Candidate borrowing days arrive at the user's peak rate; each is kept with the
probability the world's calendar gives that day (weekday rhythm, festivals, a
change in the test window), which yields the time-varying rate exactly without a
per-day loop.
"""
from __future__ import annotations

from .clock import DAY
from .desk import Desk
from .model import User
from .world import World


def simulate(world: World, desk: Desk, user: User, t_from: int, t_to: int) -> None:
    """Book the user's ordinary loans between two times."""
    rng = user.rng
    peak = world.peak
    lam = user.rate * peak
    if lam <= 0:
        return
    day = t_from / DAY
    stop = t_to / DAY
    while True:
        day += rng.expovariate(lam)
        if day >= stop:
            return
        d = int(day)
        if rng.random() * peak > world.rate(user, d):
            continue
        t = world.moment(user, d, rng)
        if t < t_from or t >= t_to:
            continue
        draft = world.draft(user, t, rng)
        if draft is not None:
            desk.lend(user, t, draft, rng)


def live(world: World, desk: Desk, user: User) -> None:
    """A customer's whole ordinary life in the stream."""
    if user.blank:
        return
    world.running_loans(user, desk)
    if user.active:
        simulate(world, desk, user, 0, world.clock.end)
    world.extras(user, desk)
