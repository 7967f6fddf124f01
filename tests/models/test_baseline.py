"""The plain 13-feature baseline (models.baseline, issue 12 item 3): each feature
against hand-computed values, no look-ahead, fit / score shapes and determinism.
Fast and pure: no broker, no files."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.baseline import NO_PREVIOUS_LOAN, PLAIN_FEATURES, PlainBaseline, plain_features

CST = timezone(timedelta(hours=8))


def loan(event_id: str, user: str, ts: str, amount: float, limit: float, product: str = "cash_loan",
         channel: str = "app", device: str | None = None, segment: str = "individual") -> dict[str, Any]:
    doc = {"event_id": event_id, "event_type": "loan", "user_id": user, "ts": ts, "amount": amount,
           "loan_id": f"L-{event_id}", "product": product, "term_days": 30, "credit_limit": limit,
           "segment": segment, "channel": channel}
    if device is not None:
        doc["device_id"] = device
    return doc


def repayment(event_id: str, user: str, ts: str, amount: float, days_late: int,
              outstanding: float | None = None) -> dict[str, Any]:
    doc = {"event_id": event_id, "event_type": "repayment", "user_id": user, "ts": ts, "amount": amount,
           "loan_id": "L-x", "days_late": days_late}
    if outstanding is not None:
        doc["outstanding"] = outstanding
    return doc


# Two users, interleaved in time order.  User a: a late repayment that reports an
# outstanding different from the running sum, a new device + channel at night
# with a doubled limit, a loan just outside the 24 h window, and a loan after the
# late repayment left the 60-day window.  User b: a student with a zero limit,
# no device, repayments without outstanding (balance floored at 0), and a
# timestamp in another offset (the hour is the event's own).
STREAM = [
    loan("a1", "a", "2026-03-01T10:00:00+08:00", 1000, 10000, "cash_loan", "app", "d1"),
    loan("b1", "b", "2026-03-01T04:30:00+00:00", 50, 0, "installment", "merchant", None, "student"),
    repayment("b2", "b", "2026-03-01T06:00:00+00:00", 30, 0),
    repayment("b3", "b", "2026-03-01T07:00:00+00:00", 100, 0),
    loan("b4", "b", "2026-03-01T10:00:00+00:00", 10, 100, "installment", "merchant", None, "student"),
    repayment("a2", "a", "2026-03-01T20:00:00+08:00", 300, 3, outstanding=5000),
    loan("a3", "a", "2026-03-02T03:00:00+08:00", 2000, 20000, "credit_line", "web", "d2"),
    loan("a4", "a", "2026-03-02T12:00:00+08:00", 500, 20000, "cash_loan", "app", "d1"),
    loan("a5", "a", "2026-05-01T21:00:00+08:00", 100, 20000, "cash_loan", "app", "d1"),
]

# columns: amount/limit, amount 24h/limit, loans 24h, products 24h, log hours since loan, night,
#          new device, new channel, max days late 60d, balance/limit, limit change, student, cash_loan
EXPECTED = {
    "a1": [0.1, 0.1, 0, 1, NO_PREVIOUS_LOAN, 0, 1, 1, 0, 0.1, 1, 0, 1],
    "b1": [50, 50, 0, 1, NO_PREVIOUS_LOAN, 1, 0, 1, 0, 50, 1, 1, 0],  # limit 0 -> 1; 04:30 in its +00:00
    # balance 50 - 30 - 100 floored at 0; b1 5.5 h earlier; limit 100 over the previous 1
    "b4": [0.1, 0.6, 1, 1, math.log1p(5.5), 0, 0, 0, 0, 0.1, 100, 1, 0],
    # a1 17 h earlier; outstanding 5000 from a2 (not the running 700); 3 days late; limit doubled
    "a3": [0.1, 0.15, 1, 2, math.log1p(17), 1, 1, 1, 3, 0.35, 2, 0, 0],
    # a1 is 26 h old (out of the 24 h window), a3 9 h; balance 5000 + 2000; d1 and app seen before
    "a4": [0.025, 0.125, 1, 2, math.log1p(9), 0, 0, 0, 3, 0.375, 1, 0, 1],
    # a2 is 61 days old: out of the 60-day window; a4 60 days + 9 h earlier
    "a5": [0.005, 0.005, 0, 1, math.log1p(60 * 24 + 9), 0, 0, 0, 0, 0.38, 1, 0, 1],
}


def test_thirteen_features_named() -> None:
    assert len(PLAIN_FEATURES) == 13 and len(set(PLAIN_FEATURES)) == 13


@pytest.mark.parametrize("index,name", list(enumerate(PLAIN_FEATURES)))
def test_each_feature_by_hand(index: int, name: str) -> None:
    rows = {event.event_id: vector for event, vector in plain_features(STREAM)}
    assert list(rows) == ["a1", "b1", "b4", "a3", "a4", "a5"]  # loan events only, in file order
    for event_id, expected in EXPECTED.items():
        assert rows[event_id][index] == pytest.approx(expected[index], abs=1e-12), (name, event_id)


def test_redelivery_is_used_once() -> None:
    twice = STREAM[:1] + STREAM  # a1 delivered twice
    rows = [(e.event_id, v) for e, v in plain_features(twice)]
    assert rows == [(e.event_id, v) for e, v in plain_features(STREAM)]


def test_events_or_parsed_events() -> None:
    from models.baseline import _as_event

    parsed = [_as_event(doc) for doc in STREAM]
    assert [v for _, v in plain_features(parsed)] == [v for _, v in plain_features(STREAM)]


# --- no look-ahead -------------------------------------------------------------------------------

BASE = datetime(2026, 3, 1, tzinfo=CST)
PRODUCTS = ("cash_loan", "credit_line", "installment", "merchant_loan")
CHANNELS = ("app", "web", "merchant", "partner")


@st.composite
def streams(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A time-ordered stream of a few users' loans and repayments, with gaps from seconds to weeks."""
    n = draw(st.integers(1, 40))
    t = 0.0
    out = []
    for i in range(n):
        t += draw(st.sampled_from([0, 1, 600, 3600 * 5, 86_399, 86_400, 86_401, 86_400 * 20, 86_400 * 61]))
        ts = (BASE + timedelta(seconds=t)).isoformat()
        user = draw(st.sampled_from("uvw"))
        if draw(st.booleans()):
            out.append(loan(f"e{i}", user, ts, draw(st.floats(1, 50_000).map(lambda x: round(x, 2))),
                            draw(st.sampled_from([0, 500, 5000, 20000])), draw(st.sampled_from(PRODUCTS)),
                            draw(st.sampled_from(CHANNELS)), draw(st.sampled_from([None, "d1", "d2", "d3"])),
                            draw(st.sampled_from(["individual", "student"]))))
        else:
            out.append(repayment(f"e{i}", user, ts, draw(st.floats(1, 50_000).map(lambda x: round(x, 2))),
                                 draw(st.integers(0, 30)), draw(st.sampled_from([None, 0.0, 1234.5]))))
    return out


