"""The scoring model as the stream sees it: compiled forests per event type, the
alert thresholds chosen from the alert budget, and what "normal" looks like for
each feature (for the reasons on alerts).

A ``RiskModel`` is plain data (numpy arrays + JSON metadata) loaded through
``models.artifact``; a worker never unpickles an estimator.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from models.artifact import load_model, save_model
from models.calibrate import Calibration
from models.early_warning import EarlyWarning
from models.explain import attribute, top_features
from models.forest import CompiledForest
from models.norms import FeatureNorm
from models.tails import Blend, Ranks
from stream.core.features import FEATURE_TEXT, LOAN_FEATURES, REPAYMENT_FEATURES, FeatureRow, apply_segment_stats
from stream.core.rules import RuleConfig
from stream.core.entity_alerts import EntityThresholds

#: Every feature the stream computes, per event type (``FeatureRow`` order).
ROW_FEATURES: dict[str, tuple[str, ...]] = {"loan": LOAN_FEATURES, "repayment": REPAYMENT_FEATURES}

#: How the user has been repaying.  A loan's forest leaves these out: it judges
#: *borrowing*, while repayment habits are judged by the repayment forest, the
#: overdue-escalation rule and the borrow-to-repay rule.  Lenders' lateness
#: habits differ so much (routine 1-3 day lateness at one, none at another)
#: that on held-out worlds these seven columns made the loan forest isolate
#: habitual late payers instead of risky borrowing: without them the forest's
#: worst PR-AUC over 24 held-out world runs rose from 0.374 to 0.436 and its
#: mean from 0.600 to 0.640, and leave-one-world-out picked this set for 7 of
#: the 8 worlds (``bench/forest_choice.py``; docs/worlds.md).
REPAYMENT_HABITS: tuple[str, ...] = (
    "late_max_90d", "late_last", "late_ewm", "late_streak", "late_rising", "rollover_chain", "rollover_growth",
)

#: What the loan is (its term and product).  The early warning reads them (a
#: 7-day cash loan and a 12-month instalment plan fall due, and go bad,
#: differently); the forest does not: a rare product or a long term is a
#: lender's offer, not an anomaly of the borrower, and the forest's columns
#: were chosen on the held-out worlds without them.  One product is read:
#: ``cash_loan``, because cash is what a fraud turns into money at once
#: (takeovers, mule and device rings, limit drains); the directional tails
#: weigh it by how rare cash loans are at this lender (docs/worlds.md).
LOAN_TERMS: tuple[str, ...] = ("log_term_days", "product_code")

#: Repayment features only a rule reads.  ``funded_repeats_30d`` is 0 on almost
#: every repayment, so a forest isolates any other value at once, and a single
#: funded repayment (a borrower who repays one loan with another now and then) is
#: common enough at some lenders (up to 1.5 % of repayments on the held-out worlds)
#: that it would spend the repayment budget; the repeated pattern is
#: ``borrow_to_repay``'s, calibrated on the history like its other thresholds.
RULE_ONLY: tuple[str, ...] = ("funded_repeats_30d",)

#: The columns each event type's forest reads (a trained model stores its own list).
EVENT_FEATURES: dict[str, tuple[str, ...]] = {
    "loan": tuple(n for n in LOAN_FEATURES if n not in REPAYMENT_HABITS + LOAN_TERMS),
    "repayment": tuple(n for n in REPAYMENT_FEATURES if n not in RULE_ONLY),
}


def feature_columns(event_type: str, names: Sequence[str]) -> np.ndarray:
    """Where each of ``names`` sits in the event type's feature row.

    A model names its columns instead of assuming the row's order, so a model
    trained before a feature was added still loads and scores the columns it
    knows; one that names a feature this code does not compute is refused.
    """
    row = ROW_FEATURES[event_type]
    unknown = [n for n in names if n not in row]
    if unknown:
        raise ValueError(
            f"the model's {event_type} forest reads {', '.join(unknown)}, which this version of the monitor does not "
            "compute: retrain it with this version (riskmon train) or run the version that trained it"
        )
    return np.array([row.index(n) for n in names], dtype=np.intp)


@dataclass(frozen=True)
class TypeModel:
    """The forest and threshold for one event type."""

    event_type: str
    features: tuple[str, ...]  # the forest's columns, by name (a subset of the event type's feature row)
    forest: CompiledForest
    threshold: float  # alert when score >= threshold (chosen from the alert budget)
    high_threshold: float  # the top tenth of the model alerts on the history: severity escalates above it
    norms: dict[str, FeatureNorm]
    drift_edges: list[list[float]] = field(default_factory=list)  # training decile edges per feature
    drift_expected: list[list[float]] = field(default_factory=list)  # training share per bin
    reference_X: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # a few training rows ...
    reference_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))  # ... and their scores at training
    #: The directional reader blended with the forest (``models.tails``); None: the forest alone (repayments,
    #: and models trained before it existed).
    blend: Blend | None = None

    @cached_property
    def columns(self) -> np.ndarray:
        """Positions of ``features`` in the feature row."""
        return feature_columns(self.event_type, self.features)

    def score01(self, X: np.ndarray) -> np.ndarray:
        """Anomaly scores in [0, 1] of rows of this model's columns: the forest's, or its blend with the tails."""
        X = np.atleast_2d(X)
        forest = self.forest.anomaly_score01(X)
        return forest if self.blend is None else self.blend.score(X, forest)


class ModelSanityError(ValueError):
    """A model that loads but does not behave: it must not replace the one in force."""


def sanity_check(model: "RiskModel") -> None:
    """Re-score the reference rows saved at training; refuse a model that disagrees.

    Catches artefacts that load but are corrupt or were produced by different
    code (scores must match to 1e-9, be finite and in [0, 1]).
    """
    for event_type in EVENT_FEATURES:
        tm = model.by_type.get(event_type)
        if tm is None:
            raise ModelSanityError(f"model has no {event_type} forest")
        if not 0.0 < tm.threshold <= 1.0:
            raise ModelSanityError(f"{event_type} threshold {tm.threshold} is outside (0, 1]")
        if len(tm.reference_X) == 0:
            raise ModelSanityError(f"{event_type} model carries no reference batch to check it with")
        scores = tm.score01(tm.reference_X)
        if not np.all(np.isfinite(scores)) or scores.min() < 0 or scores.max() > 1:
            raise ModelSanityError(f"{event_type} reference scores are not finite scores in [0, 1]")
        if not np.allclose(scores, tm.reference_scores, rtol=0, atol=1e-9):
            worst = float(np.max(np.abs(scores - tm.reference_scores)))
            raise ModelSanityError(f"{event_type} reference scores differ from training by up to {worst:.3g}")


@dataclass(frozen=True)
class RiskModel:
    """Everything needed to score an event; immutable so a swap is atomic."""

    version: str
    created_at: str
    by_type: dict[str, TypeModel]
    segment_stats: dict[str, dict[str, float]]
    meta: dict[str, Any]
    early_warning: EarlyWarning | None = None  # the overdue early warning, when the history had enough outcomes

    def rules(self, configured: RuleConfig) -> RuleConfig:
        """The typology rules in force when this model scores, given the ``configured`` ones.

        The one way every path that scores (worker, ``riskmon score``, offline
        replays) picks its rules.  A model whose training calibrated the rules
        (``models.calibrate``) scores with those, whatever is configured now:
        its alert budget was set with them, and they are what its history
        allows.  A model trained with calibration off, or from before it
        existed, leaves the configured rules in force, as it always did.
        """
        return self.calibrated_rules or configured

    @cached_property
    def calibrated_rules(self) -> RuleConfig | None:
        """The rules calibrated at training (``meta["rules"]``), or None when calibration was off."""
        calibration = self.meta.get("rule_calibration") or {}
        if not calibration.get("applied"):
            return None
        return RuleConfig.from_dict(self.meta["rules"], f"model {self.version}'s rules")

    @cached_property
    def expected_rule_rates(self) -> dict[str, float]:
        """Each rule's hit rate on the training history as in force (share of all events), the
        yardstick of the rule-storm watch (``stream.core.rule_storm``); empty for a model from
        before calibration existed, which then holds no alert."""
        calibration = Calibration.from_meta(self.meta)
        return calibration.expected_hit_rate() if calibration is not None else {}

    @property
    def expected_model_rate(self) -> float | None:
        """The share of the warm training history's events (all types) whose anomaly score reached
        its alert threshold (``models.train``), which production's model alerts per scored event are
        compared with; None for a model trained before it was recorded."""
        rate = self.meta.get("model_expected_alert_rate")
        return None if rate is None else float(rate)

    @cached_property
    def entity_thresholds(self) -> EntityThresholds:
        """When shared devices and merchants alert (``meta["entities"]``, set by training; defaults before)."""
        return EntityThresholds.from_meta(self.meta.get("entities"))

    def prepare(self, row: FeatureRow, segment: str | None) -> np.ndarray:
        """The forest's input vector for a feature row: segment-relative features filled in, then its columns."""
        return self.prepare_full(row, segment)[self.by_type[row.event_type].columns]

    def prepare_full(self, row: FeatureRow, segment: str | None) -> np.ndarray:
        """The whole feature row with segment-relative features filled in (``by_type[t].columns`` picks the forest's)."""
        return np.asarray(apply_segment_stats(row, segment, self.segment_stats).values, dtype=np.float64)

    @cached_property
    def early_warning_columns(self) -> np.ndarray:
        """Positions of the early warning's features in the loan feature row."""
        return feature_columns("loan", self.early_warning.features if self.early_warning else ())

    def score_ranks(self, event_type: str) -> Ranks | None:
        """Where this event type's model scores fall among the training history's: the blend's scores are
        distributed as the forest's (``models.tails.Blend``), so the forest's ranks read them.  None for a
        forest alone (repayments, models trained before the blend), whose history ranks were not kept."""
        blend = self.by_type[event_type].blend
        return None if blend is None else blend.forest_ranks

    def early_warning_reasons(self, v: np.ndarray, probability: float, k: int = 3) -> list[dict[str, Any]]:
        """Why the early warning fired: its probability, then the loan features that raised it most.

        ``v`` is the whole loan feature row (``prepare_full``).  A driver's
        weight is its share of the log-odds along the trees' paths
        (``models.boosting.CompiledBoosting.contributions``).
        """
        ew = self.early_warning
        assert ew is not None
        x = v[self.early_warning_columns]
        head = {
            "early_warning": round(probability, 4),
            "text": f"{probability:.0%} chance of a serious delinquency "
                    f"(the history's loans: {ew.base_rate:.1%}; alerts from {ew.threshold:.0%})",
        }
        drivers = []
        for i, weight in ew.drivers(x, k):
            name = ew.features[i]
            norm = ew.norms.get(name, FeatureNorm(0.0, 0.0))
            drivers.append({**self._reason_from(norm, name, float(x[i]), weight), "source": "early_warning"})
        return [head, *drivers]

    def score(self, event_type: str, X: np.ndarray) -> np.ndarray:
        """Anomaly scores in [0, 1] (higher = more anomalous) for rows of one event type."""
        return self.by_type[event_type].score01(X)

    def score_readers(self, event_type: str, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``score``, and each reader's rank of each row (rows x readers, ``Blend.reader_ranks``' order), which
        a surge discounts reader by reader (``stream.core.scoring.discounted``); None for a forest alone and
        for a model that averaged its readers' ranks (saved before Fisher's blend)."""
        tm = self.by_type[event_type]
        if tm.blend is None or not tm.blend.fisher:
            return tm.score01(X), None
        X = np.atleast_2d(X)
        ranks = tm.blend.reader_ranks(X, tm.forest.anomaly_score01(X))
        return tm.blend.score_from_ranks(ranks), np.column_stack(ranks)

    def score_from_reader_ranks(self, event_type: str, ranks: np.ndarray) -> np.ndarray:
        """The model scores of rows whose readers ranked them ``ranks`` (rows x readers, ``score_readers``)."""
        blend = self.by_type[event_type].blend
        assert blend is not None, "a forest alone has no readers"
        return blend.score_from_ranks(list(np.atleast_2d(ranks).T))

    def top_reasons(self, event_type: str, x: np.ndarray, k: int = 3) -> list[dict[str, Any]]:
        """The (at most) ``k`` features that drove the score of ``x``, with value and normal range.

        Ranked by ``explain.top_features``, which leaves out features that
        contributed nothing: an alert never names a feature that did not help,
        nor a yes/no feature at the value most training loans had
        (``FeatureNorm.is_common_flag``).
        """
        return self.top_reasons_rows(event_type, np.atleast_2d(x), k)[0]

    def top_reasons_rows(self, event_type: str, X: np.ndarray, k: int = 3) -> list[list[dict[str, Any]]]:
        """``top_reasons`` of each row of ``X``, the same for a row whatever rows come with it.

        Why rows: a batch's alerts walk each forest once together.  Alone, one
        alert's reasons cost about half a millisecond (numpy's per-call overhead on
        two forests' 200-tree paths), five per cent of the worker's time at a
        2 % alert rate.
        """
        tm = self.by_type[event_type]
        names = tm.features
        X = np.atleast_2d(X)
        weights = attribute(tm.forest, X)
        if tm.blend is not None:  # an equal say to each reader, as in the score
            tails = np.zeros_like(weights)
            tails[:, tm.blend.tails.columns] = tm.blend.tails.contributions(X)
            readers = [_shares(weights), _shares(tails)]
            if tm.blend.core is not None:
                core = np.zeros_like(weights)
                core[:, tm.blend.core.columns] = attribute(tm.blend.core.forest, tm.blend.core.inputs(X))
                readers.append(_shares(core))
            if tm.blend.prior is not None:  # what raised its log-odds (what lowered them explains no alert)
                readers.append(_shares(np.maximum(tm.blend.prior.contributions(X), 0.0)))
            weights = sum(readers) / len(readers)
        for j, name in enumerate(names):  # a yes/no at its common value explains nothing
            norm = tm.norms.get(name)
            if norm is not None and norm.share is not None:
                weights[norm.is_common_flag(X[:, j]), j] = 0.0
        return [[self._reason(tm, names[i], float(x[i]), float(w[i])) for i in top_features(w, k)]
                for x, w in zip(X, weights)]

    @staticmethod
    def _reason(tm: TypeModel, name: str, value: float, weight: float) -> dict[str, Any]:
        return RiskModel._reason_from(tm.norms.get(name, FeatureNorm(0.0, 0.0)), name, value, weight)

    @staticmethod
    def _reason_from(norm: FeatureNorm, name: str, value: float, weight: float) -> dict[str, Any]:
        return {
            "feature": name,
            "value": round(value, 4),
            "normal_p50": round(norm.p50, 4),
            "normal_p99": round(norm.p99, 4),
            "weight": round(weight, 4),
            "text": describe(name, value, norm),
        }


def _shares(weights: np.ndarray) -> np.ndarray:
    """Each row's non-negative weights scaled to sum to 1 (a row of zeros stays zeros)."""
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def describe(name: str, value: float, norm: FeatureNorm) -> str:
    """A human sentence for one reason, e.g. 'loans in 24h: 7 (training median 1, p99 2)'.

    A feature is told in the units an analyst reads at a glance: a share of the
    limit as a percentage, a yes/no feature as yes or no with how often the
    training's loans said yes, a log(1+x) in x (hours as a duration), a log ratio as a
    multiple ('time since previous loan: 22 min (training median 7.5 days, p99 90
    days)', not its log).  Quantiles commute with these monotone transforms, so the median and
    p99 shown are exactly the training's.  The alert's ``value`` and
    ``normal_*`` fields stay as the model read them.
    """
    label = FEATURE_TEXT.get(name, name.replace("_", " "))
    if norm.share is not None:
        return f"{label}: {'yes' if value >= 0.5 else 'no'} (yes on {norm.share:.1%} of the training's loans)"
    for pattern, told in _TOLD:
        match = pattern.fullmatch(label)
        if match:
            label, show = told(match)
            return f"{label}: {show(value)} (training median {show(norm.p50)}, p99 {show(norm.p99)})"
    shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
    return f"{label}: {shown} (training median {norm.p50:.3g}, p99 {norm.p99:.3g})"


