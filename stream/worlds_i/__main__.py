"""Command line: list the worlds, or write one world's events and labels."""
from __future__ import annotations

import argparse
import sys

from .worlds import WORLDS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m stream.worlds_i",
                                description="Family-I synthetic loan-event worlds.")
    p.add_argument("--list", action="store_true", help="list the worlds and exit")
    p.add_argument("--world", choices=sorted(WORLDS))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--users", type=int, default=3000)
    p.add_argument("--history-days", type=int, default=45)
    p.add_argument("--test-days", type=int, default=14)
    p.add_argument("--out", help="events JSONL to write")
    p.add_argument("--labels", help="labels JSONL to write")
    a = p.parse_args(argv)
    if a.list:
        for name in WORLDS:
            print(f"{name}  {WORLDS[name].description}")
        return 0
    if not a.world or not a.out or not a.labels:
        p.error("--world, --out and --labels are required (or use --list)")
    if a.users < 1 or a.history_days < 1 or a.test_days < 1:
        p.error("--users, --history-days and --test-days must be positive")
    from .generate import generate
    from .writer import write
    ctx = generate(a.world, a.seed, a.users, a.history_days, a.test_days)
    s = write(ctx, a.out, a.labels)
    print(f"world={a.world} events={s['events']} users={s['users']} positives={s['positives']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
