"""Storms (stream.core.rule_storm): a rule or the model firing across the book far above its
training rate has the alerts it alone raised held; the watch against a brute-force count, and through
``pipeline.process``."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.contract import Event, parse_document
from stream.core.pipeline import process
from stream.core.rule_storm import HOUR_S, MODEL, StormPolicy, StormWatch, held, yardsticks
from stream.core.rules import RULE_IDS, RuleConfig
from stream.core.scoring import RULE_BONUS
from tests.core.stub_model import StubModel as Stub

EXPECTED = {"loan_stacking": 0.002, "overdue_escalation": 0.01}
POLICY = StormPolicy(factor=5.0, min_hits=20, min_users=10, floor=0.001, window_h=24)  # 5x: rounder numbers below


def watch_with(hits: int, events: int, rule: str = "loan_stacking", ts: float = 0.0, borrowers: int = 0) -> StormWatch:
    """A watch that has seen ``events`` scored events in the hour of ``ts``, ``hits`` of them hit by ``rule``,
    each of another borrower (``borrowers``: that many, taking turns)."""
    w = StormWatch(POLICY)
    for i in range(events):
        w.observe(ts, [rule] if i < hits else [], f"u{i % borrowers if borrowers and i < hits else i}")
    return w


def test_a_rule_storms_at_its_factor_over_the_training_rate_with_enough_hits() -> None:
    assert watch_with(20, 2000).storming(0.0, EXPECTED) == {"loan_stacking"}  # 1.0 % = 5 x 0.2 %
    assert watch_with(19, 1900).storming(0.0, EXPECTED) == set()  # the same rate on too few hits
    assert watch_with(20, 2001).storming(0.0, EXPECTED) == set()  # just under 5x
    assert watch_with(40, 2000, "overdue_escalation").storming(0.0, EXPECTED) == set()  # 2 % < 5 x 1 %


def test_a_few_borrowers_tripping_a_rule_again_and_again_are_no_storm() -> None:
    """A typology is a few borrowers tripping its rule again and again; a change across the book trips it
    on many: the same hits at the same rate storm from ``min_users`` borrowers on, not from fewer."""
    assert watch_with(40, 2000, borrowers=9).storming(0.0, EXPECTED) == set()
    assert watch_with(40, 2000, borrowers=10).storming(0.0, EXPECTED) == {"loan_stacking"}
    w = StormWatch(POLICY)  # the borrowers of a window are counted across its hours: one of them at hour 0 only
    for i in range(2000):
        hour = i % 20
        borrower = (f"u{1 + i % 9}" if hour else "u0") if i < 40 else f"v{i}"
        w.observe(hour * HOUR_S, ["loan_stacking"] if i < 40 else [], borrower)
    assert w.storming(19 * HOUR_S, EXPECTED) == {"loan_stacking"}
    assert w.storming(24 * HOUR_S, EXPECTED) == set()  # hour 0 has left: 38 hits at 2 %, but of nine borrowers


def test_a_rule_without_a_training_rate_fires_never_storming_and_a_zero_rate_meets_the_floor() -> None:
    assert watch_with(50, 100, "account_takeover").storming(0.0, EXPECTED) == set()
    zero = {"account_takeover": 0.0}
    assert watch_with(20, 20_000, "account_takeover").storming(0.0, zero) == {"account_takeover"}  # 0.1 %
    assert watch_with(20, 20_001, "account_takeover").storming(0.0, zero) == set()


def test_a_storm_ends_when_its_hits_leave_the_days_window() -> None:
    w = watch_with(30, 1000)
    assert w.storming(23 * HOUR_S, EXPECTED) == {"loan_stacking"}
    assert w.storming(24 * HOUR_S, EXPECTED) == set()  # the hour of the hits has left the window
    w.observe(24 * HOUR_S, [], "u")
    assert w.storming(24 * HOUR_S, EXPECTED) == set()


def test_factor_zero_switches_the_watch_off() -> None:
    w = StormWatch(StormPolicy(factor=0))
    for i in range(100):
        w.observe(0.0, ["loan_stacking"], f"u{i}")
    assert w.storming(0.0, EXPECTED) == set() and not w.buckets


def test_an_alert_is_held_only_when_every_source_that_raised_it_storms() -> None:
    storming = frozenset({"loan_stacking", "overdue_escalation"})
    assert held(storming, ["loan_stacking"])
    assert held(storming, ["loan_stacking", "overdue_escalation"])
    assert not held(storming, ["model", "loan_stacking"])  # the model is calm and agrees
    assert not held(storming, ["early_warning", "loan_stacking"])  # the early warning never storms
    assert not held(storming, ["loan_stacking", "account_takeover"])  # a calm rule agrees
    assert not held(storming, [])  # nothing raised it
    assert held(storming | {MODEL}, ["model"]) and held(storming | {MODEL}, ["model", "loan_stacking"])


def test_the_model_is_a_yardstick_only_under_the_policy_and_with_a_recorded_rate() -> None:
    assert yardsticks(POLICY, EXPECTED, 0.004) == {**EXPECTED, MODEL: 0.004}
    assert yardsticks(POLICY, EXPECTED, None) == EXPECTED  # a model trained before the rate was recorded
    assert yardsticks(replace(POLICY, model=False), EXPECTED, 0.004) == EXPECTED
    w = watch_with(25, 500, MODEL)  # 5 % of the day's events = 12.5 x 0.4 %
    assert w.storming(0.0, yardsticks(POLICY, EXPECTED, 0.004)) == {MODEL}
    assert w.storming(0.0, yardsticks(POLICY, EXPECTED, 0.02)) == set()  # 5 % < 5 x 2 %


def test_a_lagging_partition_is_judged_on_its_own_hours_not_an_empty_window() -> None:
    w = StormWatch(POLICY)
    for i in range(1000):
        w.observe(5 * 86400.0, ["loan_stacking"] if i < 30 else [], f"u{i}")  # one partition has run five days ahead
    w.observe(0.0, [], "v")  # another one is still at day 0
    for i in range(1000):
        w.observe(0.0, ["loan_stacking"] if i < 30 else [], f"v{i}")
    assert w.storming(0.0, EXPECTED) == {"loan_stacking"}
    assert w.storming(5 * 86400.0, EXPECTED) == {"loan_stacking"}


def usual_week_then(events: int, hits: int, usual_volume: bool = True, days: int = 7,
                    usual: int = 1000) -> tuple[StormWatch, float]:
    """``days`` days of ``usual`` events (loan_stacking on 0.2 % of them: its training rate), then a day
    of ``events`` with ``hits``, all at noon; the watch and that noon."""
    w = StormWatch(replace(POLICY, usual_volume=usual_volume))
    for day in range(days):
        for i in range(usual):
            w.observe(day * 86400 + 12 * HOUR_S, ["loan_stacking"] if i < usual // 500 else [], f"u{day}-{i}")
    noon = days * 86400 + 12 * HOUR_S
    for i in range(events):
        w.observe(noon, ["loan_stacking"] if i < hits else [], f"v{i}")
    return w, noon


def storming_after(events: int, hits: int, **options: bool | int) -> frozenset[str]:
    """What storms at that noon (``options``: ``usual_week_then``'s)."""
    w, noon = usual_week_then(events, hits, **options)  # type: ignore[arg-type]
    return w.storming(noon, EXPECTED)


def test_a_busy_day_storms_against_a_usual_days_events() -> None:
    """A festival: 4x the events, the rule at 3.75x its rate (under the 5x line), 30 hits where a usual
    day's 1,000 events allow 10 at the line: it storms, and would not on the day's own events."""
    assert storming_after(4000, 30) == {"loan_stacking"}
    assert storming_after(4000, 30, usual_volume=False) == set()
    assert storming_after(4000, 30, days=2) == set()  # two days before it: no usual day yet
    assert storming_after(4000, 30, days=3) == {"loan_stacking"}


def test_a_quiet_day_is_judged_on_its_own_events() -> None:
    """Fewer events than a usual day's 5,000: the rate over the day's own events, 20 hits of 2,100
    (0.95 %) under the 5x line of 1 %, of 2,000 at it."""
    assert storming_after(2100, 20, usual=5000) == set()
    assert storming_after(2000, 20, usual=5000) == {"loan_stacking"}


def brute_force(seen: list[tuple[float, tuple[str, ...], str]], ts: float, expected: dict[str, float],
                policy: StormPolicy) -> set[str]:
    """The definition: every event seen in the ``window_h`` hours of event time up to ``ts``'s hour, its
    hits (from ``min_users`` borrowers at least) over its events or over the median events of the seven
    windows before it, if smaller (those with events, three at least)."""
    hour, w = int(ts // HOUR_S), policy.window_h

    def events(end: int) -> list[tuple[tuple[str, ...], str]]:
        return [(rules, user) for t, rules, user in seen if end - w < int(t // HOUR_S) <= end]

    inside = events(hour)
    if not inside:
        return set()
    n: float = len(inside)
    before = [len(events(hour - k * w)) for k in range(1, 8)]
    before = [b for b in before if b]
    if policy.usual_volume and len(before) >= 3:
        n = min(n, float(statistics.median(before)))
    return {r for r, rate in expected.items()
            if sum(r in rules for rules, _ in inside) >= policy.min_hits
            and len({user for rules, user in inside if r in rules}) >= policy.min_users
            and sum(r in rules for rules, _ in inside) / n >= max(policy.factor * rate, policy.floor)}


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 3 * HOUR_S), st.sets(st.sampled_from(sorted(EXPECTED)), max_size=2),
                             st.sampled_from("abcdefgh")),
                   min_size=1, max_size=300),
    min_hits=st.integers(1, 6),
    min_users=st.integers(1, 5),
    window_h=st.integers(1, 30),
    factor=st.sampled_from([1.0, 2.0, 5.0]),
    usual_volume=st.booleans(),
)
def test_the_watch_agrees_with_a_brute_force_count(steps, min_hits, min_users, window_h, factor, usual_volume) -> None:
    """Including the borrowers: each hour keeps only the first ``min_users`` a source hit, which must
    decide exactly as counting them all."""
    policy = StormPolicy(factor=factor, min_hits=min_hits, min_users=min_users, floor=0.001, window_h=window_h,
                         usual_volume=usual_volume)
    w, seen, ts = StormWatch(policy), [], 0.0
    for gap, rules, user in steps:  # in event-time order, as one partition delivers them
        ts += gap
        assert w.storming(ts, EXPECTED) == brute_force(seen, ts, EXPECTED, policy)
        w.observe(ts, sorted(rules), user)
        seen.append((ts, tuple(rules), user))


