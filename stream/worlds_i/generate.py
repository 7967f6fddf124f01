"""Glue: population -> plan -> ordinary lives -> injected episodes -> finishing pass."""
from __future__ import annotations

from . import plan
from .finalize import finish
from .ledger import Ctx
from .typologies import TYPOLOGIES
from .worlds import WORLDS


def generate(world: str, seed: int = 1, users: int = 3000, history_days: int = 45,
             test_days: int = 14) -> Ctx:
    w = WORLDS[world]()
    ctx = Ctx(w, seed, users, history_days, test_days)
    ctx.users = w.population(ctx)
    eps = plan.draft(ctx)
    plan.claim_fresh(ctx, eps)
    for u in ctx.users:
        if not u.synthetic:
            w.normal(ctx, u)
    plan.cast(ctx, eps)
    for ep in eps:
        if not ep.users:
            continue
        for u in ep.users:
            u.anomalous = True
        TYPOLOGIES[ep.typology].run(ctx, ep)
    finish(ctx)
    return ctx
