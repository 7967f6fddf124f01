"""generate(world, seed, users, history_days, test_days) -> (events, labels, info)"""
from __future__ import annotations

import json

from .core import Ctx, money
from .typologies import TYPOLOGIES, inject
from .worlds import WORLDS

DEFAULT_USERS = 3000
DEFAULT_HISTORY_DAYS = 45
DEFAULT_TEST_DAYS = 14


def _check_args(world, seed, users, history_days, test_days):
    if world not in WORLDS:
        raise ValueError("unknown world %r; known: %s" % (world, ", ".join(WORLDS)))
    for name, v, lo in (("seed", seed, None), ("users", users, 1), ("history_days", history_days, 1),
                        ("test_days", test_days, 1)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError("%s must be an int" % name)
        if lo is not None and v < lo:
            raise ValueError("%s must be >= %d" % (name, lo))
    if history_days + test_days > 3000:
        raise ValueError("stream too long")


def _assemble(w, episodes):
    ctx = w.ctx
    rows = []
    for u in w.users:
        items = []
        for L in u.loans:
            if not 0 <= L.ts < ctx.end:
                continue
            items.append((L.ts, 0, L, None))
            for r in L.reps:
                if L.ts < r.ts < ctx.end:
                    items.append((r.ts, 1, L, r))
        if not items:
            continue
        items.sort(key=lambda it: (it[0], it[1]))
        bal = 0
        for seq, (ts, kind, L, r) in enumerate(items):
            if kind == 0:
                bal += L.amt
            else:
                bal -= r.princ
            if bal < 0:
                raise AssertionError("negative balance")
            rows.append((ts, u.idx, seq, u, L, r, bal))
    rows.sort(key=lambda x: (x[0], x[1], x[2]))
    # a user is anomalous when one of their episodes shows in the stream (has a labelled event)
    flagged = set()
    for ts, uidx, seq, u, L, r, bal in rows:
        if (L.tag if r is None else r.tag):
            flagged.add(uidx)

    events, labels = [], []
    n_loans = 0
    ep_first = {}
    for i, (ts, _, _, u, L, r, bal) in enumerate(rows):
        eid = w.event_fmt % (i + 1)
        if r is None:
            n_loans += 1
            L.loan_id = w.loan_fmt % n_loans
            ev = {"event_id": eid, "event_type": "loan", "user_id": u.uid, "ts": ctx.fmt(ts),
                  "amount": money(L.amt)}
            if w.explicit_currency:
                ev["currency"] = "CNY"
            ev["loan_id"] = L.loan_id
            ev["product"] = L.product
            ev["term_days"] = L.term
            ev["credit_limit"] = money(w.report_limit(u, L))
            sc = w.report_score(u, L)
            if sc is not None:
                ev["credit_score"] = sc
            ev["segment"] = u.segment
            if L.purpose:
                ev["purpose"] = L.purpose
            ev["channel"] = L.channel
            if L.device:
                ev["device_id"] = L.device
            if L.channel == "merchant" and L.merchant:
                ev["merchant_id"] = L.merchant
            tag, epi = L.tag, L.ep
        else:
            ev = {"event_id": eid, "event_type": "repayment", "user_id": u.uid, "ts": ctx.fmt(ts),
                  "amount": money(r.amt)}
            if w.explicit_currency:
                ev["currency"] = "CNY"
            ev["loan_id"] = L.loan_id
            ev["days_late"] = int(r.late)
            if w.report_outstanding(u, L, r):
                ev["outstanding"] = money(bal)
            tag, epi = r.tag, r.ep
        w.extra_fields(u, L, ev)
        events.append(ev)
        labels.append({"event_id": eid, "label": 1 if tag else 0, "scenario": tag or "normal",
                       "user_anomalous": u.idx in flagged})
        if tag and epi is not None and epi not in ep_first:
            ep_first[epi] = ts
    return events, labels, ep_first, flagged


def generate(world, seed, users=DEFAULT_USERS, history_days=DEFAULT_HISTORY_DAYS, test_days=DEFAULT_TEST_DAYS):
    """Events and aligned labels of one world; a pure function of the arguments."""
    _check_args(world, seed, users, history_days, test_days)
    ctx = Ctx(world, seed, users, history_days, test_days)
    w = WORLDS[world](ctx)
    w.build()
    episodes = inject(w)
    events, labels, ep_first, flagged = _assemble(w, episodes)

    scen = {}
    for lab in labels:
        scen[lab["scenario"]] = scen.get(lab["scenario"], 0) + 1
    anomalous = [u for u in w.users if u.idx in flagged]
    eps = []
    for ep in episodes:
        first = ep_first.get(ep.idx)
        eps.append({
            "episode": ep.idx,
            "typology": ep.typology,
            "intensity": round(ep.x, 3),
            "users": [u.uid for u in ep.users if u.idx in flagged],
            "start": ctx.fmt(first) if first is not None else None,
            "starts_in_history": (first is not None and first < ctx.test_start),
            "detail": ep.detail,
        })
    counts = {}
    for lab in labels:
        if lab["label"]:
            counts[lab["scenario"]] = counts.get(lab["scenario"], 0) + 1
    info = {
        "family": "L",
        "world": world,
        "description": w.description,
        "seed": seed,
        "users": users,
        "history_days": history_days,
        "test_days": test_days,
        "window_start": ctx.fmt(0),
        "test_start": ctx.fmt(ctx.test_start),
        "window_end": ctx.fmt(ctx.end),
        "calendar": w.calendar,
        "n_events": len(events),
        "n_loans": sum(1 for e in events if e["event_type"] == "loan"),
        "n_repayments": sum(1 for e in events if e["event_type"] == "repayment"),
        "n_active_users": len({e["user_id"] for e in events}),
        "n_anomalous_users": len(anomalous),
        "anomalous_user_rate": round(len(anomalous) / users, 4),
        "typologies": list(TYPOLOGIES),
        "scenario_event_counts": dict(sorted(scen.items())),
        "label1_event_counts": dict(sorted(counts.items())),
        "episodes": eps,
    }
    return events, labels, info


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(dumps(row))
            f.write("\n")
