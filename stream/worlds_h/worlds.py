"""The seven lenders of family H, each a product sheet for ``WorldSpec``.

Why: held-out data is only useful if its "normal" differs from what a
detector trained on; each lender below breaks a textbook assumption (weekly
draw/repay cycles, seasonal lumpy merchant draws, rare huge pledge loans,
swarms of tiny BNPL loans, students silent in vacations, an app migration
that renews every device id, minimum payments and lateness as the norm).
"""
from __future__ import annotations

from random import Random
from typing import Any, Optional

from .spec import Dist, Habits, LimitReview, Presence, WorldSpec
from .timebase import HOLIDAY_DAYS, Span, TsStyle, date_of_day

LOCAL = TsStyle()
LOCAL_MS = TsStyle(millis=True)
UTC_Z_MS = TsStyle(offset_min=0, millis=True, zulu=True)
UTC_NUM = TsStyle(offset_min=0)

ALL_TYPOLOGIES = (
    "loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
    "limit_jump_drain", "overdue_escalation", "bust_out", "device_mule_ring",
    "merchant_cashout_ring",
)


def _hex(rng: Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


# --------------------------------------------------------------------------- calendars
def _revolver_days(day: int, segment: str, span: Span) -> float:
    if 36 <= day <= 42:
        return 1.4          # pre-festival spending
    if day in HOLIDAY_DAYS:
        return 0.7
    return 1.0


def _shop_days(day: int, segment: str, span: Span) -> float:
    if day < 14:
        return 0.6          # slow early January
    if day < 28:
        return 1.6          # stock-up starts
    if day < 41:
        return 2.6          # peak stock-up before Spring Festival
    if day < 50:
        return 0.05         # shops closed for the holiday
    return 0.9              # restocking after return


def _pledge_days(day: int, segment: str, span: Span) -> float:
    if day in HOLIDAY_DAYS:
        return 0.25
    if 30 <= day <= 40:
        return 1.4          # year-end bonuses, red packets, liquidity needs
    return 1.0


def _bnpl_days(day: int, segment: str, span: Span) -> float:
    if day in (span.history_days // 3, span.history_days + min(3, span.test_days - 1)):
        return 3.0          # the lender's campaign days
    if 33 <= day <= 40:
        return 1.5
    if day in HOLIDAY_DAYS:
        return 0.8
    return 1.0


def _campus_days(day: int, segment: str, span: Span) -> float:
    if segment != "student":
        return 0.6 if day in HOLIDAY_DAYS else 1.0
    if day < 8:
        return 1.0
    if day < 12:
        return 0.6          # exam fortnight
    if day < 55:
        return 0.35 if 37 <= day <= 42 else 0.12   # winter vacation (festival bump)
    if day < 62:
        return 2.6          # term start: tuition, books, a new laptop
    return 1.3


def _migration_days(day: int, segment: str, span: Span) -> float:
    if day in HOLIDAY_DAYS:
        return 0.5
    if 34 <= day <= 40:
        return 1.5
    return 1.0


def _minpay_days(day: int, segment: str, span: Span) -> float:
    if day in HOLIDAY_DAYS:
        return 0.7
    if 34 <= day <= 40:
        return 1.3
    return 1.0


# --------------------------------------------------------------------------- extra fields
def _revolver_extras(rec: Any, prof: Any, rng: Random) -> Optional[dict]:
    out = {"trace_id": _hex(rng, 16)}
    if rec.kind == "loan" and rec.channel == "app":
        out["app_ver"] = "7.3.1" if rec.t < 30 * 86_400_000 else "7.4.0"
    return out


_REGIONS = ("440305", "440106", "330106", "320508", "350203", "510107", "420111", "370212")
_BIZ = ("grocery", "noodle_shop", "hardware", "florist", "phone_repair", "bakery", "tea_shop")


def _shop_extras(rec: Any, prof: Any, rng: Random) -> Optional[dict]:
    out: dict = {"region_code": _REGIONS[prof.idx % len(_REGIONS)]}
    if rec.kind == "loan":
        out["biz_type"] = _BIZ[(prof.idx * 7) % len(_BIZ)]
    return out


_ASSETS = ("money_fund", "structured_deposit", "bond_fund", "wealth_mgmt_product")


def _pledge_extras(rec: Any, prof: Any, rng: Random) -> Optional[dict]:
    if rec.kind == "loan":
        return {"pledge_asset": _ASSETS[prof.idx % 4], "rm_id": f"RM{prof.idx % 57:03d}",
                "meta": {"src": "core", "schema": 3}}
    return {"source": rng.choice(("maturity", "transfer", "transfer", "auto_sweep")),
            "meta": {"src": "core", "schema": 3}}


_SKU = ("apparel", "electronics", "beauty", "grocery", "travel", "education", "home")


def _bnpl_extras(rec: Any, prof: Any, rng: Random) -> Optional[dict]:
    if rec.kind == "loan":
        return {"order_id": "o" + _hex(rng, 14), "sku_category": rng.choice(_SKU)}
    d = date_of_day(rec.t // 86_400_000)
    return {"bill_month": f"{d.year}-{d.month:02d}"}


def _campus_extras(rec: Any, prof: Any, rng: Random) -> Optional[dict]:
    return {"client": "ios" if prof.idx % 3 == 0 else "android"}


def _migration_extras(rec: Any, prof: Any, rng: Random) -> Optional[dict]:
    if rec.kind != "loan" or rec.channel != "app":
        return None
    new = (rec.device or prof.device_at(rec.t)).startswith("v5-")
    return {"app_version": "5.0.1" if new else "4.9.2", "sdk": "v5" if new else "legacy"}


def _minpay_extras(rec: Any, prof: Any, rng: Random) -> Optional[dict]:
    if rng.random() < 0.5:
        return None
    return {"stmt_cycle": f"C{prof.bill_day:02d}", "risk_tag": None}


# --------------------------------------------------------------------------- the lenders
WEEKLY_REVOLVER = WorldSpec(
    name="weekly_revolver",
    code="wr",
    description="revolving credit line: most users draw on Fri/Sat and clear it within the week, every week",
    segments={"individual": 0.78, "small_business": 0.10, "student": 0.12},
    habits={
        "individual": Habits(
            limit=Dist(8000, 0.6, 1000, 50000),
            products={"credit_line": 0.85, "cash_loan": 0.15},
            channels={"app": 0.82, "merchant": 0.10, "web": 0.04, "partner": 0.04},
            hours={"evening": 0.6, "lunch_evening": 0.25, "night": 0.15},
            modes={"weekly": 0.65, "poisson": 0.25, "once": 0.10},
            rate=Dist(4, 0.5, 0.5, 12), draw_frac=Dist(0.35, 0.5, 0.05, 0.95),
            heavy_share=0.08, late_share=0.12, late_prob=0.25, early_share=0.45,
            purposes={"consumption": 1.0}, score=Dist(660, 0.08, 450, 900), has_score=0.95),
        "small_business": Habits(
            limit=Dist(20000, 0.6, 3000, 100000),
            products={"credit_line": 0.6, "cash_loan": 0.4},
            channels={"app": 0.7, "web": 0.2, "merchant": 0.1},
            hours={"daytime": 0.5, "evening": 0.3, "office": 0.2},
            modes={"weekly": 0.5, "poisson": 0.4, "once": 0.1},
            rate=Dist(4, 0.5, 0.5, 12), draw_frac=Dist(0.35, 0.5, 0.05, 0.95),
            heavy_share=0.1, late_share=0.15, late_prob=0.25, early_share=0.4,
            purposes={"business": 0.7, "consumption": 0.3}, score=Dist(650, 0.08, 450, 900), has_score=0.95),
        "student": Habits(
            limit=Dist(1500, 0.4, 500, 5000),
            products={"credit_line": 0.9, "cash_loan": 0.1},
            channels={"app": 0.9, "merchant": 0.1},
            hours={"night": 0.6, "evening": 0.4},
            modes={"weekly": 0.5, "poisson": 0.35, "once": 0.15},
            rate=Dist(3, 0.5, 0.5, 10), draw_frac=Dist(0.3, 0.5, 0.05, 0.9),
            heavy_share=0.1, late_share=0.2, late_prob=0.3, early_share=0.35,
            purposes={"consumption": 0.7, "education": 0.3}, score=Dist(600, 0.08, 400, 850), has_score=0.8),
    },
    terms={"credit_line": {7: 0.7, 14: 0.2, 30: 0.1}, "cash_loan": {30: 0.4, 90: 0.4, 180: 0.2}},
    repay_styles={"credit_line": "bullet", "cash_loan": "instalments"},
    apr={"credit_line": 0.18, "cash_loan": 0.24},
    amount_step={"credit_line": 50.0, "cash_loan": 100.0},
    day_mult=_revolver_days,
    weekday=(0.6, 0.6, 0.7, 0.8, 1.6, 1.5, 0.9),
    device_change=0.06, device_style="hex", opening_balance=0.5,
    presence=Presence(purpose=0.3, device={"app": 1.0, "partner": 0.7}, merchant=1.0, outstanding=1.0, currency=0.0),
    auto_debit=0.5, batch_hour=8,
    ts_styles={"default": LOCAL},
    amount_style="shortest",
    id_styles={"user": "plain", "loan": "plain", "event": "seq"},
    anomalous_share=0.035,
    typology_weights={"loan_stacking": 1.3, "borrow_to_repay": 1.2, "merchant_cashout_ring": 1.0,
                      "account_takeover": 1.0, "student_overborrowing": 0.8, "limit_jump_drain": 0.8,
                      "overdue_escalation": 0.8, "bust_out": 0.8, "device_mule_ring": 0.6},
    extras=_revolver_extras,
    limit_drift=0.05,
)

SHOP_OPERATOR = WorldSpec(
    name="shop_operator",
    code="so",
    description="merchant operating loans: shops draw large lumpy sums before Spring Festival, go silent over the holiday, repay after",
    segments={"small_business": 0.85, "individual": 0.15},
    habits={
        "small_business": Habits(
            limit=Dist(150000, 0.7, 20000, 1500000),
            products={"merchant_loan": 0.8, "cash_loan": 0.12, "credit_line": 0.08},
            channels={"merchant": 0.5, "app": 0.4, "web": 0.1},
            hours={"shop": 0.7, "office": 0.3},
            modes={"lumpy": 0.85, "once": 0.15},
            rate=Dist(2.2, 0.4, 1, 6), draw_frac=Dist(0.35, 0.5, 0.05, 0.9),
            heavy_share=0.12, late_share=0.25, late_prob=0.3, early_share=0.5,
            purposes={"business": 1.0}, score=Dist(640, 0.08, 400, 900), has_score=0.6),
        "individual": Habits(
            limit=Dist(50000, 0.6, 10000, 300000),
            products={"merchant_loan": 0.5, "cash_loan": 0.5},
            channels={"app": 0.7, "web": 0.2, "merchant": 0.1},
            hours={"shop": 0.5, "evening": 0.5},
            modes={"lumpy": 0.7, "once": 0.3},
            rate=Dist(1.8, 0.4, 1, 5), draw_frac=Dist(0.3, 0.5, 0.05, 0.9),
            heavy_share=0.1, late_share=0.2, late_prob=0.25, early_share=0.4,
            purposes={"business": 0.7, "consumption": 0.3}, score=Dist(640, 0.08, 400, 900), has_score=0.7),
    },
    terms={"merchant_loan": {30: 0.15, 60: 0.15, 90: 0.35, 180: 0.25, 360: 0.1},
           "cash_loan": {90: 0.4, 180: 0.4, 360: 0.2}, "credit_line": {30: 1.0}},
    repay_styles={"merchant_loan": "interest_then_principal", "cash_loan": "instalments", "credit_line": "bullet"},
    apr={"merchant_loan": 0.10, "cash_loan": 0.16, "credit_line": 0.18},
    amount_step={"merchant_loan": 1000.0, "cash_loan": 1000.0, "credit_line": 100.0},
    day_mult=_shop_days,
    weekday=(1.2, 1.1, 1.1, 1.0, 1.0, 0.6, 0.4),
    device_change=0.04, device_style="imei", opening_balance=0.55,
    presence=Presence(purpose=0.9, device={"app": 1.0}, merchant=1.0, outstanding=1.0, currency=0.0),
    auto_debit=0.7, batch_hour=6,
    ts_styles={"default": LOCAL},
    amount_style="fixed2",
    id_styles={"user": "shop", "loan": "ml", "event": "uuid"},
    anomalous_share=0.03,
    typology_weights={"merchant_cashout_ring": 1.5, "overdue_escalation": 1.2, "bust_out": 1.0,
                      "limit_jump_drain": 1.0, "borrow_to_repay": 1.0, "loan_stacking": 0.9,
                      "account_takeover": 0.8, "device_mule_ring": 0.6},
    extras=_shop_extras,
    limit_drift=0.06,
    merchant_mode="own",
    payoff_after_festival=True,
)

PLEDGE_BANK = WorldSpec(
    name="pledge_bank",
    code="pb",
    description="wealth-pledge lender: rare six/seven-figure loans against deposits, office hours, mostly repaid early in one lump; limits revalued weekly",
    segments={"individual": 0.72, "small_business": 0.28},
    habits={
        "individual": Habits(
            limit=Dist(600000, 0.8, 50000, 8000000),
            products={"wealth_pledge": 0.9, "cash_loan": 0.1},
            channels={"web": 0.5, "app": 0.38, "partner": 0.12},
            hours={"office": 0.8, "daytime": 0.2},
            modes={"poisson": 0.55, "once": 0.45},
            rate=Dist(1.0, 0.5, 0.3, 4), draw_frac=Dist(0.4, 0.5, 0.05, 0.95),
            heavy_share=0.1, late_share=0.03, late_prob=0.2, early_share=0.75,
            purposes={"consumption": 0.6, "business": 0.4}, score=Dist(720, 0.05, 500, 900), has_score=0.0),
        "small_business": Habits(
            limit=Dist(1500000, 0.7, 100000, 9000000),
            products={"wealth_pledge": 0.85, "cash_loan": 0.15},
            channels={"web": 0.6, "app": 0.25, "partner": 0.15},
            hours={"office": 0.9, "daytime": 0.1},
            modes={"poisson": 0.7, "once": 0.3},
            rate=Dist(1.5, 0.5, 0.3, 5), draw_frac=Dist(0.4, 0.5, 0.05, 0.95),
            heavy_share=0.12, late_share=0.05, late_prob=0.2, early_share=0.7,
            purposes={"business": 1.0}, score=Dist(700, 0.05, 500, 900), has_score=0.0),
    },
    terms={"wealth_pledge": {90: 0.3, 180: 0.35, 365: 0.35}, "cash_loan": {180: 0.5, 360: 0.5}},
    repay_styles={"wealth_pledge": "early_lump", "cash_loan": "instalments"},
    apr={"wealth_pledge": 0.038, "cash_loan": 0.06},
    amount_step={"wealth_pledge": 10000.0, "cash_loan": 1000.0},
    day_mult=_pledge_days,
    weekday=(1.0, 1.0, 1.0, 1.0, 1.0, 0.15, 0.1),
    device_change=0.03, device_style="uuid", opening_balance=0.4,
    presence=Presence(purpose=0.5, device={"app": 1.0, "partner": 0.5}, merchant=0.0, outstanding=1.0, currency=1.0),
    auto_debit=0.4, batch_hour=9,
    ts_styles={"default": LOCAL, "web": UTC_Z_MS, "partner": LOCAL_MS, "repayment": UTC_Z_MS},
    amount_style="fixed2",
    id_styles={"user": "cust", "loan": "pledge", "event": "uuid"},
    anomalous_share=0.022,
    typology_weights={"account_takeover": 1.5, "limit_jump_drain": 1.2, "borrow_to_repay": 1.0,
                      "bust_out": 0.8, "loan_stacking": 0.8, "overdue_escalation": 0.8,
                      "device_mule_ring": 0.5},
    extras=_pledge_extras,
    mark_to_market=0.03,
    compact_json=False,
)

BILL_SPLITTER = WorldSpec(
    name="bill_splitter",
    code="bs",
    description="BNPL checkout instalments: many tiny loans a week, auto-debited on a fixed bill day; two campaign days triple borrowing",
    segments={"individual": 0.72, "student": 0.22, "small_business": 0.06},
    habits={
        "individual": Habits(
            limit=Dist(5000, 0.6, 500, 30000),
            products={"credit_line": 0.55, "installment": 0.45},
            channels={"partner": 0.6, "merchant": 0.25, "app": 0.15},
            hours={"lunch_evening": 0.6, "evening": 0.3, "night": 0.1},
            modes={"poisson": 1.0},
            rate=Dist(4, 0.7, 0.5, 40), draw_frac=Dist(0.025, 0.9, 0.002, 0.5),
            heavy_share=0.05, late_share=0.1, late_prob=0.2, early_share=0.1,
            purposes={"consumption": 1.0}, score=Dist(640, 0.08, 400, 900), has_score=0.9),
        "student": Habits(
            limit=Dist(2000, 0.5, 300, 6000),
            products={"credit_line": 0.5, "installment": 0.5},
            channels={"partner": 0.7, "merchant": 0.15, "app": 0.15},
            hours={"night": 0.5, "lunch_evening": 0.5},
            modes={"poisson": 1.0},
            rate=Dist(4.5, 0.7, 0.5, 40), draw_frac=Dist(0.04, 0.9, 0.003, 0.5),
            heavy_share=0.06, late_share=0.15, late_prob=0.25, early_share=0.05,
            purposes={"consumption": 0.8, "education": 0.2}, score=Dist(590, 0.07, 400, 850), has_score=0.6),
        "small_business": Habits(
            limit=Dist(12000, 0.6, 1000, 60000),
            products={"credit_line": 0.6, "installment": 0.4},
            channels={"partner": 0.5, "merchant": 0.3, "app": 0.2},
            hours={"daytime": 0.6, "lunch_evening": 0.4},
            modes={"poisson": 1.0},
            rate=Dist(3.5, 0.7, 0.5, 30), draw_frac=Dist(0.03, 0.9, 0.002, 0.5),
            heavy_share=0.05, late_share=0.12, late_prob=0.2, early_share=0.1,
            purposes={"business": 0.6, "consumption": 0.4}, score=Dist(640, 0.08, 400, 900), has_score=0.9),
    },
    terms={"installment": {90: 0.5, 180: 0.3, 360: 0.2}, "credit_line": {30: 1.0}},
    repay_styles={"installment": "instalments", "credit_line": "bullet"},
    apr={"installment": 0.12, "credit_line": 0.0},
    amount_step={"installment": 0.1, "credit_line": 0.01},
    day_mult=_bnpl_days,
    weekday=(0.9, 0.9, 0.9, 1.0, 1.1, 1.2, 1.2),
    device_change=0.08, device_style="uuid", opening_balance=0.7,
    presence=Presence(purpose=0.1, device={"app": 1.0, "partner": 0.5}, merchant=1.0, outstanding=0.8, currency=0.0,
                      score=0.9),
    auto_debit=0.85, batch_hour=10,
    ts_styles={"default": LOCAL, "partner": LOCAL_MS},
    amount_style="shortest",
    id_styles={"user": "hex", "loan": "bnpl", "event": "seq"},
    anomalous_share=0.045,
    typology_weights={"merchant_cashout_ring": 1.5, "loan_stacking": 1.3, "student_overborrowing": 1.0,
                      "device_mule_ring": 1.0, "overdue_escalation": 1.0, "account_takeover": 1.0,
                      "bust_out": 0.8, "limit_jump_drain": 0.8, "borrow_to_repay": 0.8},
    extras=_bnpl_extras,
    bill_aligned=True,
    merchant_pool_per_user=1 / 25,
)

CAMPUS_TERM = WorldSpec(
    name="campus_term",
    code="ct",
    description="student lender: busy in term, nearly silent in the winter vacation, a surge when term restarts; late-night app use",
    segments={"student": 0.8, "individual": 0.2},
    habits={
        "student": Habits(
            limit=Dist(2000, 0.45, 500, 6000),
            products={"cash_loan": 0.35, "installment": 0.45, "credit_line": 0.2},
            channels={"app": 0.85, "partner": 0.15},
            hours={"night": 0.65, "evening": 0.35},
            modes={"poisson": 0.8, "once": 0.2},
            rate=Dist(2.5, 0.6, 0.3, 10), draw_frac=Dist(0.25, 0.5, 0.03, 0.9),
            heavy_share=0.1, late_share=0.22, late_prob=0.3, early_share=0.15,
            purposes={"education": 0.45, "consumption": 0.55}, score=Dist(580, 0.07, 400, 800), has_score=0.4),
        "individual": Habits(
            limit=Dist(8000, 0.5, 2000, 40000),
            products={"cash_loan": 0.5, "installment": 0.3, "credit_line": 0.2},
            channels={"app": 0.85, "partner": 0.15},
            hours={"evening": 0.6, "lunch_evening": 0.4},
            modes={"poisson": 0.8, "once": 0.2},
            rate=Dist(2.0, 0.6, 0.3, 8), draw_frac=Dist(0.25, 0.5, 0.03, 0.9),
            heavy_share=0.08, late_share=0.15, late_prob=0.25, early_share=0.2,
            purposes={"consumption": 0.85, "education": 0.15}, score=Dist(630, 0.07, 400, 850), has_score=0.9),
    },
    terms={"cash_loan": {30: 0.3, 90: 0.3, 180: 0.25, 360: 0.15}, "installment": {180: 0.5, 360: 0.5},
           "credit_line": {30: 1.0}},
    repay_styles={"cash_loan": "instalments", "installment": "instalments", "credit_line": "bullet"},
    apr={"cash_loan": 0.18, "installment": 0.15, "credit_line": 0.0},
    amount_step={"cash_loan": 100.0, "installment": 1.0, "credit_line": 0.01},
    day_mult=_campus_days,
    weekday=(1.0, 1.0, 1.0, 1.0, 1.1, 0.9, 1.2),
    device_change=0.12, device_style="hex", opening_balance=0.35,
    presence=Presence(purpose=0.7, device={"app": 1.0, "partner": 0.6}, merchant=0.0, outstanding=0.6, currency=0.5),
    auto_debit=0.3, batch_hour=9,
    ts_styles={"default": LOCAL},
    amount_style="float",
    id_styles={"user": "campus", "loan": "plain", "event": "seq"},
    anomalous_share=0.04,
    typology_weights={"student_overborrowing": 3.0, "device_mule_ring": 1.0, "loan_stacking": 1.0,
                      "borrow_to_repay": 1.0, "account_takeover": 0.8, "overdue_escalation": 0.8,
                      "bust_out": 0.6, "limit_jump_drain": 0.6},
    extras=_campus_extras,
    limit_drift=0.03,
)

APP_MIGRATION = WorldSpec(
    name="app_migration",
    code="am",
    description="cash-loan lender that ships a new app at the start of the test window: every app user's device_id changes within a week",
    segments={"individual": 0.85, "small_business": 0.10, "student": 0.05},
    habits={
        "individual": Habits(
            limit=Dist(20000, 0.6, 3000, 200000),
            products={"cash_loan": 0.88, "installment": 0.12},
            channels={"app": 0.85, "web": 0.15},
            hours={"evening": 0.4, "lunch_evening": 0.3, "daytime": 0.3},
            modes={"monthly": 0.45, "poisson": 0.4, "once": 0.15},
            rate=Dist(1.5, 0.5, 0.3, 6), draw_frac=Dist(0.3, 0.5, 0.05, 0.95),
            heavy_share=0.1, late_share=0.15, late_prob=0.25, early_share=0.25,
            purposes={"consumption": 0.8, "business": 0.2}, score=Dist(650, 0.08, 400, 900), has_score=1.0),
        "small_business": Habits(
            limit=Dist(50000, 0.6, 5000, 300000),
            products={"cash_loan": 0.9, "installment": 0.1},
            channels={"app": 0.7, "web": 0.3},
            hours={"daytime": 0.6, "office": 0.4},
            modes={"monthly": 0.5, "poisson": 0.4, "once": 0.1},
            rate=Dist(1.5, 0.5, 0.3, 6), draw_frac=Dist(0.3, 0.5, 0.05, 0.95),
            heavy_share=0.1, late_share=0.2, late_prob=0.25, early_share=0.3,
            purposes={"business": 0.8, "consumption": 0.2}, score=Dist(640, 0.08, 400, 900), has_score=1.0),
        "student": Habits(
            limit=Dist(3000, 0.4, 1000, 8000),
            products={"cash_loan": 0.7, "installment": 0.3},
            channels={"app": 1.0},
            hours={"night": 0.7, "evening": 0.3},
            modes={"poisson": 0.8, "once": 0.2},
            rate=Dist(1.5, 0.5, 0.3, 6), draw_frac=Dist(0.3, 0.5, 0.05, 0.9),
            heavy_share=0.1, late_share=0.2, late_prob=0.3, early_share=0.1,
            purposes={"education": 0.5, "consumption": 0.5}, score=Dist(590, 0.07, 400, 850), has_score=1.0),
    },
    terms={"cash_loan": {90: 0.25, 180: 0.35, 360: 0.3, 720: 0.1}, "installment": {180: 0.5, 360: 0.5}},
    repay_styles={"cash_loan": "instalments", "installment": "instalments"},
    apr={"cash_loan": 0.24, "installment": 0.18},
    amount_step={"cash_loan": 500.0, "installment": 1.0},
    day_mult=_migration_days,
    weekday=(1.0, 1.0, 1.0, 1.0, 1.1, 1.0, 0.9),
    device_change=0.05, device_style="imei", opening_balance=0.6,
    presence=Presence(purpose=0.5, device={"app": 1.0}, merchant=0.0, outstanding=0.9, currency=1.0),
    auto_debit=0.6, batch_hour=6,
    ts_styles={"default": LOCAL},
    amount_style="shortest",
    id_styles={"user": "hex", "loan": "plain", "event": "uuid"},
    anomalous_share=0.035,
    typology_weights={"account_takeover": 1.5, "limit_jump_drain": 1.0, "loan_stacking": 1.0,
                      "borrow_to_repay": 1.0, "overdue_escalation": 1.0, "bust_out": 1.0,
                      "device_mule_ring": 1.0, "student_overborrowing": 0.4},
    extras=_migration_extras,
    migration=("v5", -1.0, 7.0),
    limit_drift=0.04,
)

MINPAY_LATE = WorldSpec(
    name="minpay_late",
    code="ml",
    description="card-like revolving lender: minimum payments and 1-5 days late are ordinary; a limit review in the test window moves many limits",
    segments={"individual": 0.7, "small_business": 0.25, "student": 0.05},
    habits={
        "individual": Habits(
            limit=Dist(15000, 0.6, 2000, 100000),
            products={"credit_line": 0.75, "cash_loan": 0.25},
            channels={"app": 0.55, "merchant": 0.2, "web": 0.15, "partner": 0.1},
            hours={"daytime": 0.4, "evening": 0.4, "night": 0.2},
            modes={"poisson": 1.0},
            rate=Dist(3, 0.6, 0.3, 15), draw_frac=Dist(0.15, 0.6, 0.02, 0.9),
            heavy_share=0.15, late_share=0.55, late_prob=0.6, early_share=0.05,
            purposes={"consumption": 0.9, "business": 0.1}, score=Dist(620, 0.08, 400, 900), has_score=0.35,
            full_pay=0.35),
        "small_business": Habits(
            limit=Dist(40000, 0.6, 5000, 200000),
            products={"credit_line": 0.6, "cash_loan": 0.4},
            channels={"app": 0.5, "merchant": 0.2, "web": 0.3},
            hours={"daytime": 0.7, "office": 0.3},
            modes={"poisson": 1.0},
            rate=Dist(3, 0.6, 0.3, 15), draw_frac=Dist(0.15, 0.6, 0.02, 0.9),
            heavy_share=0.15, late_share=0.5, late_prob=0.5, early_share=0.05,
            purposes={"business": 0.6, "consumption": 0.4}, score=Dist(620, 0.08, 400, 900), has_score=0.35,
            full_pay=0.4),
        "student": Habits(
            limit=Dist(3000, 0.4, 500, 8000),
            products={"credit_line": 0.85, "cash_loan": 0.15},
            channels={"app": 0.8, "merchant": 0.2},
            hours={"night": 0.7, "evening": 0.3},
            modes={"poisson": 1.0},
            rate=Dist(3, 0.6, 0.3, 12), draw_frac=Dist(0.15, 0.6, 0.02, 0.9),
            heavy_share=0.15, late_share=0.6, late_prob=0.6, early_share=0.02,
            purposes={"consumption": 0.8, "education": 0.2}, score=Dist(580, 0.08, 400, 850), has_score=0.2,
            full_pay=0.25),
    },
    terms={"credit_line": {30: 1.0}, "cash_loan": {30: 0.3, 90: 0.4, 180: 0.3}},
    repay_styles={"credit_line": "statement", "cash_loan": "statement"},
    apr={"credit_line": 0.18, "cash_loan": 0.18},
    amount_step={"credit_line": 0.01, "cash_loan": 100.0},
    day_mult=_minpay_days,
    weekday=(1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.0),
    device_change=0.06, device_style="and", opening_balance=0.75,
    presence=Presence(purpose=0.2, device={"app": 0.6}, merchant=0.5, outstanding=0.5, currency=0.3, score=0.8),
    auto_debit=0.2, batch_hour=7,
    ts_styles={"default": LOCAL, "app": LOCAL_MS, "partner": UTC_NUM},
    amount_style="shortest",
    id_styles={"user": "cc", "loan": "cc", "event": "seq"},
    anomalous_share=0.03,
    typology_weights={"overdue_escalation": 1.5, "limit_jump_drain": 1.5, "merchant_cashout_ring": 1.0,
                      "loan_stacking": 1.0, "borrow_to_repay": 1.0, "account_takeover": 1.0,
                      "bust_out": 0.8, "device_mule_ring": 0.6, "student_overborrowing": 0.3},
    extras=_minpay_extras,
    limit_review=LimitReview(test_fraction=0.5, raise_share=0.15, raise_range=(1.2, 2.0),
                             lower_share=0.07, lower_range=(0.5, 0.8)),
    limit_drift=0.03,
)

WORLDS: dict[str, WorldSpec] = {w.name: w for w in (
    WEEKLY_REVOLVER, SHOP_OPERATOR, PLEDGE_BANK, BILL_SPLITTER, CAMPUS_TERM, APP_MIGRATION, MINPAY_LATE)}
