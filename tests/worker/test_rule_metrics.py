"""What the model did on its training history as gauges (riskmon_rule_enabled, riskmon_rule_expected_hit_rate,
riskmon_model_expected_alert_rate), at start and on a model swap."""

from __future__ import annotations

from dataclasses import replace

import pytest
from prometheus_client import REGISTRY

from models.calibrate import Calibration
from models.model import RiskModel
from models.train import train
from models.training_rows import warm_start
from stream.core.contract import LoanEvent, parse_document
from stream.core.pipeline import featurize
from stream.core.rules import RULE_IDS, RuleConfig
from stream.sim import SimConfig, generate
from stream.worker import metrics
from stream.worker.app import ModelRef


def _enabled(rule: str) -> float | None:
    return REGISTRY.get_sample_value("riskmon_rule_enabled", {"rule": rule})


def _expected(rule: str) -> float | None:
    return REGISTRY.get_sample_value("riskmon_rule_expected_hit_rate", {"rule": rule})


@pytest.fixture(scope="module")
def history() -> list:
    events, _ = generate(SimConfig(users=300, days=20, seed=3, user_prefix="hist"))
    return [parse_document(e) for e in events]


def _switched_off(model: RiskModel, rule: str) -> RiskModel:
    """``model`` as if calibration had switched ``rule`` off (meta edited: no retraining needed)."""
    meta = dict(model.meta)
    meta["rules"] = {**meta["rules"], "disabled": [rule]}
    cal = dict(meta["rule_calibration"])
    cal["rules"] = [dict(o, action="switched off", after={t: [v[0], 0, 0] for t, v in o["after"].items()})
                    if o["rule"] == rule else o for o in cal["rules"]]
    meta["rule_calibration"] = cal
    return replace(model, version=model.version + "-off", meta=meta)


def test_the_gauges_follow_the_model_in_force(history) -> None:
    model = train(history, n_estimators=20)
    expected = Calibration.from_meta(model.meta).expected_hit_rate()
    assert expected["overdue_escalation"] > 0  # the simulated history has escalations
    ref = ModelRef(model, RuleConfig())
    assert [_enabled(r) for r in RULE_IDS] == [1.0] * len(RULE_IDS)
    assert _expected("overdue_escalation") == pytest.approx(expected["overdue_escalation"])
    ref.swap(_switched_off(model, "overdue_escalation"))  # a reload switches to the new model's rules
    assert _enabled("overdue_escalation") == 0.0 and _enabled("loan_stacking") == 1.0
    assert _expected("overdue_escalation") is None and _expected("loan_stacking") == pytest.approx(expected["loan_stacking"])
    ref.swap(model)
    assert _enabled("overdue_escalation") == 1.0 and _expected("overdue_escalation") is not None


def test_a_model_trained_with_calibration_off_shows_the_configured_rules(history) -> None:
    model = train(history, n_estimators=20, calibrate_rules=False)
    ModelRef(model, RuleConfig(disabled=("limit_jump_drain",)))
    assert _enabled("limit_jump_drain") == 0.0 and _expected("limit_jump_drain") is None
    assert _enabled("loan_stacking") == 1.0


def test_the_models_own_alert_rate_on_its_history_is_published(history) -> None:
    """riskmon_model_expected_alert_rate: the warm history's events (all types) whose score reaches
    its type's threshold, recounted here through the saved model's own scoring; 0 for a model
    trained before it was recorded (RiskmonModelHotterThanTraining then stays quiet)."""
    model = train(history, n_estimators=20)
    warm_from = warm_start([e.ts for e in history])
    hits = total = 0
    for event, row in featurize(history):
        if event.ts >= warm_from:
            x = model.prepare(row, event.segment if isinstance(event, LoanEvent) else None)
            hits += bool(model.score(row.event_type, x[None])[0] >= model.by_type[row.event_type].threshold)
            total += 1
    assert 0 < hits < total
    assert model.expected_model_rate == pytest.approx(hits / total)
    ref = ModelRef(model, RuleConfig())
    assert REGISTRY.get_sample_value("riskmon_model_expected_alert_rate") == pytest.approx(hits / total)
    older = {k: v for k, v in model.meta.items() if k != "model_expected_alert_rate"}
    ref.swap(replace(model, version=model.version + "-older", meta=older))
    assert REGISTRY.get_sample_value("riskmon_model_expected_alert_rate") == 0.0


def test_storming_gauges_split_the_model_from_the_rules() -> None:
    from stream.core.rule_storm import MODEL
    from stream.worker.metrics import set_storming

    set_storming(frozenset({MODEL}), ["loan_stacking", MODEL])
    assert REGISTRY.get_sample_value("riskmon_model_storming") == 1.0
    assert REGISTRY.get_sample_value("riskmon_rule_storming", {"rule": "loan_stacking"}) == 0.0
    assert REGISTRY.get_sample_value("riskmon_rule_storming", {"rule": MODEL}) is None  # never a rule's series
    set_storming(frozenset({"loan_stacking"}), ["loan_stacking", MODEL])
    assert REGISTRY.get_sample_value("riskmon_model_storming") == 0.0
    assert REGISTRY.get_sample_value("riskmon_rule_storming", {"rule": "loan_stacking"}) == 1.0


def test_the_surge_gauge_reads_the_watchs_discount() -> None:
    from stream.core.rule_storm import StormPolicy, StormWatch
    from stream.worker.metrics import set_surge

    watch = StormWatch(StormPolicy(min_users=10, usual_volume=False))
    for i in range(200):
        watch.observe(0.0, [], f"u{i}", i < 50)
    set_surge(watch.surge(0.0))
    assert REGISTRY.get_sample_value("riskmon_model_surge") == 5.0  # 50 borrowers far out against min_users 10
    set_surge(watch.surge(30 * 3600.0))
    assert REGISTRY.get_sample_value("riskmon_model_surge") == 1.0


def test_the_early_warnings_lateness_is_published_for_the_calibration_rules(history) -> None:
    """riskmon_early_warning_late_days: the lateness the watch realises bad outcomes with, which the
    shipped rules' 15-day offset assumes (RiskmonEarlyWarningLateDaysUnaligned); 0 without one."""
    from tests.core.stub_model import AmountEarlyWarning

    model = train(history, n_estimators=20)
    ref = ModelRef(replace(model, early_warning=None), RuleConfig())
    assert REGISTRY.get_sample_value("riskmon_early_warning_late_days") == 0.0
    later = AmountEarlyWarning()
    later.late_days = 30
    ref.swap(replace(model, version=model.version + "-30", early_warning=later))
    assert REGISTRY.get_sample_value("riskmon_early_warning_late_days") == 30.0


def test_the_exposition_has_no_created_series() -> None:
    """prometheus-client adds a ``<name>_created`` sample per counter and histogram child, which no
    dashboard or rule reads; an outside review found them on /metrics, undocumented."""
    from prometheus_client import generate_latest

    metrics.EVENTS.labels("loan", "scored").inc(0)
    metrics.SCORES.labels("loan").observe(0.5)
    samples = [line.split("{")[0].split(" ")[0] for line in generate_latest().decode().splitlines()
               if line and not line.startswith("#")]
    assert "riskmon_events_processed_total" in samples
    assert not [s for s in samples if s.endswith("_created")]
