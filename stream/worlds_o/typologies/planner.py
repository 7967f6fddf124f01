"""Choosing who misbehaves, how strongly, and when.

About 3-6 % of users take part in an episode.  Typologies are served round-robin so
each is present even in small worlds; roughly a quarter to a third of the episodes
start in the history (so a detector has seen such things before) and the rest in the
test window, each typology keeping at least one test-window episode.
"""
from __future__ import annotations

import random

from ..clock import DAY
from ..model import User
from ..seeds import stream
from ..world import World
from . import TYPOLOGIES, Episode


def plan(world: World, users: list[User], share: float, seed: int) -> list[Episode]:
    rng = stream(seed, world.spec.name, "episodes")
    episodes = cast(world, users, share, rng)
    schedule(world, episodes, rng)
    for i, ep in enumerate(episodes):
        ep.rng = stream(seed, world.spec.name, "episode", i)
        TYPOLOGIES[ep.typology].prepare(ep, world)
    return episodes


def cast(world: World, users: list[User], share: float, rng: random.Random) -> list[Episode]:
    """Pick members typology by typology until the target share of users is reached.

    Every typology is served in the first round; afterwards each is served with its
    weight, so schemes that take many users at once do not crowd out the others.
    """
    target = round(len(users) * share)
    pool = users[:]
    rng.shuffle(pool)
    names = sorted(TYPOLOGIES)
    rng.shuffle(names)
    episodes: list[Episode] = []
    taken, idle_rounds, first = 0, 0, True
    while taken < target and idle_rounds < 3:
        before = taken
        for name in names:
            if taken >= target:
                break
            typ = TYPOLOGIES[name]
            x = rng.random()
            if not first and rng.random() >= typ.weight:
                continue
            members = take(pool, typ.group(rng, x), lambda u: typ.eligible(u, world))
            if len(members) < typ.min_group:
                pool.extend(members)
                continue
            episodes.append(Episode(name, members, x, in_history=False))
            taken += len(members)
        first = False
        idle_rounds = idle_rounds + 1 if taken == before else 0
    return episodes


def take(pool: list[User], k: int, ok) -> list[User]:
    chosen = []
    for user in pool:
        if len(chosen) == k:
            break
        if ok(user):
            chosen.append(user)
    for user in chosen:
        pool.remove(user)
    return chosen


def schedule(world: World, episodes: list[Episode], rng: random.Random) -> None:
    """Send about 25-34 % of episodes to the history, then place each in its window."""
    first_of_kind = {}
    for ep in episodes:
        first_of_kind.setdefault(ep.typology, ep)
    spare = [ep for ep in episodes if first_of_kind[ep.typology] is not ep]
    rng.shuffle(spare)
    for ep in spare[: round(len(episodes) * rng.uniform(0.25, 0.34))]:
        ep.in_history = True
    clock = world.clock
    for ep in episodes:
        if ep.in_history:
            lo = max(1.0, 0.3 * clock.history_days)
            room = clock.history_days - lo
        else:
            lo, room = float(clock.history_days), float(clock.test_days)
        span = min(TYPOLOGIES[ep.typology].span(rng, ep.intensity), 0.85 * room)
        start = lo + rng.uniform(0.0, room - span)
        ep.start, ep.stop = int(start * DAY), int((start + span) * DAY)
