"""CLI: python -m stream.worlds_c --list | --world NAME [--seed S --users U ...]."""
from __future__ import annotations

import argparse
import sys
import time

from .gen import generate, write_jsonl
from .worlds import WORLDS


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_c",
                                 description="Family C of held-out synthetic lender worlds.")
    ap.add_argument("--list", action="store_true", help="list the worlds")
    ap.add_argument("--world")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--history-days", type=int, default=45)
    ap.add_argument("--test-days", type=int, default=14)
    ap.add_argument("--out", default="events.jsonl")
    ap.add_argument("--labels", default="labels.jsonl")
    a = ap.parse_args(argv)
    if a.list:
        for name, w in WORLDS.items():
            print("%s  %s" % (name, w.desc))
        return 0
    if not a.world:
        ap.error("--world is required (or --list)")
    if a.world not in WORLDS:
        ap.error("unknown world %r; choose from: %s" % (a.world, ", ".join(WORLDS)))
    t0 = time.perf_counter()
    events, labels, info = generate(a.world, a.seed, a.users, a.history_days, a.test_days)
    write_jsonl(a.out, events)
    write_jsonl(a.labels, labels)
    dt = time.perf_counter() - t0
    print("worlds_c %s: events=%d users=%d positives=%d anomalous_users=%d seconds=%.1f"
          % (a.world, info["events"], info["users"], info["positives"], info["anomalous_users"], dt),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
