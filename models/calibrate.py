"""Rule calibration: the typology rules fitted to the history a model is trained on.

Why: the rules' thresholds were chosen on the project's own simulator.  At a
lender whose normal differs (balances above ``credit_limit`` where the limit is
set per product) the same thresholds fire on a broad part of the book, take the
whole alert budget and flood the risk team: ``overdue_escalation`` fired on
13.6-15.6 % of the training history's loans of two held-out worlds against a
1 % budget (docs/worlds.md).  ``calibrate`` measures every rule on the training
history and tightens or switches off the ones that would take more than their
share of the budget, so a model never ships rules its own history shows to be
miscalibrated; ``riskmon train`` prints what it did, the model keeps it
(``meta["rule_calibration"]``, the effective thresholds in ``meta["rules"]``)
and the worker scores with those rules.

What is measured, per rule and event type it applies to:

* the **hit rate**: the share of the history's events of that type it fires on;
* its **reach**: the same with each user counted once (distinct users it fires
  on / events of that type).

The decision is taken on reach.  A history is unlabelled and holds misbehaving
users in unknown number; a typology is a pattern a few users run again and
again (an overdue escalation is a dozen late repayments and new loans by one
borrower), so its hits on them are the rule working, and repeated hits on one
user cost the risk team one case, not a dozen.  A rule that misreads the
lender's normal trips *many* users.  Counting each user once tells the two apart
without labels: on the project's simulator (3 % of users misbehaving) the rules
fire on 3.5 % of the history's loans but reach 0.7 %; the worst rule on a
per-product-limit world fires on 13.6 % and reaches 5.2 %.  If every user a rule
reaches raised one alert, reach would be the alert rate it costs, so it is
compared with the alert budget directly.

The budget is the loan budget (``alert_rate``) on both event types: the
repayment budget (a tenth of it) is what the forest may spend on repayments on
its own, because a late payment alone is a collections matter; a rule firing on
a repayment names a borrowing pattern (an escalation, a rollover chain), which
is what the loan budget is for.

Shares (``RULE_SHARE``, ``RULES_SHARE``): one rule may reach at most half the
budget, so no single typology crowds out the others and the forest; all rules
together (an event hit by two counts once) at most twice the budget, tightening
the hottest rule first.  Twice, not once: the history holds the misbehaving
users the rules exist for, and on the project's own simulator (3 % of users
misbehaving) the six rules together reach 0.7-1.2 % of the loans; a cap at the
budget itself tightened ``loan_stacking`` x2 on a 1,500-user history, after
which a textbook burst (8 loans, 160 % of the limit in two hours) no longer
alerted.  Twice the budget is also the issue's promise for well-behaved users'
alerts, which a rule that misreads the lender's normal breaks long before the
cap does (that case is the single-rule share's).  The forest keeps a tenth of
the budget in any case (``models.train.budget_threshold``).

Counts, not only shares (``MIN_USERS``): a rule that reaches fewer than 10 of
the history's users is kept whatever its share.  A handful of users is a
handful of cases, not evidence that the rule misreads the lender's normal, and
on a small history (a few hundred loans) one user is already half the budget.

The ladder (``LADDER``): a rule is tightened by multiplying all its thresholds
(``stream.core.rules.RULE_THRESHOLDS``, every one an "at least" bound; integers
rounded up) by 1.25, 1.5, 2, 3, then 5, stopping at the first step within its
share; a rule that still reaches more at x5 is switched off
(``RuleConfig.disabled``).  Whole-rule steps, rather than a quantile per
threshold, keep the rule's shape (which clauses, in what proportion) as the
risk team wrote it, and the table says in one number how far it moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np

from stream.core.features import FeatureRow
from stream.core.rules import RULE_IDS, RULES_BY_TYPE, RuleConfig, rule_view, tightened

#: Threshold multipliers tried in turn on a rule over its share (1.0 = as configured).
LADDER: tuple[float, ...] = (1.0, 1.25, 1.5, 2.0, 3.0, 5.0)
#: The most of the alert budget one rule may reach.
RULE_SHARE = 0.5
#: The most of the alert budget all rules together may reach.
RULES_SHARE = 2.0
#: A rule (or all rules together) reaching fewer users of the history than this is never over its share.
MIN_USERS = 10

KEPT, TIGHTENED, SWITCHED_OFF = "kept", "tightened", "switched off"
EVENT_TYPES: tuple[str, ...] = tuple(RULES_BY_TYPE)


@dataclass(frozen=True)
class Rate:
    """One rule on the history's events of one type."""

    events: int  # events of the type in the history
    hits: int  # events the rule fires on
    users: int  # distinct users among them

    @property
    def hit_rate(self) -> float:
        return self.hits / self.events if self.events else 0.0

    @property
    def reach(self) -> float:
        return self.users / self.events if self.events else 0.0


