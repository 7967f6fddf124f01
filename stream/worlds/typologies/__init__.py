"""The anomalous typologies: name -> episode function, who can run it, and when it may start.

``onset`` is the range of episode starts, in days relative to the first test
day (low) and to the end of the window (high): slow typologies such as
overdue escalation must start before the test window to be visible in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..population import UserProfile
from .base import EpisodeContext, Ring
from .credit import limit_jump_drain, loan_stacking, product_switch_max_term, student_overborrowing
from .identity import account_takeover, merchant_cashout_ring
from .repayment import borrow_to_repay, circular_repayment, overdue_escalation


@dataclass(frozen=True)
class Typology:
    """An episode generator and the constraints the planner respects."""

    run: Callable[[EpisodeContext], None]
    #: (days after the test start, days before the window end) bounding the onset.
    onset: tuple[float, float]
    #: Days of account history required before onset (-1: none).
    tenure_days: float
    segments: tuple[str, ...] = ("individual", "small_business", "student")


TYPOLOGY_REGISTRY: dict[str, Typology] = {
    "loan_stacking": Typology(loan_stacking, (0, 1), -1),
    "borrow_to_repay": Typology(borrow_to_repay, (0, 1), 20),
    "account_takeover": Typology(account_takeover, (0, 1), 30),
    "student_overborrowing": Typology(student_overborrowing, (-4, 2), 10, ("student",)),
    "limit_jump_drain": Typology(limit_jump_drain, (0, 1.5), 20),
    "overdue_escalation": Typology(overdue_escalation, (-16, 12), 20),
    "circular_repayment": Typology(circular_repayment, (0, 3), 10),
    "product_switch_max_term": Typology(product_switch_max_term, (0, 1), 30),
    "merchant_cashout_ring": Typology(merchant_cashout_ring, (0, 2), -1, ("individual", "small_business")),
}


def eligible(name: str, user: UserProfile, t0: int) -> bool:
    """Whether ``user`` can run typology ``name`` starting at ``t0``."""
    spec = TYPOLOGY_REGISTRY[name]
    if user.segment not in spec.segments:
        return False
    return user.join_t <= t0 - max(spec.tenure_days, 0) * 86_400 - (3_600 if spec.tenure_days < 0 else 0)


__all__ = ["TYPOLOGY_REGISTRY", "Typology", "EpisodeContext", "Ring", "eligible"]
