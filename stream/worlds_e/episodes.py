"""Choosing who has a risk episode, when, and how blatant it is."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .clock import mix_seed
from .rings import device_ring, merchant_collusion
from .typologies import (account_takeover, borrow_to_repay, limit_jump_drain, limit_probing, loan_stacking,
                         overdue_escalation, student_overborrowing)

# name -> (planner, cross-user group?, earliest start day)
TYPOLOGIES = {
    "loan_stacking": (loan_stacking, False, 5),
    "borrow_to_repay": (borrow_to_repay, False, 2),
    "account_takeover": (account_takeover, False, 10),
    "student_overborrowing": (student_overborrowing, False, 3),
    "limit_jump_drain": (limit_jump_drain, False, 8),
    "overdue_escalation": (overdue_escalation, False, 2),
    "merchant_collusion": (merchant_collusion, True, 3),
    "device_ring": (device_ring, True, 6),
    "limit_probing": (limit_probing, False, 5),
}


@dataclass
class Plan:
    typology: str
    members: list
    day: int
    s: float


def _eligible(ctx, name, u, day) -> bool:
    if u.anomalous:
        return False
    if name == "student_overborrowing":
        return u.segment == "student"
    if name == "device_ring":
        return True
    if name == "merchant_collusion":
        seg = ctx.world.segments[u.segment]
        return any("merchant" in dict(ctx.products[p].channels) for p, _ in seg.products) and u.join <= day
    return u.join <= max(0, day - 10) and u.rate > 0.02


def plan_episodes(ctx, users) -> list[Plan]:
    w = ctx.world
    r = random.Random(mix_seed("E", w.code, ctx.seed, "episodes"))
    target = max(2, round(w.anomalous * len(users)))
    names = list(w.typologies)
    wts = [w.typo_weights.get(n, 1.0) for n in names]
    order = list(names)
    r.shuffle(order)
    plans: list[Plan] = []
    n_anom = 0
    k = 0
    tries = 0
    while n_anom < target and tries < 20 * target + 50:
        tries += 1
        name = order[k] if k < len(order) else r.choices(names, wts)[0]
        k += 1
        fn, group, lo = TYPOLOGIES[name]
        s = r.betavariate(1.1, 1.1)
        test = (k % 2 == 0) if k <= 2 else r.random() < w.p_test
        H, D = ctx.hist_days, ctx.days
        if test:
            day = r.randrange(H, max(H + 1, D - 1))
        else:
            day = r.randrange(min(lo, H - 1), max(min(lo, H - 1) + 1, H - 1))
        if group:
            base = max(3, round(len(users) * 0.0015 * (1 + s)))
            size = min(base + r.randint(0, 3), 16 if name == "merchant_collusion" else 10)
        else:
            size = 1
        size = min(size, target - n_anom + (2 if group else 0))
        pool_idx = r.sample(range(len(users)), len(users))
        members = []
        for i in pool_idx:
            if _eligible(ctx, name, users[i], day):
                members.append(users[i])
                if len(members) >= size:
                    break
        if (group and len(members) < 3) or not members:
            continue
        for u in members:
            u.anomalous = True
            if name == "device_ring":  # mule accounts: joined recently, quiet
                u.join = max(0, day - r.randint(5, 25))
                u.rate *= 0.3
        n_anom += len(members)
        plans.append(Plan(name, members, day, s))
    return plans


def run_plans(ctx, sims, plans) -> None:
    for i, p in enumerate(plans):
        fn, group, _ = TYPOLOGIES[p.typology]
        r = random.Random(mix_seed("E", ctx.world.code, ctx.seed, "plan", i))
        if group:
            fn(ctx, [sims[u.idx] for u in p.members], r, p.day, p.s, p.typology)
        else:
            fn(ctx, sims[p.members[0].idx], r, p.day, p.s, p.typology)