@settings(max_examples=80, deadline=None)
@given(streams(), st.data())
def test_appending_later_events_never_changes_earlier_rows(stream: list[dict[str, Any]], data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(stream)))
    prefix = [(e.event_id, v) for e, v in plain_features(stream[:cut])]
    full = [(e.event_id, v) for e, v in plain_features(stream)]
    assert full[: len(prefix)] == prefix


@settings(max_examples=50, deadline=None)
@given(streams())
def test_other_users_events_never_change_a_users_rows(stream: list[dict[str, Any]]) -> None:
    alone = [(e.event_id, v) for e, v in plain_features([d for d in stream if d["user_id"] == "u"])]
    mixed = [(e.event_id, v) for e, v in plain_features(stream) if e.user_id == "u"]
    assert mixed == alone


# --- fit / score ---------------------------------------------------------------------------------

def synthetic(users: int, days: int, seed: int, start: datetime = BASE) -> list[dict[str, Any]]:
    """A small ordinary-looking stream in time order (loans with the odd repayment)."""
    rng = random.Random(seed)
    docs = []
    for u in range(users):
        limit = rng.choice([5000, 10000, 20000])
        for k in range(rng.randint(1, 6)):
            t = start + timedelta(seconds=rng.uniform(0, days * 86_400))
            docs.append(loan("", f"u{u}", t.isoformat(), round(rng.uniform(100, limit / 2), 2), limit,
                             rng.choice(PRODUCTS), rng.choice(CHANNELS), f"dev{u}"))
            if rng.random() < 0.5:
                t2 = t + timedelta(days=rng.uniform(1, 20))
                docs.append(repayment("", f"u{u}", t2.isoformat(), 100, rng.choice([0, 0, 0, 2]),
                                      rng.choice([None, 1000.0])))
    docs.sort(key=lambda d: datetime.fromisoformat(d["ts"]))
    for n, d in enumerate(docs):
        d["event_id"] = f"{seed}-{n}"
    return docs


def _split() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events = synthetic(120, 40, seed=3)
    cut = BASE + timedelta(days=30)
    history = [d for d in events if datetime.fromisoformat(d["ts"]) < cut]
    test = [d for d in events if datetime.fromisoformat(d["ts"]) >= cut]
    return history, test


def test_fit_and_score_shapes() -> None:
    history, test = _split()
    model = PlainBaseline(seed=1).fit(history)
    assert model.fitted_on == sum(d["event_type"] == "loan" for d in history)
    assert model.forest is not None and model.forest.n_estimators == 200
    scores = model.score(test)
    test_loans = [d["event_id"] for d in test if d["event_type"] == "loan"]
    assert list(scores) == test_loans  # one score per test loan event, in order
    values = np.array(list(scores.values()))
    assert np.all(np.isfinite(values)) and np.all((values > 0) & (values <= 1))


def test_score_continues_the_history_state() -> None:
    history, test = _split()
    model = PlainBaseline(seed=1).fit(history)
    scores = model.score(test)
    continued = [v for e, v in plain_features(history + test) if e.event_id in scores]
    fresh = [v for _, v in plain_features(test)]
    assert model.forest is not None
    expected = -model.forest.score_samples(np.array(continued))
    assert np.allclose(list(scores.values()), expected)
    assert continued != fresh  # the history matters to the test rows (else this test proves nothing)


def test_deterministic_for_a_seed() -> None:
    history, test = _split()
    a = PlainBaseline(seed=5).fit(history).score(test)
    b = PlainBaseline(seed=5).fit(history).score(test)
    c = PlainBaseline(seed=6).fit(history).score(test)
    assert a == b
    assert a != c


def test_fit_needs_loans_and_score_needs_fit() -> None:
    with pytest.raises(ValueError):
        PlainBaseline().fit([repayment("r", "u", "2026-03-01T00:00:00+08:00", 1, 0)])
    with pytest.raises(RuntimeError):
        PlainBaseline().score([])
    history, _ = _split()
    assert PlainBaseline().fit(history).score([]) == {}
