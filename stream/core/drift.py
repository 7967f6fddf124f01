"""Feature drift: population stability index (PSI) of recent events vs. training.

Training stores, per feature, decile bin edges and the share of training rows
in each bin.  The worker counts recent rows into the same bins and reports
PSI = sum((a - e) * ln(a / e)) per feature: the standard credit-risk measure of
a shifted population (< 0.1 stable, 0.1-0.25 moderate, > 0.25 drifted).  A
drifted feature means the model's notion of "normal" is out of date.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

EPS = 1e-4  # floor for empty bins, so PSI stays finite


def bin_edges(X: np.ndarray, bins: int = 10) -> list[list[float]]:
    """Interior decile edges per column (duplicates dropped for discrete features)."""
    qs = np.quantile(X, np.linspace(0, 1, bins + 1)[1:-1], axis=0)
    return [sorted(set(float(v) for v in qs[:, j])) for j in range(X.shape[1])]


def bin_shares(X: np.ndarray, edges: Sequence[Sequence[float]]) -> list[list[float]]:
    """Share of rows of X in each bin defined by ``edges`` (len(edges[j]) + 1 bins)."""
    out = []
    for j, e in enumerate(edges):
        counts = np.bincount(np.searchsorted(np.asarray(e), X[:, j], side="right"), minlength=len(e) + 1)
        out.append((counts / max(1, len(X))).tolist())
    return out


def psi(actual: Sequence[float], expected: Sequence[float]) -> float:
    a = np.maximum(np.asarray(actual, dtype=float), EPS)
    e = np.maximum(np.asarray(expected, dtype=float), EPS)
    return float(np.sum((a - e) * np.log(a / e)))


class DriftMonitor:
    """Bins recent rows of one event type; ``values()`` gives PSI per feature."""

    def __init__(self, names: Sequence[str], edges: Sequence[Sequence[float]], expected: Sequence[Sequence[float]], window: int) -> None:
        self.names = list(names)
        self.edges = [np.asarray(e) for e in edges]
        self.expected = expected
        self.window = window
        self.counts = [np.zeros(len(e) + 1) for e in edges]
        self.rows = 0

    def observe(self, X: np.ndarray) -> None:
        """Count rows; past the window, older counts fade (halved) so PSI tracks the recent population."""
        if self.rows >= self.window:
            self.counts = [c / 2 for c in self.counts]
            self.rows //= 2
        for j, e in enumerate(self.edges):
            self.counts[j] += np.bincount(np.searchsorted(e, X[:, j], side="right"), minlength=len(e) + 1)
        self.rows += len(X)

    def values(self, min_rows: int = 200) -> dict[str, float]:
        """PSI per feature, or nothing until enough rows were seen to mean anything."""
        if self.rows < min_rows:
            return {}
        return {
            name: psi(c / c.sum(), exp) for name, c, exp in zip(self.names, self.counts, self.expected) if c.sum() > 0
        }
