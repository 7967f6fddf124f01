"""Overdue early warning: a classifier of the lender's own repayment outcomes.

The isolation forest and the rules judge borrowing against what is usual; this
model is supervised instead.  ``riskmon train`` labels the history's loans by
what became of them (``models.outcomes``: repaid seriously late, or mostly
unpaid, once the outcome had time to happen), pairs each label with the
stream's own features at the loan (``featurize``: nothing from after it), and
fits a gradient-boosted classifier on every loan feature, the repayment habits
included (what precedes trouble at *this* lender is exactly what it learns).

Why these choices:

* ``HistGradientBoostingClassifier``: fast enough to train inside
  ``riskmon train`` (about a second on 20,000 loans), handles the features'
  mixed scales without transforms, and compiles to plain arrays
  (``models.boosting``), so the artefact carries no pickle.
* Class imbalance: bad outcomes are rare (0.2-2 % of loans), so each bad loan
  is repeated (up to ``MAX_OVERSAMPLE`` times) towards the good-to-bad ratio;
  that distorts the raw output, which calibration then maps back to a
  probability.
* Calibration on out-of-fold scores (``CALIBRATION_FOLDS``-fold, stratified):
  Platt scaling (a logistic curve, two parameters) while bad outcomes are few,
  isotonic regression once there are ``ISOTONIC_MIN_BAD`` of them, as
  scikit-learn's guide advises (isotonic overfits small samples).
* A history with fewer than ``MIN_BAD`` bad outcomes, or whose outcomes the
  classifier cannot predict on held-out folds (``MIN_SKILL``, ``MIN_PR_LIFT``), trains no early
  warning: the model says why and the monitor runs on the forest and rules
  alone, with the whole budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from models.boosting import CompiledBoosting
from models.norms import FeatureNorm, feature_norms
from stream.core.outcome_watch import DEFAULT_LATE_DAYS, DEFAULT_MIN_REPAID_SHARE

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier

# scikit-learn is imported where a model is fitted, never at import: the worker and `riskmon score` load
# this module to score with the compiled trees, and importing scikit-learn (with SciPy) cost each of them
# about 2 s at start (docs/tuning.md, "Starting without scikit-learn").

#: Fewest bad outcomes to learn from; below it the history trains no early warning.  An independent
#: 60-day history with 14 bad loans (0.2 %) trained a classifier that ranked risky borrowing at
#: ROC-AUC 0.97 (issue 15); with fewer, 3-fold out-of-fold scores hold 3 bad loans a fold.
MIN_BAD = 10
#: Out-of-fold ROC-AUC the classifier must reach on the labelled loans to be used: below it the
#: history's outcomes are not predictable from its features (on the held-out worlds, where lateness
#: is a habit drawn at random, it measured 0.53) and an early warning would only spend budget.
MIN_SKILL = 0.6
#: Out-of-fold PR-AUC the classifier must reach, as a multiple of the share of bad outcomes (a
#: classifier ranking at random reaches 1x).  ROC-AUC over a large, ordinary book can pass 0.6 while
#: the bad loans it ranks first are barely more often bad than any: at a buy-now-pay-later lender of
#: held-out family C (90 days, 845 bad of 25,974), PR-AUC 0.068 against a 0.033 share (2.1x) beat the
#: anomaly model's 0.042 at predicting outcomes, took the ceiling share, and cost the ranking of
#: risky borrowing 0.047 PR-AUC.  Every early warning that helped measured 6x or more (docs/early_warning.md).
MIN_PR_LIFT = 3.0
#: Bad outcomes from which isotonic calibration replaces Platt scaling.
ISOTONIC_MIN_BAD = 200
CALIBRATION_FOLDS = 3
TIE_BREAK = 1e-6  # weight of the raw score inside an isotonic step (see ``Calibration``)
#: At most this many copies of each bad loan balance the classes in training.
MAX_OVERSAMPLE = 20
REFERENCE_ROWS = 64


@dataclass(frozen=True)
class Calibration:
    """Maps the classifier's log-odds to a probability of a bad outcome."""

    method: str  # "platt" or "isotonic"
    params: tuple[float, ...]  # platt: (slope, intercept); isotonic: knots x..., then y...

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if self.method == "platt":
            slope, intercept = self.params
            return 1.0 / (1.0 + np.exp(-(slope * raw + intercept)))
        half = len(self.params) // 2
        steps = np.interp(raw, np.asarray(self.params[:half]), np.asarray(self.params[half:]))
        # Isotonic regression is a step function: loans on one step would tie, and an alert line
        # could only fall between steps.  The classifier's own order breaks ties (moves p < 1e-6).
        return (1.0 - TIE_BREAK) * steps + TIE_BREAK / (1.0 + np.exp(-raw))

    @classmethod
    def fit(cls, raw: np.ndarray, y: np.ndarray) -> Calibration:
        from sklearn.isotonic import IsotonicRegression
        from sklearn.linear_model import LogisticRegression

        if int(y.sum()) >= ISOTONIC_MIN_BAD:
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
            return cls("isotonic", (*map(float, iso.X_thresholds_), *map(float, iso.y_thresholds_)))
        lr = LogisticRegression(C=1e4).fit(raw.reshape(-1, 1), y)
        return cls("platt", (float(lr.coef_[0, 0]), float(lr.intercept_[0])))


