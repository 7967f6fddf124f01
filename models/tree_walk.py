"""Each row's leaf in each tree of a flattened ensemble, in C when built.

Why one module: the isolation forests and the early warning's boosted trees
keep their nodes the same way (flat ``tree * n_nodes + node`` arrays, global
child ids, leaves pointing to themselves), so one walk serves both.  The C
walk (``models/_tree_walk.pyx``, built by ``make setup``) is about four times
faster than numpy at the worker's batch sizes; where it is not built (no C
compiler) the numpy walk of each ensemble serves, to the same leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

try:  # built by ``make setup``; ``riskmon config`` shows whether it loaded
    from models import _tree_walk
except ImportError:  # pragma: no cover - the tests compare both walks by switching ``TreeNodes.compiled``
    _tree_walk = None


#: Rows an ensemble walks at a time when scoring many.  A walk holds each row's leaf id and leaf value
#: in every tree (200 trees: 3.2 KB a row), so scoring a whole history at once was the peak of
#: ``riskmon train`` (about 3 KB per history event); in blocks it is at most about 50 MB, whatever
#: the history's length.  Rows are scored independently, so the scores are the same to the bit.
WALK_ROWS = 16_384


def in_blocks(score: Callable[[np.ndarray], np.ndarray], X: np.ndarray) -> np.ndarray:
    """``score(X)``, computed ``WALK_ROWS`` rows at a time."""
    if len(X) <= WALK_ROWS:
        return score(X)
    return np.concatenate([score(X[i:i + WALK_ROWS]) for i in range(0, len(X), WALK_ROWS)])


def compiled_walk_available() -> bool:
    """Whether the C walk was built and loads."""
    return _tree_walk is not None


@dataclass
class TreeNodes:
    """The flat node arrays the C walk reads, in the dtypes it takes."""

    feature: np.ndarray  # int32, flat
    threshold: np.ndarray  # float64, flat
    children: np.ndarray  # int32, node n's global left and right child at 2n and 2n + 1
    nan_left: np.ndarray  # uint8
    roots: np.ndarray  # int32, one per tree
    n_levels: int
    #: Whether ``leaves`` uses the C walk; tests switch it off to compare the walks.
    compiled: bool

    @classmethod
    def of(cls, feature: np.ndarray, threshold: np.ndarray, left_g: np.ndarray, right_g: np.ndarray,
           nan_left: np.ndarray, roots: np.ndarray, n_levels: int) -> TreeNodes:
        """From global child ids; int32 halves what the walk reads (ids of larger ensembles stay on numpy)."""
        children = np.stack([left_g.ravel(), right_g.ravel()], axis=1).ravel()
        fits = children.size < 2**31
        return cls(np.ascontiguousarray(feature.ravel(), dtype=np.int32),
                   np.ascontiguousarray(threshold.ravel(), dtype=np.float64),
                   np.ascontiguousarray(children, dtype=np.int32),
                   np.ascontiguousarray(nan_left.ravel(), dtype=np.uint8),
                   np.ascontiguousarray(roots, dtype=np.int32), int(n_levels),
                   compiled=fits and compiled_walk_available())

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """Global leaf ids, shape (n_rows, n_trees), by the C walk; ``X`` is already validated."""
        X64 = np.ascontiguousarray(X, dtype=np.float64)
        out = np.empty((X64.shape[0], self.roots.size), dtype=np.int64)
        _tree_walk.leaves(X64, self.feature, self.threshold, self.children, self.nan_left,
                          self.roots, self.n_levels, out)
        return out
