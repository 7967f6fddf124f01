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

It reads the segment as the issue's list has it, a student flag
(``FLAGS``), not as the feature row's code 0/1/2: a random split of the code
falls between small business and student as often as between individual and
small business, and the plain baseline's lead on student over-borrowing rests
on that flag (docs/worlds.md, "The core forest reads the student flag").
Models saved before it have no flags in their arrays and read the code as
they were fitted.

Plain arrays only, like the main forest: ``to_arrays`` / ``from_arrays``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from models.forest import CompiledForest
from stream.core.contract import SEGMENTS

#: Issue 12's plain 13 features, as the monitor's loan feature row has them.
CORE_FEATURES: tuple[str, ...] = (
    "amount_over_limit", "amount_24h_over_limit", "loans_24h", "distinct_products_7d", "log_hours_since_prev_loan",
    "night_hour", "unseen_device", "new_channel", "utilisation", "log_limit_change", "segment_code", "cash_loan",
)
#: Core features read as a yes/no of one value (1.0 where the column equals it): the segment as a student flag.
FLAGS: dict[str, float] = {"segment_code": float(SEGMENTS.index("student"))}
#: Fewer of them than this in the model's columns: no core reader (a model of other columns).
MIN_CORE_COLUMNS = 4
PREFIX = "core_"


@dataclass(frozen=True)
class CoreForest:
    """An isolation forest on ``CORE_FEATURES``, by their positions in the model's columns."""

    columns: np.ndarray
    forest: CompiledForest
    #: Positions in ``columns`` read as flags, and the value each flags (none: a model saved before flags).
    flag_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    flag_value: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def fit(cls, names: Sequence[str], X: np.ndarray, n_estimators: int, max_samples: int,
            seed: int) -> "CoreForest | None":
        """On the history's rows ``X`` whose columns are ``names``; None when too few core features are among them."""
        columns = np.array([i for i, n in enumerate(names) if n in CORE_FEATURES], dtype=np.intp)
        if len(columns) < MIN_CORE_COLUMNS or len(X) == 0:
            return None
        flagged = [(j, FLAGS[names[i]]) for j, i in enumerate(columns) if names[i] in FLAGS]
        flag_at = np.array([j for j, _ in flagged], dtype=np.intp)
        flag_value = np.array([v for _, v in flagged], dtype=float)
        inputs = _flagged(X[:, columns], flag_at, flag_value)
        from sklearn.ensemble import IsolationForest  # training only: the worker never imports scikit-learn

        forest = IsolationForest(n_estimators=n_estimators, max_samples=min(max_samples, len(X)),
                                 random_state=seed).fit(inputs)
        return cls(columns, CompiledForest.from_sklearn(forest), flag_at, flag_value)

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """What the forest reads of rows of the model's columns: its columns, the flagged ones as 0/1."""
        return _flagged(np.atleast_2d(X)[:, self.columns], self.flag_at, self.flag_value)

    def score(self, X: np.ndarray) -> np.ndarray:
        """Anomaly scores in [0, 1] of rows of the model's columns."""
        return self.forest.anomaly_score01(self.inputs(X))

    def to_arrays(self) -> dict[str, np.ndarray]:
        own = {"columns": self.columns, "flag_at": self.flag_at, "flag_value": self.flag_value,
               **self.forest.to_arrays()}
        return {f"{PREFIX}{k}": v for k, v in own.items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "CoreForest":
        own = {k[len(PREFIX):]: v for k, v in arrays.items() if k.startswith(PREFIX)}
        columns = own.pop("columns").astype(np.intp)
        flag_at = own.pop("flag_at", np.zeros(0)).astype(np.intp)
        flag_value = own.pop("flag_value", np.zeros(0)).astype(float)
        return cls(columns, CompiledForest.from_arrays(own), flag_at, flag_value)


def _flagged(inputs: np.ndarray, flag_at: np.ndarray, flag_value: np.ndarray) -> np.ndarray:
    """``inputs`` (a copy, as column selection makes) with each flagged column set to 1.0 where it equals its value."""
    if len(flag_at):
        inputs[:, flag_at] = inputs[:, flag_at] == flag_value
    return inputs
