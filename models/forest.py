"""A fitted ``sklearn.ensemble.IsolationForest`` compiled to flat numpy arrays.

Why: the stream scores one event at a time, where sklearn's ``score_samples``
pays joblib and validation overhead per call (milliseconds), and a pickled
estimator is both unsafe to load and tied to one sklearn version. The compiled
form is a handful of plain arrays that score with a few vectorised gathers per
tree level and round-trip through ``np.savez`` without pickle.

Exactness notes (checked against sklearn 1.9.1 ``ensemble/_iforest.py``):

* sklearn validates X to float32 before traversal and compares the float32
  value, promoted to float64, against the float64 threshold (``x <= thr`` goes
  left). We cast the same way, so points sitting exactly on a threshold, or
  whose float64 value rounds onto one, follow the same branch.
* NaN follows the node's ``missing_go_to_left`` flag, as in ``Tree.apply``.
* A leaf contributes ``depth + c(n_node_samples)`` (root depth 0), where
  ``c`` is the average unsuccessful-BST-search length; the mean over trees is
  normalised by ``c(max_samples_)``.
* When ``max_features < 1.0`` each tree saw only ``estimators_features_[i]``;
  we remap its local feature ids to input columns at compile time. With all
  features sklearn passes X unpermuted, so the map is the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.tree_walk import TreeNodes, in_blocks

_ARRAY_KEYS = (
    "feature",
    "threshold",
    "left",
    "right",
    "nan_left",
    "is_leaf",
    "depth",
    "path_length",
)
_SCALAR_KEYS = ("n_features", "max_samples", "offset")


def average_path_length(n: np.ndarray | int) -> np.ndarray:
    """c(n) of Liu et al. (2008), with sklearn's conventions c(<=1)=0, c(2)=1.

    Reimplemented rather than imported because sklearn's is private.
    """
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    m = n[big]
    out[big] = 2.0 * (np.log(m - 1.0) + np.euler_gamma) - 2.0 * (m - 1.0) / m
    return out


def _bfs_layout(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Breadth-first node order (old ids) and each node's depth in that order.

    Enqueueing each left child immediately before its right sibling makes
    every right child id equal to its left child id + 1, which is what lets
    the traversal step be a single gather plus the branch bit.
    """
    order, depth = [], []
    frontier, level = np.array([0]), 0
    while frontier.size:
        order.append(frontier)
        depth.append(np.full(frontier.size, level))
        split = frontier[left[frontier] != -1]
        frontier = np.stack([left[split], right[split]], axis=1).ravel()
        level += 1
    return np.concatenate(order), np.concatenate(depth)


