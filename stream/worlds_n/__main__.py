"""Command line: ``python -m stream.worlds_n --list`` or ``--world NAME ... --out F --labels F``."""
from __future__ import annotations

import argparse
import json
import sys
import time

from . import generate, list_worlds


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_n", description=__doc__)
    ap.add_argument("--list", action="store_true", help="list the worlds and exit")
    ap.add_argument("--world")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--history-days", type=int, default=45)
    ap.add_argument("--test-days", type=int, default=14)
    ap.add_argument("--anomaly-share", type=float, default=None,
                    help="override the share of misbehaving users (default: 3-6%% drawn per world)")
    ap.add_argument("--out")
    ap.add_argument("--labels")
    a = ap.parse_args(argv)
    if a.list:
        for name, desc in list_worlds():
            print("%s  %s" % (name, desc))
        return 0
    if not a.world or not a.out or not a.labels:
        ap.error("--world, --out and --labels are required (or use --list)")
    t0 = time.perf_counter()
    events, labels, info = generate(a.world, a.seed, users=a.users, history_days=a.history_days,
                                    test_days=a.test_days, anomaly_share=a.anomaly_share)
    with open(a.out, "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")
    with open(a.labels, "w", encoding="utf-8") as f:
        for lab in labels:
            f.write(json.dumps(lab, separators=(",", ":")))
            f.write("\n")
    summary = {k: info[k] for k in ("world", "seed", "users", "events", "loans", "repayments",
                                    "anomalous_users", "labelled_events", "test_start")}
    summary["users_total"] = info["users_total"]
    summary["episodes"] = info["episodes"]
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(summary, separators=(",", ":")), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
