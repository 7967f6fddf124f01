"""bench/worlds_quality.py's pure helpers: leave-one-typology-out recall, from scores and labels to the table.

The harness itself runs the monitor's command line for minutes per world; it is
measured, not tested (docs/worlds.md).  What it computes on top of ``riskmon
evaluate`` is checked here on hand-made scores.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.evaluate import join_rows, scenario_quality
from stream.core.rules import RULE_IDS
from tests.bench.scripts import load

wq = load("worlds_quality")


def _score(eid: str, alert: bool = False, fired_by: tuple[str, ...] = ()) -> dict:
    return {"event_id": eid, "user_id": "u-" + eid, "event_type": "loan", "score": 0.9 if alert else 0.1,
            "threshold": 0.5, "alert": alert, "fired_by": list(fired_by)}


def _label(eid: str, scenario: str, label: int = 1) -> dict:
    return {"event_id": eid, "label": label, "scenario": scenario, "user_anomalous": label == 1}


SCORES = [
    _score("a1", True, ("model", "loan_stacking")),  # forest and rule
    _score("a2", True, ("loan_stacking",)),  # the rule alone
    _score("a3"),  # missed
    _score("a4", True, ("model",)),  # outside the window: not counted
    _score("b1", True, ("model",)),
    _score("b2"),
    _score("n1", True, ("model",)),  # label 0: no scenario's recall
    _score("x1", True, ("model",)),  # no label
]
LABELS = {lab["event_id"]: lab for lab in [
    _label("a1", "loan_stacking"), _label("a2", "loan_stacking"), _label("a3", "loan_stacking"),
    _label("a4", "loan_stacking"), _label("b1", "circular_repayment"), _label("b2", "circular_repayment"),
    _label("n1", "normal", label=0),
]}
WINDOW = {"a1", "a2", "a3", "b1", "b2", "n1", "x1"}


def test_recall_by_scenario_counts_the_alert_flag_and_the_forest_alone_in_the_window() -> None:
    got = wq.recall_by_scenario(SCORES, LABELS, WINDOW)
    assert got == {
        "circular_repayment": {"events": 2, "alerted": 1, "forest": 1, "recall": 0.5, "forest_recall": 0.5},
        "loan_stacking": {"events": 3, "alerted": 2, "forest": 1, "recall": 2 / 3, "forest_recall": 1 / 3},
    }


def test_recall_by_scenario_agrees_with_riskmon_evaluate() -> None:
    everything = set(LABELS) | {"x1"}
    rows, _ = join_rows(SCORES, LABELS.values())
    expected = {name: q["recall"] for name, q in scenario_quality(rows).items()}
    assert {name: q["recall"] for name, q in wq.recall_by_scenario(SCORES, LABELS, everything).items()} == expected


def test_the_harness_knows_every_rule() -> None:
    assert sorted(wq.RULES) == sorted(RULE_IDS)


def test_calibration_changes_names_what_training_did_not_keep(tmp_path: Path) -> None:
    rules = [{"rule": "loan_stacking", "action": "switched off", "factor": 1.0},
             {"rule": "overdue_escalation", "action": "tightened", "factor": 3.0},
             {"rule": "account_takeover", "action": "kept", "factor": 1.0}]
    (tmp_path / "model.json").write_text(json.dumps({"meta": {"rule_calibration": {"rules": rules}}}))
    assert wq.calibration_changes(tmp_path) == {"loan_stacking": "switched off",
                                                "overdue_escalation": "tightened x3"}
    assert wq.calibration_changes(tmp_path, held_out="loan_stacking") == {"overdue_escalation": "tightened x3"}


def _q(events: int, alerted: int, forest: int) -> dict:
    return {"events": events, "alerted": alerted, "forest": forest}


def _run(world: str, stacking_on: tuple[int, int, int], stacking_off: tuple[int, int, int],
         circular: tuple[int, int, int]) -> dict:
    return {"world": world, "seed": 1, "typology_out": {
        "all_rules": {"recall": {"loan_stacking": _q(*stacking_on), "circular_repayment": _q(*circular)},
                      "calibration": {}},
        "rule_off": {"loan_stacking": {"recall": {"loan_stacking": _q(*stacking_off)},
                                       "calibration": {"overdue_escalation": "tightened x3"}},
                     "account_takeover": {"recall": {"loan_stacking": _q(*stacking_on)}, "calibration": {}}},
    }}


RESULTS = [_run("w1", (10, 8, 2), (10, 3, 3), (20, 2, 2)), _run("w2", (30, 12, 6), (30, 9, 9), (10, 0, 0)),
           {"world": "w3", "seed": 1, "error": "RuntimeError: boom"}]


def test_typology_rows_take_each_typology_from_the_run_with_its_own_rule_off() -> None:
    rows = wq.typology_rows(RESULTS)
    assert [(r["world"], r["typology"]) for r in rows] == [
        ("w1", "circular_repayment"), ("w1", "loan_stacking"), ("w2", "circular_repayment"), ("w2", "loan_stacking")]
    stacking = rows[1]
    assert (stacking["events"], stacking["all_rules"], stacking["rule_off"]) == (10, 8, 3)
    assert (stacking["forest_all_rules"], stacking["forest_rule_off"]) == (2, 3)
    assert stacking["calibration_rule_off"] == {"overdue_escalation": "tightened x3"}
    circular = rows[0]
    assert circular["rule"] is False
    assert circular["rule_off"] is None and circular["forest_rule_off"] is None


def test_a_typology_written_into_another_rule_is_measured_with_that_rule_off() -> None:
    """circular_repayment is caught by borrow_to_repay's funded-repayment clause (``RULE_FOR``):
    its "rule off" numbers come from the run with borrow_to_repay switched off, and the table names it."""
    run = _run("w1", (10, 8, 2), (10, 3, 3), (20, 12, 2))
    run["typology_out"]["rule_off"]["borrow_to_repay"] = {
        "recall": {"circular_repayment": _q(20, 2, 1)}, "calibration": {}}
    circular = next(r for r in wq.typology_rows([run]) if r["typology"] == "circular_repayment")
    assert wq.RULE_FOR["circular_repayment"] == "borrow_to_repay"
    assert circular["rule"] is True and (circular["all_rules"], circular["rule_off"], circular["forest_rule_off"]) == (12, 2, 1)
    text, _ = wq.typology_tables([run])
    assert "| circular_repayment | borrow_to_repay | 20 (1) | 0.60 | 0.10 | 0.10 | 0.05 | 0.10 (w1-1) |" in text


def test_typology_summary_pools_the_runs_and_names_the_lowest() -> None:
    summary = wq.typology_summary(wq.typology_rows(RESULTS))
    assert list(summary) == ["loan_stacking", "circular_repayment"]  # typologies with a rule first
    s = summary["loan_stacking"]
    assert (s["events"], s["runs"]) == (40, 2)
    assert s["all_rules"] == pytest.approx(20 / 40) and s["rule_off"] == pytest.approx(12 / 40)
    assert s["forest_all_rules"] == pytest.approx(8 / 40) and s["forest_rule_off"] == pytest.approx(12 / 40)
    assert s["lowest"] == {"world": "w1", "seed": 1, "recall": pytest.approx(0.3)}
    c = summary["circular_repayment"]
    assert c["rule_off"] is None and c["all_rules"] == pytest.approx(2 / 30)
    assert c["lowest"]["world"] == "w2"


def test_typology_tables_show_every_row_and_the_errors() -> None:
    text, numbers = wq.typology_tables(RESULTS)
    assert "| loan_stacking | yes | 40 (2) | 0.50 | 0.30 | 0.20 | 0.30 | 0.30 (w1-1) |" in text
    assert "| circular_repayment | none | 30 (2) | 0.07 | – | 0.07 | – | 0.00 (w2-1) |" in text
    assert "| w1 | 1 | loan_stacking | 10 | 0.80 | 0.30 | 0.20 | 0.30 | overdue_escalation tightened x3 |" in text
    assert "| w3 | 1 | ERROR: RuntimeError: boom |" in text
    assert set(numbers) == {"summary", "rows"}


def _summary_run(world: str, held: int, held_label1: int) -> dict:
    auc = {"roc_auc": 0.8, "pr_auc": 0.5}
    return {"world": world, "seed": 1, "test_loans": 100, "test_loans_label1": 10, "monitor": auc, "forest": auc,
            "plain_baseline": auc, "user_recall": 0.4, "well_behaved_flagged_share": 0.01,
            "well_behaved_loan_alert_share": 0.01, "busiest_day_ratio": 0.5,
            "peak_day_ratio": 1.5,
            "at_threshold": {"held": {"alerts": held, "true_alerts": held_label1}}, "scenarios": {},
            "history_hit_rate": {}, "test_well_behaved_hit_rate": {}}


def test_the_table_names_the_loans_storms_held() -> None:
    text, _ = wq.tables([_summary_run("calm", 0, 0), _summary_run("campaign", 251, 7)])
    assert "held by storms" in text and "campaign seed 1 251 (7)" in text and "calm seed" not in text
    assert "| 0.50x (1.50x) |" in text  # the busiest day's ratio, the highest day's in brackets
    text, _ = wq.tables([_summary_run("calm", 0, 0)])
    assert "held by storms" not in text


def test_a_stream_starts_where_the_families_start_unless_it_starts_in_its_own_season() -> None:
    from datetime import timedelta

    at = wq.WORLD_START
    assert wq.stream_start([at + timedelta(hours=9), at + timedelta(days=58)], 59) == at
    assert wq.stream_start([at + timedelta(days=2, hours=3)], 59) == at  # a quiet first day moves nothing
    summer = [at + timedelta(days=186, hours=1), at + timedelta(days=240)]  # family J's fishing season
    assert wq.stream_start(summer, 59) == at + timedelta(days=186)
    abroad = [(at + timedelta(days=186, hours=7)).astimezone(wq.timezone(timedelta(hours=10)))]
    assert wq.stream_start(abroad, 59) == at + timedelta(days=186)  # the day is +08:00's
