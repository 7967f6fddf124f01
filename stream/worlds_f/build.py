"""Run a world: users, episodes, ledger, then contract JSON lines and label lines."""

from __future__ import annotations

import json
from random import Random

from .core import DAY, TsFormat, at, run_ledger
from .lenders import LENDERS
from .typologies import TYPOLOGIES


def _episode(w, u, rng):
    """One risk episode for an anomalous user, in the history or the test window."""
    if rng.random() < w.test_share:
        day = rng.uniform(w.H, max(w.H + 0.5, w.days - 2.5))
    else:
        day = rng.uniform(min(7, w.H * 0.3), max(1, w.H - 2))
    t0 = at(int(day), u.hour(rng))
    k = rng.random()
    bad_p = rng.uniform(0.55, 0.85) if w.strong else rng.uniform(0.04, 0.12)
    return TYPOLOGIES[u.typology](w, u, rng, t0, k, bad_p)


def _user_events(w, u, rng, fmt):
    intents = w.normal(u, rng)
    if u.anomalous:
        intents += _episode(w, u, rng)
    loans, reps = run_ledger(u, intents, w.end, w.raise_policy)
    evs = []
    for t, it, cents, limit, no in loans:
        d = {"event_type": "loan", "user_id": u.uid, "ts": fmt(t), "amount": cents / 100}
        if w.currency:
            d["currency"] = "CNY"
        d.update(loan_id=f"{u.uid}-L{no}", product=it.product, term_days=it.term, credit_limit=limit / 100)
        score = it.score if it.score is not None else u.score_at(t)
        if score is not None:
            d["credit_score"] = int(score)
        d["segment"] = it.segment
        if it.purpose:
            d["purpose"] = it.purpose
        d["channel"] = it.channel
        if it.device:
            d["device_id"] = it.device
        if it.channel == "merchant" and it.merchant:
            d["merchant_id"] = it.merchant
        evs.append((t, 0, no, cents, d, it))
    for t, it, cents, late, no in reps:
        d = {"event_type": "repayment", "user_id": u.uid, "ts": fmt(t), "amount": cents / 100}
        if w.currency:
            d["currency"] = "CNY"
        d.update(loan_id=f"{u.uid}-L{no}", days_late=int(late))
        evs.append((t, 1, no, cents, d, it))
    evs.sort(key=lambda e: (e[0], e[1], e[2]))
    out = 0
    for t, kind, _, cents, d, _ in evs:
        if kind == 0:
            out += cents
        else:
            out -= cents
            if w.outstanding:
                d["outstanding"] = max(0, out) / 100
    return evs


def generate(world: str, seed: int = 1, users: int = 3000, history_days: int = 45, test_days: int = 14):
    """(event lines, label lines, stats) for one world; deterministic in its arguments."""
    w = LENDERS[world](seed, users, history_days, test_days)
    fmt = TsFormat(w.days + 1)
    rows = []
    for idx in range(users):
        rng = Random(f"F|{world}|{seed}|u{idx}")
        u = w.make_user(idx, rng)
        if rng.random() < w.anomalous_share:
            u.anomalous = True
            u.typology = rng.choice(w.typologies)
            if u.typology == "student_overborrowing":
                u.segment = "student"
        for t, kind, no, _, d, it in _user_events(w, u, rng, fmt):
            rows.append((t, idx, kind, no, d, it, u.anomalous))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    lines, labels = [], []
    seen_users, anomalous, positives = set(), set(), 0
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
    for n, (t, idx, kind, no, d, it, anom) in enumerate(rows):
        eid = f"{w.tag}{seed}-e{n:08d}"
        lines.append(dumps({"event_id": eid, **d}))
        labels.append(dumps({"event_id": eid, "label": it.label, "scenario": it.scen, "user_anomalous": anom}))
        positives += it.label
        seen_users.add(idx)
        if anom:
            anomalous.add(idx)
    stats = {"world": world, "events": len(lines), "users": len(seen_users), "positives": positives,
             "anomalous_users": len(anomalous)}
    return lines, labels, stats


__all__ = ["generate", "DAY"]
