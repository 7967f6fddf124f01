"""Training: replay a history through the stream's own feature code, fit one
isolation forest per event type, and set the alert thresholds from a budget.

The history is unlabelled and may contain some anomalies; the isolation forest
does not need labels, and the threshold is chosen as the score quantile that
would have alerted on ``alert_rate`` of the training events of that type, so the
risk team sets an alert volume rather than an opaque score cut-off.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Iterable

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest

from models.forest import CompiledForest
from models.model import EVENT_FEATURES, RiskModel, TypeModel, feature_norms
from stream.contract import Event, LoanEvent
from stream.drift import bin_edges, bin_shares
from stream.features import apply_segment_stats, segment_medians
from stream.pipeline import featurize

MIN_ROWS = 50
REFERENCE_ROWS = 64  # training rows saved with the model to sanity-check it on load


class TrainingError(ValueError):
    """The history cannot produce a usable model (the message says why)."""


def train(
    events: Iterable[Event],
    alert_rate: float = 0.01,
    seed: int = 7,
    n_estimators: int = 200,
    max_samples: int = 256,
) -> RiskModel:
    """Fit a model on a time-ordered history of events."""
    if not 0 < alert_rate < 0.5:
        raise TrainingError(f"alert rate must be in (0, 0.5), got {alert_rate}")
    rows = [(e.segment if isinstance(e, LoanEvent) else None, e.event_type, r) for e, r in featurize(events)]
    stats = segment_medians([(seg, r) for seg, _, r in rows if seg is not None])
    by_type: dict[str, TypeModel] = {}
    counts: dict[str, int] = {}
    for event_type, names in EVENT_FEATURES.items():
        X = np.array(
            [apply_segment_stats(r, seg, stats).values for seg, t, r in rows if t == event_type], dtype=np.float64
        )
        counts[event_type] = len(X)
        if len(X) < MIN_ROWS:
            raise TrainingError(
                f"history has {len(X)} valid {event_type} events; at least {MIN_ROWS} are needed to train"
            )
        forest = IsolationForest(
            n_estimators=n_estimators, max_samples=min(max_samples, len(X)), random_state=seed
        ).fit(X)
        compiled = CompiledForest.from_sklearn(forest)
        scores = compiled.anomaly_score01(X)
        threshold = float(np.quantile(scores, 1.0 - alert_rate))
        high = float(np.quantile(scores, 1.0 - alert_rate / 10))
        edges = bin_edges(X)
        pick = np.random.default_rng(seed).choice(len(X), size=min(REFERENCE_ROWS, len(X)), replace=False)
        by_type[event_type] = TypeModel(
            compiled, threshold, max(high, threshold), feature_norms(names, X),
            drift_edges=edges, drift_expected=bin_shares(X, edges),
            reference_X=X[pick], reference_scores=scores[pick],
        )
    created = datetime.now(timezone.utc)
    meta = {
        "alert_rate": alert_rate,
        "seed": seed,
        "n_estimators": n_estimators,
        "max_samples": max_samples,
        "training_events": counts,
        "sklearn_version": sklearn.__version__,
    }
    fingerprint = hashlib.sha256(
        json.dumps({**meta, "t": {k: [v.threshold] for k, v in by_type.items()}}, sort_keys=True).encode()
    ).hexdigest()[:8]
    version = f"{created:%Y%m%dT%H%M%SZ}-{fingerprint}"
    return RiskModel(version, created.isoformat(timespec="seconds"), by_type, stats, meta)
