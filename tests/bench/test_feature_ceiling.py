"""bench/feature_ceiling.py's pure parts: the directional reader and the per-scenario ranking.

The script itself fits models on generated worlds for minutes and is measured,
not tested (docs/worlds.md); what it computes from a matrix is checked here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from stream.core.features import LOAN_FEATURES

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
_spec = importlib.util.spec_from_file_location("feature_ceiling", ROOT / "bench" / "feature_ceiling.py")
fc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fc)


def _rows(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(n, len(LOAN_FEATURES)))


def test_every_directional_feature_is_a_loan_feature_and_has_one_direction() -> None:
    assert set(fc.RISKY_HIGH) <= set(LOAN_FEATURES) and set(fc.RISKY_LOW) <= set(LOAN_FEATURES)
    assert not set(fc.RISKY_HIGH) & set(fc.RISKY_LOW)


@pytest.mark.parametrize("name", ["amount_24h_over_limit", "log_hours_since_prev_loan"])
def test_the_risky_direction_scores_higher_and_the_other_direction_does_not(name: str) -> None:
    rng = np.random.default_rng(3)
    history = _rows(500, rng)
    j = LOAN_FEATURES.index(name)
    sign = -1.0 if name in fc.RISKY_LOW else 1.0
    middle, risky, safe, safer = (np.median(history, axis=0) for _ in range(4))
    risky[j] += sign * 5
    safe[j] -= sign * 5
    safer[j] -= sign * 50
    scores = fc.directional(history, np.vstack([middle, risky, safe, safer]))
    assert scores[2] < scores[0] < scores[1]
    assert scores[3] == pytest.approx(scores[2])  # beyond the safe end the feature adds nothing: its share is 1


def test_a_row_beyond_the_whole_history_is_capped_at_one_over_its_size() -> None:
    rng = np.random.default_rng(4)
    history = _rows(100, rng)
    row = np.median(history, axis=0)
    beyond = row.copy()
    beyond[LOAN_FEATURES.index("loans_24h")] = history[:, LOAN_FEATURES.index("loans_24h")].max() + 100
    gap = fc.directional(history, beyond[None])[0] - fc.directional(history, row[None])[0]
    share_at_median = 1 - np.searchsorted(np.sort(history[:, LOAN_FEATURES.index("loans_24h")]),
                                          row[LOAN_FEATURES.index("loans_24h")], side="left") / 100
    assert gap == pytest.approx(np.log(100) + np.log(share_at_median))


def test_ranking_reports_each_scenario_against_the_label_0_rows_only() -> None:
    y = np.array([0, 0, 0, 0, 1, 1, 1])
    scenario = np.array(["normal"] * 4 + ["a", "a", "b"])
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.25])
    result = fc.ranking(y, scenario, scores)
    assert result["scenarios"]["a"] == 1.0
    assert result["scenarios"]["b"] == pytest.approx(0.5)  # above two of the four label-0 rows
    assert 0 < result["pr"] <= 1 and 0.5 < result["roc"] < 1
