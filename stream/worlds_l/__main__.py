"""python -m stream.worlds_l --list | --world NAME --seed N [--users 3000 --history-days 45 --test-days 14]
                             --out events.jsonl --labels labels.jsonl [--info info.json]"""
from __future__ import annotations

import argparse
import json
import sys
import time

from .generate import (DEFAULT_HISTORY_DAYS, DEFAULT_TEST_DAYS, DEFAULT_USERS, generate, write_jsonl)
from .worlds import WORLDS


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_l",
                                 description="family L synthetic lender streams (loan-events contract v1.1)")
    ap.add_argument("--list", action="store_true", help="list the worlds and exit")
    ap.add_argument("--world")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=DEFAULT_USERS)
    ap.add_argument("--history-days", type=int, default=DEFAULT_HISTORY_DAYS)
    ap.add_argument("--test-days", type=int, default=DEFAULT_TEST_DAYS)
    ap.add_argument("--out", default="events.jsonl")
    ap.add_argument("--labels", default="labels.jsonl")
    ap.add_argument("--info", default=None, help="optional JSON file with calendar, episodes and counts")
    a = ap.parse_args(argv)
    if a.list:
        for name, cls in WORLDS.items():
            print("%s  %s" % (name, cls.description))
        return 0
    if not a.world:
        ap.error("--world is required (or --list)")
    if a.world not in WORLDS:
        print("error: unknown world %r; known worlds: %s" % (a.world, ", ".join(WORLDS)), file=sys.stderr)
        return 2
    if a.users < 1 or a.history_days < 1 or a.test_days < 1:
        print("error: --users, --history-days and --test-days must be >= 1", file=sys.stderr)
        return 2
    t = time.perf_counter()
    events, labels, info = generate(a.world, a.seed, a.users, a.history_days, a.test_days)
    write_jsonl(a.out, events)
    write_jsonl(a.labels, labels)
    if a.info:
        with open(a.info, "w", encoding="utf-8") as f:
            json.dump(info, f, indent=1, sort_keys=False)
            f.write("\n")
    print("%s seed=%d: %d events (%d loans, %d repayments), %d users anomalous (%.1f%%), %.1fs"
          % (a.world, a.seed, info["n_events"], info["n_loans"], info["n_repayments"], info["n_anomalous_users"],
             100 * info["anomalous_user_rate"], time.perf_counter() - t), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
