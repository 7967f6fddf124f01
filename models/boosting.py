"""A fitted ``HistGradientBoostingClassifier`` compiled to flat numpy arrays.

Why: like ``models.forest`` for the isolation forest, the artefact must load
without pickle (a pickle can run code) and score a batch with a few vectorised
gathers per tree level.  The arrays are the fitted predictors' own nodes
(feature, threshold, missing-value direction, children, value); the raw score is
the baseline plus each tree's leaf value (scikit-learn's leaf values already
carry the learning rate), exactly ``_raw_predict`` for numeric features.

The nodes are read from ``_predictors``, a private attribute: compiling checks
the result against ``decision_function`` on the training rows, and a model
saves reference rows that are re-scored on every load, so a scikit-learn
change that moved the layout fails at training or load, never silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.tree_walk import TreeNodes, in_blocks

_ARRAY_KEYS = ("feature", "threshold", "nan_left", "left", "right", "value")


class CompiledBoosting:
    """Boosted regression trees as padded (n_trees, n_nodes) arrays; leaves point to themselves."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        missing = [k for k in (*_ARRAY_KEYS, "baseline", "n_features") if k not in arrays]
        if missing:
            raise ValueError(f"compiled boosting arrays missing keys: {missing}")
        self.feature = np.ascontiguousarray(arrays["feature"], dtype=np.int64)
        self.threshold = np.ascontiguousarray(arrays["threshold"], dtype=np.float64)
        self.nan_left = np.ascontiguousarray(arrays["nan_left"], dtype=bool)
        self.left = np.ascontiguousarray(arrays["left"], dtype=np.int64)
        self.right = np.ascontiguousarray(arrays["right"], dtype=np.int64)
        self.value = np.ascontiguousarray(arrays["value"], dtype=np.float64)
        self.baseline = float(arrays["baseline"])
        self.n_features = int(arrays["n_features"])
        shape = self.feature.shape
        if len(shape) != 2 or 0 in shape or any(getattr(self, k).shape != shape for k in _ARRAY_KEYS):
            raise ValueError(f"node arrays must share one non-empty 2-D shape, got {shape}")
        if self.feature.min() < 0 or self.feature.max() >= self.n_features:
            raise ValueError("feature ids outside [0, n_features)")
        if min(self.left.min(), self.right.min()) < 0 or max(self.left.max(), self.right.max()) >= shape[1]:
            raise ValueError("child ids out of range")
        base = (np.arange(shape[0], dtype=np.int64) * shape[1])[:, None]
        self._left_g, self._right_g = (self.left + base).ravel(), (self.right + base).ravel()
        self._roots = base.ravel()
        self.n_levels = self._levels()
        self.nodes = TreeNodes.of(self.feature, self.threshold, self._left_g, self._right_g,
                                  self.nan_left, self._roots, self.n_levels)

    def _levels(self) -> int:
        """Steps from the root to the deepest leaf (a cycle other than a leaf's self-loop is refused)."""
        leaf = self._left_g == np.arange(self._left_g.size)
        frontier, depth = self._roots, 0
        while True:
            open_ = frontier[~leaf[frontier]]
            if open_.size == 0:
                return depth
            frontier = np.concatenate([self._left_g[open_], self._right_g[open_]])
            depth += 1
            if depth > self.feature.shape[1]:
                raise ValueError("tree links contain a cycle")

    @classmethod
    def from_sklearn(cls, model: Any) -> CompiledBoosting:
        """Compile a fitted binary ``HistGradientBoostingClassifier`` (numeric features only)."""
        predictors = [p[0] for p in model._predictors]
        if any(p.nodes["is_categorical"].any() for p in predictors):
            raise ValueError("categorical splits are not supported")
        n_trees, n_nodes = len(predictors), max(len(p.nodes) for p in predictors)
        ids = np.tile(np.arange(n_nodes, dtype=np.int64), (n_trees, 1))
        out = {
            "feature": np.zeros((n_trees, n_nodes), np.int64),
            "threshold": np.full((n_trees, n_nodes), np.inf),
            "nan_left": np.ones((n_trees, n_nodes), bool),
            "left": ids.copy(),
            "right": ids.copy(),
            "value": np.zeros((n_trees, n_nodes), np.float64),
        }
        for i, p in enumerate(predictors):
            nodes, k = p.nodes, len(p.nodes)
            split = nodes["is_leaf"] == 0
            out["feature"][i, :k][split] = nodes["feature_idx"][split]
            out["threshold"][i, :k][split] = nodes["num_threshold"][split]
            out["nan_left"][i, :k][split] = nodes["missing_go_to_left"][split].astype(bool)
            out["left"][i, :k][split] = nodes["left"][split]
            out["right"][i, :k][split] = nodes["right"][split]
            out["value"][i, :k] = nodes["value"]
        out["baseline"] = np.array(float(np.ravel(model._baseline_prediction)[0]), np.float64)
        out["n_features"] = np.array(int(model.n_features_in_), np.int64)
        return cls(out)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain numeric arrays only, so ``np.savez`` needs no pickle."""
        arrays = {k: getattr(self, k).copy() for k in _ARRAY_KEYS}
        arrays["baseline"] = np.array(self.baseline, np.float64)
        arrays["n_features"] = np.array(self.n_features, np.int64)
        return arrays

    def _checked(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n, {self.n_features}), got {X.shape}")
        return X

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """Each row's global leaf id in each tree, shape (n_samples, n_trees): the C walk's or numpy's, the same ids."""
        if self.nodes.compiled:
            return self.nodes.leaves(self._checked(X))
        return self._path(X)[-1]

    def _path(self, X: np.ndarray) -> list[np.ndarray]:
        """Global node id per level, each (n_samples, n_trees); a path repeats its leaf once reached."""
        X = self._checked(X)
        flat_x = np.ascontiguousarray(X).ravel()
        row_base = (np.arange(X.shape[0], dtype=np.int64) * self.n_features)[:, None]
        feat, thr, nan_left = self.feature.ravel(), self.threshold.ravel(), self.nan_left.ravel()
        nodes = np.broadcast_to(self._roots, (X.shape[0], self._roots.size))
        path = [nodes]
        for _ in range(self.n_levels):
            x = flat_x[row_base + feat[nodes]]
            go_left = (x <= thr[nodes]) | (np.isnan(x) & nan_left[nodes])
            nodes = np.where(go_left, self._left_g[nodes], self._right_g[nodes])
            path.append(nodes)
        return path

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The boosted log-odds (``decision_function``) of each row."""
        return in_blocks(self._raw, X)

    def _raw(self, X: np.ndarray) -> np.ndarray:
        leaves = self.leaves(X)
        return self.baseline + self.value.ravel()[leaves].sum(axis=1)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Each feature's share of each row's log-odds, shape (n_samples, n_features).

        Path attribution (Saabas): every split on a row's path credits its
        feature with the change in node value from parent to child.  The
        shares add up exactly: ``raw(X) == baseline + root values + contributions.sum(1)``.
        """
        path = self._path(X)
        n = path[0].shape[0]
        value, feat = self.value.ravel(), self.feature.ravel()
        out = np.zeros(n * self.n_features)
        cell_base = (np.arange(n, dtype=np.int64) * self.n_features)[:, None]
        for parent, child in zip(path[:-1], path[1:]):
            moved = parent != child
            delta = np.where(moved, value[child] - value[parent], 0.0)
            out += np.bincount((cell_base + feat[parent]).ravel(), delta.ravel(), out.size)
        return out.reshape(n, self.n_features)

    def root_value(self) -> float:
        """The baseline plus every tree's root value: the log-odds before any split."""
        return self.baseline + float(self.value[:, 0].sum())
