"""The seven family-E lenders."""

from __future__ import annotations

from datetime import date

from .clock import LANTERN
from .spec import Habits, Product, Segment, Window, World

# Request-hour profiles (relative weights, hour 0 first).
BUSINESS = (0.1, 0.05, 0.05, 0.05, 0.1, 0.2, 0.5, 1.5, 3, 5, 5.5, 4.5, 2.5, 3, 4.5, 4.5, 3.5, 2.5, 1.5, 1, 0.7, 0.4,
            0.2, 0.1)
EVENING = (1.2, 0.6, 0.3, 0.2, 0.1, 0.2, 0.4, 1, 1.8, 2.2, 2.5, 2.8, 3.5, 3, 2.5, 2.4, 2.4, 2.5, 3, 3.8, 4.8, 5.2,
           4.5, 2.5)
CAMPUS = (2, 1.2, 0.6, 0.3, 0.1, 0.1, 0.3, 1, 2, 2.5, 3, 3.2, 3.5, 2.8, 2.5, 2.5, 2.8, 3, 3.2, 3.8, 4.2, 4.5, 4, 3)
TRADING = (0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 1, 2.5, 5, 6, 5, 2, 3.5, 5, 3, 1.5, 1.2, 1.2, 1.3, 1.4, 1.2, 0.6,
           0.2)
STORE = (0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.5, 2.5, 3.5, 3.5, 3, 3, 3.5, 3.5, 3.5, 3.2, 3, 3.2, 3, 2, 0.8,
         0.3)
GIG = (2.5, 1.8, 1, 0.6, 0.5, 0.8, 2, 3.5, 3.5, 2.5, 2.2, 2.8, 3.5, 2.5, 2, 2, 2.2, 2.5, 2.8, 3, 3.5, 4, 4.2, 3.5)
RURAL = (0.1, 0.05, 0.05, 0.05, 0.2, 0.6, 1.8, 3.5, 4.5, 4.5, 4, 3.2, 2.5, 2.5, 3, 3.2, 3.5, 3.8, 3.5, 2.5, 1.5, 0.8,
         0.3, 0.15)

ALL9 = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing", "limit_jump_drain",
        "overdue_escalation", "merchant_collusion", "device_ring", "limit_probing")


def _month_ends(factor: float) -> tuple:
    return tuple(Window(date(2026, m, 24), date(2026, m + 1, 1), factor) for m in range(1, 6))


TRADEFLOW = World(
    name="tradeflow", code="tf",
    desc="SME operating-loan lender: merchant_loan 20k-500k to small businesses via ERP partners and "
         "wholesalers, borrow Mon/Tue and repay Fri/Sat, month-end peaks, restocking after CNY; test window "
         "has a partner-ERP launch; partner loans are checked against a 6 h old balance",
    typologies=("loan_stacking", "borrow_to_repay", "account_takeover", "limit_jump_drain", "overdue_escalation",
                "merchant_collusion", "limit_probing"),
    segments={
        "small_business": Segment(0.9, (("merchant_loan", 0.8), ("cash_loan", 0.12), ("credit_line", 0.08)),
                                  300_000, 0.7, 0.10, 680, 0.03),
        "individual": Segment(0.1, (("cash_loan", 0.6), ("merchant_loan", 0.3), ("credit_line", 0.1)),
                              80_000, 0.6, 0.08, 660, 0.05),
    },
    products={
        "merchant_loan": Product(40_000, 0.7, 20_000, 500_000, ((7, .2), (14, .25), (30, .25), (60, .1), (90, .1),
                                                               (180, .07), (360, .03)),
                                 (("partner", .45), ("merchant", .25), ("web", .2), ("app", .1)),
                                 (("business", 1.0),), monthly=True, step=1000),
        "cash_loan": Product(15_000, 0.6, 2_000, 100_000, ((30, .5), (60, .3), (90, .2)),
                             (("app", .5), ("web", .3), ("partner", .2)), (("business", .6), ("consumption", .4)),
                             monthly=True),
        "credit_line": Product(5_000, 0.8, 200, 50_000, ((30, 1),), (("merchant", .7), ("app", .3)),
                               (("business", .7), ("consumption", .3)), cents=True),
    },
    habits=Habits(late_share=0.25, late_days=7, early_p=0.35, refi_share=0.25, burst_p=0.04, new_phone=0.04,
                  big_share=0.05, bad_base=0.006, bad_late=0.035, raise_p=0.12, snap="fri_sat"),
    hours=BUSINESS, weekdays=(1.5, 1.35, 1.0, 0.85, 0.8, 0.55, 0.35),
    cny=(4, 7, 0.12, 1.35, 12, 1.45, 7),
    windows=_month_ends(1.2) + (
        Window(4, 10, 1.25, channels=(("partner", 2.5),), label="partner ERP integration launch"),),
    episode_bad=0.72, anomalous=0.04, p_test=0.45,
    typo_weights={"merchant_collusion": 0.5},
    new_users=0.08, merchants_per_user=0.12, merchant_zipf=0.8, households=(0.05, 2, 3),
    partner_sync_h=6, currency=True, short_product="cash_loan", max_limit=3_000_000,
)