class CompiledForest:
    """Isolation forest as padded (n_trees, n_nodes) arrays, breadth-first.

    Layout invariants (checked on construction, so a bad artefact fails at
    load time rather than mis-scoring):

    * node 0 is the root; an internal node's children are ``left`` and
      ``right == left + 1``, one level deeper (``depth`` counts edges);
    * leaves and padding point to themselves with threshold ``+inf`` and
      ``nan_left`` set, so every value (NaN too) "goes left" and stays put.

    Hence a fixed number of steps (the deepest leaf) takes every sample to its
    leaf in every tree at once: ``node = left[node] + went_right``, with no
    per-tree or per-sample Python loop.
    """

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        missing = [k for k in (*_ARRAY_KEYS, *_SCALAR_KEYS) if k not in arrays]
        if missing:
            raise ValueError(f"compiled forest arrays missing keys: {missing}")
        self.feature = np.ascontiguousarray(arrays["feature"], dtype=np.int64)
        self.threshold = np.ascontiguousarray(arrays["threshold"], dtype=np.float64)
        self.left = np.ascontiguousarray(arrays["left"], dtype=np.int64)
        self.right = np.ascontiguousarray(arrays["right"], dtype=np.int64)
        self.nan_left = np.ascontiguousarray(arrays["nan_left"], dtype=bool)
        self.is_leaf = np.ascontiguousarray(arrays["is_leaf"], dtype=bool)
        self.depth = np.ascontiguousarray(arrays["depth"], dtype=np.int64)
        self.path_length = np.ascontiguousarray(arrays["path_length"], dtype=np.float64)
        self.n_features = int(arrays["n_features"])
        self.max_samples = int(arrays["max_samples"])
        self.offset = float(arrays["offset"])
        self._validate()

        n_trees, n_nodes = self.feature.shape
        base = (np.arange(n_trees, dtype=np.int64) * n_nodes)[:, None]
        # Global (flattened) ids let one fancy-index step serve all trees.
        self._left_g = (self.left + base).ravel()
        self._roots = base.ravel()
        self.n_levels = int(self.depth[self.is_leaf].max())
        self.height_limit = int(np.ceil(np.log2(max(self.max_samples, 2))))
        self._denominator = n_trees * float(average_path_length(self.max_samples))
        self.nodes = TreeNodes.of(self.feature, self.threshold, self._left_g, self._left_g + 1,
                                  self.nan_left, self._roots, self.n_levels)

    def _validate(self) -> None:
        shape = self.feature.shape
        if len(shape) != 2 or 0 in shape:
            raise ValueError(f"node arrays must be 2-D and non-empty, got {shape}")
        for key in _ARRAY_KEYS:
            if getattr(self, key).shape != shape:
                raise ValueError(f"array {key!r} has shape {getattr(self, key).shape}, expected {shape}")
        if self.n_features < 1 or self.feature.min() < 0 or self.feature.max() >= self.n_features:
            raise ValueError("feature ids outside [0, n_features)")
        if self.max_samples < 1:
            raise ValueError("max_samples must be >= 1")
        leaf, split = self.is_leaf, ~self.is_leaf
        idx = np.broadcast_to(np.arange(shape[1]), shape)
        if not np.array_equal((self.left == idx) & (self.right == idx), leaf):
            raise ValueError("exactly the leaves must point to themselves")
        if not (np.all(self.threshold[leaf] == np.inf) and self.nan_left[leaf].all()):
            raise ValueError("leaves must have threshold +inf and nan_left set")
        if self.left.min() < 0 or (self.left[split] >= shape[1] - 1).any():
            raise ValueError("child ids out of range")
        if not np.array_equal(self.right[split], self.left[split] + 1):
            raise ValueError("right children must directly follow left children")
        # Children one level deeper: n_levels steps always end on a leaf.
        child_depth = np.take_along_axis(self.depth, self.left, axis=1)[split]
        if self.depth[:, 0].any() or not np.array_equal(child_depth, self.depth[split] + 1):
            raise ValueError("node depths are inconsistent with the child links")

    @classmethod
    def from_sklearn(cls, model: Any) -> CompiledForest:
        """Compile a fitted IsolationForest using only public fitted attributes."""
        if not hasattr(model, "estimators_"):
            raise ValueError("model is not a fitted IsolationForest")
        n_features = int(model.n_features_in_)
        trees = [est.tree_ for est in model.estimators_]
        n_trees, n_nodes = len(trees), max(t.node_count for t in trees)
        self_ids = np.tile(np.arange(n_nodes, dtype=np.int64), (n_trees, 1))
        out = {
            "feature": np.zeros((n_trees, n_nodes), np.int64),
            "threshold": np.full((n_trees, n_nodes), np.inf),
            "left": self_ids.copy(),
            "right": self_ids.copy(),
            "nan_left": np.ones((n_trees, n_nodes), bool),
            "is_leaf": np.ones((n_trees, n_nodes), bool),
            "depth": np.zeros((n_trees, n_nodes), np.int64),
            "path_length": np.zeros((n_trees, n_nodes), np.float64),
        }
        for i, (tree, cols) in enumerate(zip(trees, model.estimators_features_)):
            left = np.asarray(tree.children_left, dtype=np.int64)
            order, depth = _bfs_layout(left, np.asarray(tree.children_right, dtype=np.int64))
            new_id = np.empty_like(order)
            new_id[order] = np.arange(order.size)
            split = left[order] != -1
            k = order.size
            local_feat = np.asarray(tree.feature, dtype=np.int64)[order][split]
            cols = np.asarray(cols, dtype=np.int64)
            out["feature"][i, :k][split] = local_feat if cols.size == n_features else cols[local_feat]
            out["threshold"][i, :k][split] = np.asarray(tree.threshold)[order][split]
            out["left"][i, :k][split] = new_id[left[order][split]]
            out["right"][i, :k][split] = out["left"][i, :k][split] + 1
            out["nan_left"][i, :k][split] = np.asarray(tree.missing_go_to_left, bool)[order][split]
            out["is_leaf"][i, :k] = ~split
            out["depth"][i, :k] = depth
            n_leaf = np.asarray(tree.n_node_samples)[order][~split]
            out["path_length"][i, :k][~split] = depth[~split] + average_path_length(n_leaf)
        out["n_features"] = np.array(n_features, np.int64)
        out["max_samples"] = np.array(int(model.max_samples_), np.int64)
        out["offset"] = np.array(float(model.offset_), np.float64)
        return cls(out)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain numeric arrays only, so ``np.savez`` needs no pickle."""
        arrays = {k: getattr(self, k).copy() for k in _ARRAY_KEYS}
        arrays["n_features"] = np.array(self.n_features, np.int64)
        arrays["max_samples"] = np.array(self.max_samples, np.int64)
        arrays["offset"] = np.array(self.offset, np.float64)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> CompiledForest:
        return cls(arrays)

    def _as_float32(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n, {self.n_features}), got {X.shape}")
        # Overflow to +/-inf is what sklearn's float32 validation does too.
        with np.errstate(over="ignore"):
            return np.ascontiguousarray(X, dtype=np.float32)

    def leaf_paths(self, X: np.ndarray) -> np.ndarray:
        """Global node id (tree * n_nodes + node) per level, shape
        (n_levels + 1, n_samples, n_trees); a path repeats its leaf once reached."""
        return np.stack(self._walk(X, keep_path=True))

    def _walk(self, X: np.ndarray, keep_path: bool) -> list[np.ndarray]:
        Xf = self._as_float32(X)
        flat_x = Xf.ravel()
        row_base = (np.arange(Xf.shape[0], dtype=np.int64) * self.n_features)[:, None]
        feat, thr, nan_left = self.feature.ravel(), self.threshold.ravel(), self.nan_left.ravel()
        check_nan = bool(np.isnan(flat_x).any())
        nodes = np.broadcast_to(self._roots, (Xf.shape[0], self._roots.size))
        path = [nodes]
        for _ in range(self.n_levels):
            x = flat_x[row_base + feat[nodes]]
            # float32 x vs float64 threshold promotes x, exactly like Tree.apply.
            go_left = x <= thr[nodes]
            if check_nan:
                go_left |= np.isnan(x) & nan_left[nodes]
            nodes = self._left_g[nodes] + ~go_left
            if keep_path:
                path.append(nodes)
        return path if keep_path else [nodes]

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """Each row's global leaf id (tree * n_nodes + node) in each tree, shape (n_samples, n_trees).

        The C walk (``models.tree_walk``) and the numpy walk return the same
        ids, so everything computed from them is identical whichever ran.
        """
        if self.nodes.compiled:
            return self.nodes.leaves(self._as_float32(X))
        return self._walk(X, keep_path=False)[-1]

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Same as ``IsolationForest.score_samples``: -2^(-E[h(x)]/c(max_samples)).

        Lower is more abnormal; kept sklearn's sign so thresholds transfer.
        """
        return in_blocks(self._score_samples, X)

    def _score_samples(self, X: np.ndarray) -> np.ndarray:
        leaves = self.leaves(X)
        depths = self.path_length.ravel()[leaves].sum(axis=1)
        if self._denominator == 0:
            # sklearn's convention for a one-sample forest: ratio forced to 1.
            return -np.full(depths.shape, 0.5)
        return -np.exp2(-depths / self._denominator)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """``score_samples - offset_``: negative means outlier, as in sklearn."""
        return self.score_samples(X) - self.offset

    def anomaly_score01(self, X: np.ndarray) -> np.ndarray:
        """The paper's anomaly score s(x) = 2^(-E[h(x)]/c(n)) in (0, 1].

        Higher is more anomalous: per Liu et al. (2008), values well below 0.5
        are normal and values close to 1 are clear anomalies. It equals ``-score_samples(X)``,
        so it is never exactly 0 and is a monotone map of sklearn's score.
        """
        return -self.score_samples(X)
