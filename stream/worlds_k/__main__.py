"""CLI: python -m stream.worlds_k --list | --world NAME --seed N --out E.jsonl --labels L.jsonl"""
from __future__ import annotations

import argparse
import sys
import time

from .generate import generate, write_jsonl
from .registry import WORLDS


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stream.worlds_k",
                                 description="Family K synthetic lender worlds (loan-events contract v1.1).")
    ap.add_argument("--list", action="store_true", help="list the worlds and exit")
    ap.add_argument("--world")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--history-days", type=int, default=45)
    ap.add_argument("--test-days", type=int, default=14)
    ap.add_argument("--out")
    ap.add_argument("--labels")
    a = ap.parse_args(argv)
    if a.list:
        for name, cls in WORLDS.items():
            print(f"{name}  {cls.description}")
        return 0
    missing = [f for f, v in (("--world", a.world), ("--seed", a.seed), ("--out", a.out), ("--labels", a.labels))
               if v is None]
    if missing:
        ap.error("missing " + ", ".join(missing))
    if a.world not in WORLDS:
        ap.error(f"unknown world {a.world!r}; use --list")
    if a.seed < 0:
        ap.error("--seed must be >= 0")
    try:
        t = time.perf_counter()
        events, labels, info = generate(a.world, a.seed, a.users, a.history_days, a.test_days)
    except ValueError as e:
        ap.error(str(e))
    write_jsonl(a.out, events)
    write_jsonl(a.labels, labels)
    n_anom = len({ev["user_id"] for ev, lb in zip(events, labels) if lb["user_anomalous"]})
    n_lab = sum(lb["label"] for lb in labels)
    print(f"{a.world} seed={a.seed}: {len(events)} events, {n_lab} labelled, "
          f"{n_anom} anomalous users of {a.users}, {time.perf_counter() - t:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
