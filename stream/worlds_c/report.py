"""Owner-facing summary of the worlds: sizes, typology coverage and outcome realism.

python -m stream.worlds_c.report [--users 3000 --history-days 45 --test-days 14 --seed 1] [--world NAME]
Everything here is computed from the emitted events and labels only.
"""
from __future__ import annotations

import argparse
import time
from datetime import date

from .core import schedule
from .gen import generate
from .worlds import WORLDS

START = date(2026, 1, 5)


def day_of(ts):
    return (date(int(ts[0:4]), int(ts[5:7]), int(ts[8:10])) - START).days


def outcomes(events, n_days, horizon=15):
    """Per-loan outcome: None (not yet observable) / False (good) / True (bad)."""
    loans, paid_by, late_by = {}, {}, {}
    for e in events:
        if e["event_type"] == "loan":
            loans[e["loan_id"]] = e
        else:
            lid = e["loan_id"]
            paid_by[lid] = paid_by.get(lid, 0) + round(e["amount"] * 100)
            late_by[lid] = max(late_by.get(lid, 0), e["days_late"])
    res = {}
    for lid, e in loans.items():
        dues, cum = schedule(round(e["amount"] * 100), e["product"], e["term_days"], day_of(e["ts"]))
        paid = paid_by.get(lid, 0)
        bad = late_by.get(lid, 0) >= horizon
        observable = bad
        for d, c in zip(dues, cum):
            if d <= n_days - horizon:
                observable = True
                if paid < c:
                    bad = True
        res[lid] = (e["user_id"], bad if observable else None)
    return res


def summarize(world, users, H, T, seed):
    t0 = time.perf_counter()
    events, labels, info = generate(world, seed, users, H, T)
    secs = time.perf_counter() - t0
    test_start = H
    anom_users, test_users = set(), {}
    for e, l in zip(events, labels):
        if l["user_anomalous"]:
            anom_users.add(e["user_id"])
        if l["label"] and day_of(e["ts"]) >= test_start:
            test_users.setdefault(l["scenario"], set()).add(e["user_id"])
    oc = outcomes(events, H + T)
    typ_loans = {}
    for e, l in zip(events, labels):
        if l["label"] and e["event_type"] == "loan":
            bad = oc[e["loan_id"]][1]
            if bad is not None:
                c = typ_loans.setdefault(l["scenario"], [0, 0])
                c[0] += bad
                c[1] += 1
    ub = {}
    n_ord_loans = n_ord_bad = 0
    for lid, (uid, bad) in oc.items():
        if bad is None:
            continue
        ub[uid] = ub.get(uid, False) or bad
        if uid not in anom_users:
            n_ord_loans += 1
            n_ord_bad += bad
    a = [v for u, v in ub.items() if u in anom_users]
    o = [v for u, v in ub.items() if u not in anom_users]
    return {"world": world, "events": info["events"], "positives": info["positives"],
            "anomalous_users": info["anomalous_users"], "seconds": secs,
            "loans": sum(1 for e in events if e["event_type"] == "loan"),
            "test_users": {k: len(v) for k, v in sorted(test_users.items())},
            "bad_anom": (sum(a), len(a)), "bad_ord": (sum(o), len(o)),
            "ord_loan_default": n_ord_bad / max(1, n_ord_loans), "typ_loans": typ_loans}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--world")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--history-days", type=int, default=45)
    ap.add_argument("--test-days", type=int, default=14)
    a = ap.parse_args(argv)
    for w in ([a.world] if a.world else list(WORLDS)):
        s = summarize(w, a.users, a.history_days, a.test_days, a.seed)
        ba, bo = s["bad_anom"], s["bad_ord"]
        print("%-21s events=%6d loans=%6d positives=%5d anomalous_users=%4d (%.1f%%) seconds=%.1f"
              % (w, s["events"], s["loans"], s["positives"], s["anomalous_users"],
                 100 * s["anomalous_users"] / a.users, s["seconds"]))
        print("    bad users: anomalous %d/%d = %.0f%%   ordinary %d/%d = %.1f%%   ordinary per-loan bad %.2f%%"
              % (ba[0], ba[1], 100 * ba[0] / max(1, ba[1]), bo[0], bo[1], 100 * bo[0] / max(1, bo[1]),
                 100 * s["ord_loan_default"]))
        print("    test-window users per typology: " + ", ".join("%s=%d" % kv for kv in s["test_users"].items()))
        print("    bad share of observable label-1 loans: " + ", ".join(
            "%s=%d/%d" % (k, v[0], v[1]) for k, v in sorted(s["typ_loans"].items())))


if __name__ == "__main__":
    main()
