"""bench/feature_ceiling.py's pure part: the per-scenario ranking (the readers are models.tails', tested there).

The script itself fits models on generated worlds for minutes and is measured,
not tested (docs/worlds.md); what it computes from a matrix is checked here.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.bench.scripts import ROOT, load

sys.path.insert(0, str(ROOT / "bench"))
fc = load("feature_ceiling")


def test_ranking_reports_each_scenario_against_the_label_0_rows_only() -> None:
    y = np.array([0, 0, 0, 0, 1, 1, 1])
    scenario = np.array(["normal"] * 4 + ["a", "a", "b"])
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.25])
    result = fc.ranking(y, scenario, scores)
    assert result["scenarios"]["a"] == 1.0
    assert result["scenarios"]["b"] == pytest.approx(0.5)  # above two of the four label-0 rows
    assert 0 < result["pr"] <= 1 and 0.5 < result["roc"] < 1
