"""The nine family-H typologies (six given, three of our own), by scenario name.

Why: one registry so the episode assigner and the tests share the same list.
"""
from __future__ import annotations

from .account_takeover import AccountTakeover
from .base import Typology
from .borrow_to_repay import BorrowToRepay
from .bust_out import BustOut
from .device_mule_ring import DeviceMuleRing
from .limit_jump_drain import LimitJumpDrain
from .loan_stacking import LoanStacking
from .merchant_cashout_ring import MerchantCashoutRing
from .overdue_escalation import OverdueEscalation
from .student_overborrowing import StudentOverborrowing

REGISTRY: dict[str, Typology] = {t.name: t for t in (
    LoanStacking(), BorrowToRepay(), AccountTakeover(), StudentOverborrowing(), LimitJumpDrain(),
    OverdueEscalation(), BustOut(), DeviceMuleRing(), MerchantCashoutRing())}

__all__ = ["REGISTRY", "Typology"]
