"""The model surge (``StormWatch.surge``) and the discount it puts on the model's scores
(``stream.core.scoring.discounted_rank``, ``discounted``)."""

from __future__ import annotations

import statistics

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.rule_storm import HOUR_S, MODEL, StormPolicy, StormWatch
from stream.core.scoring import MIN_SHARE, Decision, discounted, discounted_rank
from tests.core.stub_model import Lines, StubModel

POLICY = StormPolicy(factor=10.0, min_users=10, window_h=24, surge_allow=2.0, usual_volume=False)


def watch_firing_on(borrowers: int, events: int, policy: StormPolicy = POLICY, ts: float = 0.0) -> StormWatch:
    """A watch that has seen ``events`` scored events in the hour of ``ts``, the model firing on the first
    ``borrowers`` of them, each of another borrower."""
    w = StormWatch(policy)
    for i in range(events):
        w.observe(ts, [MODEL] if i < borrowers else [], f"u{i}")
    return w


def test_no_discount_up_to_min_users_or_the_allowed_share() -> None:
    assert watch_firing_on(10, 100).surge(0.0, 0.01) == 1.0  # ten borrowers: min_users
    assert watch_firing_on(20, 1000).surge(0.0, 0.01) == 1.0  # 2 x 1 % of 1,000 events = 20
    assert watch_firing_on(21, 1000).surge(0.0, 0.01) == 21 / 20


def test_the_discount_is_borrowers_over_what_the_model_may_fire_on() -> None:
    assert watch_firing_on(100, 1000).surge(0.0, 0.01) == 5.0  # 100 against 20
    assert watch_firing_on(100, 200).surge(0.0, 0.01) == 10.0  # 2 x 1 % of 200 = 4: min_users 10 rules


def test_a_few_borrowers_firing_again_and_again_are_no_surge() -> None:
    w = StormWatch(POLICY)
    for i in range(500):
        w.observe(i * 60.0, [MODEL], f"u{i % 8}")  # eight borrowers the model fires on 500 times
    assert w.surge(500 * 60.0, 0.01) == 1.0


def test_off_without_a_training_rate_or_when_switched_off() -> None:
    assert watch_firing_on(100, 200).surge(0.0, None) == 1.0
    for policy in (StormPolicy(surge=False), StormPolicy(model=False), StormPolicy(factor=0.0)):
        assert watch_firing_on(100, 200, policy).surge(0.0, 0.01) == 1.0


def test_the_surge_ends_when_its_borrowers_leave_the_window() -> None:
    w = watch_firing_on(100, 200)
    assert w.surge(23 * HOUR_S, 0.01) == 10.0
    assert w.surge(24 * HOUR_S, 0.01) == 1.0


def brute_force(seen: list[tuple[float, bool, str]], ts: float, rate: float, policy: StormPolicy) -> float:
    """The definition: the borrowers the model fired on in the window's hours up to ``ts``'s, over the larger
    of ``min_users`` and ``surge_allow`` x the rate x the window's events (or the usual day's, if fewer)."""
    hour, w = int(ts // HOUR_S), policy.window_h

    def inside(end: int) -> list[tuple[bool, str]]:
        return [(fired, user) for t, fired, user in seen if end - w < int(t // HOUR_S) <= end]

    window = inside(hour)
    borrowers = len({user for fired, user in window if fired})
    if borrowers <= policy.min_users:
        return 1.0
    n: float = len(window)
    before = [b for b in (len(inside(hour - k * w)) for k in range(1, 8)) if b]
    if policy.usual_volume and len(before) >= 3:
        n = min(n, float(statistics.median(before)))
    return max(1.0, borrowers / max(float(policy.min_users), policy.surge_allow * rate * n))


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 2 * HOUR_S), st.booleans(), st.integers(0, 40)), min_size=1, max_size=300),
    min_users=st.integers(1, 6),
    window_h=st.integers(1, 30),
    usual_volume=st.booleans(),
    rate=st.sampled_from([0.001, 0.01, 0.1]),
)
def test_the_surge_agrees_with_a_brute_force_count(steps, min_users, window_h, usual_volume, rate) -> None:
    """Including the cache: the window's earlier hours are unioned once an hour and the hour's new
    borrowers counted as they come, which must count exactly as the definition."""
    policy = StormPolicy(min_users=min_users, window_h=window_h, usual_volume=usual_volume)
    w, seen, ts = StormWatch(policy), [], 0.0
    for gap, fired, user in steps:  # in event-time order, as one partition delivers them
        ts += gap
        assert w.surge(ts, rate) == brute_force(seen, ts, rate, policy)
        w.observe(ts, [MODEL] if fired else [], f"u{user}")
        seen.append((ts, fired, f"u{user}"))


@given(rank=st.floats(0.0, 1.0), other=st.floats(0.0, 1.0), surge=st.floats(1.0, 1e4))
def test_a_discounted_rank_keeps_the_order_and_never_rises(rank, other, surge) -> None:
    assert discounted_rank(rank, 1.0) == 1.0 - max(1.0 - rank, MIN_SHARE)
    assert discounted_rank(rank, surge) <= discounted_rank(rank, 1.0)
    if rank <= other:
        assert discounted_rank(rank, surge) <= discounted_rank(other, surge)


def test_a_one_in_a_thousand_loan_on_a_tenfold_day_reads_as_one_in_a_hundred() -> None:
    assert abs(discounted_rank(0.999, 10.0) - 0.99) < 1e-12
    assert discounted_rank(0.5, 10.0) == 0.0


class Ranked(StubModel):
    """Scores are their own ranks (a history spread evenly over [0, 1]); the alert line at 0.99."""

    def __init__(self) -> None:
        super().__init__()
        self.by_type = {"loan": Lines(threshold=0.99, high=0.999), "repayment": Lines()}

    def score_ranks(self, event_type: str):
        class Identity:
            def __call__(self, scores: np.ndarray) -> np.ndarray:
                return np.asarray(scores)

            def score_at(self, ranks: np.ndarray) -> np.ndarray:
                return np.asarray(ranks)

        return Identity() if event_type == "loan" else None


def decision(model_score: float) -> Decision:
    return Decision(score=model_score, model_score=model_score, threshold=0.99, model_fired=model_score >= 0.99,
                    rule_hits=(), severity="high" if model_score >= 0.999 else "low" if model_score >= 0.99 else None,
                    vector=np.zeros(1))


def test_a_surge_takes_a_model_alert_under_its_line_and_reads_the_severity_again() -> None:
    model = Ranked()
    calm, surged = discounted(model, "loan", decision(0.9995), 1.0), discounted(model, "loan", decision(0.9995), 5.0)
    assert calm == decision(0.9995) and calm.surge == 1.0
    assert abs(surged.model_score - 0.9975) < 1e-12 and surged.model_fired and surged.severity == "medium"
    assert surged.surge == 5.0
    gone = discounted(model, "loan", decision(0.995), 5.0)
    assert abs(gone.model_score - 0.975) < 1e-12 and not gone.model_fired and gone.severity is None
    assert discounted(model, "repayment", decision(0.995), 5.0) == decision(0.995)  # no ranks: as it was