BAZAAR = World(
    name="bazaar", code="bz",
    desc="marketplace lender: mostly credit_line draws at checkout across thousands of merchants, "
         "instalment conversions of big baskets, evening and weekend peaks, New-Year shopping before CNY, "
         "minimum-payment revolvers; test window has a two-day mega-sale",
    typologies=("loan_stacking", "account_takeover", "student_overborrowing", "limit_jump_drain",
                "merchant_collusion", "limit_probing", "overdue_escalation"),
    segments={
        "individual": Segment(0.85, (("credit_line", 0.88), ("installment", 0.06), ("cash_loan", 0.06)),
                              12_000, 0.8, 0.25, 650, 0.12),
        "student": Segment(0.12, (("credit_line", 0.88), ("installment", 0.08), ("cash_loan", 0.04)),
                           3_000, 0.5, 0.3, 600, 0.3),
        "small_business": Segment(0.03, (("credit_line", 0.6), ("cash_loan", 0.3), ("installment", 0.1)),
                                  30_000, 0.7, 0.25, 660, 0.05),
    },
    products={
        "credit_line": Product(180, 1.0, 5, 20_000, ((30, 1),), (("merchant", .88), ("app", .12)),
                               (("consumption", 1.0),), cents=True),
        "installment": Product(1_800, 0.7, 500, 50_000, ((90, .4), (180, .4), (360, .2)),
                               (("merchant", .7), ("app", .3)), (("consumption", .9), ("education", .1)),
                               monthly=True, cents=True),
        "cash_loan": Product(2_000, 0.6, 500, 20_000, ((30, .5), (90, .3), (180, .2)), (("app", .8), ("web", .2)),
                             (("consumption", 1.0),), monthly=True),
    },
    habits=Habits(late_share=0.12, late_days=5, early_p=0.3, refi_share=0.15, burst_p=0.12, new_phone=0.06,
                  big_share=0.08, bad_base=0.005, bad_late=0.03, raise_p=0.08, minpay_share=0.15),
    hours=EVENING, weekdays=(0.9, 0.9, 0.95, 0.95, 1.1, 1.25, 1.2),
    cny=(6, 5, 0.35, 1.3, 18, 1.0, 0),
    windows=(Window(6, 8, 2.8, products=(("installment", 2.0),), basket=1.5, label="mega-sale promotion"),),
    episode_bad=0.75, anomalous=0.055, p_test=0.65,
    typo_weights={"merchant_collusion": 0.5},
    new_users=0.12, merchants_per_user=0.7, merchant_zipf=0.9, households=(0.04, 2, 2),
    score_p=0.8, short_product="cash_loan", max_limit=200_000,
)

