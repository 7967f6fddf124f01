"""Command line: python -m stream.worlds_d --list | --world NAME [options]."""
from __future__ import annotations

import argparse
import sys

from .gen import generate
from .worlds import WORLDS


def _pos_int(lo):
    def conv(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {s!r}")
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}: {v}")
        return v
    return conv


def build_parser():
    p = argparse.ArgumentParser(prog="python -m stream.worlds_d",
                                description="Synthetic lender worlds (labelled loan-event streams).")
    p.add_argument("--list", action="store_true", help="list the worlds and exit")
    p.add_argument("--world", choices=sorted(WORLDS), help="world to generate")
    p.add_argument("--seed", type=_pos_int(0), default=1)
    p.add_argument("--users", type=_pos_int(1), default=3000)
    p.add_argument("--history-days", type=_pos_int(1), default=45)
    p.add_argument("--test-days", type=_pos_int(1), default=14)
    p.add_argument("--out", default="events.jsonl")
    p.add_argument("--labels", default="labels.jsonl")
    return p


def main(argv=None):
    parser = build_parser()
    a = parser.parse_args(argv)
    if a.list:
        for name, cls in WORLDS.items():
            print(f"{name}  {cls.desc}")
        return 0
    if not a.world:
        parser.error("--world is required (or use --list)")
    if a.users > 1_000_000:
        parser.error("--users too large")
    if a.history_days + a.test_days > 3000:
        parser.error("--history-days + --test-days too large")
    lines, labels, st = generate(a.world, a.seed, a.users, a.history_days, a.test_days)
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))
    with open(a.labels, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(labels) + ("\n" if labels else ""))
    print(f"world={st['world']} events={st['events']} users={st['users']} positives={st['positives']} "
          f"anomalous_users={st['anomalous_users']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
