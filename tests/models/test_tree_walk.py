"""The C walk (models/_tree_walk.pyx) and the numpy walks reach the same leaf
in every tree, for the isolation forest and the boosted trees alike, above all
where a value sits on, or one ulp beside, a split threshold."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest

from models.boosting import CompiledBoosting
from models.forest import CompiledForest
from models.tree_walk import TreeNodes, compiled_walk_available

N_FEATURES = 4
slow = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2000, N_FEATURES)) * [1, 1e6, 1, 3]
    X[:, 2] = rng.integers(0, 5, size=len(X))  # ties
    X[rng.random(X.shape) < 0.05] = np.nan
    y = (np.nan_to_num(X[:, 0]) + rng.normal(size=len(X)) > 1.5).astype(np.int64)
    return X, y


@lru_cache(maxsize=None)
def _ensembles() -> tuple[CompiledForest, CompiledBoosting, HistGradientBoostingClassifier]:
    X, y = _data(1)
    forest = CompiledForest.from_sklearn(IsolationForest(n_estimators=50, random_state=0).fit(X))
    clf = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=15, early_stopping=False, random_state=0)
    clf.fit(X, y)
    return forest, CompiledBoosting.from_sklearn(clf), clf


def _both_walks(nodes: TreeNodes, leaves) -> tuple[np.ndarray, np.ndarray]:
    before = nodes.compiled
    try:
        nodes.compiled = True
        compiled = leaves()
        nodes.compiled = False
        numpy_walk = leaves()
    finally:
        nodes.compiled = before
    return compiled, numpy_walk


def _beside(threshold: float, how: int) -> float:
    """The threshold itself, one float64 ulp either side, or its float32 neighbours."""
    f32 = np.float32(threshold)
    return float([threshold, np.nextafter(threshold, np.inf), np.nextafter(threshold, -np.inf), f32,
                  np.nextafter(f32, np.float32(np.inf)), np.nextafter(f32, np.float32(-np.inf))][how])


def _rows_on_thresholds(feature: np.ndarray, threshold: np.ndarray, data: st.DataObject) -> np.ndarray:
    split = np.isfinite(threshold)
    feats, thrs = feature[split], threshold[split]
    n = data.draw(st.integers(1, 80))
    X = np.random.default_rng(data.draw(st.integers(0, 1000))).normal(size=(n, N_FEATURES)) * [1, 1e6, 2, 3]
    for r in range(n):
        for _ in range(data.draw(st.integers(1, 2 * N_FEATURES))):
            k = data.draw(st.integers(0, thrs.size - 1))
            X[r, feats[k]] = _beside(float(thrs[k]), data.draw(st.integers(0, 5)))
        if data.draw(st.booleans()):
            X[r, data.draw(st.integers(0, N_FEATURES - 1))] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return X


def test_the_c_walk_is_built() -> None:
    assert compiled_walk_available(), "models/_tree_walk.pyx is not built: run `make setup` (it needs a C compiler)"


@slow
@given(data=st.data())
def test_forest_walks_agree_beside_thresholds(data: st.DataObject) -> None:
    forest = _ensembles()[0]
    X = _rows_on_thresholds(forest.feature.ravel(), forest.threshold.ravel(), data)
    compiled, numpy_walk = _both_walks(forest.nodes, lambda: forest.leaves(X))
    np.testing.assert_array_equal(compiled, numpy_walk)


@slow
@given(data=st.data())
def test_boosting_walks_agree_beside_thresholds_and_match_scikit_learn(data: st.DataObject) -> None:
    trees, clf = _ensembles()[1], _ensembles()[2]
    X = _rows_on_thresholds(trees.feature.ravel(), trees.threshold.ravel(), data)
    compiled, numpy_walk = _both_walks(trees.nodes, lambda: trees.leaves(X))
    np.testing.assert_array_equal(compiled, numpy_walk)
    np.testing.assert_allclose(trees.raw(X), clf.decision_function(X), rtol=0, atol=1e-9)


@pytest.mark.parametrize("n", [1, 2, 63, 64, 65, 300])
def test_every_batch_size_walks_every_row_and_tree(n: int) -> None:
    """Blocks of (row, tree) chains: the partial last block of rows or trees is walked too."""
    forest, trees, _ = _ensembles()
    X = _data(5)[0][:n]
    for nodes, leaves in ((forest.nodes, lambda: forest.leaves(X)), (trees.nodes, lambda: trees.leaves(X))):
        compiled, numpy_walk = _both_walks(nodes, leaves)
        assert compiled.shape == (n, nodes.roots.size)
        np.testing.assert_array_equal(compiled, numpy_walk)


def test_an_empty_batch_has_no_leaves() -> None:
    forest = _ensembles()[0]
    assert forest.leaves(np.zeros((0, N_FEATURES))).shape == (0, forest.nodes.roots.size)


@pytest.mark.parametrize("block", [1, 7, 500, 1999])
def test_scoring_in_blocks_gives_the_scores_of_one_walk(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many rows are walked ``WALK_ROWS`` at a time (bounded memory in training), to the same bits."""
    import models.tree_walk as tree_walk

    forest, trees, clf = _ensembles()
    X = _data(7)[0]
    whole = forest.score_samples(X), trees.raw(X)
    monkeypatch.setattr(tree_walk, "WALK_ROWS", block)
    np.testing.assert_array_equal(forest.score_samples(X), whole[0])
    np.testing.assert_array_equal(trees.raw(X), whole[1])
    np.testing.assert_allclose(trees.raw(X), clf.decision_function(X), rtol=1e-9, atol=1e-9)
