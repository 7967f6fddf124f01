"""The finishing pass: per user, apply the lender's stamping quirks, then walk
the user's events in time order to fill the credit limit in force at each
loan and the running outstanding balance after each repayment, and decide
which optional fields are sent.

Doing this last, and identically for normal and injected events, keeps
derived fields consistent no matter which generator created an event.
"""
from __future__ import annotations

import random

from .ledger import Ctx
from .model import User


def decline_over_limit(ctx: Ctx, u: User, rng: random.Random) -> None:
    """The lender refuses most ordinary draws that would take the balance past the limit.

    Worlds generate ordinary behaviour product by product, without a running
    balance; this replays the user's life in time order and removes a
    refused draw together with its repayments.  Typology loans are never
    refused: getting past the limit is part of several typologies.
    """
    evs = sorted(u.events, key=lambda e: (e.t, e.seq))
    refused: set[str] = set()
    bal = 0.0
    for ev in evs:
        if ev.kind == "book":
            bal += ev.amount
        elif ev.kind == "repayment":
            if ev.loan_id not in refused:
                bal = max(0.0, bal - ev.principal)
        elif not ev.protected and bal + ev.amount > ctx.limit_at(u, ev.t) + 0.005 \
                and rng.random() > ctx.world.overdraft_p:
            refused.add(ev.loan_id)
        else:
            bal += ev.amount
    if refused:
        u.events = [e for e in u.events if e.loan_id not in refused]


def finish(ctx: Ctx) -> None:
    w = ctx.world
    for u in ctx.users:
        if not u.events:
            continue
        rng = ctx.rng("finish", u.idx)
        decline_over_limit(ctx, u, rng)
        loans = {}
        for ev in u.events:
            if ev.kind != "book":
                w.stamp(ev, rng)
            if ev.kind != "repayment":
                loans[ev.loan_id] = ev
        for ev in u.events:          # a repayment never precedes its loan
            if ev.kind == "repayment":
                lo = loans.get(ev.loan_id)
                if lo is not None and lo.kind == "loan" and ev.t <= lo.t:
                    ev.t = lo.t + 60
        u.events.sort(key=lambda e: (e.t, e.ms, e.seq))
        bal = 0.0
        for ev in u.events:
            if ev.kind == "book":
                bal += ev.amount
                continue
            if ev.kind == "loan":
                bal += ev.amount
                ev.limit = ctx.limit_at(u, ev.t)
            else:
                bal = max(0.0, bal - ev.principal)
                ev.outstanding = round(bal, 2)
            w.presence(ev, rng)
