"""Named typology rules: known borrowing-fraud patterns that must alert even when the
isolation forest is unsure (a pattern the risk team has already seen is not an
"anomaly" to a model trained on a history that contains it).

Each rule reads the same feature row the model scores, so a rule and the model
always see the same facts.  Thresholds live in ``RuleConfig`` (overridable from
a JSON file, ``RISKMON_RULES_FILE``) so the risk team can tune them without a
code change.  ``RULE_THRESHOLDS`` names the thresholds each rule reads: every
one is an "at least" bound, so raising it can only make its rule fire less,
which is what ``models.calibrate`` does to a rule that fires on more of the
training history than its share of the alert budget (or switches it off,
``RuleConfig.disabled``).
"""

from __future__ import annotations

import json
import math
from collections import namedtuple
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable

from stream.core.contract import SEGMENTS
from stream.core.features import LOAN_FEATURES, REPAYMENT_FEATURES, SHORT_TERM_DAYS, FeatureRow

#: ``segment_code`` of a student (features carry the segment as its index in SEGMENTS).
STUDENT = float(SEGMENTS.index("student"))


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds of the typology rules (see each rule's reason text)."""

    stacking_loans_24h: int = 5
    stacking_products_7d: int = 3
    stacking_amount_24h_over_limit: float = 0.8
    stacking_burst_loans_1h: int = 2
    stacking_burst_products_7d: int = 2
    stacking_burst_channels_7d: int = 2
    borrow_to_repay_chain: int = 3
    borrow_to_repay_late_days: int = 1
    borrow_to_repay_funded_repeats: int = 2
    takeover_amount_1h_over_limit: float = 0.6
    takeover_hour_unusual: float = 0.8
    #: A draw this near the whole limit on a device first seen within hours is a takeover even
    #: through the owner's usual channel at a usual hour (docs/rules.md).
    takeover_drain_1h_over_limit: float = 0.9
    student_loans_30d: int = 8
    student_amount_30d_over_limit: float = 1.5
    student_products_7d: int = 2
    limit_jump_ratio: float = 3.0
    limit_drain_amount_24h_over_limit: float = 0.25
    overdue_open_loans: int = 2
    overdue_utilisation: float = 1.05
    overdue_loans_while_late: int = 1
    overdue_while_late_amount_30d_over_limit: float = 0.6
    overdue_rising_late: int = 1
    overdue_rising_amount_30d_over_limit: float = 0.9
    overdue_short_loans_30d: int = 4
    overdue_short_late_days: int = 1
    #: Rule ids switched off: by calibration (a rule no step of its ladder brings within
    #: its share of the alert budget) or by hand in a ``rules_file``.
    disabled: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Check ``disabled`` and bind each event type's enabled checks once, so
        ``evaluate_rules`` loops over a ready tuple instead of filtering per event."""
        unknown = sorted(set(self.disabled) - set(RULE_IDS))
        if unknown:
            raise ValueError(f"unknown rule ids in disabled: {', '.join(unknown)}; known: {', '.join(RULE_IDS)}")
        for f in fields(self):  # a rules_file's "5" would fail only when a rule is first evaluated
            value = getattr(self, f.name)
            if f.name != "disabled" and (isinstance(value, bool) or not isinstance(value, (int, float))
                                         or not math.isfinite(value)):
                raise ValueError(f"rule threshold {f.name} must be a finite number, got {value!r}")
        off = tuple(r for r in RULE_IDS if r in self.disabled)  # canonical order; a JSON list becomes a tuple
        object.__setattr__(self, "disabled", off)
        object.__setattr__(self, "_loan_checks", tuple((r, c) for r, c in LOAN_RULES.items() if r not in off))
        object.__setattr__(self, "_repayment_checks", tuple((r, c) for r, c in REPAYMENT_RULES.items() if r not in off))

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled

    def as_dict(self) -> dict[str, Any]:
        """The thresholds as plain JSON values (what a model saves in ``meta``)."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    def differs_from(self, trained: dict | None) -> list[str]:
        """Thresholds whose value is not the one a model was trained with (``meta["rules"]``).

        Rule hits on the history take the alert budget first, so a model trained
        under other thresholds alerts more or less often than its budget says.
        A model from before thresholds were saved (None) differs in nothing known;
        one from before rules could be switched off had none switched off.
        """
        if not trained:
            return []
        trained = {"disabled": [], **trained}
        return [name for name, value in self.as_dict().items() if trained.get(name) != value]

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "rule thresholds") -> "RuleConfig":
        """Defaults, overridden by ``data``'s keys (unknown keys refused: a typo must not pass silently)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown rule thresholds in {where}: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return replace(cls(), **data)

    @classmethod
    def from_file(cls, path: Path | None) -> "RuleConfig":
        """Defaults, overridden by the keys of a JSON object file (unknown keys refused)."""
        if path is None or not str(path):
            return cls()
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read rule thresholds from {path}: {exc}") from None
        return cls.from_dict(data, str(path))


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that fired, with the evidence a reviewer needs."""

    rule: str
    text: str


