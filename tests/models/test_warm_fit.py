"""The readers learn "normal" on the warm part of the history (models.train.WARM_DAYS), not on
its first weeks, whose rolling windows are still filling."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from models.train import train
from models.training_rows import WARM_DAYS
from stream.core.contract import Event, parse_document
from stream.core.pipeline import featurize

T0 = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=8)))
USERS, DAYS, EVERY = 120, 60, 3.0


def _history(seed: int = 3) -> list[Event]:
    return [parse_document(d) for d in history_docs(seed)]


def history_docs(seed: int = 3) -> list[dict]:
    """Loans every three days per user with a repayment two days later: 85-95 % of the limit in
    the first WARM_DAYS days, 5-25 % after them (a cold start the warm weeks do not repeat)."""
    rng = np.random.default_rng(seed)
    docs = []
    for u in range(USERS):
        day = rng.uniform(0, EVERY)
        n = 0
        while day < DAYS:
            share = rng.uniform(0.85, 0.95) if day < WARM_DAYS else rng.uniform(0.05, 0.25)
            amount = round(5000 * share, 2)
            ts = T0 + timedelta(days=day, hours=int(rng.integers(9, 20)))
            docs.append({"event_id": f"l{u}-{n}", "event_type": "loan", "user_id": f"u{u}", "ts": ts.isoformat(),
                         "amount": amount, "loan_id": f"L{u}-{n}", "product": "cash_loan", "term_days": 7,
                         "credit_limit": 5000, "segment": "individual", "channel": "app"})
            docs.append({"event_id": f"r{u}-{n}", "event_type": "repayment", "user_id": f"u{u}",
                         "ts": (ts + timedelta(days=2)).isoformat(), "amount": amount, "loan_id": f"L{u}-{n}",
                         "days_late": 0})
            day += EVERY * rng.uniform(0.8, 1.2)
            n += 1
    docs.sort(key=lambda d: d["ts"])
    return docs


def test_a_cold_start_habit_the_warm_weeks_lost_is_an_anomaly() -> None:
    """Fitted on the whole history, the loan forest would learn the first weeks' large loans
    as a third of normal and leave them under the alert line; fitted on the warm part, they
    are what it isolates first."""
    events = _history()
    model = train(events, outcomes=None, core_forest=False, calibrate_rules=False)
    cold, warm = [], []
    for event, row in featurize(events):
        if row.event_type == "loan":
            (cold if event.ts < events[0].ts + WARM_DAYS * 86400 - 86400 else warm).append(
                model.prepare(row, event.segment))
    threshold = model.by_type["loan"].threshold
    cold_alerted = float((model.score("loan", np.array(cold)) >= threshold).mean())
    warm_alerted = float((model.score("loan", np.array(warm)) >= threshold).mean())
    assert cold_alerted > 0.5, cold_alerted
    assert warm_alerted < 0.05, warm_alerted


def test_what_production_is_compared_with_is_the_warm_history() -> None:
    """Drift bins and the "training median, p99" alerts quote come from the warm rows: the first
    weeks' large loans would otherwise put every warm-week loan in the bottom bins (a drift
    alarm on a book that did not change) and quote a p99 of 90 % of the limit as normal."""
    model = train(_history(), outcomes=None, core_forest=False, calibrate_rules=False)
    loan = model.by_type["loan"]
    column = loan.features.index("amount_over_limit")
    assert loan.norms["amount_over_limit"].p99 <= 0.25
    assert max(loan.drift_edges[column]) <= 0.25
