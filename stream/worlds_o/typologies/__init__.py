"""The misbehaviour typologies, by name.

Six are the brief's; merchant_cashout_ring and identity_farm are this package's own.
"""
from __future__ import annotations

from .account_takeover import AccountTakeover
from .base import Episode, Typology
from .borrow_to_repay import BorrowToRepay
from .identity_farm import IdentityFarm
from .limit_jump_drain import LimitJumpDrain
from .loan_stacking import LoanStacking
from .merchant_cashout_ring import MerchantCashoutRing
from .overdue_escalation import OverdueEscalation
from .student_overborrowing import StudentOverborrowing

TYPOLOGIES: dict[str, Typology] = {
    t.name: t
    for t in (
        LoanStacking(),
        BorrowToRepay(),
        AccountTakeover(),
        StudentOverborrowing(),
        LimitJumpDrain(),
        OverdueEscalation(),
        MerchantCashoutRing(),
        IdentityFarm(),
    )
}

__all__ = ["TYPOLOGIES", "Episode", "Typology"]
