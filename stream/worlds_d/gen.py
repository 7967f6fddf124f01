"""Episode scheduling and the top-level generate() entry point."""
from __future__ import annotations

import math

from .engine import DAY, HOUR, Ctx, User, finalize, wchoice
from .typologies import SPECS
from .worlds import WORLDS


def _pick_t0(ctx, spec, in_test):
    g = ctx.rng
    ts, end = ctx.test_start, ctx.end
    min_t = HOUR if spec["kind"] in ("new", "fresh") else max(HOUR, int((spec["min_age"] + 1) * DAY))
    if in_test:
        lo = ts - spec["lead"] * DAY
        hi = end - DAY * min(spec["span"] * 0.3 + 1, ctx.T * 0.6)
        hi = max(hi, ts + HOUR)
        lo = max(lo, min_t)
        if lo >= hi:
            lo = hi - HOUR
    else:
        lo = min_t
        hi = ts - spec["span"] * DAY * 0.7
        if hi <= lo:
            hi = ts - DAY
            lo = min(lo, hi - DAY)
        lo = max(lo, HOUR)
        hi = max(hi, lo + HOUR)
    return min(int(g.randint(int(lo), int(hi))), end - 2 * HOUR)


def schedule(ctx):
    w, g = ctx.world, ctx.rng
    typs = w.typologies
    n_anom = max(len(typs), int(round(ctx.n_users * w.anom_frac)))
    tw = float(sum(typs.values()))
    plan = []
    for typ, wt in typs.items():
        spec = SPECS[typ]
        c = max(1, int(round(n_anom * wt / tw)))
        if typ == "device_farm":
            farms = max(1, int(round(c / 6.0)))
            n_test = max(1, math.ceil(farms * 0.6)) if farms > 1 else 1
            for f in range(farms):
                t0 = _pick_t0(ctx, spec, f < n_test)
                p = wchoice(g, w.seg_products["individual" if "individual" in w.seg_products else "student"])
                ch = g.choice(list(w.products[p]["channels"]))
                info = dict(devices=[w.new_device(g) for _ in range(g.randint(1, 3))], channel=ch, product=p,
                            amount=w.products[p]["amt"][0] * g.uniform(0.8, 2.0),
                            variant=g.choice(("plain", "plain", "warmup")))
                for m in range(g.randint(4, 9)):
                    tm = min(t0 + g.randint(0, 36 * HOUR), ctx.end - HOUR)
                    plan.append((typ, tm, dict(info, member=m)))
        else:
            n_test = max(1, math.ceil(c * 0.6)) if c > 1 else 1
            for i in range(c):
                plan.append((typ, _pick_t0(ctx, spec, i < n_test), {}))
    plan = plan[:ctx.n_users]
    idx = g.sample(range(ctx.n_users), len(plan))
    return dict(zip(idx, plan))


def _ensure_history(w, u, t_lim, k):
    have = sum(1 for ln in u.loans if ln.t < t_lim)
    if have >= k or t_lim < 2 * DAY:
        return
    if u.join > t_lim - 3 * DAY:
        u.join = max(0, t_lim - u.rng.randint(5, 20) * DAY)
    lo = max(u.join + HOUR, t_lim - 25 * DAY, 0)
    for _ in range(k - have):
        t = u.rng.randint(lo, max(lo + 1, t_lim - DAY))
        p = w.pick_product(u, t)
        w.normal_loan(u, t, product=p, amount=w.typical_amount(u, p) * 0.6)


def _run_anomalous(ctx, u, ep):
    w, rng = ctx.world, u.rng
    typ, t0, info = ep
    spec = SPECS[typ]
    u.anomalous, u.typology = True, typ
    u.stop = max(u.stop, t0 + 5 * DAY)
    kind = spec["kind"]
    if kind == "new":
        u.join = t0
    elif kind == "fresh":
        u.join = max(0, t0 - rng.randint(HOUR, 3 * DAY))
        w.simulate(u, u.join, t0)
    elif kind in ("established", "student"):
        latest = t0 - spec["min_age"] * DAY
        if u.join > latest:
            u.join = 0 if (latest <= 0 or rng.random() < 0.5) else rng.randint(0, latest)
        w.simulate(u, u.join, t0)
        if typ in ("account_takeover", "limit_jump_drain", "loan_stacking"):
            _ensure_history(w, u, t0, 2)
    elif kind == "dormant":
        dorm = rng.randint(18, 32) * DAY
        last = max(DAY, t0 - dorm)
        if u.join > last - 3 * DAY:
            u.join = 0 if rng.random() < 0.6 else rng.randint(0, max(0, last - 5 * DAY))
        w.simulate(u, u.join, last)
        _ensure_history(w, u, last, 1)
    t_end, cont = spec["fn"](ctx, u, t0, info)
    if cont:
        if rng.random() < w.p_bad_risky * 0.5:
            u.habit = "bad"
        w.simulate(u, t_end, ctx.end)


def generate(world_name, seed=1, users=3000, history_days=45, test_days=14):
    world = WORLDS[world_name]()
    ctx = Ctx(world, seed, users, history_days, test_days)
    world.setup(ctx)
    plan = schedule(ctx)
    for i in range(users):
        u = User(ctx, i)
        ep = plan.get(i)
        seg = None
        if ep and SPECS[ep[0]]["kind"] == "student" and "student" in world.seg_mix:
            seg = "student"
        world.init_user(u, seg)
        if ep:
            _run_anomalous(ctx, u, ep)
        else:
            world.simulate(u, u.join, ctx.end)
        ctx.users.append(u)
    lines, labels = finalize(ctx)
    stats = dict(world=world_name, events=len(lines),
                 users=sum(1 for u in ctx.users if u.events),
                 positives=sum(1 for u in ctx.users for e in u.events if e.label),
                 anomalous_users=sum(1 for u in ctx.users if u.anomalous and u.events))
    return lines, labels, stats
