"""The overdue early warning: compiled trees score exactly as scikit-learn's, the artefact
round-trips without pickle, calibration reads as a probability, and a history too thin or
too random to learn from trains none (saying why)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier

from models.boosting import CompiledBoosting
from models.early_warning import MIN_BAD, EarlyWarning, expected_calibration_error, fit_early_warning
from models.model import load, save
from models.train import labelled_rows, top_threshold, train
from stream.core.contract import parse_document
from stream.core.pipeline import featurize
from stream.core.scoring import on_forest_scale
from stream.sim import SimConfig, generate

NAMES = tuple(f"f{i}" for i in range(6))


def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bad outcomes whose log-odds rise with f0 and f3 (a known, learnable truth)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(NAMES)))
    X[rng.random(X.shape) < 0.02] = np.nan
    logit = -3.5 + 1.5 * np.nan_to_num(X[:, 0]) + 0.8 * np.nan_to_num(X[:, 3])
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)


@lru_cache(maxsize=1)
def _fitted():
    X, y = _synthetic(6000, 1)
    return fit_early_warning(X, y, NAMES, seed=3)


def test_compiled_trees_score_exactly_as_scikit_learn_and_their_contributions_add_up() -> None:
    X, y = _synthetic(3000, 2)
    clf = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=9, early_stopping=False).fit(X, y)
    trees = CompiledBoosting.from_sklearn(clf)
    np.testing.assert_allclose(trees.raw(X), clf.decision_function(X), rtol=0, atol=1e-9)
    again = CompiledBoosting(trees.to_arrays())
    np.testing.assert_array_equal(again.raw(X), trees.raw(X))
    share = trees.contributions(X[:50])
    np.testing.assert_allclose(trees.root_value() + share.sum(axis=1), trees.raw(X[:50]), atol=1e-9)


def test_broken_tree_arrays_are_refused() -> None:
    arrays = _fitted().model.trees.to_arrays()
    arrays["left"] = arrays["left"].copy()
    arrays["left"][0, 0] = arrays["left"].shape[1] + 5
    with pytest.raises(ValueError, match="child ids"):
        CompiledBoosting(arrays)


def test_probabilities_are_calibrated_on_loans_it_never_saw() -> None:
    X, y = _synthetic(20000, 9)
    p = _fitted().model.probability(X)
    assert expected_calibration_error(p, y) <= 0.02
    assert abs(p.mean() - y.mean()) <= 0.01
    for risky in (0, 3):  # the two features that make a loan go bad drive its warning
        x = np.zeros(len(NAMES))
        x[risky] = 3.0
        assert _fitted().model.drivers(x)[0][0] == risky


def test_too_few_bad_outcomes_or_no_signal_train_nothing_and_say_why() -> None:
    X, y = _synthetic(3000, 4)
    few = y.copy()
    few[np.flatnonzero(few)[MIN_BAD - 1:]] = 0
    with pytest.raises(ValueError, match=f"at least {MIN_BAD}"):
        fit_early_warning(X, few, NAMES)
    noise = np.random.default_rng(5).permutation(y)
    with pytest.raises(ValueError, match="not predictable"):
        fit_early_warning(X, noise, NAMES)


def test_outcomes_ranked_barely_above_chance_train_nothing() -> None:
    """A weak signal passes the ROC-AUC floor yet puts bad loans first barely more often than chance."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(6000, len(NAMES)))
    y = (rng.random(6000) < 0.05).astype(np.int64)
    X[:, 0] += 0.7 * y  # bad loans sit a little higher on one feature: ROC-AUC about 0.69
    with pytest.raises(ValueError, match="barely predictable"):
        fit_early_warning(X, y, NAMES)
    X[:, 0] += 2.0 * y  # a strong signal on the same loans is learnt
    assert fit_early_warning(X, y, NAMES).model is not None


def test_a_tampered_reference_probability_refuses_the_artefact() -> None:
    model = _fitted().model
    arrays = model.to_arrays()
    arrays["reference_p"] = arrays["reference_p"] + 1e-3
    with pytest.raises(ValueError, match="differ from training"):
        EarlyWarning.from_artifact(arrays, model.to_meta())


