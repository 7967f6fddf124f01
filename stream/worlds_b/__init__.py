"""worlds_b: family B of held-out synthetic lender worlds (independent generator).

Run ``python -m stream.worlds_b --list`` for the worlds.  Every stream starts at
2026-01-05T00:00:00+08:00; the first --history-days are history, the last
--test-days the test window.  Output: events.jsonl (loan-events contract v1.1)
and labels.jsonl (event_id, label, scenario, user_anomalous), same order.

Typologies (scenario names in labels.jsonl):
  loan_stacking          several loans within minutes to a day or two, across products/channels, near or beyond the limit
  borrow_to_repay        a new loan (0.8-2x) taken to repay an older one that is due or overdue, sometimes in a spiral
  account_takeover       an established account borrows from a new device (maybe new channel, odd hour) and cashes out the limit within hours
  student_overborrowing  a student borrowing far beyond student norms: bigger amounts, more often, more products
  limit_jump_drain       a credit-limit increase followed quickly by drawing most of the new limit
  overdue_escalation     repayments getting later and later while the user keeps borrowing
  bust_out               (own) a new, quietly well-behaved account that suddenly maxes out every product and channel at once
  merchant_cashout       (own) a ring of accounts drawing round or just-under-threshold loans at one colluding merchant within days
  dormant_max_term       (own) an account silent for weeks that reactivates with the longest-term loan for nearly all its limit

Only the episode's own events carry label 1; an anomalous user's other events are
label 0 / scenario "normal" with user_anomalous true.
"""
from .engine import TYPOLOGIES, generate, schedule, split, days_late  # noqa: F401
from .worlds import WORLDS  # noqa: F401
