"""Command line: list the worlds, or generate one into EVENTS.jsonl and LABELS.jsonl.

python -m stream.worlds_o --list
python -m stream.worlds_o --world NAME --seed S --users N --history-days H --test-days T \
    --out EVENTS.jsonl --labels LABELS.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from . import generate, list_worlds
from .output import write_jsonl

SUMMARY_KEYS = ("world", "seed", "users", "events", "loans", "repayments", "anomalous_users",
                "labelled_events", "seconds")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stream.worlds_o", description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the worlds and exit")
    parser.add_argument("--world", choices=[name for name, _ in list_worlds()])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--history-days", type=int, default=45)
    parser.add_argument("--test-days", type=int, default=14)
    parser.add_argument("--out", help="events file (JSONL)")
    parser.add_argument("--labels", help="labels file (JSONL)")
    args = parser.parse_args(argv)
    if not args.list:
        missing = [flag for flag, value in (("--world", args.world), ("--out", args.out), ("--labels", args.labels))
                   if not value]
        if missing:
            parser.error(f"the following arguments are required: {', '.join(missing)}")
        if args.users < 1 or args.history_days < 1 or args.test_days < 1:
            parser.error("--users, --history-days and --test-days must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.list:
        for name, description in list_worlds():
            print(f"{name}  {description}")
        return 0
    began = time.perf_counter()
    events, labels, info = generate(args.world, args.seed, users=args.users, history_days=args.history_days,
                                    test_days=args.test_days)
    write_jsonl(args.out, events)
    write_jsonl(args.labels, labels)
    info["seconds"] = round(time.perf_counter() - began, 3)
    print(json.dumps({key: info[key] for key in SUMMARY_KEYS}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
