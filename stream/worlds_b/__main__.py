"""CLI: python -m stream.worlds_b --list | --world NAME [--seed S --users U ...]"""
import argparse
import sys

from .engine import generate
from .worlds import WORLDS


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_b", description=__doc__)
    ap.add_argument("--list", action="store_true", help="list the worlds and exit")
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
            print(f"{name}  {w['desc']}")
        return 0
    if not a.world:
        ap.error("--world is required (or --list)")
    if a.world not in WORLDS:
        ap.error(f"unknown world {a.world!r}; choose from {', '.join(WORLDS)}")
    if a.users < 1 or a.history_days < 1 or a.test_days < 1:
        ap.error("--users, --history-days and --test-days must be >= 1")
    ev, lb, st = generate(a.world, a.seed, a.users, a.history_days, a.test_days)
    with open(a.out, "wb") as f:
        f.write(ev)
    with open(a.labels, "wb") as f:
        f.write(lb)
    print(f"world={st['world']} events={st['events']} users={st['users']} positives={st['positives']} "
          f"anomalous_users={st['anomalous_users']} seconds={st['seconds']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
