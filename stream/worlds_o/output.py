"""From ledgers to contract events: settle balances, name loans, order, serialise.

Balances are recomputed here from every booked event (including the hidden
pre-stream ones), after all rescheduling, so `outstanding` is always consistent with
what was emitted before it.  A repayment that would overpay its loan (possible when a
late payment is pushed past a settlement) is trimmed or dropped.
"""
from __future__ import annotations

import json
from typing import Iterable

from .clock import DAY, Clock
from .model import Event, Loan, User
from .spec import WorldSpec


def settle(users: list[User], clock: Clock) -> list[Event]:
    """In-window events of all users in emission order, balances filled in."""
    out: list[Event] = []
    for user in users:
        book = user.book
        left = {loan: loan.principal for loan in book.loans}
        balance = 0
        for ev in book.ordered():
            if ev.kind == "repayment":
                owed = left[ev.loan]
                if owed <= 0:
                    continue
                paid = min(-ev.delta, owed)
                ev.amount -= -ev.delta - paid
                ev.delta = -paid
                left[ev.loan] = owed - paid
            balance += ev.delta
            ev.outstanding = max(0, balance)
            if 0 <= ev.t < clock.end:
                out.append(ev)
        for k, loan in enumerate(sorted(book.loans, key=opening_order), 1):
            loan.loan_id = f"{user.uid}-{k:03d}"
    out.sort(key=lambda e: (e.t, e.loan.user.idx, e.seq))
    return out


def opening_order(loan: Loan) -> tuple[int, int]:
    return loan.open_t, loan.opening.seq if loan.opening else 0


def record(ev: Event, event_id: str, clock: Clock, spec: WorldSpec) -> dict:
    """One contract event (field order as in the contract)."""
    loan = ev.loan
    user = loan.user
    rec: dict = {
        "event_id": event_id,
        "event_type": ev.kind,
        "user_id": user.uid,
        "ts": clock.stamp(ev.t),
        "amount": ev.amount / 100,
    }
    if spec.currency == "always" or (spec.currency == "loans" and ev.kind == "loan"):
        rec["currency"] = "CNY"
    rec["loan_id"] = loan.loan_id
    if ev.kind == "loan":
        rec["product"] = loan.product
        rec["term_days"] = loan.term_days
        rec["credit_limit"] = user.book.limit_at(ev.t) / 100
        if ev.score is not None:
            rec["credit_score"] = ev.score
        rec["segment"] = user.segment
        if ev.purpose is not None:
            rec["purpose"] = ev.purpose
        rec["channel"] = ev.channel
        if ev.device is not None:
            rec["device_id"] = ev.device
        if ev.merchant is not None and ev.channel == "merchant":
            rec["merchant_id"] = ev.merchant
    else:
        rec["days_late"] = max(0, ev.t // DAY - ev.due_day)
        if spec.outstanding:
            rec["outstanding"] = ev.outstanding / 100
    return rec


def label(ev: Event, event_id: str) -> dict:
    return {"event_id": event_id, "label": ev.label, "scenario": ev.scenario,
            "user_anomalous": ev.loan.user.anomalous}


def event_ids(code: str, seed: int, n: int) -> list[str]:
    return [f"{code}.{seed % 1_000_000_000}.{i:07d}" for i in range(1, n + 1)]


def write_jsonl(path: str, rows: Iterable[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False))
            fh.write("\n")
