"""Run one world end to end: users, normal behaviour, episodes, events."""
from __future__ import annotations

import hashlib
import json

from .clock import Clock
from .emit import build
from .episodes import inject
from .registry import WORLDS
from .seeding import rng_for


def _uid(name: str, seed: int, idx: int) -> str:
    return "u-" + hashlib.blake2b(f"{name}|{seed}|user|{idx}".encode(), digest_size=5).hexdigest()


def generate(world_name: str, seed: int, users: int = 3000, history_days: int = 45, test_days: int = 14):
    """Returns (events, labels, info). Deterministic in all arguments."""
    if world_name not in WORLDS:
        raise KeyError(f"unknown world {world_name!r}; known: {', '.join(WORLDS)}")
    if users < 1 or history_days < 7 or test_days < 3:
        raise ValueError("need users >= 1, history-days >= 7, test-days >= 3")
    code = list(WORLDS).index(world_name) + 1
    world = WORLDS[world_name](Clock(history_days, test_days), seed, users)
    world.setup(rng_for(seed, world_name, "setup"))
    people, seen = [], set()
    for idx in range(users):
        uid = _uid(world_name, seed, idx)
        while uid in seen:
            uid += "k"
        seen.add(uid)
        people.append(world.make_user(idx, uid, rng_for(seed, world_name, "user", idx)))
    for u in people:
        world.simulate(u, rng_for(seed, world_name, "sim", u.idx))
    episodes = inject(world, people, seed)
    events, labels = build(world, people, seed, code)
    info = {"world": world_name, "seed": seed, "users": users, "episodes": episodes,
            "marks": world.marks(), "start": world.clock.start, "test_start": world.clock.test_start,
            "end": world.clock.end}
    return events, labels, info


def write_jsonl(path: str, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False))
            fh.write("\n")
