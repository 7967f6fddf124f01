"""Named typology rules: known borrowing-fraud patterns that must alert even when the
isolation forest is unsure (a pattern the risk team has already seen is not an
"anomaly" to a model trained on a history that contains it).

Each rule reads the same feature row the model scores, so a rule and the model
always see the same facts.  Thresholds live in ``RuleConfig`` (overridable from
a JSON file, ``RISKMON_RULES_FILE``) so the risk team can tune them without a
code change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Callable

from stream.features import LOAN_FEATURES, REPAYMENT_FEATURES, FeatureRow


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds of the typology rules (see each rule's reason text)."""

    stacking_loans_24h: int = 5
    stacking_products_7d: int = 3
    stacking_amount_24h_over_limit: float = 0.8
    borrow_to_repay_before_due: float = 2.0
    borrow_to_repay_amount_z: float = 0.5
    takeover_amount_over_limit: float = 0.6
    student_loans_30d: int = 8
    student_amount_30d_over_limit: float = 1.5
    student_products_7d: int = 2
    limit_jump_ratio: float = 3.0
    limit_drain_amount_24h_over_limit: float = 0.5
    overdue_late_max: int = 30
    overdue_late_trend: float = 5.0

    @classmethod
    def from_file(cls, path: Path | None) -> "RuleConfig":
        """Defaults, overridden by the keys of a JSON object file (unknown keys refused)."""
        config = cls()
        if path is None or not str(path):
            return config
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read rule thresholds from {path}: {exc}") from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown rule thresholds in {path}: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return replace(config, **data)


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that fired, with the evidence a reviewer needs."""

    rule: str
    text: str


_Check = Callable[[dict[str, float], RuleConfig], "str | None"]


def _loan_stacking(f: dict[str, float], c: RuleConfig) -> str | None:
    if f["loans_24h"] >= c.stacking_loans_24h and (
        f["distinct_products_7d"] >= c.stacking_products_7d
        or f["amount_24h_over_limit"] >= c.stacking_amount_24h_over_limit
    ):
        return (
            f"{f['loans_24h']:.0f} loans in 24h across {f['distinct_products_7d']:.0f} products, "
            f"{f['amount_24h_over_limit']:.0%} of the credit limit"
        )
    return None


def _borrow_to_repay(f: dict[str, float], c: RuleConfig) -> str | None:
    if f["loans_before_due"] >= c.borrow_to_repay_before_due and f["amount_z_user"] >= c.borrow_to_repay_amount_z:
        return (
            f"{f['loans_before_due']:.1f} recent loans taken just before a repayment fell due, "
            f"amount {f['amount_z_user']:.1f} sd above the user's usual"
        )
    return None


def _account_takeover(f: dict[str, float], c: RuleConfig) -> str | None:
    unusual_access = f["new_device"] >= 1 and (f["new_channel"] >= 1 or f["night_hour"] >= 1)
    if unusual_access and f["amount_over_limit"] >= c.takeover_amount_over_limit:
        return (
            f"new device{' and channel' if f['new_channel'] >= 1 else ''}"
            f"{' at night' if f['night_hour'] >= 1 else ''}, loan of {f['amount_over_limit']:.0%} of the limit"
        )
    return None


def _student_overborrowing(f: dict[str, float], c: RuleConfig) -> str | None:
    if f["segment_code"] != 2.0:  # SEGMENTS.index("student")
        return None
    heavy = f["loans_30d"] >= c.student_loans_30d or f["amount_30d_over_limit"] >= c.student_amount_30d_over_limit
    if heavy and f["distinct_products_7d"] >= c.student_products_7d:
        return (
            f"student with {f['loans_30d']:.0f} loans in 30d ({f['amount_30d_over_limit']:.0%} of the limit) "
            f"on {f['distinct_products_7d']:.0f} products"
        )
    return None


def _limit_jump_drain(f: dict[str, float], c: RuleConfig) -> str | None:
    ratio = math.exp(f["log_limit_change"])
    if ratio >= c.limit_jump_ratio and f["amount_24h_over_limit"] >= c.limit_drain_amount_24h_over_limit:
        return f"credit limit raised {ratio:.1f}x, then {f['amount_24h_over_limit']:.0%} of it drawn within 24h"
    return None


def _overdue_escalation_loan(f: dict[str, float], c: RuleConfig) -> str | None:
    if f["late_max_90d"] >= c.overdue_late_max and f["late_ewm"] >= c.overdue_late_max / 3:
        return f"new loan while repayments run late (worst {f['late_max_90d']:.0f} days in 90d)"
    return None


def _overdue_escalation_repayment(f: dict[str, float], c: RuleConfig) -> str | None:
    if f["days_late"] >= c.overdue_late_max and f["late_trend"] >= c.overdue_late_trend:
        return f"repayment {f['days_late']:.0f} days late, {f['late_trend']:.0f} days later than the user's trend"
    return None


LOAN_RULES: dict[str, _Check] = {
    "loan_stacking": _loan_stacking,
    "borrow_to_repay": _borrow_to_repay,
    "account_takeover": _account_takeover,
    "student_overborrowing": _student_overborrowing,
    "limit_jump_drain": _limit_jump_drain,
    "overdue_escalation": _overdue_escalation_loan,
}
REPAYMENT_RULES: dict[str, _Check] = {"overdue_escalation": _overdue_escalation_repayment}
RULE_IDS: tuple[str, ...] = tuple(LOAN_RULES)


def evaluate_rules(row: FeatureRow, config: RuleConfig) -> list[RuleHit]:
    """All rules that fire on ``row``, in a stable order."""
    if row.event_type == "loan":
        named, rules = dict(zip(LOAN_FEATURES, row.values)), LOAN_RULES
    else:
        named, rules = dict(zip(REPAYMENT_FEATURES, row.values)), REPAYMENT_RULES
    hits = []
    for rule_id, check in rules.items():
        text = check(named, config)
        if text is not None:
            hits.append(RuleHit(rule_id, text))
    return hits
