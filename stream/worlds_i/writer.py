"""Render events to contract JSON lines and the matching label lines.

Events are written in event-time order (ties broken by user and creation
order, so output is byte-for-byte reproducible); event ids are assigned in
that order in the lender's own id style.
"""
from __future__ import annotations

import json

from .ledger import Ctx
from .model import Ev
from .timeline import render

_ENC = json.JSONEncoder(separators=(",", ":"))


def ordered_events(ctx: Ctx) -> list[Ev]:
    evs = [e for u in ctx.users for e in u.events if e.kind != "book" and 0 <= e.t < ctx.end]
    evs.sort(key=lambda e: (e.t, e.ms, e.user.idx, e.seq))
    return evs


def to_record(ev: Ev, event_id: str) -> dict:
    d: dict = {"event_id": event_id, "event_type": ev.kind, "user_id": ev.user.uid,
               "ts": render(ev.t, ev.ms, ev.offset_min, ev.with_ms), "amount": ev.amount}
    if ev.show_currency:
        d["currency"] = "CNY"
    d["loan_id"] = ev.loan_id
    if ev.kind == "loan":
        d["product"] = ev.product
        d["term_days"] = ev.term
        lim = round(ev.limit, 2)
        d["credit_limit"] = int(lim) if lim == int(lim) else lim
        if ev.show_score and ev.score is not None:
            d["credit_score"] = ev.score
        d["segment"] = ev.segment
        if ev.show_purpose and ev.purpose is not None:
            d["purpose"] = ev.purpose
        d["channel"] = ev.channel
        if ev.show_device and ev.device is not None:
            d["device_id"] = ev.device
        if ev.channel == "merchant" and ev.show_merchant and ev.merchant is not None:
            d["merchant_id"] = ev.merchant
    else:
        d["days_late"] = ev.days_late
        if ev.show_outstanding:
            d["outstanding"] = ev.outstanding
    return d


def write(ctx: Ctx, events_path: str, labels_path: str) -> dict:
    evs = ordered_events(ctx)
    users: set[str] = set()
    positives = 0
    ev_lines: list[str] = []
    lb_lines: list[str] = []
    for n, ev in enumerate(evs, 1):
        eid = ctx.world.event_id(n)
        ev_lines.append(_ENC.encode(to_record(ev, eid)))
        # ids and scenario names are plain [A-Za-z0-9_.:-], so no JSON escaping is needed
        lb_lines.append(f'{{"event_id":"{eid}","label":{ev.label},"scenario":"{ev.scenario}",'
                        f'"user_anomalous":{"true" if ev.user.anomalous else "false"}}}')
        users.add(ev.user.uid)
        positives += ev.label
    with open(events_path, "w", encoding="utf-8", newline="\n") as fe:
        fe.write("\n".join(ev_lines) + ("\n" if ev_lines else ""))
    with open(labels_path, "w", encoding="utf-8", newline="\n") as fl:
        fl.write("\n".join(lb_lines) + ("\n" if lb_lines else ""))
    return {"events": len(evs), "users": len(users), "positives": positives}