# --- through pipeline.process: the stub model's forest never fires, loan_stacking is the only rule ---

T0 = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=8)))
ONLY_STACKING = RuleConfig.from_dict({"disabled": [r for r in RULE_IDS if r != "loan_stacking"]}, "stacking only")


class StubModel(Stub):
    expected_rule_rates = {"loan_stacking": 0.001}


def _loan(user: str, minutes: float, product: str, channel: str) -> Event:
    return parse_document({
        "event_id": f"{user}-{minutes}", "event_type": "loan", "user_id": user,
        "ts": (T0 + timedelta(minutes=minutes)).isoformat(), "amount": 100, "loan_id": f"{user}-L{minutes}",
        "product": product, "term_days": 30, "credit_limit": 1000, "segment": "individual", "channel": channel,
    })


def stacking_campaign(users: int) -> list[Event]:
    """Each user takes two loans ten minutes apart on two products and channels: a stacking burst each."""
    return [e for u in range(users) for e in (_loan(f"u{u}", 2 * u, "cash_loan", "app"),
                                              _loan(f"u{u}", 2 * u + 10, "credit_line", "web"))]


def test_process_holds_the_rule_only_alerts_of_a_storm_and_keeps_state_and_suppression() -> None:
    events = stacking_campaign(40)
    plain_states: dict = {}
    plain = process(StubModel(), ONLY_STACKING, plain_states, events, 6 * 3600)
    storm_states: dict = {}
    stormy = process(StubModel(), ONLY_STACKING, storm_states, events, 6 * 3600, storms=StormWatch(POLICY))
    alerted = [o for o in plain if o.alert]
    assert len(alerted) == 40 and not any(o.held for o in plain)
    held_ = [o for o in stormy if o.held]
    # The first 20 hits arm the storm (half of 40 events is a rate far over 5 x 0.1 %); the rest are held.
    assert [o.event.user_id for o in stormy if o.alert and not o.held] == [f"u{u}" for u in range(20)]
    assert len(held_) == 20 and all(o.alert["fired_by"] == ["loan_stacking"] for o in held_)
    # A storming rule adds no bonus to the ranking score: the held loans rank as if it had not fired.
    for s, p in zip(stormy, plain):
        assert s.decision.score == pytest.approx(p.decision.score - (RULE_BONUS if s.held else 0.0))
    assert {u: s.to_bytes() for u, s in storm_states.items()} == {u: s.to_bytes() for u, s in plain_states.items()}


