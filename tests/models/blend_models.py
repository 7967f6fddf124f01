"""A small loan + repayment model whose loan score is a blend (``models.tails.Blend``), for the blend's tests."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest

from models.core_forest import CoreForest
from models.forest import CompiledForest
from models.model import EVENT_FEATURES, RiskModel, TypeModel
from models.norms import feature_norms
from models.prior import TypologyPrior
from models.tails import Blend
from stream.core.features import REPAYMENT_FEATURES


def model_with_blend(X: np.ndarray, core: CoreForest | None = None, prior: TypologyPrior | None = None) -> RiskModel:
    """Five-tree forests on ``X`` (loan rows) and on random repayment rows; the loan forest blended with
    the tails of ``X`` and, if given, ``core`` and ``prior``."""
    names = EVENT_FEATURES["loan"]
    forest = CompiledForest.from_sklearn(IsolationForest(n_estimators=5, random_state=0).fit(X))
    loan = TypeModel("loan", names, forest, 0.6, 0.8, feature_norms(names, X),
                     blend=Blend.fit(names, X, forest.anomaly_score01(X), core, prior))
    R = np.random.default_rng(3).normal(size=(50, len(REPAYMENT_FEATURES)))
    repayment = TypeModel("repayment", REPAYMENT_FEATURES,
                          CompiledForest.from_sklearn(IsolationForest(n_estimators=5, random_state=0).fit(R)),
                          0.6, 0.8, feature_norms(REPAYMENT_FEATURES, R))
    return RiskModel("v", "now", {"loan": loan, "repayment": repayment}, {}, {})
