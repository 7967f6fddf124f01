"""Turn the users' books into contract events and aligned label rows."""
from __future__ import annotations

import hashlib

from .clock import DAY, fmt_ts
from .model import NORMAL


def _num(x: float):
    x = round(float(x), 2)
    return int(x) if x == int(x) else x


def _loan_ids(world_name: str, seed: int):
    seen: dict = {}
    used: set = set()

    def get(key: int) -> str:
        if key not in seen:
            h = hashlib.blake2b(f"{world_name}|{seed}|{key}".encode(), digest_size=7).hexdigest()
            lid = "ln-" + h
            while lid in used:
                lid += "x"
            used.add(lid)
            seen[key] = lid
        return seen[key]
    return get


def build(world, users, seed: int, code: int):
    """Events sorted by time with unique ids; labels line by line in the same order."""
    c = world.clock
    rows = []
    for u in users:
        items = []
        for ln in u.loans:
            if not c.inside(ln.t):
                continue
            items.append((ln.t, 0, ln.key, ln))
            for p in ln.pays:
                if c.inside(p.t) and p.t > ln.t:
                    items.append((p.t, 1, ln.key, p))
        items.sort(key=lambda x: (x[0], x[1], x[2]))
        left: dict = {}
        total = 0.0
        for seq, (t, kind, key, obj) in enumerate(items):
            if kind == 0:
                left[key] = obj.amount
                total = round(total + obj.amount, 2)
                rows.append((t, u.idx, seq, obj, None, None))
            else:
                amt = round(min(obj.amount, left[key]), 2)
                if amt < 0.01:
                    continue
                left[key] = round(left[key] - amt, 2)
                total = round(total - amt, 2)
                rows.append((t, u.idx, seq, obj, amt, max(total, 0.0)))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    loan_id = _loan_ids(world.name, seed)
    cur_mode, out_mode = world.currency_mode, world.outstanding_mode
    events, tags = [], []
    for i, (t, _, _, obj, amt, outstanding) in enumerate(rows):
        eid = f"ek{code}-{seed}-{i:07d}"
        if amt is None:
            ln, u = obj, obj.user
            ev = {"event_id": eid, "event_type": "loan", "user_id": u.uid, "ts": fmt_ts(t),
                  "amount": _num(ln.amount)}
            if cur_mode == "always" or (cur_mode == "user" and u.flags.get("currency")):
                ev["currency"] = "CNY"
            ev.update({"loan_id": loan_id(ln.key), "product": ln.product, "term_days": ln.term,
                       "credit_limit": _num(ln.limit)})
            if ln.score is not None:
                ev["credit_score"] = ln.score
            ev["segment"] = u.segment
            if ln.purpose is not None:
                ev["purpose"] = ln.purpose
            ev["channel"] = ln.channel
            if ln.device is not None:
                ev["device_id"] = ln.device
            if ln.merchant is not None:
                ev["merchant_id"] = ln.merchant
            tag = ln.tag
        else:
            p, ln = obj, obj.loan
            u = ln.user
            ev = {"event_id": eid, "event_type": "repayment", "user_id": u.uid, "ts": fmt_ts(t),
                  "amount": _num(amt)}
            if cur_mode == "always" or (cur_mode == "user" and u.flags.get("currency")):
                ev["currency"] = "CNY"
            ev["loan_id"] = loan_id(ln.key)
            ev["days_late"] = max(0, (t - ln.due) // DAY)
            if out_mode == "always" or (out_mode == "user" and u.flags.get("outstanding")):
                ev["outstanding"] = _num(outstanding)
            tag = p.tag
        events.append(ev)
        tags.append(tag)
    flagged = {ev["user_id"] for ev, tag in zip(events, tags) if tag != NORMAL}
    labels = [{"event_id": ev["event_id"], "label": int(tag != NORMAL),
               "scenario": tag if tag != NORMAL else "normal",
               "user_anomalous": ev["user_id"] in flagged} for ev, tag in zip(events, tags)]
    return events, labels