@dataclass(frozen=True)
class RuleOutcome:
    """What calibration did to one rule, and the numbers that made it."""

    rule: str
    action: str  # KEPT, TIGHTENED or SWITCHED_OFF
    factor: float  # the multiplier of its thresholds in force (1.0 kept; the last step tried when switched off)
    why: str
    before: dict[str, Rate]  # by event type, as configured
    after: dict[str, Rate]  # by event type, as in force (zero hits when switched off)

    @property
    def label(self) -> str:
        """The action as the table shows it: kept, tightened x1.5, switched off."""
        return f"{TIGHTENED} x{self.factor:g}" if self.action == TIGHTENED else self.action


@dataclass(frozen=True)
class Calibration:
    """The rules a model was trained with: as configured, as in force, and why."""

    applied: bool  # False: calibration was off, the rules are in force as configured
    budget: float  # the alert budget the shares are of (loan events)
    configured: RuleConfig
    effective: RuleConfig
    outcomes: tuple[RuleOutcome, ...]
    proposed: dict[str, str] = field(default_factory=dict)  # calibration off: rule -> what it would have done
    rules_share: float = RULES_SHARE
    rule_share: float = RULE_SHARE
    together: tuple[tuple[str, Rate], ...] = ()  # all rules in force together, per event type

    def over_budget(self) -> list[str]:
        """Rules in force over their share of the budget, as sentences (only possible with calibration off)."""
        if self.applied:
            return []
        share, limit = self.rule_share * self.budget, self.rules_share * self.budget
        out = []
        for o in self.outcomes:
            for t, rate in o.after.items():
                if _over(rate, share):
                    out.append(f"{o.rule} reaches {rate.reach:.2%} of the history's {t} events ({rate.hit_rate:.2%} hit), "
                               f"over its share of the alert budget ({share:.2%})"
                               + (f"; calibration would have: {self.proposed[o.rule]}" if o.rule in self.proposed else ""))
        for t, rate in self.together:
            if _over(rate, limit):
                out.append(f"all rules together reach {rate.reach:.2%} of the history's {t} events, over "
                           f"{self.rules_share:.0%} of the alert budget ({limit:.2%})")
        return out

    def expected_hit_rate(self) -> dict[str, float]:
        """Per rule, the share of all the history's events (every type) it fires on as in force.

        The worker's production counterpart is the rule's alerts over all scored
        events (``riskmon_alert_sources_total`` / ``riskmon_events_processed_total``).
        """
        events = sum(r.events for _, r in self.together)
        return {o.rule: sum(r.hits for r in o.after.values()) / events if events else 0.0 for o in self.outcomes}

    def to_meta(self) -> dict[str, Any]:
        """Plain JSON for ``meta["rule_calibration"]`` (the thresholds themselves are in ``meta["rules"]``)."""
        return {
            "applied": self.applied,
            "budget": self.budget,
            "rule_share": self.rule_share,
            "rules_share": self.rules_share,
            "ladder": list(LADDER),
            "configured": self.configured.as_dict(),
            "together": {t: [r.events, r.hits, r.users] for t, r in self.together},
            "proposed": dict(self.proposed),
            "rules": [
                {"rule": o.rule, "action": o.action, "factor": o.factor, "why": o.why,
                 "before": {t: [r.events, r.hits, r.users] for t, r in o.before.items()},
                 "after": {t: [r.events, r.hits, r.users] for t, r in o.after.items()}}
                for o in self.outcomes
            ],
        }

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> "Calibration | None":
        """The calibration a model saved (None for a model from before calibration existed)."""
        cal = meta.get("rule_calibration")
        if not cal:
            return None
        outcomes = tuple(
            RuleOutcome(o["rule"], o["action"], float(o["factor"]), o["why"],
                        {t: Rate(*v) for t, v in o["before"].items()}, {t: Rate(*v) for t, v in o["after"].items()})
            for o in cal["rules"]
        )
        return cls(
            applied=bool(cal["applied"]), budget=float(cal["budget"]),
            configured=RuleConfig.from_dict(cal["configured"], "the model's configured rules"),
            effective=RuleConfig.from_dict(meta["rules"], "the model's rules"),
            outcomes=outcomes, proposed=dict(cal.get("proposed", {})),
            rules_share=float(cal["rules_share"]), rule_share=float(cal["rule_share"]),
            together=tuple((t, Rate(*v)) for t, v in cal.get("together", {}).items()),
        )

    def table(self) -> str:
        """What ``riskmon train`` prints: each rule on each event type, before and after."""
        head = (f"rules on the training history (alert budget {self.budget:.2%} of loan events; one rule may reach "
                f"{self.rule_share:.0%} of it, all rules {self.rules_share:.0%}; reach = events hit, each user once)"
                + ("" if self.applied else " - calibration OFF: rules kept as configured"))
        cols = ("rule", "event", "hit rate", "reach", "action", "hit rate after", "reach after", "share of budget", "why")
        rows = []
        for o in self.outcomes:
            for i, t in enumerate(o.before):
                b, a = o.before[t], o.after[t]
                rows.append((o.rule if i == 0 else "", t, f"{b.hit_rate:.2%}", f"{b.reach:.2%}",
                             o.label if i == 0 else "", f"{a.hit_rate:.2%}", f"{a.reach:.2%}",
                             f"{a.reach / self.budget:.0%}", o.why if i == 0 else ""))
        widths = [max(len(str(r[i])) for r in (cols, *rows)) for i in range(len(cols) - 1)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
        lines = [head, fmt.format(*cols)] + [fmt.format(*r) for r in rows]
        totals = ", ".join(f"{t} {r.reach:.2%} ({r.hit_rate:.2%} hit)" for t, r in self.together)
        lines.append(f"all rules in force together reach: {totals} (at most {self.rules_share * self.budget:.2%})")
        return "\n".join(lines)


class _History:
    """The history's rows by event type, each viewed by feature name once, with user indexes
    for reach; a rule's hits at a ladder step are computed once and cached."""

    def __init__(self, rows: Iterable[tuple[str, str, FeatureRow]], configured: RuleConfig) -> None:
        self.configured = configured
        self.views: dict[str, list[Any]] = {t: [] for t in EVENT_TYPES}
        users: dict[str, list[int]] = {t: [] for t in EVENT_TYPES}
        ids: dict[str, int] = {}
        for user_id, event_type, row in rows:
            self.views[event_type].append(rule_view(row))
            users[event_type].append(ids.setdefault(user_id, len(ids)))
        self.users = {t: np.asarray(u, dtype=np.int64) for t, u in users.items()}
        self._hits: dict[tuple[str, str, float], np.ndarray] = {}

    def types_of(self, rule: str) -> tuple[str, ...]:
        return tuple(t for t in EVENT_TYPES if rule in RULES_BY_TYPE[t])

    def hits(self, rule: str, event_type: str, factor: float) -> np.ndarray:
        """Which events of ``event_type`` the rule fires on with its thresholds x ``factor``."""
        key = (rule, event_type, factor)
        if key not in self._hits:
            check, config = RULES_BY_TYPE[event_type][rule], tightened(self.configured, rule, factor)
            views = self.views[event_type]
            self._hits[key] = np.fromiter((check(v, config) is not None for v in views), bool, len(views))
        return self._hits[key]

    def rate(self, event_type: str, mask: np.ndarray) -> Rate:
        return Rate(len(mask), int(mask.sum()), len(np.unique(self.users[event_type][mask])))

    def rates(self, rule: str, factor: float | None) -> dict[str, Rate]:
        """The rule's rates per event type (``factor`` None: switched off, no hits)."""
        out = {}
        for t in self.types_of(rule):
            mask = self.hits(rule, t, factor) if factor is not None else np.zeros(len(self.views[t]), bool)
            out[t] = self.rate(t, mask)
        return out

    def together(self, factors: dict[str, float | None]) -> dict[str, Rate]:
        """All rules in force together (an event hit by several counts once), per event type."""
        out = {}
        for t in EVENT_TYPES:
            mask = np.zeros(len(self.views[t]), bool)
            for rule, factor in factors.items():
                if factor is not None and rule in RULES_BY_TYPE[t]:
                    mask |= self.hits(rule, t, factor)
            out[t] = self.rate(t, mask)
        return out


def _next(step: int | None) -> int | None:
    """The next ladder step, or None (switched off) after the last."""
    return None if step is None or step + 1 >= len(LADDER) else step + 1


def _worst(rates: dict[str, Rate]) -> tuple[str, Rate]:
    return max(rates.items(), key=lambda kv: kv[1].reach)


def _over(rate: Rate, share: float) -> bool:
    """Whether ``rate`` takes more than ``share`` of the events, from enough users to say so."""
    return rate.reach > share and rate.users >= MIN_USERS


def _alone(history: _History, rule: str, share: float) -> tuple[int | None, str]:
    """The first ladder step at which ``rule`` alone reaches at most ``share`` on every event type."""
    step: int | None = 0
    t, first = _worst(history.rates(rule, 1.0))
    while step is not None and any(_over(r, share) for r in history.rates(rule, LADDER[step]).values()):
        step = _next(step)
    as_configured = f"reaches {first.reach:.2%} of {t} events as configured"
    if step == 0 and first.reach > share:
        return step, f"{as_configured} ({first.users} users), too few users to tell from a typology's cases"
    if step == 0:
        return step, f"{as_configured}, within its share ({share:.2%})"
    if step is None:
        t5, last = _worst(history.rates(rule, LADDER[-1]))
        return step, f"{as_configured}; still {last.reach:.2%} of {t5} events at x{LADDER[-1]:g}, over its share ({share:.2%})"
    return step, f"{as_configured}, over its share ({share:.2%}); x{LADDER[step]:g} is the first step within it"


def _decide(history: _History, configured: RuleConfig, budget: float,
            rule_share: float, rules_share: float) -> tuple[dict[str, int | None], dict[str, str]]:
    """Each enabled rule's ladder step (None = switched off) and why."""
    steps: dict[str, int | None] = {}
    why: dict[str, str] = {}
    for rule in RULE_IDS:
        if configured.enabled(rule):
            steps[rule], why[rule] = _alone(history, rule, rule_share * budget)
    limit = rules_share * budget
    while True:
        factors = {r: None if s is None else LADDER[s] for r, s in steps.items()}
        over = [(t, r) for t, r in history.together(factors).items() if _over(r, limit)]
        live = [r for r, s in steps.items() if s is not None]
        if not over or not live:
            return steps, why
        t, total = over[0]
        hottest = max((r for r in live if r in RULES_BY_TYPE[t]), key=lambda r: history.rates(r, factors[r])[t].reach)
        steps[hottest] = _next(steps[hottest])
        why[hottest] += (f"; then, with all rules together reaching {total.reach:.2%} of {t} events "
                         f"(over {limit:.2%}), the hottest, taken to "
                         + ("switched off" if steps[hottest] is None else f"x{LADDER[steps[hottest]]:g}"))


def _action(step: int | None) -> tuple[str, float]:
    if step is None:
        return SWITCHED_OFF, LADDER[-1]
    return (KEPT, 1.0) if step == 0 else (TIGHTENED, LADDER[step])


def calibrate(
    rows: Iterable[tuple[str, str, FeatureRow]],
    configured: RuleConfig,
    budget: float,
    apply: bool = True,
    rule_share: float = RULE_SHARE,
    rules_share: float = RULES_SHARE,
) -> Calibration:
    """Measure the rules on a history of ``(user_id, event_type, features)`` rows and, when
    ``apply``, tighten or switch off those over their share of ``budget`` (see the module doc).

    With ``apply`` False the rules stay as configured; the result still says what
    calibration would have done (``proposed``) and which rules are over budget.
    """
    history = _History(rows, configured)
    steps, why = _decide(history, configured, budget, rule_share, rules_share)
    effective, outcomes, proposed = configured, [], {}
    for rule in RULE_IDS:
        before = history.rates(rule, 1.0)
        if not configured.enabled(rule):
            outcomes.append(RuleOutcome(rule, SWITCHED_OFF, 1.0, "switched off in the configured rules", before,
                                        history.rates(rule, None)))
            continue
        action, factor = _action(steps[rule])
        if not apply:
            if action != KEPT:
                proposed[rule] = SWITCHED_OFF if action == SWITCHED_OFF else f"tightened x{factor:g}"
            outcomes.append(RuleOutcome(rule, KEPT, 1.0, why[rule], before, before))
            continue
        if action == TIGHTENED:
            effective = tightened(effective, rule, factor)
        elif action == SWITCHED_OFF:
            effective = replace(effective, disabled=(*effective.disabled, rule))
        outcomes.append(RuleOutcome(rule, action, factor, why[rule], before,
                                    history.rates(rule, None if action == SWITCHED_OFF else factor)))
    in_force = {o.rule: (None if o.action == SWITCHED_OFF else o.factor) for o in outcomes}
    total = tuple(history.together(in_force).items())
    return Calibration(apply, budget, configured, effective, tuple(outcomes), proposed, rules_share, rule_share, total)
