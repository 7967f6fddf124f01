"""Command line: python -m stream.worlds_f --list | --world NAME [options]."""

from __future__ import annotations

import argparse
import sys

from . import WORLDS, generate


def _positive(s: str) -> int:
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return v


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_f", description=__doc__)
    ap.add_argument("--list", action="store_true", help="list the worlds")
    ap.add_argument("--world", choices=sorted(WORLDS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=_positive, default=3000)
    ap.add_argument("--history-days", type=_positive, default=45)
    ap.add_argument("--test-days", type=_positive, default=14)
    ap.add_argument("--out", default="events.jsonl")
    ap.add_argument("--labels", default="labels.jsonl")
    a = ap.parse_args(argv)
    if a.list:
        for name, w in WORLDS.items():
            print(f"{name}  {w.desc}")
        return 0
    if not a.world:
        ap.error("--world is required (or --list)")
    lines, labels, st = generate(a.world, a.seed, a.users, a.history_days, a.test_days)
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(x + "\n" for x in lines))
    with open(a.labels, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(x + "\n" for x in labels))
    print(f"world={a.world} events={st['events']} users={st['users']} positives={st['positives']} "
          f"anomalous_users={st['anomalous_users']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
