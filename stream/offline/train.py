"""``riskmon train``: a JSONL history through the stream's own path into a saved model, with the
rule-calibration table printed (and a warning when the rules as configured overrun the budget) and what the
history's repayment outcomes gave the overdue early warning."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from models.artifact import refuse_foreign
from models.calibrate import Calibration
from models.model import RiskModel, save
from models.train import train, training_options
from stream.core.entities import NEW_ACCOUNT_S
from stream.core.entity_alerts import RULE, EntityThresholds
from stream.core.rule_storm import MODEL, SURGE_LINE, StormPolicy, yardsticks
from stream.core.rules import RuleConfig
from stream.offline.jsonl import ReadReport, read_events
from stream.settings import Settings


def train_file(settings: Settings, source: Path, target: Path | None,
               report: ReadReport) -> tuple[RiskModel, Path]:
    """Train on ``source`` (events the worker would refuse for their time are left out too) and save to
    ``target`` (default: ``settings.model_dir``), which is checked first.  ``report`` counts what was
    read, filled in even when training refuses the history (its invalid lines may be why)."""
    out = target or settings.model_dir
    refuse_foreign(out)
    model = train(read_events(source, report, settings.time_policy()), **training_options(settings))
    save(model, out, hmac_key=settings.model_hmac_key)
    return model, out


def readers_line(model: RiskModel) -> str:
    """What ranks loans in this model: the forest and, when blended, the readers beside it (``models.tails``)."""
    loan = model.by_type["loan"]
    parts = [f"forest on {len(loan.features)} features"]
    if loan.blend is not None:
        parts.append(f"directional tails on {len(loan.blend.tails.columns)}")
        if loan.blend.core is not None:
            parts.append(f"core forest on {len(loan.blend.core.columns)}")
        if loan.blend.prior is not None:
            learned = model.meta.get("typology_prior", {})
            parts.append(f"typology prior on {len(loan.blend.prior.features)} (learned from "
                         f"{learned.get('typology_loans', '?')} typology loans in {learned.get('streams', '?')} "
                         "generated streams)")
        how = "Fisher's combination of their ranks" if loan.blend.fisher else "the mean of their ranks"
        return f"loan model: {' + '.join(parts)}, by {how}"
    return f"loan model: {parts[0]} alone"


def report_early_warning(model: RiskModel) -> None:
    """What the history's outcomes gave the early warning: labelled loans, bad ones, and the model or why none."""
    info = model.meta.get("early_warning")
    if not info:
        return
    for product, why in info.get("revolving", {}).items():
        print(f"outcome labels: {product} read as revolving ({why}): its loans are bad by lateness only "
              "(outcome_revolving_products)")
    if info.get("trained"):
        print(f"early warning: {info['bad']} bad outcomes among {info['labelled']} labelled loans "
              f"({info['bad'] / info['labelled']:.2%}); {info['calibration']} calibration; alerts from probability "
              f"{info['threshold']:.3f}; out-of-fold PR-AUC on the labelled loans {info['held_out_pr_auc']:.3f} "
              f"against the anomaly model's {info['forest_pr_auc']:.3f}, so its share of what the rules leave of the "
              f"loan budget is {info['share']:.0%}")
    else:
        print(f"early warning: none: {info['reason']}", file=sys.stderr)


def report_rules(model: RiskModel) -> None:
    """The rule calibration table; a note for each rule that counting every user it hits would have
    tightened; with calibration off, a warning for each rule over its share of the budget."""
    calibration = Calibration.from_meta(model.meta)
    if calibration is None:
        return
    print(calibration.table())
    for note in calibration.repeat_notes():
        print(f"note: {note}", file=sys.stderr)
    problems = calibration.over_budget()
    for problem in problems:
        print(f"WARNING: {problem}", file=sys.stderr)
    if problems:
        print("WARNING: the rules as configured take more than the alert budget on this history, so the model will "
              "alert more often than the budget says; rules_calibrate=true (the default) would calibrate them",
              file=sys.stderr)


def storms_line(model: RiskModel, policy: StormPolicy, rules: RuleConfig) -> str:
    """When each rule in force (``rules``) and the model storm with this model (``stream.core.rule_storm``),
    so the risk team knows before a campaign what share of a day's events each may reach before the
    alerts it alone raised are held."""
    if not policy.enabled:
        return "storms: off (rule_storm_factor 0): every alert is sent"
    rule_rates = {rule: rate for rule, rate in model.expected_rule_rates.items() if rules.enabled(rule)}
    rates = yardsticks(policy, rule_rates, model.expected_model_rate)
    if not rates:
        return "storms: none possible: the model has no rule or model hit rates from training"
    lines = ", ".join(f"{source} {policy.line(rate):.2%}" for source, rate in rates.items())
    model_note = "" if MODEL in rates else " (the model never storms: model_storm is off or its rate was not recorded)"
    surge = (f"; loans' risk score is discounted while more borrowers than {policy.surge_allow:g} x "
             f"{SURGE_LINE:.0%} of a day's loans (and {policy.min_users}) score in this history's top {SURGE_LINE:.0%}"
             if policy.surge and model.score_ranks("loan") is not None else "")
    return (f"storms: an alert is held while every source that raised it fires, over a day of event time, on at least "
            f"{policy.factor:g}x its hit rate on this history (and {policy.floor:.1%}) on {policy.min_hits} events or "
            f"more of {policy.min_users} borrowers or more: {lines} of the events{model_note}{surge}")


def user_cap_lines(model: RiskModel) -> list[str]:
    """Per event type, the users the anomaly model alone flags on the history's last fortnight, and
    whether that raised its threshold above the budget's (``models.train.MODEL_USER_SHARE``)."""
    lines = []
    for event_type, cap in model.meta.get("model_user_cap", {}).items():
        active = max(cap["active_users"], 1)
        line = (f"{event_type} model in users: at the budget's threshold {cap['budget_threshold']:.4f} it alone flags "
                f"{cap['users_at_budget'] / active:.2%} of the last fortnight's {cap['active_users']} users "
                f"(at most {cap['share']:.2%})")
        if cap["threshold"] > cap["budget_threshold"]:
            line += f"; raised to {cap['threshold']:.4f}, where it flags {cap['users'] / active:.2%}"
        lines.append(line)
    return lines


def report_entities(model: RiskModel) -> None:
    """The fraud-ring criteria as the history set them: each one's threshold and the normal p99 its reasons quote."""
    meta = model.meta.get("entities")
    if not meta:
        return
    thresholds = EntityThresholds.from_meta(meta)
    budget_from = model.meta.get("budget_from")
    if budget_from and thresholds.active_from > datetime.fromisoformat(budget_from).timestamp():
        start = datetime.fromtimestamp(thresholds.active_from, timezone.utc).isoformat(timespec="seconds")
        print(f"entity alerts start at {start}, {NEW_ACCOUNT_S / 86400:.0f} days after the history's first event: "
              "until then no account can be told new (a longer history starts them sooner)", file=sys.stderr)
    for criterion, threshold in sorted(thresholds.threshold.items()):
        print(f"entity criterion {RULE.get(criterion, criterion)}: alerts at {threshold:.0f} suspicious borrowers and "
              f"a share of at least {thresholds.min_share.get(criterion, 1.0):.0%}; normal p99 on the history "
              f"{thresholds.normal_p99.get(criterion, 0.0):.1f}")
    print(f"entity views: a worker started without state calls no account new that it first met in its first "
          f"{thresholds.unknown_past_s / 86400:.0f} days (nine in ten of the history's repeat borrowers borrowed at "
          "least that often, 14-60 days; seed it to judge accounts from the start)")
