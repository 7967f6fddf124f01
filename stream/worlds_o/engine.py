"""One run of one world, from seed to contract events and labels."""
from __future__ import annotations

import time

from .behaviour import live
from .clock import START_ISO, Clock
from .desk import Desk
from .output import event_ids, label, record, settle
from .population import build_users
from .seeds import stream
from .typologies import TYPOLOGIES
from .typologies.planner import plan
from .worlds import WORLDS


def generate(world: str, seed: int, users: int = 3000, history_days: int = 45, test_days: int = 14,
             anomaly_share: float | None = None) -> tuple[list[dict], list[dict], dict]:
    """Events (contract dicts, in time order), aligned labels, and a summary."""
    began = time.perf_counter()
    if world not in WORLDS:
        raise KeyError(f"unknown world {world!r}; known: {', '.join(WORLDS)}")
    clock = Clock(history_days, test_days)
    lender = WORLDS[world](clock, seed)
    people = build_users(lender.spec, users, seed)
    lender.customise(people)
    if anomaly_share is None:
        anomaly_share = stream(seed, world, "share").uniform(0.03, 0.06)
    episodes = plan(lender, people, anomaly_share, seed)
    desk = Desk(lender.spec, clock)
    for person in people:
        live(lender, desk, person)
    for ep in episodes:
        TYPOLOGIES[ep.typology].run(ep, lender, desk)
    lender.apply_change(people, desk)

    emitted = settle(people, clock)
    for ev in emitted:
        if ev.label:
            ev.loan.user.anomalous = True
    ids = event_ids(lender.spec.code, seed, len(emitted))
    events = [record(ev, i, clock, lender.spec) for ev, i in zip(emitted, ids)]
    labels = [label(ev, i) for ev, i in zip(emitted, ids)]
    loans = sum(1 for ev in emitted if ev.kind == "loan")
    info = {
        "world": world,
        "seed": seed,
        "users": users,
        "events": len(events),
        "loans": loans,
        "repayments": len(events) - loans,
        "anomalous_users": sum(1 for p in people if p.anomalous),
        "labelled_events": sum(ev.label for ev in emitted),
        "seconds": round(time.perf_counter() - began, 3),
        "start": START_ISO,
        "history_days": history_days,
        "test_days": test_days,
        "anomaly_share": round(anomaly_share, 4),
        "change": lender.change,
        "episodes": [
            {"typology": ep.typology, "users": [u.uid for u in ep.users], "intensity": round(ep.intensity, 3),
             "in_history": ep.in_history, "start": clock.stamp(min(ep.start, clock.end - 1))}
            for ep in episodes
        ],
    }
    return events, labels, info
