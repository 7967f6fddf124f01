"""Build one world: users -> normal behaviour -> typology episodes -> rendered rows."""
from __future__ import annotations

import json

from . import typologies
from .core import Ledger, Timeline, fmt_ts, rng_for


def render_user(L: Ledger, tl: Timeline, rng):
    """Contract-shaped dicts (without event_id) for one user's in-window events."""
    u = L.user
    evs = sorted((e for e in L.events if tl.start <= e["_t"] < tl.end),
                 key=lambda e: (e["_t"], e["_seq"]))
    # loan ids numbered in disbursal order (episode loans were added later)
    order = sorted(L.loans, key=lambda ln: (not ln.phantom, ln.t, ln.id))
    lid = {id(ln): f"{u.uid}-l{k}" for k, ln in enumerate(order, 1)}
    bal = L.opening
    rows = []
    for e in evs:
        ln, t = e["_loan"], e["_t"]
        is_loan = e["_kind"] == "loan"
        bal = bal + ln.amount if is_loan else bal - e["_principal"]
        d = {"event_type": e["_kind"], "user_id": u.uid, "ts": fmt_ts(t, e["_off"]),
             "amount": ln.amount if is_loan else e["amount"]}
        if rng.random() < u.p_currency:
            d["currency"] = "CNY"
        d["loan_id"] = lid[id(ln)]
        if is_loan:
            d["product"] = ln.product
            d["term_days"] = ln.term
            d["credit_limit"] = u.limit_at(t, ln.product)
            if rng.random() < u.p_score:
                d["credit_score"] = u.score_at(t, tl.start)
            d["segment"] = u.segment
            if e["purpose"] and rng.random() < u.p_purpose:
                d["purpose"] = e["purpose"]
            d["channel"] = e["channel"]
            if e["device"] and rng.random() < u.p_device:
                d["device_id"] = e["device"]
            if e["merchant"] and e["channel"] == "merchant":
                d["merchant_id"] = e["merchant"]
        else:
            d["days_late"] = e["days_late"]
            if rng.random() < u.p_outstanding:
                d["outstanding"] = round(max(0.0, bal), 2)
        rows.append([t, u.idx, e["_seq"], d, e["_label"], e["_scen"], False])
    # a user is anomalous if any of their in-stream events belongs to an episode
    anomalous = any(r[4] == 1 for r in rows)
    for r in rows:
        r[6] = anomalous
    return rows


def generate(world, seed: int, n_users: int, history_days: int, test_days: int):
    """Return (events, labels) lists of dicts, in event-time order."""
    name = world.name
    tl = Timeline(world.anchor, history_days, test_days)
    ctx = world.setup(tl, rng_for(seed, name, "setup"), n_users, seed)
    ledgers = []
    for i in range(n_users):
        u = world.make_user(i, rng_for(seed, name, f"user:{i}"), ctx)
        L = Ledger(u, tl, rng_for(seed, name, f"normal:{i}"))
        world.normal(u, L, ctx)
        ledgers.append(L)
    typologies.inject(world, ledgers, tl, seed, ctx)
    rows = []
    for L in ledgers:
        rows.extend(render_user(L, tl, rng_for(seed, name, f"render:{L.user.idx}")))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    events, labels = [], []
    for n, (_, _, _, d, label, scen, anom) in enumerate(rows, 1):
        eid = f"wj{world.code}-{n:07d}"
        events.append({"event_id": eid, **d})
        labels.append({"event_id": eid, "label": label, "scenario": scen,
                       "user_anomalous": anom})
    return events, labels


def write_jsonl(path: str, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":"), ensure_ascii=True))
            f.write("\n")
