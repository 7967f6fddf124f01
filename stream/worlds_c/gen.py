"""Stream assembly: users -> simulations -> sorted events + labels."""
from __future__ import annotations

import random
import zlib

import orjson

from .core import Sim, day_strings, mix_seed
from .typologies import TYPOLOGIES, plan_episodes
from .worlds import WORLDS


def generate(world_name, seed=1, users=3000, history_days=45, test_days=14):
    """Return (events, labels, info). events/labels are lists of dicts in stream order."""
    if world_name not in WORLDS:
        raise KeyError("unknown world %r (see --list)" % world_name)
    if history_days < 1 or test_days < 0 or users < 1:
        raise ValueError("need users >= 1, history-days >= 1, test-days >= 0")
    wid = zlib.crc32(world_name.encode())
    D = history_days + test_days
    world = WORLDS[world_name](seed, users, history_days, test_days, random.Random(mix_seed(seed, wid, 1)))
    profiles = [world.make_user(i, random.Random(mix_seed(seed, wid, 2, i))) for i in range(users)]
    episodes = plan_episodes(world, profiles, random.Random(mix_seed(seed, wid, 3)))
    daystr = day_strings(D)
    rows = []
    for prof in profiles:
        sim = Sim(world, prof, random.Random(mix_seed(seed, wid, 4, prof.idx)), D, daystr)
        world.setup(sim)
        ep = episodes.get(prof.idx)
        if ep is not None:
            name, S, params = ep
            TYPOLOGIES[name].install(sim, S, params)
        sim.run()
        idx = prof.idx
        for (t, sq, ev, label, scen) in sim.events:
            rows.append((t, idx, sq, ev, label, scen))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    anomalous = set(r[1] for r in rows if r[4])
    events, labels = [], []
    for i, (t, idx, sq, ev, label, scen) in enumerate(rows, 1):
        eid = "c-e%08d" % i
        ev["event_id"] = eid
        events.append(ev)
        labels.append({"event_id": eid, "label": label, "scenario": scen if label else "normal",
                       "user_anomalous": idx in anomalous})
    info = {"world": world_name, "events": len(events), "users": users,
            "active_users": len(set(r[1] for r in rows)),
            "positives": sum(1 for r in rows if r[4]), "anomalous_users": len(anomalous),
            "history_days": history_days, "test_days": test_days, "episodes": episodes}
    return events, labels, info


def write_jsonl(path, objs):
    with open(path, "wb") as f:
        f.write(b"".join(orjson.dumps(o) + b"\n" for o in objs))
