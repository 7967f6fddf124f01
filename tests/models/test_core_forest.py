"""The core forest (``models.core_forest``): the third reader of the loan model's blend.

It must read only its named features, score exactly like the scikit-learn
forest it was compiled from, survive the artefact round trip inside a model,
and count in the blend with the same say as the other two readers.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest

from models.core_forest import CORE_FEATURES, MIN_CORE_COLUMNS, CoreForest
from models.forest import CompiledForest
from models.model import EVENT_FEATURES, RiskModel, from_artifact, to_artifact
from models.tails import blend
from tests.models.blend_models import model_with_blend

NAMES = EVENT_FEATURES["loan"]


def _history(n: int = 600, seed: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(size=(n, len(NAMES)))


def test_core_features_are_all_loan_model_columns() -> None:
    assert set(CORE_FEATURES) <= set(NAMES)
    assert len(set(CORE_FEATURES)) == len(CORE_FEATURES)


def test_reads_only_its_features_and_scores_as_scikit_learn_does() -> None:
    X = _history()
    core = CoreForest.fit(NAMES, X, n_estimators=25, max_samples=256, seed=3)
    assert core is not None
    assert [NAMES[i] for i in core.columns] == [n for n in NAMES if n in CORE_FEATURES]
    reference = IsolationForest(n_estimators=25, max_samples=256, random_state=3).fit(core.inputs(X))
    probes = _history(50, seed=9)
    np.testing.assert_allclose(core.score(probes), -reference.score_samples(core.inputs(probes)), atol=1e-12)
    # A column outside the core list changes nothing.
    other = NAMES.index(next(n for n in NAMES if n not in CORE_FEATURES))
    moved = probes.copy()
    moved[:, other] *= 1000
    np.testing.assert_array_equal(core.score(moved), core.score(probes))


def _with_segments(X: np.ndarray, codes: np.ndarray) -> np.ndarray:
    out = X.copy()
    out[:, NAMES.index("segment_code")] = codes
    return out


def test_the_segment_is_read_as_a_student_flag() -> None:
    """The plain baseline reads ``student``, not a 0/1/2 code: individual and small business are
    one value to the core forest, a student another."""
    rng = np.random.default_rng(5)
    X = _with_segments(_history(), rng.integers(0, 3, 600))
    core = CoreForest.fit(NAMES, X, n_estimators=25, max_samples=256, seed=3)
    at = list(core.columns).index(NAMES.index("segment_code"))
    assert set(np.unique(core.inputs(X)[:, at])) == {0.0, 1.0}
    probes = _history(50, seed=9)
    individual, business, student = (core.score(_with_segments(probes, np.full(50, c))) for c in (0.0, 1.0, 2.0))
    np.testing.assert_array_equal(individual, business)
    assert not np.array_equal(individual, student)
    np.testing.assert_array_equal(CoreForest.from_arrays(core.to_arrays()).score(X), core.score(X))


def test_a_core_forest_saved_before_flags_reads_the_segment_code_as_it_was_fitted() -> None:
    X = _with_segments(_history(), np.random.default_rng(5).integers(0, 3, 600))
    columns = np.array([i for i, n in enumerate(NAMES) if n in CORE_FEATURES], dtype=np.intp)
    fitted = IsolationForest(n_estimators=10, max_samples=256, random_state=1).fit(X[:, columns])
    saved = CoreForest(columns, CompiledForest.from_sklearn(fitted)).to_arrays()
    loaded = CoreForest.from_arrays({k: v for k, v in saved.items() if "flag" not in k})  # as saved before flags
    assert len(loaded.flag_at) == 0
    np.testing.assert_allclose(loaded.score(X), -fitted.score_samples(X[:, columns]), atol=1e-12)


def test_too_few_core_features_in_the_columns_give_no_core_forest() -> None:
    few = list(CORE_FEATURES[: MIN_CORE_COLUMNS - 1]) + ["log_amount"]
    X = np.random.default_rng(0).normal(size=(100, len(few)))
    assert CoreForest.fit(few, X, n_estimators=5, max_samples=64, seed=0) is None


def _model(core: bool) -> tuple[RiskModel, np.ndarray]:
    X = _history()
    reader = CoreForest.fit(NAMES, X, n_estimators=10, max_samples=256, seed=1) if core else None
    return model_with_blend(X, reader), X


def test_the_blend_gives_the_core_forest_an_equal_say_and_keeps_it_through_the_artefact() -> None:
    model, X = _model(core=True)
    b = model.by_type["loan"].blend
    assert b is not None and b.core is not None
    f = model.by_type["loan"].forest.anomaly_score01(X)
    combined = blend(b.forest_ranks(f), b.tails_ranks(b.tails.score(X)), b.core_ranks(b.core.score(X)))
    order = np.argsort(combined, kind="stable")
    scores = model.score("loan", X)
    assert np.all(np.diff(scores[order]) >= -1e-12)  # ranks as the three readers' ranks combined
    without, _ = _model(core=False)
    assert not np.allclose(scores, without.score("loan", X))  # the third reader does count
    loaded = from_artifact(*to_artifact(model))
    assert loaded.by_type["loan"].blend is not None and loaded.by_type["loan"].blend.core is not None
    np.testing.assert_array_equal(loaded.score("loan", X), scores)


def test_a_model_saved_without_a_core_forest_loads_and_scores_as_before() -> None:
    model, X = _model(core=False)
    loaded = from_artifact(*to_artifact(model))
    assert loaded.by_type["loan"].blend is not None and loaded.by_type["loan"].blend.core is None
    np.testing.assert_array_equal(loaded.score("loan", X), model.score("loan", X))


def test_reasons_can_come_from_the_core_forest() -> None:
    model, X = _model(core=True)
    x = np.median(X, axis=0)
    x[NAMES.index("log_limit_change")] = X.max() * 10  # a core feature the tails do not read
    assert "log_limit_change" not in {NAMES[i] for i in model.by_type["loan"].blend.tails.columns}
    reasons = model.top_reasons("loan", x)
    assert "log_limit_change" in [r["feature"] for r in reasons]
    assert all(r["weight"] >= 0 for r in reasons)


def test_reasons_of_rows_together_are_each_rows_reasons_alone() -> None:
    """The worker explains a batch's alerts in one call (``top_reasons_rows``): a row's reasons,
    weights to the last digit included, must not depend on which rows come with it, or the
    stream's alerts would differ from the offline replay's, whose batches are cut elsewhere."""
    model, X = _model(core=True)
    rng = np.random.default_rng(7)
    rows = np.concatenate([X[rng.choice(len(X), 40)], X[:5] * 3.0, np.zeros((1, X.shape[1]))])
    together = model.top_reasons_rows("loan", rows)
    assert together == [model.top_reasons("loan", x) for x in rows]
    assert together[:7] == model.top_reasons_rows("loan", rows[:7])
    assert any(together) and all(len(r) <= 3 for r in together)
