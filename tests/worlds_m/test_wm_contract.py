import pytest

from wm_common import WORLD_NAMES, event_errors, gen, stream_errors


@pytest.mark.parametrize("world", WORLD_NAMES)
@pytest.mark.parametrize("hist,test", [(45, 14), (20, 7)])
def test_every_event_valid_sorted_in_window(world, hist, test):
    events, labels, info = gen(world, 1, 300, hist, test)
    assert len(events) > 300
    assert stream_errors(events, labels, hist, test) == []
    assert info["events"] == len(events)
    assert {e["event_type"] for e in events} == {"loan", "repayment"}


@pytest.mark.parametrize("world", WORLD_NAMES)
def test_user_flags_consistent(world):
    events, labels, _ = gen(world, 1, 300)
    flag = {}
    for e, lb in zip(events, labels):
        assert flag.setdefault(e["user_id"], lb["user_anomalous"]) == lb["user_anomalous"]
    assert any(flag.values()) and not all(flag.values())


def test_validator_catches_breaches():
    good = {"event_id": "e-1", "event_type": "loan", "user_id": "u-1", "ts": "2026-03-01T10:02:11+08:00",
            "amount": 1200.0, "loan_id": "l-77", "product": "credit_line", "term_days": 30,
            "credit_limit": 8000, "credit_score": 702, "segment": "individual", "purpose": "consumption",
            "channel": "app", "device_id": "d-9f2", "merchant_id": "m-1"}
    assert event_errors(good) == []
    for k, v in [("amount", 0), ("amount", 1.234), ("amount", 10_000_001), ("term_days", 0),
                 ("credit_score", 951), ("segment", "corp"), ("channel", "atm"), ("event_id", "a b"),
                 ("ts", "2026-03-01 10:02:11"), ("product", "mortgage"), ("currency", "USD"),
                 ("credit_limit", -1), ("purpose", "fun"), ("user_id", "x" * 65)]:
        assert event_errors(dict(good, **{k: v})), (k, v)
    rep = {"event_id": "e-2", "event_type": "repayment", "user_id": "u-1", "ts": "2026-03-29T09:00:00+08:00",
           "amount": 1200.0, "loan_id": "l-77", "days_late": 0, "outstanding": 0}
    assert event_errors(rep) == []
    assert event_errors(dict(rep, days_late=-1)) and event_errors(dict(rep, outstanding=-0.5))
    assert stream_errors([rep], [{"event_id": "e-2", "label": 0, "scenario": "normal",
                                  "user_anomalous": False}], 45, 14)  # repayment without a loan


@pytest.mark.parametrize("world", WORLD_NAMES)
@pytest.mark.parametrize("users,hist,test", [(1, 1, 1), (5, 2, 2), (50, 3, 30), (40, 90, 3)])
def test_odd_sizes_stay_valid(world, users, hist, test):
    events, labels, _ = gen(world, 2, users, hist, test)
    assert stream_errors(events, labels, hist, test) == []
