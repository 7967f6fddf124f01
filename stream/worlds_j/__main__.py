"""Command line: ``python -m stream.worlds_j``."""
from __future__ import annotations

import argparse
import sys

from .generate import generate, write_jsonl
from .worlds import WORLDS


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_j",
                                 description="Synthetic loan-event worlds (family j).")
    ap.add_argument("--list", action="store_true", help="list the worlds and exit")
    ap.add_argument("--world", choices=list(WORLDS), metavar="NAME")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--history-days", type=int, default=45)
    ap.add_argument("--test-days", type=int, default=14)
    ap.add_argument("--out", metavar="EVENTS.jsonl")
    ap.add_argument("--labels", metavar="LABELS.jsonl")
    args = ap.parse_args(argv)
    if args.list:
        for name, cls in WORLDS.items():
            print(f"{name}  {cls.description}")
        return 0
    missing = [f"--{k}" for k in ("world", "out", "labels") if getattr(args, k) is None]
    if missing:
        ap.error("the following arguments are required: " + ", ".join(missing))
    if args.users < 1 or args.history_days < 1 or args.test_days < 1:
        ap.error("--users, --history-days and --test-days must be positive")
    world = WORLDS[args.world]()
    events, labels = generate(world, args.seed, args.users, args.history_days, args.test_days)
    write_jsonl(args.out, events)
    write_jsonl(args.labels, labels)
    users = len({e["user_id"] for e in events})
    positives = sum(lab["label"] for lab in labels)
    print(f"world={args.world} events={len(events)} users={users} positives={positives}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
