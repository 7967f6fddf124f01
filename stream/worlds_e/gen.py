"""generate(): build users, plan episodes, simulate, then sort and serialise."""

from __future__ import annotations

import json

from .clock import DAY, HOUR
from .context import Ctx
from .engine import UserSim
from .episodes import plan_episodes, run_plans
from .population import build_users, daily_counts, normal_intents
from .spec import World
from .worlds import WORLDS


def generate(world, seed: int = 1, users: int = 3000, history_days: int = 45, test_days: int = 14):
    """Return (event lines, label lines, stats) for one world; deterministic in its arguments."""
    w: World = WORLDS[world] if isinstance(world, str) else world
    if users < 1 or history_days < 1 or test_days < 1:
        raise ValueError("users, history_days and test_days must be >= 1")
    ctx = Ctx(w, seed, users, history_days, test_days)
    people = build_users(ctx)
    plans = plan_episodes(ctx, people)
    counts = daily_counts(ctx, people)
    sims = [UserSim(ctx, u) for u in people]
    for sim in sims:
        normal_intents(ctx, sim, counts[sim.u.idx])
    if w.campaign:
        _, _, lo, hi, _, _ = w.campaign
        for u in ctx.campaign_users:
            sims[u.idx].limit_at(ctx.campaign_t + u.rng.randrange(8 * HOUR), mul=u.rng.uniform(lo, hi))
    run_plans(ctx, sims, plans)
    rows = []
    for sim in sims:
        sim.run()
        idx, anom = sim.u.idx, sim.u.anomalous
        for t, seq, ev, label, scen in sim.events:
            rows.append((t, idx, seq, ev, label, scen, anom))
    rows.sort(key=lambda x: (x[0], x[1], x[2]))
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    lines, labels = [], []
    seen_users, anom_users = set(), set()
    positives = test_loans = test_pos = hist_pos = 0
    by_scen: dict[str, int] = {}
    test_t = ctx.test_t
    for i, (t, idx, _, ev, label, scen, anom) in enumerate(rows):
        eid = f"{w.code}-e{i:08d}"
        ev["event_id"] = eid
        lines.append(dumps(ev))
        labels.append(dumps({"event_id": eid, "label": label, "scenario": scen, "user_anomalous": anom}))
        seen_users.add(idx)
        if anom:
            anom_users.add(idx)
        if label:
            positives += 1
            by_scen[scen] = by_scen.get(scen, 0) + 1
            if t < test_t:
                hist_pos += 1
        if t >= test_t and ev["event_type"] == "loan":
            test_loans += 1
            test_pos += label
    stats = {
        "world": w.name, "events": len(lines), "users": len(seen_users), "positives": positives,
        "anomalous_users": len(anom_users), "users_requested": users,
        "history_positives": hist_pos, "test_positives": positives - hist_pos,
        "test_loans": test_loans, "test_positive_loans": test_pos,
        "test_positive_loan_share": round(test_pos / test_loans, 4) if test_loans else 0.0,
        "episodes": len(plans), "positives_by_typology": dict(sorted(by_scen.items())),
        "platform_events": [(name, ctx.cal.dates[a].isoformat(), ctx.cal.dates[b].isoformat())
                            for name, a, b in ctx.events],
        "window_days": ctx.end // DAY,
    }
    return lines, labels, stats