def test_the_revolving_products_travel_with_the_artefact_and_older_artefacts_read_none() -> None:
    """The stream realises a revolving product's loans by lateness only (``stream.core.outcome_watch``)."""
    model = replace(_fitted().model, revolving=("credit_line",))
    assert EarlyWarning.from_artifact(model.to_arrays(), model.to_meta()).revolving == ("credit_line",)
    older = {k: v for k, v in model.to_meta().items() if k != "revolving"}
    assert EarlyWarning.from_artifact(model.to_arrays(), older).revolving == ()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.1, 0.2, 0.5, 0.7, 0.9, 1.0]) | st.floats(0, 1), min_size=1, max_size=60),
       st.floats(0, 70))
def test_the_threshold_never_lets_more_than_its_budget_alert(values: list[float], k: float) -> None:
    v = np.array(values)
    t = top_threshold(v, k)
    assert (v >= t).sum() <= max(int(k), 0)
    lower = v[v < t]
    if len(lower):  # and it is the lowest such threshold: the next value down would overshoot
        assert (v >= lower.max()).sum() > int(k)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1), st.floats(0.01, 0.9), st.floats(0, 0.09), st.floats(0.3, 0.8), st.floats(0, 0.15))
def test_the_early_warning_alerts_on_the_forest_scale_exactly_when_it_crosses_its_own_threshold(
    p: float, ew_t: float, ew_gap: float, t: float, gap: float
) -> None:
    class Line:
        scale = None  # an artefact from before the knots: linear between the lines

        def __init__(self, threshold: float, high: float) -> None:
            self.threshold, self.high_threshold = threshold, high

    ew, tm = Line(ew_t, min(1.0, ew_t + ew_gap)), Line(t, t + gap)
    mapped = float(on_forest_scale(np.array([p]), ew, tm)[0])  # type: ignore[arg-type]
    assert (mapped >= t) == (p >= ew_t)
    assert 0.0 <= mapped <= 1.0
    assert on_forest_scale(np.array([p, min(1.0, p + 0.01)]), ew, tm).tolist() == sorted(
        on_forest_scale(np.array([p, min(1.0, p + 0.01)]), ew, tm).tolist())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    events, _ = generate(SimConfig(users=1500, days=75, seed=11, user_prefix="ew"))
    return events


@pytest.fixture(scope="module")
def history(documents: list[dict]) -> list:
    return [parse_document(e) for e in documents]


@pytest.fixture(scope="module")
def trained(history: list):
    return train(history, n_estimators=50)


def test_training_on_a_history_with_outcomes_gives_an_early_warning_that_survives_save_and_load(
    history: list, trained, tmp_path: Path
) -> None:
    model = trained
    info = model.meta["early_warning"]
    assert info["trained"] and info["bad"] >= MIN_BAD and model.early_warning is not None
    assert info["revolving"] == {}  # the simulator's lender calls a repayment after the term late
    assert 0 < model.early_warning.threshold <= model.early_warning.high_threshold <= 1
    save(model, tmp_path / "m")
    again = load(tmp_path / "m")
    assert again.early_warning is not None
    loans = [(e, r) for e, r in featurize(history) if e.event_type == "loan"][-300:]
    V = np.stack([model.prepare_full(r, e.segment) for e, r in loans])[:, model.early_warning_columns]
    np.testing.assert_array_equal(again.early_warning.probability(V), model.early_warning.probability(V))
    assert model.early_warning.scale is not None and again.early_warning.scale is not None
    for ours, theirs in zip(model.early_warning.scale, again.early_warning.scale):
        np.testing.assert_array_equal(ours, theirs)
    tm = model.by_type["loan"]
    assert np.interp(model.early_warning.threshold, *model.early_warning.scale) >= tm.threshold
    assert np.interp(model.early_warning.high_threshold, *model.early_warning.scale) >= tm.high_threshold
    floor, ceiling = 0.1, 0.6  # train's defaults
    assert floor <= info["share"] <= ceiling and info["forest_pr_auc"] > 0


#: Run in a fresh interpreter: what ``riskmon worker`` imports, then ``riskmon score`` with a model holding
#: an early warning and the blend (tails and core forest).
_SCORE_WITHOUT_SKLEARN = '''
import json, sys
import stream.local.model_store, stream.local.processes, stream.worker.main
from stream.cli import main
from models.model import load
model = load(sys.argv[1])
assert main(["score", "--model", sys.argv[1], "--input", sys.argv[2], "--output", sys.argv[3]]) == 0
print(json.dumps({"readers": [model.early_warning is not None, model.by_type["loan"].blend is not None],
                  "imported": sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy"})}))
'''


