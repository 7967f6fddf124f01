"""Decision stage (stream.core.scoring): severity and the combined risk score."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream.core.scoring import RULE_BONUS, SEVERITIES, combined_score, severity_for

T, HIGH = 0.6, 0.8


@pytest.mark.parametrize(
    ("score", "rules", "expected"),
    [
        (0.50, 0, None),  # below the budget threshold, no rule: no alert
        (0.61, 0, "low"),  # just over the threshold
        (0.71, 0, "medium"),  # half-way to the high threshold
        (0.81, 0, "high"),  # a strong model outlier
        (0.50, 1, "medium"),  # a rule alone
        (0.61, 1, "high"),  # a rule the model agrees with
        (0.81, 1, "critical"),  # a rule the model agrees with strongly
        (0.10, 2, "critical"),  # two independent rules
    ],
)
def test_severity_table(score: float, rules: int, expected: str | None) -> None:
    assert severity_for(score, T, HIGH, rules) == expected


@given(st.floats(0, 1), st.integers(0, 5), st.integers(0, 5))
def test_more_evidence_never_lowers_severity(score: float, rules: int, more: int) -> None:
    rank = lambda s: -1 if s is None else SEVERITIES.index(s)  # noqa: E731
    assert rank(severity_for(score, T, HIGH, rules + more)) >= rank(severity_for(score, T, HIGH, rules))


@given(st.floats(0, 1), st.integers(0, 6))
def test_combined_score_keeps_the_models_view_and_ranks_more_rules_higher(model_score: float, rules: int) -> None:
    score = combined_score(model_score, rules)
    assert model_score <= score <= 1.0
    if rules == 0:
        assert score == model_score
    else:
        assert score == min(1.0, model_score + RULE_BONUS * rules) and score >= combined_score(model_score, rules - 1)
