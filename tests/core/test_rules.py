"""Typology rules on hand-made feature rows (the quality benchmark covers them end to end)."""

from __future__ import annotations

import pytest

from stream.core.contract import SEGMENTS
from stream.core.features import LOAN_FEATURES, REPAYMENT_FEATURES, FeatureRow
from stream.core.rules import RuleConfig, evaluate_rules


def _row(event_type: str, **values: float) -> FeatureRow:
    names = LOAN_FEATURES if event_type == "loan" else REPAYMENT_FEATURES
    unknown = set(values) - set(names)
    assert not unknown, unknown
    return FeatureRow(event_type, tuple(float(values.get(n, 0.0)) for n in names))


def _fired(row: FeatureRow) -> list[str]:
    return [h.rule for h in evaluate_rules(row, RuleConfig())]


@pytest.mark.parametrize("segment", SEGMENTS)
def test_student_rules_follow_the_segment_vocabulary(segment: str) -> None:
    """The student rules key on SEGMENTS.index("student"), not on a code written into them."""
    code = SEGMENTS.index(segment)
    heavy = _row("loan", segment_code=code, loans_30d=8, distinct_products_7d=2)
    late = _row("repayment", segment_code=code, amount_30d_over_limit=1.5, days_late=1)
    expected = ["student_overborrowing"] if segment == "student" else []
    assert _fired(heavy) == expected
    assert _fired(late) == expected


@pytest.mark.parametrize("event_type", ["loan", "repayment"])
@pytest.mark.parametrize("level", [0.0, 1.0, 2.0, 5.0, 50.0])
def test_rules_read_only_features_of_their_event_type(event_type: str, level: float) -> None:
    """Rules read a row by feature name; a name the event type lacks would raise here
    (rows at several levels take the rules' branches, their texts included)."""
    names = LOAN_FEATURES if event_type == "loan" else REPAYMENT_FEATURES
    for hit in evaluate_rules(_row(event_type, **dict.fromkeys(names, level)), RuleConfig()):
        assert hit.text


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


def test_a_late_repayment_while_living_on_short_loans() -> None:
    churn = dict(short_loans_30d=4, segment_code=0)
    hit = evaluate_rules(_row("repayment", days_late=2, **churn), RuleConfig())
    assert [h.rule for h in hit] == ["overdue_escalation"]
    assert hit[0].text == "4 short-term loans (up to 14 days) in 30d and the latest repayment 2 days late"
    assert _fired(_row("loan", late_last=1, **churn)) == ["overdue_escalation"]
    # Short loans repaid on time, or one late payment without them, are ordinary.
    assert _fired(_row("repayment", days_late=0, **churn)) == []
    assert _fired(_row("loan", late_last=0, **churn)) == []
    assert _fired(_row("repayment", days_late=2, short_loans_30d=3, segment_code=0)) == []
    stricter = RuleConfig(overdue_short_loans_30d=5)
    assert evaluate_rules(_row("repayment", days_late=2, **churn), stricter) == []


def test_riskmon_train_spends_the_budget_on_the_rules_in_force(tmp_path, monkeypatch) -> None:
    """Rule hits on the history take the alert budget first, so training must read the
    same ``rules_file`` as the worker: here a file that makes every loan a stacking hit
    leaves the forest no loan budget at all."""
    import json

    from models.model import load
    from stream.cli import main
    from stream.sim import SimConfig, generate, write_jsonl

    events, _ = generate(SimConfig(users=200, days=20, seed=3))
    history = tmp_path / "history.jsonl"
    write_jsonl(history, events)
    monkeypatch.setenv("RISKMON_LOG_LEVEL", "ERROR")
    assert main(["train", "--input", str(history), "--output", str(tmp_path / "default")]) == 0
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"stacking_loans_24h": 1, "stacking_products_7d": 1}))
    monkeypatch.setenv("RISKMON_RULES_FILE", str(rules))
    assert main(["train", "--input", str(history), "--output", str(tmp_path / "ruled")]) == 0
    default, ruled = (load(tmp_path / name).by_type["loan"] for name in ("default", "ruled"))
    assert default.threshold < ruled.threshold
    assert ruled.threshold >= ruled.reference_scores.max()  # the highest training score: no budget left


def test_a_model_remembers_its_rules_and_the_worker_names_the_changed_ones(tmp_path, caplog) -> None:
    from dataclasses import asdict

    from models.model import load, save
    from models.train import train
    from stream.worker.app import warn_if_trained_with_other_rules
    from stream.core.contract import parse_document
    from stream.sim import SimConfig, generate

    events, _ = generate(SimConfig(users=100, days=10, seed=4))
    save(train((parse_document(e) for e in events), n_estimators=20), tmp_path)
    model = load(tmp_path)
    assert model.meta["rules"] == asdict(RuleConfig())
    assert warn_if_trained_with_other_rules(model, RuleConfig()) == []
    changed = RuleConfig(overdue_short_loans_30d=3, stacking_loans_24h=6)
    with caplog.at_level("WARNING", logger="stream.worker.app"):
        assert warn_if_trained_with_other_rules(model, changed) == ["stacking_loans_24h", "overdue_short_loans_30d"]
    assert "stacking_loans_24h, overdue_short_loans_30d" in caplog.text and model.version in caplog.text
    assert RuleConfig().differs_from(None) == []