CAMPUS = World(
    name="campus", code="cp",
    desc="mixed-segment lender where half the users are students: small cash loans, campus credit_line, "
         "tuition/laptop instalments, night owls, allowance repayments on the 1st-5th, winter vacation "
         "and a semester-start surge",
    typologies=("student_overborrowing", "loan_stacking", "borrow_to_repay", "account_takeover",
                "overdue_escalation", "device_ring", "limit_probing"),
    segments={
        "student": Segment(0.5, (("cash_loan", 0.35), ("credit_line", 0.55), ("installment", 0.1)),
                           5_000, 0.5, 0.16, 600, 0.35),
        "individual": Segment(0.4, (("cash_loan", 0.45), ("credit_line", 0.35), ("installment", 0.2)),
                              15_000, 0.7, 0.11, 650, 0.1),
        "small_business": Segment(0.1, (("cash_loan", 0.6), ("credit_line", 0.2), ("installment", 0.2)),
                                  40_000, 0.7, 0.08, 660, 0.05),
    },
    products={
        "cash_loan": Product(800, 0.6, 200, 20_000, ((7, .2), (14, .3), (30, .35), (90, .15)),
                             (("app", .75), ("partner", .25)), (("consumption", .8), ("education", .2)),
                             monthly=True, step=50),
        "credit_line": Product(150, 0.9, 5, 5_000, ((30, 1),), (("merchant", .7), ("app", .3)),
                               (("consumption", 1.0),), cents=True),
        "installment": Product(2_500, 0.6, 800, 20_000, ((90, .3), (180, .4), (360, .3)),
                               (("merchant", .5), ("app", .3), ("partner", .2)),
                               (("education", .5), ("consumption", .5)), monthly=True),
    },
    habits=Habits(late_share=0.2, late_days=5, early_p=0.25, refi_share=0.2, burst_p=0.07, new_phone=0.08,
                  big_share=0.05, bad_base=0.008, bad_late=0.04, raise_p=0.1, snap="allowance"),
    hours=CAMPUS, weekdays=(0.95, 0.95, 0.95, 0.95, 1.0, 1.05, 1.15),
    cny=(5, 5, 0.4, 1.15, 7, 1.0, 0),
    windows=(Window(date(2026, 1, 17), date(2026, 2, 27), 0.7, segments=("student",), label="winter vacation"),
             Window(date(2026, 2, 27), date(2026, 3, 10), 1.6, segments=("student",),
                    products=(("installment", 1.8),), label="semester start"),
             Window(LANTERN, date(2026, 3, 4), 0.7, label="Lantern Festival")),
    episode_bad=0.65, anomalous=0.045, p_test=0.45,
    typo_weights={"student_overborrowing": 2.0, "device_ring": 0.5},
    new_users=0.15, merchants_per_user=0.05, merchant_zipf=1.1, households=(0.08, 2, 4),
    score_p=0.85, short_product="cash_loan", max_limit=300_000,
)

PLEDGE = World(
    name="pledge", code="pl",
    desc="wealth platform lending against fund holdings: large wealth_pledge loans next to unsecured cash "
         "loans, weekday trading-hours rhythm, early repayment on redemption; collateral makes bad episodes "
         "mostly repaid (weak outcome link); test window has a 9-hour app outage and catch-up",
    typologies=("loan_stacking", "account_takeover", "limit_jump_drain", "borrow_to_repay", "limit_probing"),
    segments={
        "individual": Segment(0.88, (("wealth_pledge", 0.55), ("cash_loan", 0.3), ("credit_line", 0.15)),
                              300_000, 1.0, 0.08, 760, 0.05),
        "small_business": Segment(0.12, (("wealth_pledge", 0.6), ("cash_loan", 0.4)),
                                  800_000, 0.9, 0.09, 740, 0.03),
    },
    products={
        "wealth_pledge": Product(80_000, 0.9, 10_000, 3_000_000, ((7, .2), (14, .2), (30, .3), (90, .2), (180, .1)),
                                 (("app", .7), ("web", .3)), (("consumption", .6), ("business", .4)), step=1000),
        "cash_loan": Product(20_000, 0.7, 1_000, 200_000, ((30, .3), (90, .3), (180, .25), (360, .15)),
                             (("app", .8), ("web", .2)), (("consumption", .8), ("business", .2)), monthly=True),
        "credit_line": Product(3_000, 0.9, 50, 100_000, ((30, 1),), (("merchant", .6), ("app", .4)),
                               (("consumption", 1.0),), cents=True),
    },
    habits=Habits(late_share=0.05, late_days=4, early_p=0.55, refi_share=0.3, burst_p=0.05, new_phone=0.05,
                  big_share=0.1, bad_base=0.003, bad_late=0.02, raise_p=0.06, raise_mul=(1.1, 1.3)),
    hours=TRADING, weekdays=(1.2, 1.2, 1.2, 1.2, 1.2, 0.35, 0.3),
    cny=(3, 4, 0.25, 1.2, 10, 1.1, 5),
    episode_bad=0.15, bad_mix=(0.6, 0.2, 0.2), anomalous=0.035, p_test=0.45,
    typo_weights={"limit_probing": 0.6},
    new_users=0.05, merchants_per_user=0.2, households=(0.02, 2, 2), score_p=1.0, currency=True,
    short_product="wealth_pledge", max_limit=8_000_000,
    outage=(5, 1, 9, 9),
)

