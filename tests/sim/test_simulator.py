"""The synthetic lending simulator: contract conformance, determinism, labels and realism."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream.core.contract import parse_event
from stream.sim import ALL_SCENARIOS, SimConfig, generate, iter_stream, write_jsonl

DEFAULT = SimConfig()


@pytest.fixture(scope="module")
def default_run() -> tuple[list[dict], list[dict]]:
    return generate(DEFAULT)


def ts(event: dict) -> datetime:
    return datetime.fromisoformat(event["ts"])


def day_of(event: dict, config: SimConfig = DEFAULT) -> int:
    return (ts(event) - config.start).days


def check_stream(events: list[dict], labels: list[dict]) -> None:
    """Contract conformance, +08:00 offsets, 2-decimal amounts, time order, one label per event."""
    times = []
    for event in events:
        parsed = parse_event(orjson.dumps(event))
        assert event["ts"].endswith("+08:00")
        for field in ("amount", "outstanding", "credit_limit"):
            if field in event:
                assert round(event[field] * 100) / 100 == event[field]
        times.append(parsed.ts)
    assert times == sorted(times)
    assert len({e["event_id"] for e in events}) == len(events)
    assert [label["event_id"] for label in labels] == [e["event_id"] for e in events]
    for label in labels:
        assert label["label"] == int(label["scenario"] != "normal")
        assert label["scenario"] in ("normal", *ALL_SCENARIOS)


def test_default_run_conforms_is_ordered_and_fully_labelled(default_run):
    check_stream(*default_run)


def test_loan_ids_are_unique(default_run):
    events, _ = default_run
    loan_ids = [e["loan_id"] for e in events if e["event_type"] == "loan"]
    assert len(set(loan_ids)) == len(loan_ids)


def test_same_seed_gives_byte_identical_jsonl_and_another_seed_differs(tmp_path):
    config = SimConfig(users=300, days=20)
    paths = [tmp_path / name for name in ("a.jsonl", "b.jsonl", "c.jsonl")]
    write_jsonl(paths[0], generate(config)[0])
    write_jsonl(paths[1], generate(config)[0])
    write_jsonl(paths[2], generate(SimConfig(users=300, days=20, seed=8))[0])
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_iter_stream_yields_the_generated_events():
    config = SimConfig(users=100, days=10)
    assert list(iter_stream(config)) == generate(config)[0]


def test_every_scenario_has_labelled_events(default_run):
    _, labels = default_run
    present = {label["scenario"] for label in labels if label["label"] == 1}
    assert present == set(ALL_SCENARIOS)


def test_anomalous_user_share_matches_rate_and_scenarios_are_spread_evenly(default_run):
    events, labels = default_run
    scenario_of = {}
    for event, label in zip(events, labels):
        if label["label"]:
            scenario_of[event["user_id"]] = label["scenario"]
    anomalous = {e["user_id"] for e, l in zip(events, labels) if l["user_anomalous"]}
    assert anomalous == set(scenario_of)  # one scenario per user, and it shows in the window
    assert abs(len(anomalous) / DEFAULT.users - DEFAULT.anomaly_rate) < 0.005
    per_scenario = Counter(scenario_of.values())
    assert max(per_scenario.values()) - min(per_scenario.values()) <= 1


def test_festival_day_surges_and_is_labelled_normal(default_run):
    events, labels = default_run
    normal_loans = Counter(
        day_of(e) for e, l in zip(events, labels) if e["event_type"] == "loan" and l["label"] == 0
    )
    other_days = [normal_loans[d] for d in range(DEFAULT.days) if d != DEFAULT.festival_day]
    assert normal_loans[DEFAULT.festival_day] >= 1.8 * statistics.mean(other_days)
    festival = [(e, l) for e, l in zip(events, labels) if day_of(e) == DEFAULT.festival_day]
    assert all(l["label"] == 0 for e, l in festival if not l["user_anomalous"])


def test_no_festival_means_no_surge():
    config = SimConfig(users=1000, days=20, festival_day=None)
    counts = Counter(day_of(e, config) for e in generate(config)[0] if e["event_type"] == "loan")
    assert max(counts.values()) < 1.5 * statistics.mean(counts.values())


def test_limits_grow_from_students_to_individuals_to_small_businesses(default_run):
    events, _ = default_run
    first_limit: dict[str, dict[str, float]] = defaultdict(dict)
    for e in events:
        if e["event_type"] == "loan":
            first_limit[e["segment"]].setdefault(e["user_id"], e["credit_limit"])
    median = {segment: statistics.median(limits.values()) for segment, limits in first_limit.items()}
    assert median["student"] < median["individual"] < median["small_business"]


def test_segments_and_products_have_their_usual_mix(default_run):
    events, labels = default_run
    loans = [e for e, l in zip(events, labels) if e["event_type"] == "loan" and l["label"] == 0]
    users_by_segment = Counter({e["user_id"]: e["segment"] for e in loans}.values())
    total = sum(users_by_segment.values())
    assert 0.75 < users_by_segment["individual"] / total < 0.85
    merchant = Counter(e["segment"] for e in loans if e["product"] == "merchant_loan")
    assert merchant["small_business"] > merchant["individual"] and merchant["student"] == 0
    assert {e["segment"] for e in loans if e["product"] == "wealth_pledge"} == {"individual"}
    assert all(e["term_days"] == 30 for e in loans if e["product"] == "credit_line")


def test_few_normal_loans_at_night(default_run):
    events, labels = default_run
    hours = [ts(e).hour for e, l in zip(events, labels) if e["event_type"] == "loan" and l["label"] == 0]
    assert sum(h < 6 for h in hours) / len(hours) < 0.10


def test_repayments_follow_their_loans(default_run):
    events, _ = default_run
    loan_ts = {e["loan_id"]: e["ts"] for e in events if e["event_type"] == "loan"}
    repayments = [e for e in events if e["event_type"] == "repayment" and e["loan_id"] in loan_ts]
    assert repayments
    assert all(ts(r) > datetime.fromisoformat(loan_ts[r["loan_id"]]) for r in repayments)


def test_without_warmup_every_repayment_has_its_loan_in_the_stream():
    events, _ = generate(SimConfig(users=300, days=40, warmup_days=0))
    loans = {e["loan_id"] for e in events if e["event_type"] == "loan"}
    assert all(e["loan_id"] in loans for e in events if e["event_type"] == "repayment")


def test_lateness_is_mostly_zero_with_a_rare_long_tail(default_run):
    events, labels = default_run
    late = [e["days_late"] for e, l in zip(events, labels) if "days_late" in e and l["label"] == 0]
    assert sum(d == 0 for d in late) / len(late) > 0.85
    assert 0 < sum(d >= 10 for d in late) / len(late) < 0.02


def test_episodes_start_on_or_after_anomaly_start_day():
    config = SimConfig(users=1000, days=30, anomaly_start_day=20)
    events, labels = generate(config)
    episode_days = [day_of(e, config) for e, l in zip(events, labels) if l["label"]]
    assert episode_days and min(episode_days) >= 20


def test_user_prefix_gives_fresh_ids():
    train, _ = generate(SimConfig(users=100, days=10))
    held_out, _ = generate(SimConfig(users=100, days=10, user_prefix="h"))
    assert all(e["user_id"].startswith("h-") for e in held_out)
    for field in ("event_id", "user_id", "loan_id"):
        assert not {e[field] for e in train} & {e[field] for e in held_out}


# --- each typology looks like its description ---------------------------------------------


def episodes(run, scenario: str) -> dict[str, list[dict]]:
    """The label-1 events of one scenario, per user."""
    by_user = defaultdict(list)
    for event, label in zip(*run):
        if label["scenario"] == scenario:
            by_user[event["user_id"]].append(event)
    assert by_user
    return by_user


def test_loan_stacking_is_many_loans_in_hours_across_products(default_run):
    for loans in episodes(default_run, "loan_stacking").values():
        assert 5 <= len(loans) <= 10
        assert ts(loans[-1]) - ts(loans[0]) <= timedelta(hours=4)
        assert len({e["product"] for e in loans}) >= 3 and len({e["channel"] for e in loans}) >= 2
        assert sum(e["amount"] for e in loans) >= 0.8 * loans[0]["credit_limit"]


def test_borrow_to_repay_rolls_growing_loans_just_before_due(default_run):
    for events in episodes(default_run, "borrow_to_repay").values():
        loans = [e for e in events if e["event_type"] == "loan"]
        assert len(loans) >= 4
        amounts = [e["amount"] for e in loans]
        assert amounts == sorted(amounts) and amounts[-1] > amounts[0]
        for previous, following in zip(loans, loans[1:]):
            due = ts(previous).date() + timedelta(days=previous["term_days"])
            assert 0 <= (due - ts(following).date()).days <= 3
        rolled = {e["loan_id"] for e in loans[:-1]}
        rolled_over = [e for e in events if e["event_type"] == "repayment" and e["loan_id"] in rolled]
        assert all(e["days_late"] == 0 for e in rolled_over)


def test_account_takeover_is_a_night_cash_out_from_a_new_device(default_run):
    events, labels = default_run
    for user, loans in episodes(default_run, "account_takeover").items():
        assert 2 <= len(loans) <= 4
        assert all(e["product"] == "cash_loan" and ts(e).hour < 6 for e in loans)
        assert ts(loans[-1]) - ts(loans[0]) <= timedelta(hours=2)
        assert len({e["device_id"] for e in loans}) == 1
        own = {e.get("device_id") for e, l in zip(events, labels) if e["user_id"] == user and l["label"] == 0}
        assert loans[0]["device_id"] not in own
        assert sum(e["amount"] for e in loans) >= 0.75 * loans[0]["credit_limit"]


def test_student_overborrowing_far_exceeds_the_small_limit(default_run):
    for events in episodes(default_run, "student_overborrowing").values():
        loans = [e for e in events if e["event_type"] == "loan"]
        assert {e["segment"] for e in loans} == {"student"}
        assert len(loans) >= 8 and len({e["product"] for e in loans}) >= 2
        assert ts(loans[-1]) - ts(loans[0]) <= timedelta(days=14)
        assert sum(e["amount"] for e in loans) > 1.5 * max(e["credit_limit"] for e in loans)
        late = [e["days_late"] for e in events if e["event_type"] == "repayment"]
        assert late == sorted(late) and (len(late) < 2 or late[-1] > late[0])


def test_limit_jump_drain_uses_most_of_a_jumped_limit(default_run):
    events, labels = default_run
    for user, loans in episodes(default_run, "limit_jump_drain").items():
        assert 1 <= len(loans) <= 3 and ts(loans[-1]) - ts(loans[0]) <= timedelta(hours=4)
        new_limit = loans[0]["credit_limit"]
        assert sum(e["amount"] for e in loans) >= 0.75 * new_limit
        before = [e["credit_limit"] for e, l in zip(events, labels)
                  if e["user_id"] == user and e["event_type"] == "loan" and l["label"] == 0]
        assert all(new_limit >= 2.5 * limit for limit in before)


def test_overdue_escalation_pays_ever_later_while_still_borrowing(default_run):
    escalated_and_kept_borrowing = 0
    for events in episodes(default_run, "overdue_escalation").values():
        loans = [e for e in events if e["event_type"] == "loan"]
        repayments = [e for e in events if e["event_type"] == "repayment"]
        late = [e["days_late"] for e in repayments]
        assert len(loans) >= 3
        assert late == sorted(late) and len(set(late)) == len(late)
        escalated_and_kept_borrowing += len(late) >= 2 and ts(loans[-1]) > ts(repayments[1])
    assert escalated_and_kept_borrowing > 0


# --- configuration, robustness, speed ------------------------------------------------------


def test_start_must_be_an_aware_local_midnight():
    with pytest.raises(ValueError):
        SimConfig(start=datetime(2026, 3, 1))
    with pytest.raises(ValueError):
        SimConfig(start=datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=8))))
    assert SimConfig(start=datetime(2026, 2, 28, 16, tzinfo=timezone.utc)).start.hour == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    users=st.integers(0, 40),
    days=st.integers(1, 12),
    seed=st.integers(0, 2**32),
    anomaly_rate=st.floats(0, 1),
    warmup_days=st.integers(0, 40),
    data=st.data(),
)
def test_small_random_configs_give_valid_ordered_labelled_streams(
    users, days, seed, anomaly_rate, warmup_days, data
):
    config = SimConfig(
        users=users,
        days=days,
        seed=seed,
        anomaly_rate=anomaly_rate,
        warmup_days=warmup_days,
        festival_day=data.draw(st.none() | st.integers(0, days - 1)),
        anomaly_start_day=data.draw(st.integers(0, days - 1)),
        scenarios=tuple(data.draw(st.lists(st.sampled_from(ALL_SCENARIOS), unique=True))),
    )
    check_stream(*generate(config))
