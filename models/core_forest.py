"""A third reader of the loan features: a small isolation forest on the dozen a plain detector reads.

The loan forest reads 30 columns.  Issue 12 measured, on a stream written
without sight of the monitor, that a plain isolation forest on 13 simple
rolling features (amount over limit, the day's borrowing, loans in a day,
products, hours since the last loan, night, new device, new channel, ...)
ranked risky borrowing better than the monitor's forest: with many columns,
each tree's few splits land on a few strong borrowing signals less often.
``CoreForest`` is that plain forest, written in the monitor's own features
(``CORE_FEATURES``: the issue's list as the feature row has it, without the
lateness the loan model leaves out), so the loan model
blends three readers by rank (``models.tails.Blend``): the full forest, the
directional tails and this one.  The list is the issue's, not a fit to the
project's worlds; on them the blend lifted the worst world's PR-AUC by about
0.03 (docs/worlds.md).

Plain arrays only, like the main forest: ``to_arrays`` / ``from_arrays``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.ensemble import IsolationForest

from models.forest import CompiledForest

#: Issue 12's plain 13 features, as the monitor's loan feature row has them.
CORE_FEATURES: tuple[str, ...] = (
    "amount_over_limit", "amount_24h_over_limit", "loans_24h", "distinct_products_7d", "log_hours_since_prev_loan",
    "night_hour", "unseen_device", "new_channel", "utilisation", "log_limit_change", "segment_code", "cash_loan",
)
#: Fewer of them than this in the model's columns: no core reader (a model of other columns).
MIN_CORE_COLUMNS = 4
PREFIX = "core_"


@dataclass(frozen=True)
class CoreForest:
    """An isolation forest on ``CORE_FEATURES``, by their positions in the model's columns."""

    columns: np.ndarray
    forest: CompiledForest

    @classmethod
    def fit(cls, names: Sequence[str], X: np.ndarray, n_estimators: int, max_samples: int,
            seed: int) -> "CoreForest | None":
        """On the history's rows ``X`` whose columns are ``names``; None when too few core features are among them."""
        columns = np.array([i for i, n in enumerate(names) if n in CORE_FEATURES], dtype=np.intp)
        if len(columns) < MIN_CORE_COLUMNS or len(X) == 0:
            return None
        forest = IsolationForest(n_estimators=n_estimators, max_samples=min(max_samples, len(X)),
                                 random_state=seed).fit(X[:, columns])
        return cls(columns, CompiledForest.from_sklearn(forest))

    def score(self, X: np.ndarray) -> np.ndarray:
        """Anomaly scores in [0, 1] of rows of the model's columns."""
        return self.forest.anomaly_score01(np.atleast_2d(X)[:, self.columns])

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {f"{PREFIX}columns": self.columns, **{f"{PREFIX}{k}": v for k, v in self.forest.to_arrays().items()}}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "CoreForest":
        own = {k[len(PREFIX):]: v for k, v in arrays.items() if k.startswith(PREFIX)}
        return cls(own.pop("columns").astype(np.intp), CompiledForest.from_arrays(own))
