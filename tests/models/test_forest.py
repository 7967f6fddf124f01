"""CompiledForest must reproduce sklearn's score_samples to within 1e-9, above
all on inputs where the float32 cast decides which branch a value takes, by
the C walk and by the numpy walk alike."""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.ensemble import IsolationForest

from models.forest import CompiledForest, average_path_length
from models.tree_walk import compiled_walk_available

N_FEATURES = 5
SHAPES: list[dict] = [
    dict(n_estimators=1),
    dict(n_estimators=10, max_samples=16),
    dict(n_estimators=100),
    dict(n_estimators=10, max_features=0.5, bootstrap=True),
    dict(n_estimators=100, max_features=0.5, contamination=0.05),
    dict(n_estimators=10, max_samples=0.5, bootstrap=True, contamination=0.1),
    dict(n_estimators=3, max_samples=1),
    dict(n_estimators=10, nan_train=True),
]
TOL = 1e-9


def _train_data(nan: bool) -> np.ndarray:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, N_FEATURES))
    X[:, 1] = 3.0  # constant column: no split is possible on it
    X[:, 2] = rng.integers(0, 4, size=400)  # heavy ties
    X[:, 3] *= 1e6
    if nan:
        X[rng.random(X.shape) < 0.1] = np.nan
    return X


@lru_cache(maxsize=None)
def _fitted(i: int) -> tuple[IsolationForest, CompiledForest]:
    params = dict(SHAPES[i])
    nan = params.pop("nan_train", False)
    model = IsolationForest(random_state=i, **params).fit(_train_data(nan))
    return model, CompiledForest.from_sklearn(model)


def _reference(model: IsolationForest, X: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # float32 overflow to inf
        return model.score_samples(X)


def _assert_matches(i: int, X: np.ndarray) -> None:
    """Both walks (C where built, and numpy) against sklearn."""
    model, forest = _fitted(i)
    expected = _reference(model, X)
    for compiled in {forest.nodes.compiled, False}:
        forest.nodes.compiled = compiled
        try:
            got = forest.score_samples(X)
        finally:
            forest.nodes.compiled = compiled_walk_available()
        assert got.shape == (X.shape[0],)
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOL, err_msg=f"compiled walk: {compiled}")


shape_ids = st.integers(0, len(SHAPES) - 1)
floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
slow = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
matrices = hnp.arrays(np.float64, st.tuples(st.integers(1, 20), st.just(N_FEATURES)), elements=floats)


@slow
@given(i=shape_ids, X=matrices)
def test_arbitrary_floats_match_sklearn(i: int, X: np.ndarray) -> None:
    _assert_matches(i, X)


@slow
@given(i=shape_ids, seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300))
def test_gaussian_batches_match_sklearn(i: int, seed: int, n: int) -> None:
    X = np.random.default_rng(seed).normal(size=(n, N_FEATURES)) * [1, 1, 2, 1e6, 3]
    _assert_matches(i, X)


def _near(thr: float, how: int) -> float:
    """Values that straddle a float64 threshold once cast to float32."""
    f32 = np.float32(thr)
    return float(
        [
            thr,
            f32,
            np.nextafter(f32, np.float32(np.inf)),
            np.nextafter(f32, np.float32(-np.inf)),
            np.nextafter(thr, np.inf),
            np.nextafter(thr, -np.inf),
        ][how]
    )


@slow
@given(i=shape_ids, data=st.data())
def test_threshold_neighbours_match_sklearn(i: int, data: st.DataObject) -> None:
    _, forest = _fitted(i)
    split = ~forest.is_leaf
    feats, thrs = forest.feature[split], forest.threshold[split]
    if thrs.size == 0:
        return
    n = data.draw(st.integers(1, 30))
    X = np.random.default_rng(data.draw(st.integers(0, 1000))).normal(size=(n, N_FEATURES))
    for r in range(n):
        for _ in range(data.draw(st.integers(1, 2 * N_FEATURES))):
            k = data.draw(st.integers(0, thrs.size - 1))
            X[r, feats[k]] = _near(float(thrs[k]), data.draw(st.integers(0, 5)))
    _assert_matches(i, X)


@pytest.mark.parametrize("i", range(len(SHAPES)))
def test_extremes_match_sklearn(i: int) -> None:
    f32max = float(np.finfo(np.float32).max)
    specials = [0.0, -0.0, 3.0, 1e300, -1e300, np.inf, -np.inf, f32max, -f32max, 1e39, -1e39, 5e-324, np.nan]
    X = np.array([[v] * N_FEATURES for v in specials])
    mixed = np.random.default_rng(i).choice(specials, size=(200, N_FEATURES))
    _assert_matches(i, np.vstack([X, mixed]))


def test_single_event_equals_batch_row() -> None:
    _, forest = _fitted(2)
    X = np.random.default_rng(1).normal(size=(50, N_FEATURES))
    batch = forest.score_samples(X)
    singles = np.array([forest.score_samples(X[r : r + 1])[0] for r in range(len(X))])
    np.testing.assert_array_equal(batch, singles)


@pytest.mark.parametrize("i", range(len(SHAPES)))
def test_round_trip_arrays_preserves_scores(i: int) -> None:
    model, forest = _fitted(i)
    arrays = forest.to_arrays()
    assert all(isinstance(a, np.ndarray) and not a.dtype.hasobject for a in arrays.values())
    again = CompiledForest.from_arrays(arrays)
    X = np.random.default_rng(i).normal(size=(100, N_FEATURES))
    np.testing.assert_array_equal(again.score_samples(X), forest.score_samples(X))
    np.testing.assert_allclose(again.decision_function(X), model.decision_function(X), rtol=0, atol=TOL)


def test_anomaly_score01_is_paper_score() -> None:
    _, forest = _fitted(2)
    X = np.random.default_rng(3).normal(size=(100, N_FEATURES)) * 5
    s = forest.anomaly_score01(X)
    assert np.all((s > 0) & (s <= 1))
    np.testing.assert_array_equal(s, -forest.score_samples(X))


def test_average_path_length_matches_definition() -> None:
    n = np.array([0, 1, 2, 3, 256])
    c3 = 2 * (np.log(2) + np.euler_gamma) - 4 / 3
    c256 = 2 * (np.log(255) + np.euler_gamma) - 2 * 255 / 256
    expected = [0.0, 0.0, 1.0, c3, c256]
    np.testing.assert_allclose(average_path_length(n), expected, rtol=1e-15)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda a: a["left"].__setitem__((0, 0), 10**6),
        lambda a: a["feature"].__setitem__((0, 0), N_FEATURES),
        lambda a: a["is_leaf"].__setitem__((0, 0), True),
        lambda a: a["depth"].__setitem__((0, 0), 1),
        lambda a: a["right"].__setitem__((0, 0), a["left"][0, 0] + 2),
        lambda a: a.pop("threshold"),
        lambda a: a.__setitem__("right", a["right"][:, :-1]),
    ],
)
def test_from_arrays_rejects_inconsistent_arrays(corrupt) -> None:
    arrays = _fitted(1)[1].to_arrays()
    corrupt(arrays)
    with pytest.raises(ValueError):
        CompiledForest.from_arrays(arrays)


def test_wrong_width_is_rejected() -> None:
    with pytest.raises(ValueError, match="shape"):
        _fitted(0)[1].score_samples(np.zeros((2, N_FEATURES + 1)))