def test_process_sends_a_storming_rules_alert_the_model_agrees_with() -> None:
    class Agreeing(StubModel):
        def score(self, event_type: str, X: np.ndarray) -> np.ndarray:
            return np.full(len(X), 3.0)  # over the threshold: the forest fires on everything

    stormy = process(Agreeing(), ONLY_STACKING, {}, stacking_campaign(40), 6 * 3600, storms=StormWatch(POLICY))
    assert not any(o.held for o in stormy)


def test_process_holds_the_alerts_the_model_alone_raised_while_it_storms_unless_switched_off() -> None:
    class Flooding(StubModel):
        expected_model_rate = 0.001

        def score(self, event_type: str, X: np.ndarray) -> np.ndarray:
            return np.full(len(X), 3.0)  # the forest fires on every event, 1,000 x its training rate

    none = RuleConfig.from_dict({"disabled": list(RULE_IDS)}, "no rules")
    events = [_loan(f"u{u}", u, "cash_loan", "app") for u in range(40)]
    stormy = process(Flooding(), none, {}, events, 6 * 3600, storms=StormWatch(POLICY))
    assert [o.event.user_id for o in stormy if o.alert and not o.held] == [f"u{u}" for u in range(20)]
    assert all(o.alert["fired_by"] == ["model"] for o in stormy[20:]) and all(o.held for o in stormy[20:])
    calm = process(Flooding(), none, {}, events, 6 * 3600, storms=StormWatch(replace(POLICY, model=False)))
    assert not any(o.held for o in calm) and all(o.alert for o in calm)


def test_riskmon_train_prints_each_rules_storm_line() -> None:
    from types import SimpleNamespace

    from stream.offline.train import storms_line

    model = SimpleNamespace(expected_rule_rates={"loan_stacking": 0.002, "overdue_escalation": 0.0,
                                                 "account_takeover": 0.01}, expected_model_rate=0.004,
                            score_ranks=lambda event_type: object())
    rules = RuleConfig.from_dict({"disabled": ["account_takeover"]}, "one off")
    line = storms_line(model, POLICY, rules)
    assert "loan_stacking 1.00%" in line and "overdue_escalation 0.10%" in line  # 5 x 0.2 %; the floor
    assert "account_takeover" not in line  # switched off: it cannot storm
    assert "model 2.00%" in line  # 5 x 0.4 %
    assert "model 2.00%" not in storms_line(model, replace(POLICY, model=False), rules)
    assert "off" in storms_line(model, StormPolicy(factor=0), rules)
    assert "more borrowers than 2 x 1% of a day's loans (and 10) score in this history's top 1%" in line
    assert "top 1%" not in storms_line(model, replace(POLICY, surge=False), rules)
