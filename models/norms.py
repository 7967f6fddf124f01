"""What is normal for each feature in the training data: what an alert's reasons compare the
event with (``models.model.describe``), for the anomaly model and the early warning alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from stream.core.features import FLAG_FEATURES


@dataclass(frozen=True)
class FeatureNorm:
    """What is normal for one feature in the training data."""

    p50: float
    p99: float
    share: float | None = None  # a yes/no feature (FLAG_FEATURES): the share of training rows at yes

    def is_common_flag(self, values: np.ndarray) -> np.ndarray:
        """Where a yes/no feature's ``values`` are what most training rows had (all False for another feature).

        Such a value is nothing unusual to tell: the anomaly model credits a
        feature for shortening an isolation path, whichever side of the split the
        event fell on, so "device never seen: no" could otherwise lead an alert.
        """
        values = np.asarray(values, dtype=np.float64)
        if self.share is None:
            return np.zeros(values.shape, dtype=bool)
        return (values >= 0.5) == (self.share >= 0.5)

    def to_list(self) -> list[float]:
        """The artefact's form: [p50, p99], and the share for a yes/no feature."""
        return [self.p50, self.p99, *([] if self.share is None else [self.share])]

    @classmethod
    def from_list(cls, values: Sequence[float]) -> "FeatureNorm":
        """From ``to_list`` (an artefact from before shares were kept has two values)."""
        return cls(*(float(v) for v in values[:3]))


def feature_norms(names: Sequence[str], X: np.ndarray) -> dict[str, FeatureNorm]:
    """Median and 99th percentile of each training feature; for a yes/no one, also its share of yes."""
    p50 = np.percentile(X, 50, axis=0)
    p99 = np.percentile(X, 99, axis=0)
    return {name: FeatureNorm(float(p50[i]), float(p99[i]),
                              float(X[:, i].mean()) if name in FLAG_FEATURES and len(X) else None)
            for i, name in enumerate(names)}