def test_the_worker_and_riskmon_score_score_without_importing_scikit_learn(
    documents: list[dict], trained, tmp_path: Path
) -> None:
    """Scoring runs on compiled arrays; importing scikit-learn (and SciPy) would cost every worker
    start and every ``riskmon score`` about 2 s, so only training may import it."""
    save(trained, tmp_path / "m")
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in documents[-500:]), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", _SCORE_WITHOUT_SKLEARN, str(tmp_path / "m"), str(events),
                           str(tmp_path / "scores.jsonl")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"readers": [True, True], "imported": []}, seen
    assert len((tmp_path / "scores.jsonl").read_text(encoding="utf-8").splitlines()) >= 500


def test_the_features_paired_with_a_label_are_the_streams_at_the_loan(history: list) -> None:
    """Replaying only the events up to a loan gives the same feature row as the whole history:
    a feature that read anything after the loan would differ."""
    rows = [r for e, r in featurize(history)]
    events = list(history)
    for i in (len(events) // 3, len(events) // 2, len(events) - 1):
        prefix_rows = [r for _, r in featurize(events[: i + 1])]
        assert prefix_rows[-1] == rows[len(prefix_rows) - 1]


def test_switched_off_the_model_has_no_early_warning(history: list) -> None:
    model = train(history, n_estimators=20, outcomes=None)
    assert model.early_warning is None and model.meta["early_warning"] == {"trained": False, "reason": "switched off"}


def test_an_early_warning_worse_than_the_anomaly_model_at_the_historys_outcomes_is_not_used() -> None:
    """Below the line the ranking is the larger of the two scores, so an early warning that
    predicts the outcomes worse than the model would only reorder the model's ranking."""
    from models.model import ROW_FEATURES, feature_columns
    from models.outcomes import OutcomeRules
    from models.train import _early_warning

    width = len(ROW_FEATURES["loan"])
    rng = np.random.default_rng(5)
    V = rng.normal(size=(4000, width))
    column = feature_columns("loan", ROW_FEATURES["loan"])[0]
    bad = rng.random(4000) < 1 / (1 + np.exp(-(-4.0 + 1.5 * V[:, column])))  # learnable, noisily
    loan_ids = [f"e{i}" for i in range(4000)]
    labels = {f"e{i}": bool(b) for i, b in enumerate(bad)}
    args = (loan_ids, V, labels, OutcomeRules(), np.ones(4000, bool), np.zeros(4000, bool), 0.01, (0.1, 0.6), 7)
    knows_better = bad + 0.01 * rng.random(4000)  # a model that ranks every bad outcome first
    model, meta, p = _early_warning(*args, knows_better)
    assert model is None and p is None and not meta["trained"]
    assert meta["held_out_pr_auc"] < meta["forest_pr_auc"] and "not used" in meta["reason"]
    model, meta, p = _early_warning(*args, rng.random(4000))  # a model blind to the outcomes
    assert model is not None and meta["trained"] and meta["held_out_pr_auc"] > meta["forest_pr_auc"]


def test_a_history_in_which_no_outcome_has_matured_says_that_a_longer_one_is_needed() -> None:
    """Lateness settings cannot help when no loan's first due date plus the grace days falls inside
    the history (a 45-day history of monthly instalment plans): the reason says what would."""
    from models.model import ROW_FEATURES
    from models.outcomes import OutcomeRules
    from models.train import _early_warning

    loan_ids = [f"e{i}" for i in range(100)]
    V = np.zeros((100, len(ROW_FEATURES["loan"])))
    model, meta, p = _early_warning(loan_ids, V, {}, OutcomeRules(grace_days=20), np.ones(100, bool),
                                    np.zeros(100, bool), 0.01, (0.1, 0.6), 7, np.zeros(100))
    assert model is None and p is None and meta["labelled"] == 0 and not meta["trained"]
    assert "outcome_grace_days, 20 days" in meta["reason"] and "longer history" in meta["reason"]


def test_a_loan_sent_again_is_trained_on_once_with_its_features_at_the_loan() -> None:
    """An outside review's case: a loan event re-sent after 16 newer events of its user is folded
    again offline, and that second row (its features holding the loan's own lateness) was paired
    with the loan's label.  Only each labelled loan's first row is trained on."""
    loan_ids = ["l-1", "l-2", "l-1", "l-3", "l-2"]
    assert labelled_rows(loan_ids, {"l-1": True, "l-3": False}).tolist() == [0, 3]
    assert labelled_rows(loan_ids, {}).tolist() == []
