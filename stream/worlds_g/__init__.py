"""Family G: synthetic loan-event worlds written from the input contract alone.

Seven lenders whose *normal* behaviour differs from each other and from the other
families (see `python -m stream.worlds_g --list`):

- acquired_book: an app lender buys a rival's book mid-history; 40 % of users appear
  at once repaying legacy instalment loans the stream never saw disbursed.
- nightly_batch: a bank whose repayments are posted by a nightly batch, all stamped
  23:30:00; office-hours, weekday borrowing.
- multi_timezone: overseas workers and students in eight zones (offsets incl. "Z",
  "+00:00", "+05:30", New York's DST switch), pay-day and Spring-Festival rhythm.
- partner_blind: partner platforms only; never device_id or credit_score; partner
  extra fields, nested objects, millisecond stamps, spaced JSON.
- zero_limit_oneoff: one-off approved loans sent with credit_limit 0 beside revolving
  credit lines with statement-day repayment.
- agri_harvest: 180-365 day bullet input loans repaid after sugar-mill payouts;
  weeks late is ordinary.
- auto_edu_tightening: car, tuition and fleet loans up to 10,000,000 and 3650 days;
  a risk tightening cuts 40 % of limits in the test window.

Typologies (label 1 marks the events that are the behaviour; intensity runs from
subtle to blatant and each has several mechanics):

- loan_stacking, borrow_to_repay, account_takeover, student_overborrowing,
  limit_jump_drain, overdue_escalation (as briefed), and three of our own:
- credit_cycling: wash borrowing - draw and repay in full within minutes or hours,
  over and over, to fake a repayment record and earn limit rises; blatant cases end
  by draining the raised limit.
- merchant_cashout: cashing out a consumer credit line through colluding merchants -
  repeated round or just-under-limit checkout draws at a merchant other cash-out users
  share, often at night, repaid just in time to draw again.
- device_ring: a ring of freshly opened accounts sharing one to three devices, opened
  close together, each drawing near its whole starting limit; almost none repay.

Producer realism, all valid under contract v1.1: optional fields often missing,
unknown extra fields, 0-2 decimal amounts, terms 1-3650, duplicate deliveries (the
same line again, labelled once), events seconds to minutes out of order, repayments
of loans disbursed before the stream.

API: `WORLDS` (name -> world with `.desc`) and
`generate(world, seed, users, history_days, test_days) -> (lines, labels, stats)`.
"""
from .generate import generate
from .lenders import WORLDS
from .typologies import TYPOLOGIES

__all__ = ["WORLDS", "TYPOLOGIES", "generate"]
