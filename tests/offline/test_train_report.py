"""``riskmon train`` says what the history's outcomes gave the early warning (``report_early_warning``) and
what rule calibration did, with a note per rule its users trip again and again (``report_rules``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from models.calibrate import EVERY, calibrate
from stream.core.features import LOAN_FEATURES, FeatureRow
from stream.core.rules import RuleConfig
from stream.offline.train import report_early_warning, report_rules

USED = {"trained": True, "bad": 60, "labelled": 5000, "calibration": "platt", "threshold": 0.8,
        "held_out_pr_auc": 0.25, "forest_pr_auc": 0.14, "share": 0.6}


def test_a_used_early_warning_reports_its_skill_and_share(capsys: pytest.CaptureFixture) -> None:
    report_early_warning(SimpleNamespace(meta={"early_warning": USED}))
    out = capsys.readouterr().out
    assert "60 bad outcomes among 5000 labelled loans (1.20%)" in out
    assert "PR-AUC on the labelled loans 0.250 against the anomaly model's 0.140" in out
    assert "share of what the rules leave of the loan budget is 60%" in out


def test_an_early_warning_not_used_says_why_on_stderr(capsys: pytest.CaptureFixture) -> None:
    report_early_warning(SimpleNamespace(meta={"early_warning": {"trained": False, "reason": "switched off"}}))
    captured = capsys.readouterr()
    assert captured.out == "" and "early warning: none: switched off" in captured.err


def _takeover_habit(users_counted: str) -> SimpleNamespace:
    """A model whose history has 15 of 500 users trip account_takeover three times each."""
    takeover = FeatureRow("loan", tuple(float({"recent_device": 1, "night_hour": 1, "amount_1h_over_limit": 0.7}
                                              .get(n, 0.0)) for n in LOAN_FEATURES))
    plain = FeatureRow("loan", tuple(0.0 for _ in LOAN_FEATURES))
    rows = [(f"u{u}", "loan", takeover if u < 15 and k < 3 else plain) for u in range(500) for k in range(10)]
    cal = calibrate(rows, RuleConfig(), 0.01, users_counted=users_counted)
    return SimpleNamespace(meta={"rule_calibration": cal.to_meta(), "rules": cal.effective.as_dict()})


def test_the_rule_table_notes_a_rule_its_users_trip_again_and_again(capsys: pytest.CaptureFixture) -> None:
    report_rules(_takeover_habit("once"))
    captured = capsys.readouterr()
    assert "users = users hit once in the last fortnight" in captured.out
    assert "note: account_takeover fires on 3.00% of the last fortnight's users (15)" in captured.err
    report_rules(_takeover_habit(EVERY))
    captured = capsys.readouterr()
    assert "users = users hit at all in the last fortnight" in captured.out and "note:" not in captured.err


def test_a_product_read_as_revolving_is_reported_with_its_evidence(capsys: pytest.CaptureFixture) -> None:
    why = "1,151 of its 1,458 loans repaid after their term were repaid on time there"
    report_early_warning(SimpleNamespace(meta={"early_warning": {**USED, "revolving": {"credit_line": why}}}))
    out = capsys.readouterr().out
    assert f"outcome labels: credit_line read as revolving ({why}): its loans are bad by lateness only" in out


def test_the_last_line_counts_the_events_trained_on_without_repeated_deliveries(tmp_path, monkeypatch, capsys) -> None:
    from stream.cli import main
    from stream.sim import SimConfig, generate, write_jsonl

    events, _ = generate(SimConfig(users=200, days=20, seed=3))
    history = tmp_path / "history.jsonl"
    write_jsonl(history, events + events[:37])  # 37 events delivered twice
    monkeypatch.setenv("RISKMON_LOG_LEVEL", "ERROR")
    assert main(["train", "--input", str(history), "--output", str(tmp_path / "model")]) == 0
    assert f"trained on {len(events)} events (37 repeated deliveries skipped) -> " in capsys.readouterr().out


def test_simulate_refuses_labels_written_over_its_events(tmp_path, monkeypatch, capsys) -> None:
    """An outside review's case: ``--labels`` the same path as ``--output`` wrote the labels over the events."""
    from stream.cli import main

    monkeypatch.setenv("RISKMON_LOG_LEVEL", "ERROR")
    same = str(tmp_path / "sim.jsonl")
    assert main(["simulate", "--users", "20", "--days", "3", "--output", same, "--labels", same]) == 1
    assert "is also" in capsys.readouterr().err and not (tmp_path / "sim.jsonl").exists()


@pytest.mark.parametrize("flags, said", [
    (["--alert-rate", "0"], "alert_rate must be between"),
    (["--alert-rate", "5"], "alert_rate must be between"),
])
def test_train_refuses_a_bad_alert_rate_before_reading_the_history(tmp_path, monkeypatch, capsys, flags, said) -> None:
    """An outside audit's case: ``--alert-rate 0`` trained at 1 % without a word, and other bad
    rates were refused only after the whole history was read (here: a history that does not exist)."""
    from stream.cli import main

    monkeypatch.setenv("RISKMON_LOG_LEVEL", "ERROR")
    assert main(["train", "--input", str(tmp_path / "missing.jsonl"), "--output", str(tmp_path / "m"), *flags]) == 1
    assert said in capsys.readouterr().err


def test_train_refuses_an_output_holding_other_files_before_reading_the_history(tmp_path, monkeypatch, capsys) -> None:
    from stream.cli import main

    monkeypatch.setenv("RISKMON_LOG_LEVEL", "ERROR")
    (tmp_path / "notes.md").write_text("mine")
    assert main(["train", "--input", str(tmp_path / "missing.jsonl"), "--output", str(tmp_path)]) == 1
    assert "holds other files (notes.md)" in capsys.readouterr().err and (tmp_path / "notes.md").read_text() == "mine"


def test_a_history_refused_says_how_many_of_its_lines_were_invalid(tmp_path, monkeypatch, capsys) -> None:
    """An outside audit's case: a history of invalid lines only said it had 0 borrowers."""
    from stream.cli import main

    monkeypatch.setenv("RISKMON_LOG_LEVEL", "ERROR")
    history = tmp_path / "history.jsonl"
    history.write_text("not json\n" * 30)
    assert main(["train", "--input", str(history), "--output", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert "30 invalid lines in" in err and "at least 20 are needed" in err
