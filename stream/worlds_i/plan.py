"""Who misbehaves, how, and when.

The plan is drafted before ordinary behaviour is generated (identity farms
need fresh account slots), and cast afterwards (a takeover needs a victim
with an established history).  About a third of the anomalous users also or
only misbehave in the history, as a real lender's past contains unlabelled
fraud; the first episode of every typology lands in the test window so each
typology is represented there when the population allows it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from .ledger import Ctx
from .model import User
from .timeline import DAY
from .typologies import TYPOLOGIES


@dataclass(eq=False)
class Episode:
    typology: str
    size: int
    phase: str               # "test" or "history" (a "both" user gets one of each)
    start: int               # seconds, midnight of the first day
    stop: int                # new typology loans happen before this
    rng: random.Random
    same_as: "Episode | None" = None
    users: list[User] = field(default_factory=list)


def _start(ctx: Ctx, r: random.Random, phase: str, span: int) -> tuple[int, int]:
    h, t = ctx.history_days, ctx.test_days
    if phase == "test":
        hi = max(h, h + t - max(1, min(span, t - 1)))
        return r.randint(h, hi) * DAY, ctx.end
    lo, hi = min(3, h - 1), max(min(3, h - 1), h - max(2, min(span, h // 2)))
    return r.randint(lo, hi) * DAY, ctx.h_end


def draft(ctx: Ctx) -> list[Episode]:
    w, r = ctx.world, ctx.rng("plan")
    budget = max(1, round(ctx.n_users * w.anomalous_share))
    names = [n for n in TYPOLOGIES if w.typology_weights.get(n, 0) > 0]
    order = names[:]
    r.shuffle(order)
    # weigh by users, not episodes: a ring of six should not count like one stacker
    weights = [w.typology_weights[n] * 2 / sum(TYPOLOGIES[n].GROUP) for n in names]
    eps: list[Episode] = []
    used, seen, misses = 0, set(), 0
    while used < budget and misses < 50:
        name = order[len(seen)] if len(seen) < len(order) else r.choices(names, weights)[0]
        mod = TYPOLOGIES[name]
        lo, hi = mod.GROUP
        size = min(r.randint(lo, hi), budget - used)
        if size < lo:
            seen.add(name)
            misses += 1
            continue
        if name not in seen:
            phase = "test"
        else:
            x = r.random()
            phase = "test" if x < 0.70 else ("history" if x < 0.86 else "both")
            if phase == "both" and (mod.FRESH or getattr(mod, "ONCE", False)):
                phase = "history"
        seen.add(name)
        n_eps = len(eps)
        for ph in (("history", "test") if phase == "both" else (phase,)):
            start, stop = _start(ctx, r, ph, mod.SPAN)
            ep = Episode(name, size, ph, start, stop, ctx.rng("episode", n_eps, ph))
            if ph == "test" and phase == "both":
                ep.same_as = eps[-1]
            eps.append(ep)
        used += size
    return eps


def claim_fresh(ctx: Ctx, eps: list[Episode]) -> None:
    """Reserve slots for typologies that open brand-new accounts (no ordinary life)."""
    r = ctx.rng("fresh")
    pool = list(range(len(ctx.users)))
    r.shuffle(pool)
    for ep in eps:
        if TYPOLOGIES[ep.typology].FRESH:
            for _ in range(ep.size):
                u = ctx.users[pool.pop()]
                u.synthetic = True
                ep.users.append(u)


def cast(ctx: Ctx, eps: list[Episode]) -> None:
    """Pick existing users for the other episodes, respecting each typology's eligibility."""
    r = ctx.rng("cast")
    taken = {id(u) for ep in eps for u in ep.users}
    order = [u for u in ctx.users if not u.synthetic]
    r.shuffle(order)
    for ep in eps:
        if ep.users:
            continue
        if ep.same_as is not None:
            ep.users = list(ep.same_as.users)
            continue
        mod = TYPOLOGIES[ep.typology]
        chosen = []
        for strict in (True, False):
            for u in order:
                if len(chosen) >= ep.size:
                    break
                if id(u) in taken or u in chosen:
                    continue
                if mod.eligible(ctx, u, ep.start, strict):
                    chosen.append(u)
            if len(chosen) >= ep.size:
                break
        ep.users = chosen
        taken.update(id(u) for u in chosen)