HOMESTEAD = World(
    name="homestead", code="hs",
    desc="long-tenured customers with rare, large instalment loans (appliances, renovation, vehicles) "
         "auto-debited at 06:00 on due dates; limits are PER PRODUCT (credit_limit is that product's "
         "limit); renovation season after CNY; test window has a platform limit-raise campaign",
    typologies=("account_takeover", "limit_jump_drain", "overdue_escalation", "borrow_to_repay", "loan_stacking"),
    segments={
        "individual": Segment(0.85, (("installment", 0.35), ("cash_loan", 0.25), ("credit_line", 0.4)),
                              60_000, 0.7, 0.06, 700, 0.03),
        "small_business": Segment(0.15, (("installment", 0.4), ("cash_loan", 0.4), ("credit_line", 0.2)),
                                  150_000, 0.7, 0.06, 700, 0.02),
    },
    products={
        "installment": Product(15_000, 0.9, 2_000, 300_000, ((180, .3), (360, .35), (720, .25), (1080, .1)),
                               (("merchant", .55), ("app", .25), ("web", .2)),
                               (("consumption", .8), ("business", .1), ("education", .1)), monthly=True),
        "cash_loan": Product(5_000, 0.7, 500, 50_000, ((30, .5), (90, .3), (180, .2)), (("app", .7), ("web", .3)),
                             (("consumption", .9), ("business", .1)), monthly=True),
        "credit_line": Product(600, 0.9, 10, 10_000, ((30, 1),), (("merchant", .6), ("app", .4)),
                               (("consumption", 1.0),), cents=True),
    },
    habits=Habits(late_share=0.06, late_days=4, early_p=0.15, refi_share=0.05, burst_p=0.02, new_phone=0.04,
                  big_share=0.15, bad_base=0.003, bad_late=0.03, raise_p=0.05, autodebit=0.7, cut_days=15),
    hours=STORE, weekdays=(0.85, 0.85, 0.85, 0.85, 0.95, 1.4, 1.3),
    cny=(5, 6, 0.3, 1.2, 10, 1.0, 0),
    windows=(Window(date(2026, 2, 26), date(2026, 5, 1), 1.25, products=(("installment", 1.5),),
                    label="renovation season"),),
    limit_mode="per_product", product_split=(("installment", 0.6), ("cash_loan", 0.25), ("credit_line", 0.15)),
    episode_bad=0.7, anomalous=0.03, p_test=0.35,
    new_users=0.02, merchants_per_user=0.1, households=(0.04, 2, 2), score_p=0.95, short_product="cash_loan",
    max_limit=1_000_000,
    campaign=(2, 0.35, 1.2, 1.6, 1.6, 10),
)

MICRODASH = World(
    name="microdash", code="md",
    desc="high-frequency micro-loan app: many tiny 7-30 day cash loans per user per week, borrowing "
         "straight after repaying, lots of routine lateness (weak outcome link), pre-payday squeeze, no "
         "outstanding field; partner loans checked against a 12 h old balance; test window has a zero-fee "
         "weekend",
    typologies=("borrow_to_repay", "loan_stacking", "overdue_escalation", "limit_probing", "account_takeover",
                "student_overborrowing", "device_ring", "limit_jump_drain"),
    segments={
        "individual": Segment(0.8, (("cash_loan", 0.85), ("credit_line", 0.15)), 3_000, 0.6, 0.22, 560, 0.25),
        "student": Segment(0.15, (("cash_loan", 0.85), ("credit_line", 0.15)), 1_200, 0.5, 0.25, 540, 0.4),
        "small_business": Segment(0.05, (("cash_loan", 0.9), ("credit_line", 0.1)), 5_000, 0.6, 0.25, 580, 0.1),
    },
    products={
        "cash_loan": Product(250, 0.7, 50, 5_000, ((7, .45), (14, .35), (21, .1), (30, .1)),
                             (("app", .95), ("partner", .05)), step=10),
        "credit_line": Product(60, 0.9, 5, 1_000, ((30, 1),), (("app", .6), ("merchant", .4)), cents=True),
    },
    habits=Habits(late_share=0.4, late_days=6, early_p=0.2, refi_share=0.5, burst_p=0.15, new_phone=0.15,
                  big_share=0.03, bad_base=0.01, bad_late=0.05, raise_p=0.15, raise_mul=(1.1, 1.3), snap="payday"),
    hours=GIG, weekdays=(1.0, 0.95, 0.95, 1.0, 1.1, 1.05, 0.95),
    cny=(4, 6, 0.5, 1.4, 10, 1.0, 0),
    windows=_month_ends(1.2) + (Window(2, 4, 2.2, weekday=5, label="zero-fee weekend promotion"),),
    episode_bad=0.22, anomalous=0.05, p_test=0.45,
    typo_weights={"device_ring": 0.5},
    new_users=0.12, merchants_per_user=0.03, households=(0.03, 2, 3),
    partner_sync_h=12, outstanding=False, score_p=0.5, short_product="cash_loan", max_limit=20_000,
)

