"""A scoring model stub for tests of ``pipeline.process``: a forest that never fires, no early
warning and no training rule or model rates unless a test gives them (``stream.core.scoring.ScoringModel``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from stream.core.entity_alerts import EntityThresholds
from stream.core.features import LOAN_FEATURES, FeatureRow
from stream.core.outcome_watch import DEFAULT_LATE_DAYS, DEFAULT_MIN_REPAID_SHARE
from stream.core.rules import RULE_IDS, RuleConfig

#: Every rule switched off: what fires is the model's and the early warning's alone.
NO_RULES = RuleConfig.from_dict({"disabled": list(RULE_IDS)}, "no rules")


class Lines:
    """One event type's alert lines (thresholds) and forest columns."""

    def __init__(self, threshold: float = 2.0, high: float = 2.0, columns: np.ndarray | None = None) -> None:
        self.threshold, self.high_threshold = threshold, high
        self.columns = columns if columns is not None else np.arange(1)


class StubModel:
    """Scores 0 everywhere (under any threshold of 2.0); the whole feature row is the forest's input."""

    version = "stub"
    early_warning: Any = None
    early_warning_columns = np.arange(0)
    expected_rule_rates: dict[str, float] = {}
    expected_model_rate: float | None = None

    def __init__(self) -> None:
        self.by_type = {"loan": Lines(), "repayment": Lines()}

    def prepare_full(self, row: FeatureRow, segment: str | None) -> np.ndarray:
        return np.asarray(row.values, dtype=np.float64)

    def score(self, event_type: str, X: np.ndarray) -> np.ndarray:
        return np.zeros(len(X))

    def score_readers(self, event_type: str, X: np.ndarray) -> tuple[np.ndarray, None]:
        return self.score(event_type, X), None  # a forest alone: no readers

    def score_from_reader_ranks(self, event_type: str, ranks: np.ndarray) -> np.ndarray:
        raise AssertionError("a model without readers is never asked to blend them")

    def top_reasons_rows(self, event_type: str, X: np.ndarray, k: int = 3) -> list[list[dict[str, Any]]]:
        return [[] for _ in X]

    def early_warning_reasons(self, v: np.ndarray, probability: float, k: int = 3) -> list[dict[str, Any]]:
        return [{"early_warning": probability, "text": "stub"}]

    def score_ranks(self, event_type: str) -> None:
        return None  # no history ranks: never discounted by a surge


class AmountEarlyWarning(Lines):
    """An early warning whose probability is the loan's amount over its limit (alert lines 0.8 / 0.9)."""

    late_days = DEFAULT_LATE_DAYS
    min_repaid_share = DEFAULT_MIN_REPAID_SHARE
    scale = None  # linear between the lines

    def __init__(self) -> None:
        super().__init__(0.8, 0.9)

    def probability(self, X: np.ndarray) -> np.ndarray:
        return np.clip(X[:, 0], 0.0, 1.0)


class EarlyWarningModel(StubModel):
    """A model whose early warning reads one feature, and whose forest never fires; it scores with
    every rule off (``rules``) and no entity thresholds, as a worker or a replay asks of a model."""

    entity_thresholds = EntityThresholds()

    def rules(self, configured: RuleConfig) -> RuleConfig:
        return NO_RULES

    def __init__(self) -> None:
        super().__init__()
        self.early_warning = AmountEarlyWarning()
        self.early_warning_columns = np.array([LOAN_FEATURES.index("amount_over_limit")])
