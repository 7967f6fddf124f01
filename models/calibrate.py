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

Users, not only events (``USER_WINDOW_DAYS``): reach counts each user once
per *event*, so at a lender whose borrowers take many loans (payday credit) a
rule can stay within its share of the events while tripping many borrowers,
and the risk team's promise is about people (at most 2 % of well-behaved users
flagged in a fortnight; the bar 1 %).  So each rule is also measured by its
**user reach**: the users it fires on exactly once in the history's last
fortnight, over the users active in it, against the same shares of the same
budget for one rule (at most 0.5 % of the users).  All rules together may
reach at most the budget itself in users (``RULES_USER_SHARE``, 1 %), not
twice it as in events: the forest's alerts come on top, and the promise is 2 %
of well-behaved users for everything that alerts.  At 6,000 users and 60 days
of history a payday world's rules, each within its share, reached 1.4 % of
the users together and everything flagged 2.3 % of well-behaved users; with
the limit, 1.6 %.

* The last fortnight, not the whole warm history: it is the most mature part
  of the history, and patterns built from lateness need weeks to show.  On a
  held-out payday world, ``overdue_escalation`` reached 0.50 % of the users a
  fortnight over the whole warm history (scaled), then flagged 1.2 % of the
  well-behaved users in the test fortnight.
* Exactly once: a typology is a pattern its users run again and again, a
  misread normal trips a user here and there.  On the project's simulator,
  whose history holds its misbehaving users, ``overdue_escalation`` fires on
  2.1 % of the last fortnight's users, 1.8 % of them misbehaving and most of
  those hit four times or more; counting every user hit switched the rule to
  x5 and its recall fell from 0.81 to 0.01.  At a payday world's x1.5 the
  users it hit were well-behaved, 15 of 24 hit once.
* The cost of once: a habit many well-behaved borrowers repeat (weekly
  rollovers at a micro-loan app) trips a rule again and again too, and
  passes.  Counts cannot tell the two apart; how common the lender's fraud
  is can, and the history does not say.  ``users_counted=EVERY`` (the
  ``rules_users_counted`` setting) counts every user hit, for a lender that
  knows its misbehaving borrowers are rare; under once,
  ``Calibration.repeat_notes`` names each rule in force that counting every
  user would have tightened.  What each costs where: docs/rules.md.

On the held-out worlds (docs/worlds.md, 2026-12-03) this took the payday
worlds' well-behaved users flagged from 1.9-2.1 % to 1.2-1.5 %; on the
simulator ``overdue_escalation`` is tightened x1.25 and its recall falls from
0.81 to 0.66.

Counts, not only shares (``MIN_USERS``): a rule that reaches fewer than 10 of
the history's users is kept whatever its share.  A handful of users is a
handful of cases, not evidence that the rule misreads the lender's normal, and
on a small history (a few hundred loans) one user is already half the budget.

The ladder (``LADDER``): a rule is tightened by multiplying all its thresholds
(``stream.core.rules.RULE_THRESHOLDS``, every one an "at least" bound; integers
rounded up) by 1.25, 1.5, then 2, stopping at the first step within its
share; a rule that still reaches more at x2 is switched off
(``RuleConfig.disabled``).  Not further: a rule over its share at twice its
thresholds misreads this lender's normal by a wide margin, and tightened
further it keeps firing on the same misread pattern, only more rarely.  On
the held-out worlds the ladder once went on to x3 and x5; in the test
fortnights the rules that calibration had taken there were the only source
of alerts for 365 well-behaved users and for 67 misbehaving ones (at C's
``catalogue_switch`` seed 3, 1.2 % of all its well-behaved users;
docs/worlds.md, "A rule that needs more than x2 is switched off").
Whole-rule steps, rather than a quantile per threshold, keep the rule's shape
(which clauses, in what proportion) as the risk team wrote it, and the table
says in one number how far it moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np

from stream.core.features import FeatureRow
from stream.core.rules import RULE_IDS, RULES_BY_TYPE, RuleConfig, rule_view, tightened