#: A row's values by feature name (``f.loans_24h``): a namedtuple over the row's own
#: tuple, so the names are bound once at import instead of zipped per event, and a
#: rule reading a feature its event type does not have fails with AttributeError.
Named = Any
_LOAN_VIEW = namedtuple("LoanFeatures", LOAN_FEATURES)._make
_REPAYMENT_VIEW = namedtuple("RepaymentFeatures", REPAYMENT_FEATURES)._make

_Check = Callable[[Named, RuleConfig], "str | None"]


def _loan_stacking(f: Named, c: RuleConfig) -> str | None:
    many_in_a_day = f.loans_24h >= c.stacking_loans_24h and (
        f.distinct_products_7d >= c.stacking_products_7d
        or f.amount_24h_over_limit >= c.stacking_amount_24h_over_limit
    )
    burst_across_products = (
        f.loans_1h >= c.stacking_burst_loans_1h
        and f.distinct_products_7d >= c.stacking_burst_products_7d
        and f.distinct_channels_7d >= c.stacking_burst_channels_7d
    )
    # Each branch says its own evidence: a burst of two loans alone reads as nothing unless the
    # reason names the hour and the channels it was judged on.
    if many_in_a_day:
        return (
            f"{f.loans_24h:.0f} loans in 24h ({f.amount_24h_over_limit:.0%} of the credit limit), "
            f"{f.distinct_products_7d:.0f} product{'s' if f.distinct_products_7d != 1 else ''} in 7 days"
        )
    if burst_across_products:
        return (
            f"{f.loans_1h:.0f} loans within 1h, {f.distinct_products_7d:.0f} products and "
            f"{f.distinct_channels_7d:.0f} channels in 7 days ({f.amount_24h_over_limit:.0%} of the credit limit in 24h)"
        )
    return None


def _borrow_to_repay(f: Named, c: RuleConfig) -> str | None:
    if f.rollover_chain >= c.borrow_to_repay_chain:
        return (
            f"{f.rollover_chain:.0f} loans in a row each taken just before the previous one fell due, "
            f"this one {f.rollover_growth:.2f}x the loan it repays"
        )
    return None


def _borrow_to_repay_repayment(f: Named, c: RuleConfig) -> str | None:
    if f.repaid_by_rollover >= c.borrow_to_repay_chain:
        return (
            f"repaid with a new loan taken just before it fell due, "
            f"{f.repaid_by_rollover:.0f} such refinancings in a row"
        )
    if f.rollover_chain >= c.borrow_to_repay_chain and f.days_late >= c.borrow_to_repay_late_days:
        return (
            f"repayment {f.days_late:.0f} days late at the end of {f.rollover_chain:.0f} loans in a row "
            f"each taken to repay the one before"
        )
    if f.funded_repeats_30d >= c.borrow_to_repay_funded_repeats:
        # Two credit lines paying each other off: each repayment made with a loan of the
        # other product taken just before it, again and again (features.FUNDED_HOURS).
        return (
            f"repaid with a new loan of another product taken just before, "
            f"{f.funded_repeats_30d:.0f} times in a row within 30 days each"
        )
    return None


def _account_takeover(f: Named, c: RuleConfig) -> str | None:
    if f.recent_device < 1:
        return None
    odd_access = f.new_channel >= 1 or f.night_hour >= 1 or f.hour_unusual >= c.takeover_hour_unusual
    drained = f.amount_1h_over_limit >= c.takeover_drain_1h_over_limit
    if drained or (odd_access and f.amount_1h_over_limit >= c.takeover_amount_1h_over_limit):
        return (
            f"device first seen within hours on an established account"
            f"{', new channel' if f.new_channel >= 1 else ''}{', at night' if f.night_hour >= 1 else ''}: "
            f"{f.amount_1h_over_limit:.0%} of the limit borrowed within 1h"
        )
    return None


