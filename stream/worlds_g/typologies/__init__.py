"""Episode typologies of family G: name -> (writer, typical span in days, slow?).

A writer gets a `Kit` (world, clock, rng, user or ring of users, start, intensity)
and appends its events; events that ARE the anomalous behaviour carry label 1.
"""
from .bursts import account_takeover, device_ring, limit_jump_drain, loan_stacking
from .kit import Kit
from .slow import (borrow_to_repay, credit_cycling, merchant_cashout, overdue_escalation,
                   student_overborrowing)


class Typology:
    def __init__(self, name, write, span_days, slow):
        self.name, self.write, self.span_days, self.slow = name, write, span_days, slow
        self.desc = (write.__doc__ or "").split("\n")[0]


TYPOLOGIES = {t.name: t for t in (
    Typology("loan_stacking", loan_stacking, 3, False),
    Typology("borrow_to_repay", borrow_to_repay, 35, True),
    Typology("account_takeover", account_takeover, 1, False),
    Typology("student_overborrowing", student_overborrowing, 15, True),
    Typology("limit_jump_drain", limit_jump_drain, 5, False),
    Typology("overdue_escalation", overdue_escalation, 45, True),
    Typology("credit_cycling", credit_cycling, 10, True),
    Typology("merchant_cashout", merchant_cashout, 20, True),
    Typology("device_ring", device_ring, 7, False),
)}

__all__ = ["Kit", "TYPOLOGIES", "Typology"]
