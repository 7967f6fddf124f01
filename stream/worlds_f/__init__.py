"""Family F synthetic loan-event worlds: six lenders, nine risk typologies.

Independent generator for loan event contract v1.1
(/work/shared/contracts/loan-events.md). Standard library only, deterministic
in (world, seed, users, history_days, test_days). Timeline: START =
2026-01-05T00:00:00+08:00 (a Monday), history H days then test T days.

Mechanics shared by all worlds: a world proposes loan *intents* with repayment
plans; a per-user ledger (core.run_ledger) applies limit changes, frees limit
as repayments land, declines loans beyond the remaining limit (no event) and
grants "good payer" raises after on-time payments. credit_limit is always the
user's total approved limit; outstanding (where present) is the user's total
balance after the payment. Ordinary users have habits: day people or night
owls, routinely late payers (10 %), early repayers, new phones, bursts, big
one-off loans, re-borrowing right after repaying, and a 0.3-5 % bad rate.

Worlds
------
payday_advance      Salary advances drawn a fixed 1-7 days before a monthly,
                    semi-monthly or weekly payday (near-fixed share of salary),
                    auto-debited ~06:00 on payday; failed debits paid by hand
                    late; occasional top-ups, payroll delays, emergency draws.
gig_daily           Riders/drivers (20 % students) take 10-400 CNY advances
                    before a shift via the platform (partner) or app, repaid
                    from the nightly payout; Fri-Sun peaks; no credit_score.
                    Weak outcome link.
crossborder_seller  small_business merchant_loans (5k-2M), 30-180 days; x3
                    borrowing and bigger tickets in the 3 weeks before a
                    shopping festival in the test window, early payoff from
                    festival sales, Lunar New Year lull, platform limit raises
                    before the festival (an innocent limit jump).
coop_group          Rural cooperative: groups of 4-8 borrow the same day at
                    the same agent (channel merchant, merchant_id = agent, the
                    agent's shared tablet as device_id), same term, repaid at
                    group meetings; 40 % without credit_score; no outstanding.
                    Weak outcome link.
bnpl_instalments    Purchases at 400 Zipf-popular merchants, 4 fortnightly
                    instalments (56 days) or 30-day pay-later; 25 % students;
                    pre-Lunar-New-Year peak; early payoffs; shop-after-paying.
app_migration       Consumer lender, 45 % web users without device_id; early
                    in the test window the app is replaced and every app user
                    appears with a new device_id within ~5 days (15 % fall back
                    to web during the cut-over); monthly score drift.

Typologies (label 1, scenario = name; intensity k from subtle to blatant)
----------
loan_stacking          3-7 loans within minutes..2 days over several products
                       and channels, summing to 0.8-1.15 x the limit (partner
                       channel checks late and may pass the limit).
borrow_to_repay        a loan taken around an older loan's due date repays it
                       within minutes..a day; 2-5 growing links; last goes bad.
account_takeover       established account, new device and usually a new
                       channel, often 1-5 am, 1-3 loans minutes apart draining
                       60-100 % of available limit; owner often never repays.
student_overborrowing  a student borrows 5-18 times in 10-28 days at 15-60 %
                       of the limit (or drains it), far above peer students.
limit_jump_drain       limit x1.3-1.7 (subtle) .. x2-4 (blatant), then within
                       minutes..3 days 1-3 loans take 80-100 % of the room.
overdue_escalation     4-7 loans days apart; each repaid later than the last
                       (0,1,2,4.. or 0,4,11,20.. days); the last often never.
business_masquerade    (own) a personal borrower suddenly presents as
                       small_business / purpose business / merchant_loan via
                       partner or web, with a business line added to the
                       limit, at 1.5-8 x the usual amount, 60-180 day terms.
token_repayment        (own) 2-4 loans serviced only by token payments of
                       0.3-3 % every 1-6 days from the due date on, days_late
                       climbing while outstanding barely moves; rest paid far
                       later or never.
score_slide_borrowing  (own) 4-8 loans at shrinking gaps and growing amounts
                       while each loan's credit_score falls 5-60 points; last
                       loans go bad.

Outcomes: episode loans go bad with p 0.55-0.85 in payday_advance,
crossborder_seller, bnpl_instalments and app_migration; p 0.04-0.12 in
gig_daily and coop_group. About 4-5 % of users are anomalous; episodes start
in both windows.
"""

from .build import generate
from .lenders import LENDERS

WORLDS = LENDERS

__all__ = ["WORLDS", "generate"]