#: Threshold multipliers tried in turn on a rule over its share (1.0 = as configured).
LADDER: tuple[float, ...] = (1.0, 1.25, 1.5, 2.0)
#: The most of the alert budget one rule may reach.
RULE_SHARE = 0.5
#: The most of the alert budget all rules together may reach.
RULES_SHARE = 2.0
#: The most of the alert budget all rules together may reach in users (see "Users, not only events").
RULES_USER_SHARE = 1.0
#: A rule (or all rules together) reaching fewer users of the history than this is never over its share.
MIN_USERS = 10
#: User reach is measured over the history's last this many days (a fortnight: the held-out
#: evaluation's test window, and how a risk team reads "users flagged").
USER_WINDOW_DAYS = 14.0

KEPT, TIGHTENED, SWITCHED_OFF = "kept", "tightened", "switched off"
#: How a rule's users in the last fortnight are counted (see "Users, not only events").
ONCE, EVERY = "once", "every"
USER_COUNTS: tuple[str, ...] = (ONCE, EVERY)
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
    users_before: int = 0  # users it fires on in the last fortnight (any event type; counted as users_counted), as configured
    users_after: int = 0  # the same as in force
    users_every_after: int = 0  # every user it fires on in the last fortnight, however often, as in force

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
    together_users: int = 0  # users all rules in force together fire on in the last fortnight (as users_counted)
    rules_user_share: float = RULES_USER_SHARE
    active_users: int = 0  # distinct users active in the last fortnight
    users_counted: str = ONCE  # ONCE: users hit exactly once; EVERY: every user hit

    def user_reach(self, users: int) -> float:
        """``users`` hit as a share of the last fortnight's active users (see the module doc)."""
        return _share(users, self.active_users)

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
            reach = self.user_reach(o.users_after)
            if _over_users(o.users_after, reach, share):
                out.append(f"{o.rule} reaches {reach:.2%} of the last fortnight's users, over its "
                           f"share of the alert budget ({share:.2%})"
                           + (f"; calibration would have: {self.proposed[o.rule]}" if o.rule in self.proposed else ""))
        for t, rate in self.together:
            if _over(rate, limit):
                out.append(f"all rules together reach {rate.reach:.2%} of the history's {t} events, over "
                           f"{self.rules_share:.0%} of the alert budget ({limit:.2%})")
        user_limit = self.rules_user_share * self.budget
        if _over_users(self.together_users, self.user_reach(self.together_users), user_limit):
            out.append(f"all rules together reach {self.user_reach(self.together_users):.2%} of the last fortnight's "
                       f"users, over {self.rules_user_share:.0%} of the alert budget ({user_limit:.2%})")
        return out

    def repeat_notes(self) -> list[str]:
        """Rules in force within their share counting users hit once, over it counting every user hit.

        Either the typology's borrowers, hit again and again as a typology's are, or
        a habit of well-behaved borrowers that trips the rule at each repeat; only the
        risk team knows which (see the module doc).  Empty when every user is counted.
        """
        if self.users_counted == EVERY:
            return []
        share = self.rule_share * self.budget
        return [f"{o.rule} fires on {self.user_reach(o.users_every_after):.2%} of the last fortnight's users "
                f"({o.users_every_after}), on {self.user_reach(o.users_after):.2%} ({o.users_after}) exactly once: "
                f"if most are well-behaved borrowers' habits rather than its typology, rules_users_counted=every "
                f"would calibrate it on all of them"
                for o in self.outcomes
                if o.action != SWITCHED_OFF and _over_users(o.users_every_after, self.user_reach(o.users_every_after), share)]

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
            "together_users": self.together_users,
            "rules_user_share": self.rules_user_share,
            "active_users": self.active_users,
            "users_counted": self.users_counted,
            "proposed": dict(self.proposed),
            "rules": [
                {"rule": o.rule, "action": o.action, "factor": o.factor, "why": o.why,
                 "before": {t: [r.events, r.hits, r.users] for t, r in o.before.items()},
                 "after": {t: [r.events, r.hits, r.users] for t, r in o.after.items()},
                 "users": [o.users_before, o.users_after, o.users_every_after]}
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
                        {t: Rate(*v) for t, v in o["before"].items()}, {t: Rate(*v) for t, v in o["after"].items()},
                        *(int(v) for v in o.get("users", (0, 0, 0))))
            for o in cal["rules"]
        )
        return cls(
            applied=bool(cal["applied"]), budget=float(cal["budget"]),
            configured=RuleConfig.from_dict(cal["configured"], "the model's configured rules"),
            effective=RuleConfig.from_dict(meta["rules"], "the model's rules"),
            outcomes=outcomes, proposed=dict(cal.get("proposed", {})),
            rules_share=float(cal["rules_share"]), rule_share=float(cal["rule_share"]),
            together=tuple((t, Rate(*v)) for t, v in cal.get("together", {}).items()),
            together_users=int(cal.get("together_users", 0)), active_users=int(cal.get("active_users", 0)),
            rules_user_share=float(cal.get("rules_user_share", RULES_USER_SHARE)),
            users_counted=str(cal.get("users_counted", ONCE)),
        )

    def table(self) -> str:
        """What ``riskmon train`` prints: each rule on each event type, before and after."""
        head = (f"rules on the training history (alert budget {self.budget:.2%} of loan events; one rule may reach "
                f"{self.rule_share:.0%} of it, all rules {self.rules_share:.0%}; reach = events hit, each user once; "
                f"users = users hit {_COUNTED[self.users_counted]} in the last fortnight, of {self.active_users} active)"
                + ("" if self.applied else " - calibration OFF: rules kept as configured"))
        cols = ("rule", "event", "hit rate", "reach", "users", "action", "hit rate after", "reach after", "users after",
                "share of budget", "why")
        rows = []
        for o in self.outcomes:
            for i, t in enumerate(o.before):
                b, a = o.before[t], o.after[t]
                first = i == 0
                rows.append((o.rule if first else "", t, f"{b.hit_rate:.2%}", f"{b.reach:.2%}",
                             f"{self.user_reach(o.users_before):.2%}" if first else "", o.label if first else "",
                             f"{a.hit_rate:.2%}", f"{a.reach:.2%}",
                             f"{self.user_reach(o.users_after):.2%}" if first else "",
                             f"{max(a.reach, self.user_reach(o.users_after) if first else 0.0) / self.budget:.0%}",
                             o.why if first else ""))
        widths = [max(len(str(r[i])) for r in (cols, *rows)) for i in range(len(cols) - 1)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
        lines = [head, fmt.format(*cols)] + [fmt.format(*r) for r in rows]
        totals = ", ".join(f"{t} {r.reach:.2%} ({r.hit_rate:.2%} hit)" for t, r in self.together)
        users = self.user_reach(self.together_users)
        lines.append(f"all rules in force together reach: {totals} (at most {self.rules_share * self.budget:.2%}), "
                     f"{users:.2%} of the last fortnight's users (at most {self.rules_user_share * self.budget:.2%})")
        return "\n".join(lines)


class _History:
    """The history's rows by event type, each viewed by feature name once, with user indexes
    for reach; a rule's hits at a ladder step are computed once and cached."""

    def __init__(self, rows: Iterable[tuple[str, str, FeatureRow]], configured: RuleConfig,
                 fortnight_from: int = 0, users_counted: str = ONCE) -> None:
        if users_counted not in USER_COUNTS:
            raise ValueError(f"users_counted is one of {', '.join(USER_COUNTS)}, got {users_counted!r}")
        self.configured = configured
        self.users_counted = users_counted
        self.views: dict[str, list[Any]] = {t: [] for t in EVENT_TYPES}
        users: dict[str, list[int]] = {t: [] for t in EVENT_TYPES}
        recent: dict[str, list[bool]] = {t: [] for t in EVENT_TYPES}
        ids: dict[str, int] = {}
        active: set[int] = set()
        for i, (user_id, event_type, row) in enumerate(rows):
            self.views[event_type].append(rule_view(row))
            uid = ids.setdefault(user_id, len(ids))
            users[event_type].append(uid)
            recent[event_type].append(i >= fortnight_from)
            if i >= fortnight_from:
                active.add(uid)
        self.users = {t: np.asarray(u, dtype=np.int64) for t, u in users.items()}
        self.recent = {t: np.asarray(r, dtype=bool) for t, r in recent.items()}
        self.active = len(active)
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

    def users_hit(self, factors: dict[str, float | None], counted: str | None = None) -> int:
        """Users the rules at ``factors`` (None: switched off) fire on in the last fortnight,
        counting an event several rules hit once: exactly once, or at all (``counted``, by
        default the history's ``users_counted``; see the module doc)."""
        hit = [self.users[t][self.fired(t, factors) & self.recent[t]] for t in EVENT_TYPES]
        _, counts = np.unique(np.concatenate(hit), return_counts=True)
        return len(counts) if (counted or self.users_counted) == EVERY else int((counts == 1).sum())

    def over_users(self, factors: dict[str, float | None], share: float) -> bool:
        """Whether the rules at ``factors`` together reach more than ``share`` of the last fortnight's users."""
        users = self.users_hit(factors)
        return _over_users(users, self.user_reach(users), share)

    def user_reach(self, users: int) -> float:
        return _share(users, self.active)

    def fired(self, event_type: str, factors: dict[str, float | None]) -> np.ndarray:
        """Which events of ``event_type`` any of the rules at ``factors`` fires on (None: switched off)."""
        mask = np.zeros(len(self.views[event_type]), bool)
        for rule, factor in factors.items():
            if factor is not None and rule in RULES_BY_TYPE[event_type]:
                mask |= self.hits(rule, event_type, factor)
        return mask

    def together(self, factors: dict[str, float | None]) -> dict[str, Rate]:
        """All rules in force together (an event hit by several counts once), per event type."""
        return {t: self.rate(t, self.fired(t, factors)) for t in EVENT_TYPES}


def _next(step: int | None) -> int | None:
    """The next ladder step, or None (switched off) after the last."""
    return None if step is None or step + 1 >= len(LADDER) else step + 1


def _worst(rates: dict[str, Rate]) -> tuple[str, Rate]:
    return max(rates.items(), key=lambda kv: kv[1].reach)


def _over(rate: Rate, share: float) -> bool:
    """Whether ``rate`` takes more than ``share`` of the events, from enough users to say so."""
    return rate.reach > share and rate.users >= MIN_USERS


#: How the table's header names the user count.
_COUNTED = {ONCE: "once", EVERY: "at all"}


def _share(users: int, active: int) -> float:
    return users / active if active else 0.0


def _over_users(users: int, reach: float, share: float) -> bool:
    """Whether a user reach is over ``share``, from enough users to say so."""
    return reach > share and users >= MIN_USERS


def _alone(history: _History, rule: str, share: float) -> tuple[int | None, str]:
    """The first ladder step at which ``rule`` alone reaches at most ``share`` on every event type."""
    def over(factor: float) -> bool:
        return (any(_over(r, share) for r in history.rates(rule, factor).values())
                or history.over_users({rule: factor}, share))

    def reached(factor: float) -> str:
        t, worst = _worst(history.rates(rule, factor))
        users = history.users_hit({rule: factor})
        return (f"{worst.reach:.2%} of {t} events and {history.user_reach(users):.2%} of users in the last "
                f"fortnight ({users} users hit{' once' if history.users_counted == ONCE else ''})")

    step: int | None = 0
    while step is not None and over(LADDER[step]):
        step = _next(step)
    as_configured = f"reaches {reached(1.0)} as configured"
    _, first = _worst(history.rates(rule, 1.0))
    if step == 0 and max(first.reach, history.user_reach(history.users_hit({rule: 1.0}))) > share:
        return step, f"{as_configured}, too few users to tell from a typology's cases"
    if step == 0:
        return step, f"{as_configured}, within its share ({share:.2%})"
    if step is None:
        return step, f"{as_configured}; still {reached(LADDER[-1])} at x{LADDER[-1]:g}, over its share ({share:.2%})"
    return step, f"{as_configured}, over its share ({share:.2%}); x{LADDER[step]:g} is the first step within it"


def _decide(history: _History, configured: RuleConfig, budget: float,
            rule_share: float, rules_share: float, rules_user_share: float,
            ) -> tuple[dict[str, int | None], dict[str, str]]:
    """Each enabled rule's ladder step (None = switched off) and why."""
    steps: dict[str, int | None] = {}
    why: dict[str, str] = {}
    for rule in RULE_IDS:
        if configured.enabled(rule):
            steps[rule], why[rule] = _alone(history, rule, rule_share * budget)
    limit, user_limit = rules_share * budget, rules_user_share * budget
    while True:
        factors = {r: None if s is None else LADDER[s] for r, s in steps.items()}
        over = [(t, r) for t, r in history.together(factors).items() if _over(r, limit)]
        live = [r for r, s in steps.items() if s is not None]
        if not live:
            return steps, why
        if over:
            t, total = over[0]
            hottest = max((r for r in live if r in RULES_BY_TYPE[t]),
                          key=lambda r: history.rates(r, factors[r])[t].reach)
            reaching, over_limit = f"{total.reach:.2%} of {t} events", limit
        elif history.over_users(factors, user_limit):
            hottest = max(live, key=lambda r: history.users_hit({r: factors[r]}))
            users = history.users_hit(factors)
            reaching, over_limit = f"{history.user_reach(users):.2%} of the last fortnight's users", user_limit
        else:
            return steps, why
        steps[hottest] = _next(steps[hottest])
        why[hottest] += (f"; then, with all rules together reaching {reaching} "
                         f"(over {over_limit:.2%}), the hottest, taken to "
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
    fortnight_from: int = 0,
    rules_user_share: float = RULES_USER_SHARE,
    users_counted: str = ONCE,
) -> Calibration:
    """Measure the rules on a history of ``(user_id, event_type, features)`` rows and, when
    ``apply``, tighten or switch off those over their share of ``budget`` (see the module doc).

    The rows are in time order; user reach is measured on those from ``fortnight_from`` on
    (the history's last ``USER_WINDOW_DAYS``), each user hit exactly once (``ONCE``) or at
    all (``EVERY``).
    With ``apply`` False the rules stay as configured; the result still says what
    calibration would have done (``proposed``) and which rules are over budget.
    """
    history = _History(rows, configured, fortnight_from, users_counted)
    steps, why = _decide(history, configured, budget, rule_share, rules_share, rules_user_share)
    effective, outcomes, proposed = configured, [], {}
    for rule in RULE_IDS:
        before, users_before = history.rates(rule, 1.0), history.users_hit({rule: 1.0})
        if not configured.enabled(rule):
            outcomes.append(RuleOutcome(rule, SWITCHED_OFF, 1.0, "switched off in the configured rules", before,
                                        history.rates(rule, None), users_before, 0))
            continue
        action, factor = _action(steps[rule])
        if not apply:
            if action != KEPT:
                proposed[rule] = SWITCHED_OFF if action == SWITCHED_OFF else f"tightened x{factor:g}"
            outcomes.append(RuleOutcome(rule, KEPT, 1.0, why[rule], before, before, users_before, users_before,
                                        history.users_hit({rule: 1.0}, EVERY)))
            continue
        if action == TIGHTENED:
            effective = tightened(effective, rule, factor)
        elif action == SWITCHED_OFF:
            effective = replace(effective, disabled=(*effective.disabled, rule))
        in_force = None if action == SWITCHED_OFF else factor
        outcomes.append(RuleOutcome(rule, action, factor, why[rule], before, history.rates(rule, in_force),
                                    users_before, history.users_hit({rule: in_force}),
                                    history.users_hit({rule: in_force}, EVERY)))
    in_force = {o.rule: (None if o.action == SWITCHED_OFF else o.factor) for o in outcomes}
    total = tuple(history.together(in_force).items())
    return Calibration(apply, budget, configured, effective, tuple(outcomes), proposed, rules_share, rule_share, total,
                       history.users_hit(in_force), rules_user_share, history.active, users_counted)
