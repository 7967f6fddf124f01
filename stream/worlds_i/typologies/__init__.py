"""Registry of typologies.  Each module exposes NAME, GROUP (min, max users),
FRESH (opens new accounts), SPAN (days it typically needs), eligible() and run()."""
from __future__ import annotations

from types import ModuleType

from . import (account_takeover, borrow_to_repay, limit_jump_drain, loan_stacking,
               merchant_cashout_ring, overdue_escalation, promo_loop_arbitrage,
               student_overborrowing, synthetic_identity_farm)

TYPOLOGIES: dict[str, ModuleType] = {m.NAME: m for m in (
    loan_stacking, borrow_to_repay, account_takeover, student_overborrowing,
    limit_jump_drain, overdue_escalation, merchant_cashout_ring,
    synthetic_identity_farm, promo_loop_arbitrage)}
