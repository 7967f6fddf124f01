import argparse
import json
import sys
import time

from .generate import dump, generate, list_worlds
from .worlds import WORLDS


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_m", description=__doc__)
    ap.add_argument("--list", action="store_true", help="list the worlds")
    ap.add_argument("--world", choices=sorted(WORLDS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--history-days", type=int, default=45)
    ap.add_argument("--test-days", type=int, default=14)
    ap.add_argument("--out", default="events.jsonl")
    ap.add_argument("--labels", default="labels.jsonl")
    a = ap.parse_args(argv)
    if a.list:
        for name, desc in list_worlds():
            print("%s  %s" % (name, desc))
        return 0
    if not a.world:
        ap.error("--world is required (or --list)")
    t0 = time.time()
    events, labels, info = generate(a.world, a.seed, a.users, a.history_days, a.test_days)
    dump(events, a.out)
    dump(labels, a.labels)
    info["seconds"] = round(time.time() - t0, 2)
    print(json.dumps(info), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
