"""worlds_d: an independent family of synthetic lender worlds with labelled episodes.

Every world writes a loan-event stream (contract v1.1) starting at
2026-01-05T00:00:00+08:00: H history days, then T test days, plus a
labels file with one line per event. Standard library + numpy only.

Worlds (``python -m stream.worlds_d --list``)
---------------------------------------------
bill_instalments  utility bills turned into 3-12 month instalments on each household's billing day,
                  auto-debit repayments, continuous onboarding, January heating bills.
night_shift_cash  7-21 day cash advances for shift workers; night activity, weekly rhythm, many
                  routinely-late or partial payers, shared family phones (weak risk/outcome link).
campus_growth     student credit line/instalments, continuous onboarding with a spring-semester
                  surge and tuition loans with raised limits in the test window.
agri_seasonal     farm/dealer operating loans, quiet winter then a planting-season ramp in the test
                  window, large interest-only loans drawn through agri-input dealers.
limit_campaign    checkout credit line with a platform-wide limit-raise campaign in the test window
                  (35 % of users, 1.5-3x) followed by more spending and some big purchases.
churn_quickloan   per-product limits (credit_limit is the product's own limit), heavy churn,
                  ad-driven onboarding, returning dormant users, a 7-hour outage + catch-up burst.
vault_pledge      large, rare wealth-pledge loans, limits moving with the market (a rally in the
                  test window), mostly early repayment (weak risk/outcome link).

All worlds share the Spring Festival 2026 (holiday lull Feb 15-23, festival spending before it,
catch-up after it).

Normal-behaviour ingredients (differently mixed per world): per-user borrowing rate,
product preferences and favourite channel; repayment habits (early / prepaying, on time,
routinely 1-5 days late, partial then rest later, bad); auto-debit; shared household devices and
phone upgrades; night owls; occasional big one-off purchases on instalments; two loans in a day;
limit increases after good repayment; declined loans (no event) when the limit is used up.

Typologies (label scenario names)
---------------------------------
loan_stacking         3-7 loans within minutes (burst), over 1-2 days (spread), one product through
                      several channels (multichannel), or 2-4 loans each just below the limit; total at
                      or above the limit; sometimes a second device.
borrow_to_repay       a new loan (0.8-2x the old balance, same or other product) taken 3 days before to
                      5 days after an older loan's due date, the older loan repaid minutes, hours or
                      1-2 days later (early, on time or late); half are spirals of 2-4 steps.
account_takeover      established account, new device, often a new channel and an odd hour (0-5h),
                      optional small test loan, then 1-4 loans cashing out 70-100 % of the available
                      limit within hours; the victim sometimes repays late, often never.
student_overborrowing a student taking many small loans day and night, a few big tickets with a
                      raised limit, 60-100 %-of-limit loans through partners, or a limit-chase
                      (borrow the limit, repay, limit raised, borrow again).
limit_jump_drain      a limit increase 1.5-5x (sometimes in two steps) followed after 20 minutes to
                      8 hours, or 1-4 days, by 1-4 loans drawing 80-100 % of the new room.
overdue_escalation    4-8 short loans a few days apart; each due item paid later than the previous one
                      (random start and growth, some partial); borrowing continues while overdue.
Own typologies:
first_payment_default brand-new account borrows 85-100 % of its limit in one shot or 2-3 loans within
                      1-2 days and never repays (or repays a token 3-15 %).
device_farm           4-9 new accounts onboarded within 36 hours on 1-3 shared devices, same channel and
                      product, near-identical amounts; some "warm up" with a small repaid loan first.
loan_flipping         a fresh account repeatedly borrows and repays early (6 hours-4 days) 4-8 times,
                      each cycle lifts the limit 10-35 %, then cashes out the inflated limit.
sleeper_cashout       an account dormant for 18-32 days wakes up (mostly on its old device) and maxes
                      out its products at once, in one big loan plus one more, or in a drip of 3-5.

Outcomes: each world has ``p_bad_risky``, the chance that an anomalous user's episode loans go
bad (repaid 12-70 days late or never) and that later loans follow a bad habit; ordinary users go
bad at their habit rate. The link is strong in bill_instalments, campus_growth, agri_seasonal,
limit_campaign and churn_quickloan, weak in night_shift_cash (lots of ordinary lateness) and
vault_pledge (collateral: nearly everyone repays).
"""

from .gen import generate  # noqa: F401
from .worlds import WORLDS  # noqa: F401
