"""The lender's producer: from internal records to contract messages and their labels.

Why: this is the only place that knows field names, the order a producer
writes them in, which optional fields it fills on this message, and the
unknown extra fields it adds. Labels are written alongside, one per event.
"""
from __future__ import annotations

from random import Random

from . import ids
from .context import Ctx
from .profiles import Profile
from .records import LOAN, Rec
from .timebase import format_ts


def to_message(rec: Rec, prof: Profile, event_id: str, ctx: Ctx, rng: Random) -> dict:
    spec = ctx.spec
    pres = spec.presence
    key = rec.channel if rec.kind == LOAN else "repayment"
    msg: dict = {
        "event_id": event_id,
        "event_type": rec.kind,
        "user_id": prof.user_id,
        "ts": format_ts(rec.t, ctx.ts_style(key)),
        "amount": rec.amount,
    }
    if pres.currency and rng.random() < pres.currency:
        msg["currency"] = "CNY"
    msg["loan_id"] = rec.loan_id
    if rec.kind == LOAN:
        msg["product"] = rec.product
        msg["term_days"] = rec.term_days
        msg["credit_limit"] = rec.limit
        if rec.score is not None:
            msg["credit_score"] = rec.score
        msg["segment"] = prof.segment
        if rec.purpose is not None:
            msg["purpose"] = rec.purpose
        msg["channel"] = rec.channel
        if rec.device is not None:
            msg["device_id"] = rec.device
        if rec.merchant is not None:
            msg["merchant_id"] = rec.merchant
    else:
        msg["days_late"] = rec.days_late
        if pres.outstanding and rng.random() < pres.outstanding:
            msg["outstanding"] = rec.outstanding
    if spec.extras is not None:
        extra = spec.extras(rec, prof, rng)
        if extra:
            for k, v in extra.items():
                msg.setdefault(k, v)
    return msg


def label_for(rec: Rec, prof: Profile, event_id: str) -> dict:
    return {"event_id": event_id, "label": int(rec.label), "scenario": rec.scenario if rec.label else "normal",
            "user_anomalous": bool(prof.anomalous)}


def make_event_id(ctx: Ctx, n: int, rng: Random) -> str:
    return ids.event_id(ctx.spec.id_styles["event"], ctx.spec.code, n, rng)
