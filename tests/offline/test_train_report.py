"""``riskmon train`` says what the history's outcomes gave the early warning (``report_early_warning``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from stream.offline.train import report_early_warning

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