def _plain(x: float) -> str:
    """A count or amount as people write it: 2,160 or 180, 5.19 or 0.36."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _share(x: float) -> str:
    """A share as a percentage, and from ten times on as a multiple: 89 %, 105 %, but 2,400x, not
    240000 % (an amount drawn on a limit of 0, which the contract allows, read as 1e9 %)."""
    return f"{x:.0%}" if abs(x) < 10 else f"{_plain(x)}x"


def _duration(hours: float) -> str:
    """Hours as people say them: 22 min, 5.5 h, 7.5 days."""
    if hours < 1:
        return f"{hours * 60:.0f} min"
    return f"{hours:.3g} h" if hours < 48 else f"{_plain(hours / 24)} days"


#: The largest log a sentence undoes (e ** 700 is about 1e304: a float, never an overflow).
_LOG_MAX = 700.0
#: Feature texts (``stream.core.features.FEATURE_TEXT``) told in other units: the pattern, and
#: from its match the label and how to show a value of the feature.
_TOLD: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[str, Callable[[float], str]]]], ...] = (
    (re.compile(r"log\(1\+hours (.+?)\)"), lambda m: (f"time {m.group(1)}", lambda v: _duration(math.expm1(min(v, _LOG_MAX))))),
    (re.compile(r"log\(1\+(.+?)\)(.*)"), lambda m: (m.group(1) + m.group(2), lambda v: _plain(math.expm1(min(v, _LOG_MAX))))),
    (re.compile(r"log\((.+)\)"), lambda m: (m.group(1), lambda v: f"{math.exp(min(v, _LOG_MAX)):.3g}x")),
    (re.compile(r"(.+) / ((?:credit )?limit)"), lambda m: (f"{m.group(1)} as a share of the {m.group(2)}", _share)),
    (re.compile(r".+ vs\. segment median"), lambda m: (m.group(0), "{:.3g}x".format)),
)


def to_artifact(model: RiskModel) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split a model into plain arrays and JSON metadata for ``save_model``."""
    arrays: dict[str, np.ndarray] = {}
    types: dict[str, Any] = {}
    for event_type, tm in model.by_type.items():
        for key, arr in tm.forest.to_arrays().items():
            arrays[f"{event_type}.{key}"] = arr
        arrays[f"{event_type}.reference_X"] = tm.reference_X
        arrays[f"{event_type}.reference_scores"] = tm.reference_scores
        if tm.blend is not None:
            arrays.update({f"{event_type}.{k}": v for k, v in tm.blend.to_arrays().items()})
        types[event_type] = {
            "features": list(tm.features),
            "threshold": tm.threshold,
            "high_threshold": tm.high_threshold,
            "norms": {k: v.to_list() for k, v in tm.norms.items()},
            "drift": {"edges": tm.drift_edges, "expected": tm.drift_expected},
        }
    meta = dict(model.meta)
    if model.early_warning is not None:
        arrays.update({f"early_warning.{k}": v for k, v in model.early_warning.to_arrays().items()})
        meta["early_warning_model"] = model.early_warning.to_meta()
    meta.update(
        version=model.version,
        created_at=model.created_at,
        types=types,
        segment_stats=model.segment_stats,
    )
    return arrays, meta


