"""Descriptive report on a generated stream (for the owner, not used by the generator).

Bad outcome of a loan: a repayment 15+ days late, or, at some due date (the bullet due
date, or an instalment due date) less than half of what was due by then repaid 15 days
after it.  Loans with no due date + 15 days inside the stream are not evaluated.

python -m stream.worlds_b.report events.jsonl labels.jsonl --history-days 45 --test-days 14
"""
import argparse
import sys
from collections import Counter, defaultdict
from datetime import datetime

import orjson

from .engine import DAY, START, schedule, split


def _ts(s):
    return int((datetime.fromisoformat(s) - START).total_seconds())


def analyse(events_path, labels_path, history_days, test_days):
    HS, END = history_days * DAY, (history_days + test_days) * DAY
    loans, user_anom = {}, {}
    pays = defaultdict(list)
    typ_test, typ_all = defaultdict(set), defaultdict(set)
    loans_per_day = Counter()
    with open(events_path, "rb") as fe, open(labels_path, "rb") as fl:
        for le, ll in zip(fe, fl):
            e, lb = orjson.loads(le), orjson.loads(ll)
            t = _ts(e["ts"])
            u = e["user_id"]
            user_anom[u] = lb["user_anomalous"]
            if lb["label"]:
                typ_all[lb["scenario"]].add(u)
                if t >= HS:
                    typ_test[lb["scenario"]].add(u)
            if e["event_type"] == "loan":
                loans[e["loan_id"]] = (u, t, e["product"], e["term_days"], round(e["amount"] * 100))
                loans_per_day[t // DAY] += 1
            else:
                pays[e["loan_id"]].append((t, round(e["amount"] * 100), e["days_late"]))
    bad = {True: [0, 0], False: [0, 0]}
    for lid, (u, t, product, term, amt) in loans.items():
        ps = pays.get(lid, [])
        late = any(dl >= 15 for _, _, dl in ps)
        dues = schedule(product, term)
        cum, is_bad, evaluable = 0, late, late
        for d, a in zip(dues, split(amt, len(dues))):
            cum += a
            horizon = t + d + 15 * DAY
            if horizon > END:
                break  # not yet evaluable
            evaluable = True
            if sum(x for pt, x, _ in ps if pt <= horizon) * 2 < cum:
                is_bad = True
        if not evaluable:
            continue
        b = bad[user_anom[u]]
        b[0] += is_bad
        b[1] += 1
    days = sorted(loans_per_day)
    med = sorted(loans_per_day.values())[len(days) // 2] if days else 0
    peak = max(days, key=lambda d: loans_per_day[d]) if days else None
    return {
        "bad_anomalous": bad[True], "bad_ordinary": bad[False],
        "typ_test_users": {k: len(v) for k, v in sorted(typ_test.items())},
        "typ_all_users": {k: len(v) for k, v in sorted(typ_all.items())},
        "peak_day": peak, "peak_loans": loans_per_day.get(peak, 0), "median_day_loans": med,
    }


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("events")
    ap.add_argument("labels")
    ap.add_argument("--history-days", type=int, default=45)
    ap.add_argument("--test-days", type=int, default=14)
    a = ap.parse_args(argv)
    r = analyse(a.events, a.labels, a.history_days, a.test_days)
    ba, bo = r["bad_anomalous"], r["bad_ordinary"]
    print(f"bad share anomalous {ba[0]}/{ba[1]} = {ba[0] / max(1, ba[1]):.3f}; "
          f"ordinary {bo[0]}/{bo[1]} = {bo[0] / max(1, bo[1]):.3f}")
    print("typology users in test window:", r["typ_test_users"])
    print(f"peak day {r['peak_day']} loans {r['peak_loans']} (median day {r['median_day_loans']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