@dataclass(frozen=True)
class EarlyWarning:
    """The compiled classifier, its calibration, and its alert thresholds."""

    features: tuple[str, ...]  # the loan feature row's columns it reads, by name
    trees: CompiledBoosting
    calibration: Calibration
    base_rate: float  # share of bad outcomes among the history's labelled loans
    threshold: float = 1.0  # alert when the probability is at least this (set from the budget)
    high_threshold: float = 1.0  # a tenth of its budget share: severity escalates above it
    norms: dict[str, FeatureNorm] = field(default_factory=dict)  # feature -> what is normal in training
    reference_X: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    reference_p: np.ndarray = field(default_factory=lambda: np.zeros(0))
    late_days: int = DEFAULT_LATE_DAYS  # the outcome label's lateness: the stream realises outcomes with it
    #: Knots (probability -> forest score) placing it on the forest's scale (``models.combine.scale_knots``);
    #: None in artefacts from before them: the scale is then linear between the lines.
    scale: tuple[np.ndarray, np.ndarray] | None = None
    #: Products the outcome labels read as revolving (``models.outcomes``): the stream realises their
    #: loans by a late repayment only, never by an unpaid due date (``stream.core.outcome_watch``).
    revolving: tuple[str, ...] = ()
    #: The label's share of what was due by a loan's first due date that must be repaid: the stream
    #: judges a smaller payment by what follows it (artefacts from before it: the default).
    min_repaid_share: float = DEFAULT_MIN_REPAID_SHARE

    def probability(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probability of a serious delinquency for rows of its features."""
        return self.calibration(self.trees.raw(np.atleast_2d(X)))

    def drivers(self, x: np.ndarray, k: int = 3) -> list[tuple[int, float]]:
        """The (at most) ``k`` columns that raised this row's risk most, with their log-odds share."""
        share = self.trees.contributions(np.atleast_2d(x))[0]
        order = np.argsort(-share, kind="stable")[:k]
        return [(int(i), float(share[i])) for i in order if share[i] > 0]

    def check(self) -> None:
        """Re-score the reference rows saved at training; ValueError when they disagree."""
        if len(self.reference_X) == 0:
            raise ValueError("early-warning model carries no reference rows to check it with")
        p = self.probability(self.reference_X)
        if not np.allclose(p, self.reference_p, rtol=0, atol=1e-9):
            raise ValueError(f"early-warning reference probabilities differ from training by up to "
                             f"{float(np.max(np.abs(p - self.reference_p))):.3g}")

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {f"trees.{k}": v for k, v in self.trees.to_arrays().items()}
        arrays["calibration"] = np.asarray(self.calibration.params, dtype=np.float64)
        arrays["reference_X"] = self.reference_X
        arrays["reference_p"] = self.reference_p
        if self.scale is not None:
            arrays["scale_x"], arrays["scale_y"] = self.scale
        return arrays

    def to_meta(self) -> dict[str, Any]:
        return {
            "features": list(self.features), "calibration": self.calibration.method, "base_rate": self.base_rate,
            "threshold": self.threshold, "high_threshold": self.high_threshold,
            "norms": {k: v.to_list() for k, v in self.norms.items()}, "late_days": self.late_days,
            "revolving": list(self.revolving), "min_repaid_share": self.min_repaid_share,
        }

    @classmethod
    def from_artifact(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> EarlyWarning:
        trees = CompiledBoosting({k[len("trees."):]: v for k, v in arrays.items() if k.startswith("trees.")})
        model = cls(
            tuple(meta["features"]), trees,
            Calibration(str(meta["calibration"]), tuple(float(v) for v in arrays["calibration"])),
            float(meta["base_rate"]), float(meta["threshold"]), float(meta["high_threshold"]),
            {k: FeatureNorm.from_list(v) for k, v in meta.get("norms", {}).items()},
            arrays.get("reference_X", np.zeros((0, 0))), arrays.get("reference_p", np.zeros(0)),
            int(meta.get("late_days", DEFAULT_LATE_DAYS)),
            (arrays["scale_x"], arrays["scale_y"]) if "scale_x" in arrays else None,
            tuple(str(p) for p in meta.get("revolving", ())),
            float(meta.get("min_repaid_share", DEFAULT_MIN_REPAID_SHARE)),
        )
        model.check()
        return model


def _classifier(seed: int) -> HistGradientBoostingClassifier:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=20, l2_regularization=1.0,
        early_stopping=False, random_state=seed,
    )


def _fit(X: np.ndarray, y: np.ndarray, seed: int) -> HistGradientBoostingClassifier:
    """Fit with each bad loan repeated up to ``MAX_OVERSAMPLE`` times (towards the good-to-bad ratio).

    Repeating rows rather than passing ``sample_weight``: scikit-learn bins
    weighted data with weighted percentiles, which took 8 s instead of 0.8 s
    per fit on 20,000 loans; the fitted trees see the same balance.
    """
    bad = np.flatnonzero(y == 1)
    times = int(min(MAX_OVERSAMPLE, max(1, round((len(y) - len(bad)) / max(len(bad), 1)))))
    extra = np.repeat(bad, times - 1)
    return _classifier(seed).fit(np.concatenate([X, X[extra]]), np.concatenate([y, y[extra]]))


def out_of_fold_raw(X: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Each row's log-odds from a classifier that did not see it (for calibration and the budget)."""
    from sklearn.model_selection import StratifiedKFold

    raw = np.zeros(len(y))
    folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    for fit_idx, held_idx in folds.split(X, y):
        raw[held_idx] = _fit(X[fit_idx], y[fit_idx], seed).decision_function(X[held_idx])
    return raw


@dataclass(frozen=True)
class Fitted:
    """A trained early warning and each labelled row's out-of-fold probability."""

    model: EarlyWarning
    held_out_p: np.ndarray


def fit_early_warning(X: np.ndarray, y: np.ndarray, features: tuple[str, ...], seed: int = 7) -> Fitted:
    """Train, compile and calibrate on labelled loans; ValueError (saying why) when they are too few."""
    y = np.asarray(y, dtype=np.int64)
    bad = int(y.sum())
    if bad < MIN_BAD or len(y) - bad < MIN_BAD:
        raise ValueError(
            f"{bad} bad outcomes among {len(y)} labelled loans; at least {MIN_BAD} of each are needed to learn "
            "from (a longer history, or a lower outcome late_days, gives more)"
        )
    from sklearn.metrics import average_precision_score, roc_auc_score

    held_raw = out_of_fold_raw(X, y, seed)
    skill = float(roc_auc_score(y, held_raw))
    if skill < MIN_SKILL:
        raise ValueError(
            f"the history's outcomes are not predictable from its features: out-of-fold ROC-AUC {skill:.3f} on "
            f"{len(y)} labelled loans ({bad} bad) is below {MIN_SKILL}"
        )
    lift = float(average_precision_score(y, held_raw)) / (bad / len(y))
    if lift < MIN_PR_LIFT:
        raise ValueError(
            f"the history's outcomes are barely predictable from its features: out-of-fold PR-AUC is {lift:.1f}x "
            f"the share of bad outcomes ({bad} of {len(y)} labelled loans), under {MIN_PR_LIFT:g}x"
        )
    calibration = Calibration.fit(held_raw, y)
    clf = _fit(X, y, seed)
    trees = CompiledBoosting.from_sklearn(clf)
    pick = np.random.default_rng(seed).choice(len(X), size=min(REFERENCE_ROWS, len(X)), replace=False)
    check = X[: min(len(X), 2000)]
    if not np.allclose(trees.raw(check), clf.decision_function(check), rtol=0, atol=1e-9):
        raise ValueError("the compiled early-warning trees disagree with scikit-learn's: this scikit-learn "
                         "version lays its boosted trees out differently; pin the version in pyproject.toml")
    model = EarlyWarning(
        features, trees, calibration, bad / len(y), norms=feature_norms(features, X),
        reference_X=X[pick], reference_p=calibration(trees.raw(X[pick])),
    )
    return Fitted(model, calibration(held_raw))


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """ECE over ``bins`` equal-width probability bins: the bins' |mean p - bad rate|, weighted by size."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(p[mask].mean() - y[mask].mean())
    return total / max(len(p), 1)