def from_artifact(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> RiskModel:
    """Rebuild a model from ``load_model`` output, checking it fits this code's features."""
    by_type: dict[str, TypeModel] = {}
    for event_type, info in meta["types"].items():
        if event_type not in ROW_FEATURES:
            raise ValueError(f"the model scores {event_type!r} events, which this version of the monitor does not know")
        features = tuple(info["features"])
        feature_columns(event_type, features)  # refuses a model that reads a feature this code does not compute
        prefix = f"{event_type}."
        own = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        reference_X = own.pop("reference_X", np.zeros((0, 0)))
        reference_scores = own.pop("reference_scores", np.zeros(0))
        blended = None
        if "tails_knots" in own:
            blended = Blend.from_arrays({k: own.pop(k) for k in list(own) if Blend.owns(k)})
        forest = CompiledForest.from_arrays(own)
        norms = {k: FeatureNorm.from_list(v) for k, v in info["norms"].items()}
        drift = info.get("drift", {})
        by_type[event_type] = TypeModel(
            event_type, features, forest, float(info["threshold"]), float(info["high_threshold"]), norms,
            drift.get("edges", []), drift.get("expected", []), reference_X, reference_scores,
            blended,
        )
    early_warning = None
    if "early_warning_model" in meta:
        own = {k[len("early_warning."):]: v for k, v in arrays.items() if k.startswith("early_warning.")}
        early_warning = EarlyWarning.from_artifact(own, meta["early_warning_model"])
        feature_columns("loan", early_warning.features)
    model = RiskModel(
        version=str(meta["version"]),
        created_at=str(meta["created_at"]),
        by_type=by_type,
        segment_stats=meta.get("segment_stats", {}),
        meta={k: v for k, v in meta.items() if k not in {"types", "segment_stats", "early_warning_model"}},
        early_warning=early_warning,
    )
    model.calibrated_rules  # noqa: B018 - rules this code cannot read refuse the model at load, not at its first batch
    return model


def save(model: RiskModel, directory: Path, hmac_key: str = "") -> None:
    arrays, meta = to_artifact(model)
    save_model(directory, arrays, meta, hmac_key=hmac_key)


def load(directory: Path, hmac_key: str = "") -> RiskModel:
    arrays, meta = load_model(directory, hmac_key=hmac_key)
    return from_artifact(arrays, meta)
