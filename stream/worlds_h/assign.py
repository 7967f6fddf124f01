"""Which users carry out which typology episode.

Why: each world should have roughly ``anomalous_share`` of its users
anomalous, and every typology the lender can plausibly suffer should show up
even in small runs. The first pass walks the lender's typology list in its
stated order (its signature risks first); later picks are weighted.
"""
from __future__ import annotations

from dataclasses import dataclass
from random import Random

from .context import Ctx
from .profiles import Profile
from .typologies import REGISTRY, Typology


@dataclass
class Episode:
    typology: Typology
    members: list[int]
    seed: int


def assign_episodes(profiles: list[Profile], ctx: Ctx, rng: Random) -> list[Episode]:
    spec = ctx.spec
    budget = max(1, round(len(profiles) * spec.anomalous_share))
    names = [n for n, w in spec.typology_weights.items() if w > 0]
    weights = [spec.typology_weights[n] for n in names]
    order = list(range(len(profiles)))
    rng.shuffle(order)
    used: set[int] = set()
    episodes: list[Episode] = []
    attempts = 0
    plan = list(names)
    while budget > 0 and attempts < 200:
        attempts += 1
        first_pass = bool(plan)
        name = plan.pop(0) if plan else rng.choices(names, weights=weights)[0]
        typ = REGISTRY[name]
        lo, hi = typ.group
        if lo > budget:
            continue
        # first pass: smallest rings, so small runs still see many typologies
        size = lo if first_pass else rng.randint(lo, min(hi, max(lo, budget)))
        members = []
        for i in order:
            if i not in used and typ.eligible(profiles[i], ctx):
                members.append(i)
                if len(members) == size:
                    break
        if len(members) < lo:
            continue
        used.update(members)
        budget -= len(members)
        for i in members:
            profiles[i].anomalous = True
            profiles[i].typology = name
        episodes.append(Episode(typ, members, rng.getrandbits(64)))
    return episodes
