"""Turn events into the wire: outstanding balances, optional and extra fields,
delivery order with late arrivals and duplicate deliveries, event ids, labels."""
import json

from .clock import stamp

_LOAN_KEYS = ("product", "term_days", "credit_limit")


def _renumber(world, user, evs):
    """Give the user's loans their final ids, numbered in time order (loans from
    before the stream first), so ids carry no trace of how they were generated."""
    first = {}
    for e in evs:
        if e.loan_id not in first or e.kind == "loan":
            rank = (1, e.t) if e.kind == "loan" else (0, e.t)
            if e.loan_id not in first or rank < first[e.loan_id]:
                first[e.loan_id] = rank
    n0 = 1 if user.fresh else 1 + (user.idx * 7919) % 6
    final = {k: world.final_loan_id(k, n0 + i)
             for i, k in enumerate(sorted(first, key=lambda k: first[k]))}
    for e in evs:
        e.loan_id = final[e.loan_id]


def _balances(world, user, evs, rng):
    """Write each repayment's outstanding (the user's balance after it)."""
    opened = {e.loan_id for e in evs if e.kind == "loan"}
    old = sum(e.amount for e in evs if e.kind == "repayment" and e.loan_id not in opened)
    bal = old * rng.uniform(1.0, 1.5) + world.opening_balance(user, rng)
    for e in evs:
        if e.kind == "loan":
            bal += e.amount
        else:
            bal = max(0.0, bal - e.amount)
            e.f["outstanding"] = round(bal, 2)


def _number(x):
    if isinstance(x, float) and x == int(x):
        return int(x)
    return round(x, 2) if isinstance(x, float) else x


def _obj(world, ev, rng):
    """The contract-shaped dict of one event (without event_id)."""
    u, f, show = ev.user, ev.f, ev.user.show
    ev.ms = world.stamp_ms(ev, rng)
    o = {"event_type": ev.kind, "user_id": u.uid,
         "ts": stamp(ev.t, ev.zone, ev.ms, world.zulu(ev)),
         "amount": ev.amount}
    if show.get("currency") and rng.random() > 0.03:
        o["currency"] = "CNY"
    o["loan_id"] = ev.loan_id
    if ev.kind == "loan":
        o["product"] = f["product"]
        o["term_days"] = f["term_days"]
        o["credit_limit"] = _number(f["credit_limit"])
        if f["credit_score"] is not None and show.get("credit_score"):
            o["credit_score"] = f["credit_score"]
        o["segment"] = f["segment"]
        if f["purpose"] and show.get("purpose") and rng.random() > 0.03:
            o["purpose"] = f["purpose"]
        o["channel"] = f["channel"]
        if f["device_id"] and show.get("device_id") and rng.random() > 0.01:
            o["device_id"] = f["device_id"]
        if f["merchant_id"] and f["channel"] == "merchant" and show.get("merchant_id"):
            o["merchant_id"] = f["merchant_id"]
    else:
        o["days_late"] = f["days_late"]
        if show.get("outstanding") and "outstanding" in f:
            o["outstanding"] = f["outstanding"]
    extra = dict(ev.x or {})
    more = world.extras(ev, rng)
    if more:
        extra.update(more)
    for k, v in extra.items():
        if k not in o and k != "event_id":
            o[k] = v
    return o


def render(world, users, by_user, clock, rng):
    """(lines, labels, stats) from every user's events."""
    events = []
    anomalous = set()
    for u in users:
        evs = [e for e in by_user[u.idx] if 0 <= e.t < clock.end]
        evs.sort(key=lambda e: e.t)
        _renumber(world, u, evs)
        _balances(world, u, evs, rng)
        if any(e.label for e in evs):
            anomalous.add(u.idx)
        events.extend(evs)
    slots = []
    for n, ev in enumerate(events):
        d = ev.t + world.deliver_lag(ev, rng)
        slots.append((d, len(slots), n))
        if rng.random() < world.p_dup:
            slots.append((d + rng.uniform(2, 900), len(slots), n))
    slots.sort()
    text = [None] * len(events)
    lines, labels = [], []
    stats = {"events": 0, "distinct_events": 0, "duplicates": 0, "positives": 0,
             "test_positives": 0, "population": len(users), "by_scenario": {}}
    seen_users = set()
    for _, _, n in slots:
        if text[n] is None:
            ev = events[n]
            eid = world.event_id(stats["distinct_events"], ev, rng)
            obj = {"event_id": eid}
            obj.update(_obj(world, ev, rng))
            text[n] = json.dumps(obj, separators=world.json_style(ev))
            labels.append(json.dumps({"event_id": eid, "label": ev.label, "scenario": ev.scen,
                                      "user_anomalous": ev.user.idx in anomalous}))
            stats["distinct_events"] += 1
            seen_users.add(ev.user.idx)
            if ev.label:
                stats["positives"] += 1
                stats["test_positives"] += ev.t >= clock.test_start
                stats["by_scenario"][ev.scen] = stats["by_scenario"].get(ev.scen, 0) + 1
        else:
            stats["duplicates"] += 1
        lines.append(text[n])
    stats["events"] = len(lines)
    stats["users"] = len(seen_users)
    stats["anomalous_users"] = len(anomalous)
    stats["by_scenario"] = dict(sorted(stats["by_scenario"].items()))
    return lines, labels, stats