SHAREDKEY = World(
    name="sharedkey", code="sk",
    desc="county lender with heavy legitimate device sharing (family phones, agent-shop terminals used by "
         "whole villages): cash, farm instalments and shop merchant_loans, early-day rhythm, migrant "
         "return before CNY, Lantern Festival dip, spring-planting ramp; no platform event",
    typologies=ALL9,
    segments={
        "individual": Segment(0.72, (("cash_loan", 0.45), ("installment", 0.3), ("credit_line", 0.25)),
                              30_000, 0.7, 0.09, 630, 0.04),
        "small_business": Segment(0.2, (("merchant_loan", 0.55), ("cash_loan", 0.25), ("installment", 0.2)),
                                  100_000, 0.7, 0.10, 650, 0.03),
        "student": Segment(0.08, (("cash_loan", 0.5), ("credit_line", 0.4), ("installment", 0.1)),
                           3_000, 0.5, 0.10, 600, 0.2),
    },
    products={
        "cash_loan": Product(3_000, 0.7, 500, 50_000, ((30, .4), (90, .3), (180, .2), (360, .1)),
                             (("app", .55), ("merchant", .35), ("web", .1)),
                             (("consumption", .7), ("business", .2), ("education", .1)), monthly=True),
        "installment": Product(5_000, 0.7, 1_000, 80_000, ((180, .4), (360, .4), (720, .2)),
                               (("merchant", .7), ("app", .3)), (("consumption", .6), ("business", .4)),
                               monthly=True),
        "merchant_loan": Product(30_000, 0.7, 5_000, 300_000, ((90, .4), (180, .4), (360, .2)),
                                 (("merchant", .5), ("partner", .3), ("app", .2)), (("business", 1.0),),
                                 monthly=True, step=1000),
        "credit_line": Product(200, 0.9, 10, 5_000, ((30, 1),), (("merchant", .8), ("app", .2)),
                               (("consumption", 1.0),), cents=True),
    },
    habits=Habits(late_share=0.15, late_days=8, early_p=0.2, refi_share=0.1, burst_p=0.05, new_phone=0.05,
                  big_share=0.08, bad_base=0.006, bad_late=0.04, raise_p=0.08),
    hours=RURAL, weekdays=(0.95, 0.95, 0.95, 0.95, 1.0, 1.05, 1.25),
    cny=(6, 8, 0.3, 1.5, 14, 1.0, 0),
    windows=(Window(date(2026, 2, 26), date(2026, 5, 1), 1.35,
                    products=(("installment", 1.4), ("merchant_loan", 1.3)), label="spring planting"),
             Window(LANTERN, date(2026, 3, 4), 0.6, label="Lantern Festival")),
    episode_bad=0.7, anomalous=0.05, p_test=0.45,
    typo_weights={"merchant_collusion": 0.5, "device_ring": 0.6},
    new_users=0.08, merchants_per_user=0.02, merchant_zipf=0.6, households=(0.55, 2, 5), shop_terminals=True,
    short_product="cash_loan", max_limit=1_000_000,
)

WORLDS = {w.name: w for w in (TRADEFLOW, BAZAAR, CAMPUS, PLEDGE, HOMESTEAD, MICRODASH, SHAREDKEY)}
