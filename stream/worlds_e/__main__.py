"""Command line: python -m stream.worlds_e --list | --world NAME [--seed S --users N ...]."""

from __future__ import annotations

import argparse
import sys

from .gen import generate
from .worlds import WORLDS


def _positive(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_e",
                                 description="Family-E synthetic loan event worlds (contract v1.1).")
    ap.add_argument("--list", action="store_true", help="list the worlds and exit")
    ap.add_argument("--world", choices=sorted(WORLDS), help="world to generate")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=_positive, default=3000)
    ap.add_argument("--history-days", type=_positive, default=45)
    ap.add_argument("--test-days", type=_positive, default=14)
    ap.add_argument("--out", default="events.jsonl")
    ap.add_argument("--labels", default="labels.jsonl")
    args = ap.parse_args(argv)
    if args.list:
        for name, w in WORLDS.items():
            print(f"{name}  {w.desc}")
        return 0
    if not args.world:
        ap.error("--world is required (or use --list)")
    if args.history_days + args.test_days > 730:
        ap.error("history-days + test-days must be at most 730")
    lines, labels, stats = generate(args.world, args.seed, args.users, args.history_days, args.test_days)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))
    with open(args.labels, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(labels) + ("\n" if labels else ""))
    print(f"world={stats['world']} events={stats['events']} users={stats['users']} "
          f"positives={stats['positives']} anomalous_users={stats['anomalous_users']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
