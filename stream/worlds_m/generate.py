"""Entry point: generate(world, seed, users, history_days, test_days) -> (events, labels, info)."""
import json

from .base import DAY, iso
from .worlds import WORLDS


def list_worlds():
    return [(n, c.desc) for n, c in WORLDS.items()]


def generate(world, seed, users=3000, history_days=45, test_days=14):
    if world not in WORLDS:
        raise KeyError("unknown world %r (known: %s)" % (world, ", ".join(WORLDS)))
    if users < 1 or history_days < 1 or test_days < 1:
        raise ValueError("users, history_days and test_days must be positive")
    w = WORLDS[world](int(seed), int(users), int(history_days), int(test_days))
    events, labels = w.run()
    anom = sorted({u.id for u in w.users if u.anom})
    info = {"world": world, "seed": seed, "users": users, "history_days": history_days,
            "test_days": test_days, "start": iso(0), "test_start": iso(history_days * DAY),
            "end": iso(w.end), "events": len(events), "anomalous_users": len(anom),
            "anomalous_user_rate": round(len(anom) / users, 4),
            "labelled_events": sum(lb["label"] for lb in labels),
            "markers": {k: getattr(w, k) for k in ("G", "S", "E", "O", "C", "P0", "P1", "R", "G0", "G1")
                        if hasattr(w, k)}}
    return events, labels, info


def dump(rows, path):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
