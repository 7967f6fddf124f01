"""Training: replay a history through the stream's own feature code, fit one
isolation forest per event type, and set the alert thresholds from a budget.

The history is unlabelled and may contain some anomalies; the isolation forest
does not need labels, and the threshold is chosen so that model and rules
together would have alerted on ``alert_rate`` of the training events of that
type, so the risk team sets an alert volume rather than an opaque score cut-off.
Before that, the typology rules are calibrated on the same history
(``models.calibrate``): a rule that would take more than its share of the
budget is tightened or switched off, and the model keeps the rules in force.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Iterable

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

from models.calibrate import ONCE, USER_WINDOW_DAYS, calibrate
from models.combine import scale_knots, share_by_skill
from models.early_warning import EarlyWarning, fit_early_warning
from models.outcomes import OutcomeRules
from models.forest import CompiledForest
from models.core_forest import CoreForest
from models.prior import TypologyPrior, load_prior
from models.tails import Blend
from models.training_rows import MIN_BORROWERS, MIN_ROWS, TrainingRows
from models.model import EVENT_FEATURES, ROW_FEATURES, RiskModel, TypeModel, feature_columns
from models.norms import feature_norms
from models.unknown_past import unknown_past_span
from stream.core.contract import Event
from stream.core.drift import bin_edges, bin_shares
from stream.core.entities import NEW_ACCOUNT_S
from stream.core.entity_alerts import calibrate_entities
from stream.core.packed_states import HOT_STATES
from stream.core.rules import RuleConfig, evaluate_rules

#: Rows per tree.  scikit-learn's default (256) isolates with shallow trees that
#: see few of a lender's ordinary-but-rare habits, which then stand out as
#: anomalies (payday lenders' night borrowing, instalment plans at checkout).
#: 2,048 raised the loan forest's worst PR-AUC over 24 held-out world runs
#: from 0.400 to 0.436 (0.315 to 0.374 with every feature), at a height limit
#: of 11 instead of 8 (``bench/forest_choice.py``; docs/worlds.md).
MAX_SAMPLES = 2048
REFERENCE_ROWS = 64  # training rows saved with the model to sanity-check it on load
#: The most of the history's last fortnight's active users the anomaly model alone may flag, as a
#: multiple of the event type's alert rate.  The budget is per event, the risk team's promise per
#: user (at most 2 % of well-behaved users flagged in a fortnight, rules and model together): where
#: users borrow weekly a tenth of a per-event budget already reaches several users in a hundred.
#: The rules may reach as many users (``models.calibrate.RULES_USER_SHARE``), so the two together
#: stay within that promise on the history.  On family E's weekly-refinancing lender the model
#: alone flagged 2.5 % of the history's last fortnight's users at the loan budget; capped, the
#: test fortnight's well-behaved users flagged fell from 4.0-5.5 % to 2.6-4.5 %, at a cost in
#: user recall there (0.39 -> 0.23 at one seed); family F's gig-worker advances 2.8-3.6 % ->
#: 1.3-1.5 % (recall 0.63-0.68 -> 0.54-0.60); family D's worst 6.7 -> 5.3 %, recall unchanged;
#: on the simulator it never bound (docs/worlds.md, "The model's reach in users").
MODEL_USER_SHARE = 1.0


class TrainingError(ValueError):
    """The history cannot produce a usable model (the message says why)."""


def budget_threshold(scores: np.ndarray, ruled: np.ndarray, alert_rate: float) -> float:
    """The score threshold at which model + rules together alert on ``alert_rate`` of the rows.

    Rules take their share of the budget first (a known typology always
    alerts); the model gets what is left, but never less than a tenth of the
    budget, so it can still surface patterns no rule knows.
    """
    free = scores[~ruled]
    if len(free) == 0:
        return float(scores.max())
    left = budget_left(alert_rate * len(scores), int(ruled.sum()))
    return float(np.quantile(free, 1.0 - min(1.0, left / len(free))))


@dataclass(frozen=True)
class UserCap:
    """The anomaly model's reach in users on the history's last fortnight (``MODEL_USER_SHARE``)."""

    active: int  # users with an event of the type in the fortnight
    best: np.ndarray  # per user no rule fired on there: their highest score there
    share: float  # the most of ``active`` the model alone may flag

    @classmethod
    def of(cls, scores: np.ndarray, ruled: np.ndarray, recent: np.ndarray, users: np.ndarray,
           share: float) -> "UserCap":
        """Users a rule already fires on in the fortnight cost the risk team nothing more when the
        model flags them too, so only the others count, each by their highest score on a row no rule
        (or early warning) fired on."""
        hit = set(users[recent & ruled].tolist())
        best: dict[str, float] = {}
        for u, s in zip(users[recent & ~ruled].tolist(), scores[recent & ~ruled].tolist()):
            if u not in hit and s > best.get(u, -np.inf):
                best[u] = s
        return cls(len(set(users[recent].tolist())), np.fromiter(best.values(), dtype=np.float64), share)

    def flagged(self, threshold: float) -> int:
        """Users the model alone flags at ``threshold``."""
        return int((self.best >= threshold).sum())

    def threshold(self, threshold: float) -> float:
        """``threshold``, raised as far as the cap needs (never lowered)."""
        if self.share <= 0 or self.flagged(threshold) <= self.share * self.active:
            return threshold
        return max(threshold, top_threshold(self.best, self.share * self.active))

    def to_meta(self, budget: float, capped: float) -> dict[str, Any]:
        return {"active_users": self.active, "share": self.share, "users_at_budget": self.flagged(budget),
                "users": self.flagged(capped), "budget_threshold": budget, "threshold": capped}


def entities_from(times: np.ndarray, warm_from: float) -> float:
    """When shared devices and merchants may start alerting: where the budget is measured, but never
    before an account first seen at the history's start is ``NEW_ACCOUNT_S`` old.  Until then no
    account can be told new (``stream.core.state_epoch`` calls none new); before either guard, on a
    3-day history every account looked new and the merchant criterion fired on 34 of 41 merchants
    in the next two days (an audit's stream without rings)."""
    if not len(times):
        return warm_from
    return max(warm_from, float(np.min(times)) + NEW_ACCOUNT_S)


def budget_left(budget: float, ruled: int) -> float:
    """Alerts the models may raise once ``ruled`` rule hits took theirs: never under a tenth of the budget."""
    return max(budget - ruled, budget / 10)


def top_threshold(values: np.ndarray, k: float) -> float:
    """The lowest threshold at which at most ``k`` of ``values`` are at or above it.

    A calibrated probability takes few distinct values (isotonic calibration
    is a step function), so a plain quantile can land inside a step and let
    the whole step alert: on the project's simulator that took the early
    warning from 10 % to 20 % of the budget.  This never overshoots.
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    n = int(np.floor(k))
    if n < 1 or len(ordered) == 0:
        return float(np.nextafter(ordered[0], np.inf)) if len(ordered) else 1.0
    if n >= len(ordered):
        return float(ordered[-1])
    candidate = ordered[n - 1]
    if ordered[n] < candidate:  # the n-th value ends a step: exactly n at or above it
        return float(candidate)
    above = ordered[ordered > candidate]  # the step continues past n: start at the next higher value
    return float(above[-1]) if len(above) else float(np.nextafter(candidate, np.inf))


def train(
    events: Iterable[Event],
    alert_rate: float = 0.01,
    seed: int = 7,
    n_estimators: int = 200,
    max_samples: int = MAX_SAMPLES,
    rules: RuleConfig | None = None,
    repayment_alert_rate: float | None = None,
    calibrate_rules: bool = True,
    rules_users_counted: str = ONCE,
    outcomes: OutcomeRules | None = OutcomeRules(),
    early_warning_share: float = 0.1,
    early_warning_max_share: float = 0.6,
    tails: bool = True,
    core_forest: bool = True,
    typology_prior: TypologyPrior | None = None,
    model_user_share: float = MODEL_USER_SHARE,
    hot_states: int = HOT_STATES,
) -> RiskModel:
    """Fit a model on a time-ordered history of events.

    The alert budget covers everything that alerts: rule hits on the history
    count against it, and the model's threshold takes the rest.  The budget
    is set for loan events; repayments get a tenth of it by default, because
    a late payment on its own is a collections matter, not a borrowing risk
    to act on now (the overdue-escalation rule covers the risky pattern).
    ``rules`` are the configured ones; with ``calibrate_rules`` the model is
    trained with (and keeps) them as calibrated on this history, without it
    exactly as configured (``meta["rule_calibration"]`` says what it found);
    ``rules_users_counted`` is how calibration counts a rule's users (``models.calibrate``).
    With ``outcomes``, the history's matured loans are labelled by what became
    of them and an overdue early warning is fitted (``models.early_warning``);
    it takes between ``early_warning_share`` and ``early_warning_max_share``
    of what the rules leave of the loan budget, by how much better than the forest it predicted the
    history's outcomes (none if worse: ``models.combine``), after the rules and before the
    forest (``meta["early_warning"]`` says what it found, or why there is none).
    With ``tails`` the loan model's score blends the forest with the
    directional reader of ``models.tails`` by rank, and with ``core_forest``
    also with the small forest of ``models.core_forest``, and with
    ``typology_prior`` also with it (``models.prior``); without ``tails``,
    it is the forest's.
    The model's threshold is then raised, if need be, so that it alone flags at most
    ``model_user_share`` x the alert rate of the history's last fortnight's users
    (``MODEL_USER_SHARE``; 0: no cap; ``meta["model_user_cap"]`` says what it did).
    ``hot_states``: users' states kept decoded while featurizing, the rest packed (memory only).
    """
    configured = rules or RuleConfig()
    rates = {"loan": alert_rate, "repayment": alert_rate / 10 if repayment_alert_rate is None else repayment_alert_rate}
    if not 0 < alert_rate < 0.5:
        raise TrainingError(f"alert rate must be in (0, 0.5), got {alert_rate}")
    # Every user's state lives until the history ends: packed beyond the most recent HOT_STATES.
    history = TrainingRows.collect(events, outcomes, hot_states)
    borrowers = len(np.unique(history.users))
    if borrowers < MIN_BORROWERS:
        raise TrainingError(f"history has {borrowers} borrower(s); at least {MIN_BORROWERS} are needed to train "
                            "(what is normal, and every budget, is measured across borrowers)")
    warm, warm_from, stats = history.warm, history.warm_from, history.stats
    warm_ts = history.ts[warm]
    fortnight = (float(warm_ts.max()) if len(warm_ts) else 0.0) - USER_WINDOW_DAYS * 86400.0
    calibration = calibrate(history.in_order(warm), configured, alert_rate, apply=calibrate_rules,
                            fortnight_from=int(np.argmax(warm_ts >= fortnight)) if len(warm_ts) else 0,
                            users_counted=rules_users_counted)
    rules = calibration.effective
    users = {t: history.users[history.of_type(t)] for t in EVENT_FEATURES}
    recent = {t: history.ts[history.of_type(t)] >= fortnight for t in EVENT_FEATURES}
    # The history's sightings stay judged as featurize judged them (14 days of unknown past): judged
    # with the span, fewer established borrowers counted as new, and at one ring world of 16 the
    # device threshold fell from 8 to 6 and flagged an innocent family phone (docs/rings.md).
    entities = calibrate_entities(((s, bool(warm[i])) for i, s in history.sightings),
                                  entities_from(history.ts, warm_from),
                                  unknown_past_span(history.users, history.ts, history.of_type("loan")))
    by_type: dict[str, TypeModel] = {}
    user_caps: dict[str, dict[str, Any]] = {}
    model_fired: dict[str, tuple[int, int]] = {}  # per type: warm rows the model's score alerts on, warm rows
    counts: dict[str, int] = {}
    early_warning, ew_meta, ew_p = None, {"trained": False, "reason": "switched off"}, None
    for event_type, names in EVENT_FEATURES.items():
        columns = feature_columns(event_type, names)
        V = history.matrix(event_type)
        X = V[:, columns]
        counts[event_type] = len(X)
        if len(X) < MIN_ROWS:
            raise TrainingError(
                f"history has {len(X)} valid {event_type} events; at least {MIN_ROWS} are needed to train"
            )
        in_budget = history.fit_mask(event_type)
        # The readers learn "normal" where the budget is set (see models.training_rows.WARM_DAYS).
        X_warm = X[in_budget]
        forest = IsolationForest(
            n_estimators=n_estimators, max_samples=min(max_samples, len(X_warm)), random_state=seed
        ).fit(X_warm)
        compiled = CompiledForest.from_sklearn(forest)
        scores = compiled.anomaly_score01(X)
        blended = None
        if tails and event_type == "loan":
            core = CoreForest.fit(names, X_warm, n_estimators, max_samples, seed + 1) if core_forest else None
            blended = Blend.fit(names, X_warm, scores[in_budget], core, typology_prior)
            scores = blended.score(X, scores)
        ruled = np.fromiter((bool(evaluate_rules(r, rules)) for r in history.rows(event_type)), bool, len(X))
        rate = rates[event_type]
        if event_type == "loan" and history.outcomes is not None:
            early_warning, ew_meta, ew_p = _early_warning(
                history.loan_ids, V, history.outcomes, outcomes,
                in_budget, ruled, rate, (early_warning_share, early_warning_max_share), seed, scores)
            ew_meta["revolving"] = history.revolving  # products whose labels are lateness only, and why
            if early_warning is not None:  # the stream realises their loans by lateness only too
                early_warning = replace(early_warning, revolving=tuple(sorted(history.revolving)))
        with_ew = event_type == "loan" and early_warning is not None
        forest_ruled = ruled | (ew_p >= early_warning.threshold) if with_ew else ruled
        # The forest takes what the rules and the early warning leave.
        at_budget = budget_threshold(scores[in_budget], forest_ruled[in_budget], rate)
        cap = UserCap.of(scores, forest_ruled, recent[event_type], users[event_type], rate * model_user_share)
        threshold = cap.threshold(at_budget)
        user_caps[event_type] = cap.to_meta(at_budget, threshold)
        model_fired[event_type] = (int((scores[in_budget] >= threshold).sum()), int(in_budget.sum()))
        # Severity escalates for the top tenth of what the threshold lets through. A tenth of the
        # budget's quantile sat on the threshold itself once the user cap had raised it (an outside
        # review: every model alert "high", every rule + model "critical", no "low" at all).
        free = scores[in_budget & ~forest_ruled]
        through = free[free >= threshold]
        high = max(float(np.quantile(through, 0.9)) if len(through) else threshold, threshold)
        if with_ew:
            pool = in_budget & ~ruled
            early_warning = replace(early_warning, scale=scale_knots(
                ew_p[pool], scores[pool], (early_warning.threshold, early_warning.high_threshold), (threshold, high)))
        # What the worker compares production with (drift) and alerts quote as "training median,
        # p99" is the warm history too: its first weeks' half-empty windows are not production's.
        edges = bin_edges(X_warm)
        pick = np.random.default_rng(seed).choice(len(X), size=min(REFERENCE_ROWS, len(X)), replace=False)
        by_type[event_type] = TypeModel(
            event_type, names, compiled, threshold, high, feature_norms(names, X_warm),
            drift_edges=edges, drift_expected=bin_shares(X_warm, edges),
            reference_X=X[pick], reference_scores=scores[pick],
            blend=blended,
        )
    created = datetime.now(timezone.utc)
    meta = {
        "alert_rate": alert_rate,
        "repayment_alert_rate": rates["repayment"],
        "seed": seed,
        "n_estimators": n_estimators,
        "max_samples": max_samples,
        "tails": tails,
        "typology_prior": ({"used": True, **typology_prior.provenance} if tails and typology_prior is not None
                           else {"used": False}),
        "training_events": counts,
        "budget_from": datetime.fromtimestamp(warm_from, timezone.utc).isoformat(timespec="seconds"),
        "budget_events": int(warm.sum()),
        "sklearn_version": sklearn.__version__,
        "rules": rules.as_dict(),
        "rule_calibration": calibration.to_meta(),
        "entities": entities.to_meta(),
        "early_warning": ew_meta,
        "model_user_cap": user_caps,
        # The model's share of the warm history's events (all types) at its thresholds: the yardstick
        # of RiskmonModelHotterThanTraining (riskmon_model_expected_alert_rate).
        "model_expected_alert_rate": (sum(f for f, _ in model_fired.values())
                                      / max(sum(n for _, n in model_fired.values()), 1)),
    }
    fingerprint = hashlib.sha256(
        json.dumps({**meta, "t": {k: [v.threshold] for k, v in by_type.items()}}, sort_keys=True).encode()
    ).hexdigest()[:8]
    version = f"{created:%Y%m%dT%H%M%SZ}-{fingerprint}"
    return RiskModel(version, created.isoformat(timespec="seconds"), by_type, stats, meta, early_warning)


def training_options(settings: Any) -> dict[str, Any]:
    """``train``'s keyword arguments from the monitor's settings (``stream.settings.Settings``)."""
    return dict(alert_rate=settings.alert_rate, seed=settings.seed, rules=settings.rule_config(),
                calibrate_rules=settings.rules_calibrate, rules_users_counted=settings.rules_users_counted,
                outcomes=OutcomeRules.from_settings(settings),
                early_warning_share=settings.early_warning_share,
                early_warning_max_share=settings.early_warning_max_share, tails=settings.model_tails,
                core_forest=settings.model_core_forest, typology_prior=load_prior(settings.typology_prior))


def labelled_rows(loan_ids: list[str], labels: dict[str, bool]) -> np.ndarray:
    """The rows of the labelled loans, each loan's first: a loan event sent again after 16 newer
    events of its user is folded again offline (the dedup horizon), and that row's features hold
    what came after the loan, its lateness included, which paired with the loan's label would teach
    the early warning from the future (an outside review, docs/early_warning.md)."""
    first: dict[str, int] = {}
    for i, event_id in enumerate(loan_ids):
        if event_id in labels:
            first.setdefault(event_id, i)
    return np.array(sorted(first.values()), dtype=np.intp)


def _early_warning(
    loan_ids: list[str], V: np.ndarray, labels: dict[str, bool], outcomes: OutcomeRules,
    in_budget: np.ndarray, ruled: np.ndarray, rate: float, shares: tuple[float, float], seed: int,
    forest_scores: np.ndarray,
) -> tuple[EarlyWarning | None, dict, np.ndarray | None]:
    """Fit the early warning on the labelled loans and set its thresholds so that it alone
    alerts on its share of what the rules leave of the budget (``in_budget`` loans), among
    those no rule fired on; the forest keeps at least a tenth of the budget.

    The share lies between ``shares`` (floor, ceiling), by its out-of-fold
    PR-AUC on the labelled loans over the forest's on the same loans
    (``models.combine.share_by_skill``); below the forest's, the early warning
    is not used (None, the reason in the meta).  Probabilities for the
    threshold are out-of-fold for labelled loans (the fitted model has seen
    them) and the model's own for the rest (the history's newest loans, not
    yet matured: out of sample already).  Returns the model (None with the
    reason when outcomes are too few or unpredictable), its meta, and every
    loan's probability.
    """
    idx = labelled_rows(loan_ids, labels)
    y = np.array([labels[loan_ids[i]] for i in idx], dtype=np.int64)
    meta: dict = {"trained": False, "labelled": int(len(idx)), "bad": int(y.sum()), "outcomes": vars(outcomes)}
    if len(idx) == 0:  # fewer late days would not help: no outcome is known yet
        meta["reason"] = (f"no loan's outcome had matured by the history's end (its first due date plus "
                          f"outcome_grace_days, {outcomes.grace_days:g} days): train on a longer history")
        return None, meta, None
    features = ROW_FEATURES["loan"]
    X = V[:, feature_columns("loan", features)]
    try:
        fitted = fit_early_warning(X[idx], y, features, seed)
    except ValueError as exc:
        meta["reason"] = str(exc)
        return None, meta, None
    held_out_pr = float(average_precision_score(y, fitted.held_out_p))
    forest_pr = float(average_precision_score(y, forest_scores[idx]))
    if held_out_pr < forest_pr:
        meta.update(held_out_pr_auc=held_out_pr, forest_pr_auc=forest_pr,
                    reason=(f"trained but not used: it predicts the history's outcomes worse than the anomaly "
                            f"model (out-of-fold PR-AUC {held_out_pr:.3f} against {forest_pr:.3f} on {len(idx)} "
                            f"labelled loans, {int(y.sum())} bad), so it would only reorder the model's ranking"))
        return None, meta, None
    share = share_by_skill(held_out_pr, forest_pr, *shares)
    p = fitted.model.probability(X)
    p[idx] = fitted.held_out_p
    free = in_budget & ~ruled
    pool = p[free] if free.any() else p
    budget = rate * max(int(in_budget.sum()), 1)
    left = budget_left(budget, int((in_budget & ruled).sum()))
    n_alerts = max(0.0, min(share * left, left - budget / 10))  # the forest keeps at least a tenth
    threshold = top_threshold(pool, n_alerts)
    high = top_threshold(pool, n_alerts / 10)
    model = replace(fitted.model, threshold=threshold, high_threshold=max(high, threshold),
                    late_days=outcomes.late_days, min_repaid_share=outcomes.min_repaid_share)
    meta.update(trained=True, calibration=model.calibration.method, threshold=model.threshold,
                high_threshold=model.high_threshold, base_rate=model.base_rate, share=share,
                held_out_pr_auc=held_out_pr, forest_pr_auc=forest_pr,
                held_out_roc_auc=float(roc_auc_score(y, fitted.held_out_p)))
    return model, meta, p