def _student_overborrowing(f: Named, c: RuleConfig) -> str | None:
    if f.segment_code != STUDENT:
        return None
    heavy = f.loans_30d >= c.student_loans_30d or f.amount_30d_over_limit >= c.student_amount_30d_over_limit
    if heavy and f.distinct_products_7d >= c.student_products_7d:
        return (
            f"student with {f.loans_30d:.0f} loans in 30d ({f.amount_30d_over_limit:.0%} of the limit) "
            f"on {f.distinct_products_7d:.0f} products"
        )
    return None


def _student_overborrowing_repayment(f: Named, c: RuleConfig) -> str | None:
    if (
        f.segment_code == STUDENT
        and f.amount_30d_over_limit >= c.student_amount_30d_over_limit
        and f.days_late >= 1
    ):
        return (
            f"student {f.days_late:.0f} days late after borrowing {f.amount_30d_over_limit:.0%} "
            f"of the limit in 30d"
        )
    return None


def _limit_jump_drain(f: Named, c: RuleConfig) -> str | None:
    ratio = math.exp(f.log_limit_change)
    if ratio >= c.limit_jump_ratio and f.amount_24h_over_limit >= c.limit_drain_amount_24h_over_limit:
        return f"credit limit raised {ratio:.1f}x, then {f.amount_24h_over_limit:.0%} of it drawn within 24h"
    return None


def _rising_while_borrowing(f: Named, c: RuleConfig, latest_late: float) -> str | None:
    """Lateness growing from one late repayment to the next while borrowing goes on.

    The escalation itself rather than its late stage: each late repayment later
    than the late one before (``late_rising``), the latest repayment late too
    (``latest_late``: an on-time one since means the user caught up), by a user
    who has meanwhile borrowed most of the credit limit within 30 days.
    """
    if (
        f.late_rising >= c.overdue_rising_late
        and latest_late >= 1
        and f.amount_30d_over_limit >= c.overdue_rising_amount_30d_over_limit
    ):
        return (
            f"{f.late_rising + 1:.0f} late repayments each later than the late one before, "
            f"the latest {latest_late:.0f} days late, while {f.amount_30d_over_limit:.0%} of the limit "
            f"was borrowed in 30d"
        )
    return None


def _living_on_short_loans(f: Named, c: RuleConfig, latest_late: float) -> str | None:
    """The latest repayment late while the borrower keeps drawing short-term loans.

    Several loans of at most two weeks within a month is a borrower refinancing
    day-to-day needs; once a repayment slips as well, the escalation has begun,
    weeks before lateness grows or loans pile up past due.
    """
    if f.short_loans_30d >= c.overdue_short_loans_30d and latest_late >= c.overdue_short_late_days:
        return (
            f"{f.short_loans_30d:.0f} short-term loans (up to {SHORT_TERM_DAYS} days) in 30d "
            f"and the latest repayment {latest_late:.0f} days late"
        )
    return None


def _overdue_escalation_loan(f: Named, c: RuleConfig) -> str | None:
    if f.overdue_loans >= c.overdue_open_loans:
        return (
            f"new loan while {f.overdue_loans:.0f} earlier loans are past due and unpaid "
            f"(the oldest {f.overdue_days:.0f} days)"
        )
    if f.utilisation >= c.overdue_utilisation and (f.late_max_90d >= 1 or f.overdue_days >= 1):
        late = (
            f"an earlier loan {f.overdue_days:.0f} days past due"
            if f.overdue_days >= 1
            else f"repayments late (up to {f.late_max_90d:.0f} days)"
        )
        return f"new loan with the balance already at {f.utilisation:.0%} of the limit and {late}"
    return _rising_while_borrowing(f, c, f.late_last) or _living_on_short_loans(f, c, f.late_last)


def _overdue_escalation_repayment(f: Named, c: RuleConfig) -> str | None:
    """A late repayment by a borrower whose debt keeps growing.

    Each branch pairs lateness with evidence that the borrowing goes on, because
    lateness alone is common (many well-behaved users are a few days late now
    and then): the balance over the limit; new loans taken while this one was
    late, another loan past due and most of the limit borrowed in 30 days; ever
    later repayments; or several short-term loans in 30 days.
    """
    late, drawn = f.days_late, f.amount_30d_over_limit
    if f.utilisation >= c.overdue_utilisation and (late >= 1 or f.overdue_days >= 1):
        return (
            f"repayment {late:.0f} days late with the balance still at {f.utilisation:.0%} "
            f"of the limit{' and another loan past due' if f.overdue_days >= 1 else ''}"
        )
    if (
        late >= 1
        and f.overdue_days >= 1
        and f.loans_while_late >= c.overdue_loans_while_late
        and drawn >= c.overdue_while_late_amount_30d_over_limit
    ):
        return (
            f"repayment {late:.0f} days late, {f.loans_while_late:.0f} new loans taken meanwhile, "
            f"another loan still {f.overdue_days:.0f} days past due, {drawn:.0%} of the limit borrowed in 30d"
        )
    return _rising_while_borrowing(f, c, late) or _living_on_short_loans(f, c, late)


