"""Typology rules on hand-made feature rows (the quality benchmark covers them end to end)."""

from __future__ import annotations

from stream.features import LOAN_FEATURES, REPAYMENT_FEATURES, FeatureRow
from stream.rules import RuleConfig, evaluate_rules


def _row(event_type: str, **values: float) -> FeatureRow:
    names = LOAN_FEATURES if event_type == "loan" else REPAYMENT_FEATURES
    unknown = set(values) - set(names)
    assert not unknown, unknown
    return FeatureRow(event_type, tuple(float(values.get(n, 0.0)) for n in names))


def _fired(row: FeatureRow) -> list[str]:
    return [h.rule for h in evaluate_rules(row, RuleConfig())]


def test_rising_lateness_while_borrowing_fires_on_both_event_types() -> None:
    escalating = dict(late_rising=1, amount_30d_over_limit=0.95, segment_code=0)
    assert _fired(_row("repayment", days_late=4, **escalating)) == ["overdue_escalation"]
    assert _fired(_row("loan", late_last=4, **escalating)) == ["overdue_escalation"]
    hit = evaluate_rules(_row("repayment", days_late=4, **escalating), RuleConfig())[0]
    assert "each later than the late one before" in hit.text and "95% of the limit" in hit.text


def test_rising_lateness_needs_the_latest_repayment_late_and_real_borrowing() -> None:
    caught_up = dict(late_rising=1, amount_30d_over_limit=0.95, segment_code=0)
    assert _fired(_row("repayment", days_late=0, **caught_up)) == []
    assert _fired(_row("loan", late_last=0, **caught_up)) == []
    light = dict(late_rising=1, amount_30d_over_limit=0.5, segment_code=0)
    assert _fired(_row("repayment", days_late=4, **light)) == []
    assert _fired(_row("repayment", days_late=4, late_rising=0, amount_30d_over_limit=0.95)) == []


def test_late_with_loans_meanwhile_needs_real_borrowing() -> None:
    late_again = dict(days_late=3, overdue_days=12, loans_while_late=1, segment_code=0)
    assert _fired(_row("repayment", amount_30d_over_limit=0.7, **late_again)) == ["overdue_escalation"]
    # A well-behaved borrower a few days late on one loan and long late on a small
    # other one, with little borrowed this month, is not escalating.
    assert _fired(_row("repayment", amount_30d_over_limit=0.3, **late_again)) == []


def test_first_slip_after_drawing_the_whole_limit() -> None:
    drawn = dict(amount_30d_over_limit=1.1, segment_code=0)
    hit = evaluate_rules(_row("repayment", days_late=2, **drawn), RuleConfig())
    assert [h.rule for h in hit] == ["overdue_escalation"]
    assert hit[0].text == "repayment 2 days late after 110% of the limit was borrowed in 30d"
    assert _fired(_row("repayment", days_late=1, **drawn)) == []
    assert _fired(_row("repayment", days_late=2, amount_30d_over_limit=0.9, segment_code=0)) == []
    relaxed = RuleConfig(overdue_drawn_late_days=1, overdue_drawn_amount_30d_over_limit=0.8)
    assert [h.rule for h in evaluate_rules(_row("repayment", days_late=1, amount_30d_over_limit=0.9,
                                                segment_code=0), relaxed)] == ["overdue_escalation"]
