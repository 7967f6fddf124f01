"""Event-time policy (stream.core.event_time): refused times, the offline replay's stream time,
and the skewed-clock evasion it exists to stop."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.contract import parse_document
from stream.core.event_time import FUTURE_TS, STALE_TS, TimePolicy, admit_replay, replay_span
from stream.core.pipeline import featurize

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CST)
times = st.lists(st.floats(min_value=0, max_value=4e9, allow_nan=False), min_size=1, max_size=400)


@given(times)
def test_replay_span_lies_within_the_times(values: list[float]) -> None:
    earliest, latest = replay_span(values)
    assert min(values) <= earliest <= latest <= max(values)


@given(times, st.lists(st.floats(min_value=5e9, max_value=1e10), max_size=3),
       st.lists(st.floats(min_value=-1e10, max_value=-1e9), max_size=3))
@settings(max_examples=200)
def test_a_few_far_outliers_cannot_stretch_the_span(values: list[float], late: list[float], early: list[float]) -> None:
    base = values * (1 + 3000 // len(values))  # >= 3,000 times: 0.1 % covers 3 outliers at each end
    assert replay_span(base + late + early) == (min(values), max(values))


@given(st.lists(st.floats(min_value=0, max_value=6 * 86400.0), min_size=2, max_size=300))
def test_an_ordinary_file_keeps_its_whole_span(values: list[float]) -> None:
    """No gap of a week, no outlier: even the last quiet night of a sparse file counts."""
    assert replay_span(values) == (min(values), max(values))


@given(st.floats(min_value=-1e6, max_value=1e6), st.floats(min_value=1, max_value=1e6), st.floats(min_value=1, max_value=1e7))
def test_verdict_matches_its_definition(offset: float, future: float, stale: float) -> None:
    policy, now = TimePolicy(future, stale), 1.8e9
    ts = now + offset  # compared in the same float arithmetic as the definition (offset > future can round away)
    verdict = policy.verdict(ts, now, now)
    expected = FUTURE_TS if ts > now + future else STALE_TS if ts < now - stale else None
    assert (verdict[0] if verdict else None) == expected


def _loan(user: str, n: int | str, when: datetime, amount: float = 2000.0) -> dict:
    return {
        "event_id": f"{user}-{n}", "event_type": "loan", "user_id": user, "ts": when.isoformat(), "amount": amount,
        "loan_id": f"{user}-l{n}", "product": "cash_loan", "term_days": 30, "credit_limit": 10000,
        "segment": "individual", "channel": "app",
    }


def _world(skew: str | None) -> list[dict]:
    """In arrival order: ordinary users over 30 days and user X's history, then an optional skewed
    loan of X, then X's burst of 8 loans in two hours."""
    rng = random.Random(5)
    events = [_loan(f"n{u}", k, T0 + timedelta(days=rng.uniform(0, 30))) for u in range(150) for k in range(8)]
    events += [_loan("X", k, T0 + timedelta(days=3 * k)) for k in range(5)]
    events.sort(key=lambda e: datetime.fromisoformat(e["ts"]))
    if skew:
        events.append(_loan("X", 99, datetime.fromisoformat(skew)))
    burst = T0 + timedelta(days=31)
    return events + [_loan("X", f"b{k}", burst + timedelta(minutes=15 * k)) for k in range(8)]


def _burst_features(events: list[dict], policy: TimePolicy | None = TimePolicy()) -> list[tuple[float, ...]]:
    parsed = [parse_document(e) for e in events]
    believed = admit_replay(parsed, policy)[0] if policy else parsed
    return [row.values for e, row in featurize(believed) if e.event_id.startswith("X-b")]


def test_a_skewed_loan_is_refused_and_does_not_blind_the_monitor_to_the_user() -> None:
    """One loan of X dated 2200 (or 1990) must not change how X's later burst is counted."""
    clean = _burst_features(_world(None))
    assert len(clean) == 8 and clean[-1][3] == 8.0  # loans_24h counts the whole burst
    for skew, reason in (("2200-01-01T00:00:00+08:00", FUTURE_TS), ("1990-01-01T00:00:00+08:00", STALE_TS)):
        events = _world(skew)
        for order in (events, sorted(events, key=lambda e: e["user_id"]), random.Random(1).sample(events, len(events))):
            _, refused = admit_replay([parse_document(e) for e in order], TimePolicy())
            assert [(e.event_id, r) for e, r, _ in refused] == [("X-99", reason)]  # whatever the file's order
        assert _burst_features(events) == clean, skew


def test_without_the_policy_the_skewed_loan_would_blind_the_user() -> None:
    """The check above can fail: with the policy off, the 2200 loan hides the burst."""
    rows = _burst_features(_world("2200-01-01T00:00:00+08:00"), policy=None)
    assert rows[-1][3] < 8.0