LOAN_RULES: dict[str, _Check] = {
    "loan_stacking": _loan_stacking,
    "borrow_to_repay": _borrow_to_repay,
    "account_takeover": _account_takeover,
    "student_overborrowing": _student_overborrowing,
    "limit_jump_drain": _limit_jump_drain,
    "overdue_escalation": _overdue_escalation_loan,
}
REPAYMENT_RULES: dict[str, _Check] = {
    "borrow_to_repay": _borrow_to_repay_repayment,
    "student_overborrowing": _student_overborrowing_repayment,
    "overdue_escalation": _overdue_escalation_repayment,
}
RULE_IDS: tuple[str, ...] = tuple(LOAN_RULES)
RULES_BY_TYPE: dict[str, dict[str, _Check]] = {"loan": LOAN_RULES, "repayment": REPAYMENT_RULES}

#: The ``RuleConfig`` thresholds each rule reads (its own and those of the helpers it
#: calls; ``tests/core/test_rules.py`` reads the code to keep this exact).  All are
#: "at least" bounds, so scaling them up (``tightened``) only ever removes hits.
RULE_THRESHOLDS: dict[str, tuple[str, ...]] = {
    "loan_stacking": ("stacking_loans_24h", "stacking_products_7d", "stacking_amount_24h_over_limit",
                      "stacking_burst_loans_1h", "stacking_burst_products_7d", "stacking_burst_channels_7d"),
    "borrow_to_repay": ("borrow_to_repay_chain", "borrow_to_repay_late_days", "borrow_to_repay_funded_repeats"),
    "account_takeover": ("takeover_amount_1h_over_limit", "takeover_hour_unusual", "takeover_drain_1h_over_limit"),
    "student_overborrowing": ("student_loans_30d", "student_amount_30d_over_limit", "student_products_7d"),
    "limit_jump_drain": ("limit_jump_ratio", "limit_drain_amount_24h_over_limit"),
    "overdue_escalation": ("overdue_open_loans", "overdue_utilisation", "overdue_loans_while_late",
                           "overdue_while_late_amount_30d_over_limit", "overdue_rising_late",
                           "overdue_rising_amount_30d_over_limit", "overdue_short_loans_30d", "overdue_short_late_days"),
}


def tightened(config: RuleConfig, rule: str, factor: float) -> RuleConfig:
    """``config`` with ``rule``'s thresholds multiplied by ``factor`` (>= 1; integers rounded up).

    Integer thresholds count things (loans, products, days), so 2 x 1.25 is 3:
    the rule must see one more of them, never a fraction that rounds back to 2.
    """
    if factor < 1:
        raise ValueError(f"a tightening factor is at least 1, got {factor}")
    changes: dict[str, float] = {}
    for name in RULE_THRESHOLDS[rule]:
        value = getattr(config, name)
        scaled = round(value * factor, 9)  # 0.6 x 1.5 is 0.9, not 0.8999999999999999
        changes[name] = math.ceil(scaled) if isinstance(value, int) else scaled
    return replace(config, **changes)


def rule_view(row: FeatureRow) -> Named:
    """The row's values by feature name, as the rules read them (built once, checked many times)."""
    return (_LOAN_VIEW if row.event_type == "loan" else _REPAYMENT_VIEW)(row.values)


def evaluate_rules(row: FeatureRow, config: RuleConfig) -> list[RuleHit]:
    """All enabled rules that fire on ``row``, in a stable order."""
    if row.event_type == "loan":
        named, checks = _LOAN_VIEW(row.values), config._loan_checks
    else:
        named, checks = _REPAYMENT_VIEW(row.values), config._repayment_checks
    hits = []
    for rule_id, check in checks:
        text = check(named, config)
        if text is not None:
            hits.append(RuleHit(rule_id, text))
    return hits
