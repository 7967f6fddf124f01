"""The alert budget (models.train.budget_threshold): rules first, the model gets the rest, never under a tenth."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from models.train import budget_threshold
from models.training_rows import WARM_DAYS, warm_start


def _alerted(scores: np.ndarray, ruled: np.ndarray, threshold: float) -> int:
    return int(((scores >= threshold) | ruled).sum())


def test_without_rules_the_threshold_alerts_on_the_budget() -> None:
    scores = np.linspace(0, 1, 10_000)
    t = budget_threshold(scores, np.zeros(10_000, bool), 0.01)
    assert abs(_alerted(scores, np.zeros(10_000, bool), t) - 100) <= 1


def test_rule_hits_take_their_share_first() -> None:
    scores = np.linspace(0, 1, 10_000)
    ruled = np.zeros(10_000, bool)
    ruled[:60] = True  # low-scoring events that rules catch
    t = budget_threshold(scores, ruled, 0.01)
    assert abs(_alerted(scores, ruled, t) - 100) <= 1


@given(st.integers(0, 400), st.floats(0.001, 0.05))
def test_the_model_keeps_at_least_a_tenth_of_the_budget(n_ruled: int, rate: float) -> None:
    scores = np.linspace(0, 1, 4000)
    ruled = np.zeros(4000, bool)
    ruled[:n_ruled] = True
    t = budget_threshold(scores, ruled, rate)
    model_only = int(((scores >= t) & ~ruled).sum())
    assert model_only >= rate * 4000 / 10 - 1


DAY = 86400.0


@given(st.floats(0, 200), st.floats(1e9, 2e9))
def test_the_budget_is_measured_on_the_warm_part_of_the_history(span_days: float, first: float) -> None:
    """From WARM_DAYS after the first event, but never on less than the history's second half."""
    times = [first + span_days * DAY, first, first + span_days * DAY / 3]
    start = warm_start(times)
    assert abs(start - (first + min(WARM_DAYS * DAY, span_days * DAY / 2))) < 1e-3  # float seconds
    assert first <= start <= max(times) - (max(times) - first) / 2 + 1e-3


def test_a_60_day_history_sets_its_budget_from_day_21() -> None:
    assert warm_start([0.0, 60 * DAY]) == 21 * DAY and warm_start([]) == 0.0
