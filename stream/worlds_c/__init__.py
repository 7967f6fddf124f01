"""Family C of held-out synthetic lender worlds (independent generator).

Run ``python -m stream.worlds_c --list`` for the worlds, ``--world NAME`` to write
``events.jsonl`` (loan-events contract v1.1) and ``labels.jsonl``.  Streams start at
2026-01-05T00:00:00+08:00; the first ``--history-days`` are history, the last
``--test-days`` the test window.  ``python -m stream.worlds_c.report`` prints sizes,
per-typology test-window coverage and outcome statistics.

Typologies (scenario names in labels.jsonl):
  loan_stacking          several loans within minutes to two days, often across products/channels, to near or beyond the limit
  borrow_to_repay        a new loan taken to repay an older one coming due or overdue, sometimes in a spiral
  account_takeover       an established account suddenly borrows from a new device (maybe new channel, odd hour) and cashes out within hours
  student_overborrowing  a student borrowing far beyond student norms (frequency, limit push or big-ticket purchases)
  limit_jump_drain       a credit limit increase, then most of the new limit drawn quickly
  overdue_escalation     repayments getting later and later while the user keeps borrowing
  bust_out               first-party bust-out: a young account builds a spotless short record, then maxes out every product and stops paying
  synthetic_id_ring      freshly opened synthetic-identity accounts sharing devices and profile, each cashing out its first limit
  merchant_cash_out      collusive-merchant cash-out: several customers repeatedly draw near-limit round amounts at one merchant, often at night
  threshold_structuring  a burst of loans each just under the lender's manual-review threshold, together far above it
  promo_farming          batches of fresh accounts on a few shared devices each take exactly the new-customer promo loan and repay it at once
  rapid_cycling          pass-through cycling: large round loans repaid in full within hours to two days, repeated

Labels: ``label`` 1 marks the events that are the anomalous behaviour; ``user_anomalous`` is
true on every event of a user with at least one label-1 event.

Repayment schedule convention: see ``stream.worlds_c.core``.
"""
