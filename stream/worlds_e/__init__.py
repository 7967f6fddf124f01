"""Family E: seven synthetic lenders with labelled risk episodes (loan event contract v1.1).

An independent generator for testing a loan-fraud detector on data it was
never tuned on. Standard library + numpy only, deterministic in
(world, seed, users, history_days, test_days).

    python -m stream.worlds_e --list
    python -m stream.worlds_e --world NAME --seed 1 --users 3000 --history-days 45 \\
        --test-days 14 --out events.jsonl --labels labels.jsonl

    from stream.worlds_e import WORLDS, generate
    lines, labels, stats = generate("bazaar", seed=1, users=3000, history_days=45, test_days=14)

Output
------
Events cover exactly [START, START + H + T days), START = 2026-01-05T00:00:00+08:00
(a Monday), sorted by `ts`, one compact JSON object per line, every field per
the contract (amounts in cents-exact yuan, ids from `A-Z a-z 0-9 _ . : -`).
Each label line is `{"event_id", "label", "scenario", "user_anomalous"}`, in
event order: label 1 = the event is part of a risk episode (its loans and
repayments), scenario = the typology name; other events are label 0,
"normal". user_anomalous is fixed per user (true for every user that has an
episode). stats["users"] counts users that appear in the stream.

How it works (one file per job)
-------------------------------
- clock.py      window start, timestamps, CNY (2026-02-17) lull shape, stable seeds.
- spec.py       the World / Product / Segment / Habits / Window dataclasses.
- worlds.py     the seven lenders below.
- context.py    one run's calendar factors (weekday x CNY x windows, per segment),
                merchant pool (Zipf popularity), shop terminals, outage shift.
- population.py users: segment, limit (lognormal), typical amount (tied to the
                limit), gamma-distributed borrowing rate, habits, phones, family
                phones; Poisson daily requests from calendar factors.
- engine.py     per-user event-driven ledger: requests are approved against the
                room left (total or per product, else declined, or shrunk to
                the room when the user accepts less); loans schedule their own
                repayments (bullet or monthly instalments; early, on time,
                auto-debit, late, minimum payment, or bad); `outstanding` is
                the user's exact total after each payment.
- typologies.py single-user episodes; rings.py cross-user episodes;
  episodes.py   who gets which episode, when (both windows), how blatant.
- gen.py        generate(): build, simulate, sort, serialise, stats.

Ordinary users carry noisy-but-innocent habits everywhere: 2-3 loans in a day
(bursts), night owls, a new phone mid-window, one big one-off purchase,
routinely late payers (a few days), early repayment (snapped to the world's pay
day: Fri/Sat, allowance days 1-5, paydays 10/15), borrowing again minutes after
a payoff (refinancing), limit raises after clean payoffs, limit cuts after
serious lateness (homestead), shared family phones. They go bad (very late,
never, or partially repaid) at 0.3-5 % per loan depending on habit. Every
world has a CNY lull (depth and width per lender) with its own before/after
effects.

The worlds
----------
tradeflow  SME operating-loan lender. 90 % small_business; merchant_loan 20k-500k
           (7-360 days, monthly instalments from 60 days) via ERP partners (no
           device id), wholesalers (merchant channel, supplier as merchant_id),
           web and app; borrow Mon/Tue, repay Fri/Sat; month-end and pre-CNY
           peaks, deep CNY closure, restocking surge after it. Partner loans are
           checked against a 6 h old balance (stacking through partners can pass
           the limit). Test window: partner-ERP launch (partner loans x2.5).
bazaar     Marketplace lender. credit_line draws at checkout across thousands of
           merchants (amounts with cents, 30-day bills), instalment conversions,
           small cash loans; 12 % students; evening/weekend peaks; New-Year
           shopping before CNY; minimum-payment revolvers (10-20 % at the bill,
           rest later, not late). Test window: two-day mega-sale (x2.8, bigger
           baskets, more instalments).
campus     Mixed segments, half students: small cash loans (7-90 days), campus
           credit_line, tuition/laptop instalments (education purpose); 35 % of
           students are night owls; repayments on allowance days; dorm-mates
           sharing devices; winter vacation lull, semester-start surge (calendar,
           no platform event), Lantern Festival dip.
pledge     Wealth platform. wealth_pledge loans 10k-3M against fund holdings next
           to unsecured cash loans; weekday trading-hour rhythm, quiet weekends,
           frequent early repayment and roll-overs, high scores. Weak outcome
           link: episodes rarely go bad, and a bad pledge loan is repaid a few
           days late by liquidation. Test window: 9-hour outage (09-18 h on a
           Tuesday), requests and payments go through in a catch-up burst after.
homestead  Long-tenured customers, rare large instalment loans (6-36 months)
           auto-debited at 06:xx, plus small cash and credit_line use. Limits are
           PER PRODUCT: credit_limit is the limit of that loan's product (as some
           lenders report it). Weekend store visits, renovation season after CNY.
           Test window: limit campaign (35 % of users x1.2-1.6, more borrowing
           for 10 days after).
microdash  High-frequency micro-loan app: 50-5,000 yuan, 7-30 days, several loans
           a week, refinancing straight after repaying, 40 % routinely late, many
           new phones; pre-payday squeeze; no `outstanding` field, credit_score
           for half the users; partner loans checked against a 12 h old balance.
           Weak outcome link (lots of ordinary lateness). Test window: zero-fee
           weekend (x2.2).
sharedkey  County lender with heavy legitimate device sharing: 55 % of users on
           family phones (2-5 people), and merchant-channel loans made at village
           agent shops carry the shop terminal's device id (hundreds of users per
           terminal). Cash, farm instalments, shop merchant_loans; early-day
           rhythm, Sunday market, migrant return before CNY, Lantern dip, spring
           planting ramp; no platform event. Has all nine typologies.

Typologies (intensity s in [0, 1] per episode: 0 subtle, 1 blatant)
--------------------------------------------------------------------
loan_stacking          2-6 loans within minutes (blatant) or over 1-2 days, rotated
                       across channels and products, together 80-125 % of the room;
                       partner legs use the lagging partner check where a world has
                       one. Often long terms, sometimes at night.
borrow_to_repay        A short seed loan (ordinary, label 0) falls due; a new loan
                       (label 1) taken 3 days before to 5 days after the due date
                       repays it minutes (blatant) to days later; up to 4-6 links,
                       each 0-40 % larger, sometimes switching product; a link that
                       cannot be approved leaves the old loan bad; the last link goes
                       bad with the world's episode chance.
account_takeover       An established account borrows from a never-seen device, often
                       at 0-5 h and on web/partner, sometimes after a tiny test loan,
                       cashing out 50-100 % of the room in 1-3 loans (minutes apart
                       when blatant), often at the longest term, sometimes via a new
                       merchant. The owner mostly never repays.
student_overborrowing  Students only. Spree: 5-16 loans of 0.8-2x the peer amount in
                       4-25 days, some repaid within days to borrow again; or
                       splurge: a limit raise on request, then 2-4 loans of 2.5-5x
                       the peer amount filling it. Nights, several channels.
limit_jump_drain       A small loan repaid early, then a limit raise (x1.2-4, per
                       product in homestead), then 1-3 loans draining 70-100 % of the
                       new room within minutes (blatant) to a week.
overdue_escalation     3-7 short loans (shortest-term product), each repaid later
                       than the last (0-2 days, then growing x1.6-2.8), the next taken
                       while the previous is still overdue, some paid in two partial
                       instalments; the last goes bad or very late.
merchant_collusion     (own) A colluding merchant: 3-16 unrelated users draw
                       merchant-channel loans there within hours (blatant, brand-new
                       merchant id, round amounts at 85-100 % of each room) or over
                       4-12 days (subtle, a quiet existing merchant, 2-4x their usual
                       amount), at long terms; most never repay.
device_ring            (own) A cash-out ring of 3-10 mule accounts (recently joined,
                       quiet, half groomed with one small repaid loan) borrowing from
                       the same 1-3 never-seen devices: one session minutes apart at
                       90-100 % of each room (blatant) or spread over days and devices
                       at 60-90 % (subtle); in shop-terminal worlds sometimes through
                       a colluding agent shop's terminal. Mostly never repaid.
limit_probing          (own) Probe loans growing from 3-10 % of the limit (doubling
                       when blatant, +30-70 % when subtle), each repaid minutes to
                       hours later before the next, until a probe would be declined
                       or 3-6 probes are done; then one draw of exactly the room left
                       at the longest term.

Typologies per world: tradeflow 7 (no student_overborrowing, device_ring),
bazaar 7 (no borrow_to_repay, device_ring), campus 7 (no limit_jump_drain,
merchant_collusion), pledge 5 (stacking, takeover, limit jump, borrow-to-repay,
probing), homestead 5 (takeover, limit jump, escalation, borrow-to-repay,
stacking), microdash 8 (no merchant_collusion), sharedkey all 9.

Episodes: 3-6 % of users are anomalous (world-specific); the first episode is
placed in the history window and the second in the test window, the rest in
the test window with the world's p_test (0.35-0.65); label-1 loans make up
about 1-5 % of test-window loans. In five worlds episodes go bad 65-75 % of
the time (very late 20-60 days, never, or partial); pledge (0.15, collateral)
and microdash (0.22, amid ordinary lateness) have a weak link.
"""

from .gen import generate
from .worlds import WORLDS

__all__ = ["WORLDS", "generate"]
