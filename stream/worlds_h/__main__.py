"""Command line: ``python -m stream.worlds_h --list`` or ``--world NAME ... --out F --labels F``.

Why: the held-out data is produced by a command, so any checkout can
regenerate exactly the same files from (world, seed, users, days).
"""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from .generate import generate
from .worlds import WORLDS


def _write(path: str, lines: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_h",
                                 description="Family-H synthetic lenders: loan events plus ground-truth labels.")
    ap.add_argument("--list", action="store_true", help="list the worlds and exit")
    ap.add_argument("--world", help="world name (see --list)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--history-days", type=int, default=45)
    ap.add_argument("--test-days", type=int, default=14)
    ap.add_argument("--out", help="events JSONL path")
    ap.add_argument("--labels", help="labels JSONL path")
    args = ap.parse_args(argv)
    if args.list:
        for spec in WORLDS.values():
            print(f"{spec.name}  {spec.description}")
        return 0
    if not args.world or not args.out or not args.labels:
        ap.error("--world, --out and --labels are required (or use --list)")
    if args.world not in WORLDS:
        ap.error(f"unknown world {args.world!r}; choose from: {', '.join(WORLDS)}")
    if args.users < 1 or args.history_days < 1 or args.test_days < 1:
        ap.error("--users, --history-days and --test-days must be >= 1")
    res = generate(args.world, args.seed, args.users, args.history_days, args.test_days)
    _write(args.out, res.event_lines)
    _write(args.labels, res.label_lines)
    print(f"world={res.world} events={len(res.event_lines)} users={res.users} positives={res.positives}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
