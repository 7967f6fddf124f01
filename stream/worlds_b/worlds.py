"""World definitions for family B: each world is one lender's idea of "normal".

A world is a plain dict; the engine reads it. Keys:
  desc            one-sentence description (printed by --list)
  limit_mode      "total": credit_limit caps the sum of all balances;
                  "per_product": credit_limit is the headline line, other products
                  carry their own allowance (limit * product_limit factor), so total
                  balances often exceed credit_limit
  product_limit   per-product allowance factor (per_product mode only)
  segments        segment mix
  limits          segment -> (median yuan, lognormal sigma)
  score           segment -> (mean, sd) of the credit score
  archetypes      segment -> list of behaviour types (weight, daily rate, amount
                  fraction of limit, product weights, hour profile weights, style weights)
  terms           product -> {term_days: weight}
  channels        product -> {channel: weight}
  amount_factor   product -> relative size of a draw
  payday, pre_payday, post_payday, weekend   seasonality
  festivals       list of ("history"|"test", fraction into that window)
  festival        shopper share, extra draws, product mix on the day
  base_bad        chance an ordinary loan goes bad (scaled by user frailty)
  link            0..1, how strongly risky behaviour predicts going bad
  bad_kinds       mix of bad outcomes
  p_*             presence of optional fields and ordinary life events
"""

PRODUCTS = ("cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge")


def A(name, w, rate, amt, prods, hours=None, styles=None, web=0.1):
    return {"name": name, "w": w, "rate": rate, "amt": amt, "prods": prods,
            "hours": hours, "styles": styles, "web": web}


DAYH = {"day": 0.75, "evening": 0.2, "night": 0.05}
NIGHTY = {"day": 0.55, "evening": 0.25, "night": 0.2}
BIZ = {"business": 0.8, "day": 0.15, "night": 0.05}

COMMON = {
    "amount_factor": {"cash_loan": 1.0, "credit_line": 0.35, "installment": 1.1,
                      "merchant_loan": 1.0, "wealth_pledge": 1.0},
    "payday": 10, "pre_payday": 1.3, "post_payday": 0.8, "weekend": 1.0,
    "festivals": [],
    "festival": {"shopper": 0.4, "extra": 10,
                 "prods": {"credit_line": 0.6, "installment": 0.4}},
    "bad_kinds": {"late15": 0.45, "partial": 0.3, "never": 0.25},
    "p_score": 0.85, "p_purpose": 0.6, "p_outstanding": 0.9, "p_merchant_id": 0.8,
    "p_device_app": 0.97, "p_device_web": 0.45, "p_device_other": 0.3,
    "p_new_account": 0.12, "p_dormant": 0.08, "p_device_change": 0.08,
    "p_limit_review": 0.1, "p_extra_device": 0.25,
    "autodebit_hour": 9, "p_shared_device": 0.01, "market_day": None,
    "product_limit": {},
}


def W(**kw):
    d = dict(COMMON)
    d.update(kw)
    return d


WORLDS = {
    "metro_cash": W(
        desc="Big-city app lender: 7-30 day cash loans and a checkout credit line under one total limit, "
             "salary-day rhythm, a night-shift minority; risky borrowers often go bad later.",
        limit_mode="total",
        segments={"individual": 0.86, "small_business": 0.06, "student": 0.08},
        limits={"individual": (9000, 0.6), "small_business": (20000, 0.6), "student": (2500, 0.4)},
        score={"individual": (680, 60), "small_business": (670, 60), "student": (610, 50)},
        archetypes={
            "individual": [
                A("rare", 0.3, 0.02, 0.35, {"cash_loan": 0.6, "credit_line": 0.4}, DAYH),
                A("occasional", 0.35, 0.06, 0.25, {"cash_loan": 0.5, "credit_line": 0.5}, DAYH),
                A("regular", 0.22, 0.14, 0.15, {"cash_loan": 0.35, "credit_line": 0.65}, NIGHTY),
                A("night_shift", 0.08, 0.12, 0.2, {"cash_loan": 0.6, "credit_line": 0.4},
                  {"night": 0.85, "evening": 0.15}),
                A("frequent", 0.05, 0.3, 0.12, {"cash_loan": 0.7, "credit_line": 0.3}, NIGHTY),
            ],
            "small_business": [
                A("biz", 1.0, 0.08, 0.25, {"cash_loan": 0.8, "credit_line": 0.2}, BIZ, web=0.3)],
            "student": [
                A("student", 0.7, 0.04, 0.2, {"cash_loan": 0.3, "credit_line": 0.7}, NIGHTY),
                A("student_active", 0.3, 0.1, 0.12, {"cash_loan": 0.2, "credit_line": 0.8}, NIGHTY)],
        },
        styles={"ontime": 0.42, "early": 0.2, "autodebit": 0.22, "late": 0.08, "partial": 0.05, "prepay": 0.03},
        terms={"cash_loan": {7: 0.2, 14: 0.3, 21: 0.15, 30: 0.35},
               "credit_line": {30: 0.6, 40: 0.2, 50: 0.2},
               "installment": {90: 0.5, 180: 0.3, 360: 0.2},
               "merchant_loan": {30: 0.5, 90: 0.5}, "wealth_pledge": {90: 1.0}},
        channels={"cash_loan": {"app": 0.85, "web": 0.1, "partner": 0.05},
                  "credit_line": {"app": 0.5, "merchant": 0.35, "partner": 0.15},
                  "installment": {"app": 0.7, "merchant": 0.3},
                  "merchant_loan": {"merchant": 0.6, "app": 0.4},
                  "wealth_pledge": {"app": 1.0}},
        payday=10, pre_payday=1.4, post_payday=0.75, weekend=1.15,
        base_bad=0.015, link=0.9,
    ),
    "mall_festival": W(
        desc="E-commerce consumer credit: checkout credit line and 3-12 month instalments via partner and "
             "merchant channels, per-product limits, shopping festivals in history and test windows.",
        limit_mode="per_product",
        product_limit={"cash_loan": 0.8, "credit_line": 1.0, "installment": 2.0},
        segments={"individual": 0.85, "small_business": 0.03, "student": 0.12},
        limits={"individual": (6000, 0.6), "small_business": (12000, 0.5), "student": (2000, 0.4)},
        score={"individual": (665, 65), "small_business": (660, 60), "student": (600, 55)},
        archetypes={
            "individual": [
                A("browser", 0.35, 0.04, 0.15, {"credit_line": 0.7, "installment": 0.25, "cash_loan": 0.05}, DAYH),
                A("shopper", 0.35, 0.12, 0.1, {"credit_line": 0.65, "installment": 0.3, "cash_loan": 0.05},
                  {"day": 0.5, "evening": 0.45, "night": 0.05}),
                A("big_ticket", 0.15, 0.03, 0.5, {"installment": 0.8, "credit_line": 0.2}, DAYH),
                A("heavy", 0.1, 0.3, 0.06, {"credit_line": 0.8, "installment": 0.15, "cash_loan": 0.05}, NIGHTY),
                A("cash_user", 0.05, 0.08, 0.3, {"cash_loan": 0.6, "credit_line": 0.4}, NIGHTY),
            ],
            "small_business": [
                A("seller", 1.0, 0.1, 0.2, {"credit_line": 0.5, "cash_loan": 0.3, "installment": 0.2}, BIZ, web=0.4)],
            "student": [
                A("student", 0.6, 0.06, 0.15, {"credit_line": 0.75, "installment": 0.25}, NIGHTY),
                A("student_gadget", 0.4, 0.03, 0.5, {"installment": 0.7, "credit_line": 0.3}, NIGHTY)],
        },
        styles={"autodebit": 0.35, "ontime": 0.3, "early": 0.15, "late": 0.08, "partial": 0.08, "prepay": 0.04},
        terms={"cash_loan": {14: 0.3, 30: 0.7},
               "credit_line": {30: 0.5, 40: 0.3, 50: 0.2},
               "installment": {90: 0.35, 180: 0.3, 270: 0.1, 360: 0.25},
               "merchant_loan": {90: 1.0}, "wealth_pledge": {90: 1.0}},
        channels={"cash_loan": {"app": 0.8, "web": 0.2},
                  "credit_line": {"partner": 0.5, "merchant": 0.3, "app": 0.2},
                  "installment": {"partner": 0.5, "merchant": 0.35, "app": 0.15},
                  "merchant_loan": {"merchant": 1.0}, "wealth_pledge": {"app": 1.0}},
        payday=15, pre_payday=1.15, post_payday=1.2, weekend=1.35,
        festivals=[("history", 0.55), ("test", 0.5)],
        festival={"shopper": 0.45, "extra": 10, "prods": {"credit_line": 0.55, "installment": 0.45}},
        p_merchant_id=0.9, p_purpose=0.4, p_outstanding=0.75,
        base_bad=0.01, link=0.7,
    ),
    "payday_habit": W(
        desc="Weekly payday-style cash lender: small 7-14 day loans, routine 1-5 day lateness and partial "
             "payments that are harmless; risky behaviour barely predicts default.",
        limit_mode="total",
        segments={"individual": 0.9, "small_business": 0.04, "student": 0.06},
        limits={"individual": (2000, 0.45), "small_business": (4000, 0.4), "student": (1000, 0.35)},
        score={"individual": (590, 55), "small_business": (600, 50), "student": (570, 45)},
        archetypes={
            "individual": [
                A("weekly", 0.35, 0.45, 0.35, {"cash_loan": 0.95, "credit_line": 0.05},
                  {"day": 0.5, "evening": 0.35, "night": 0.15}),
                A("fortnightly", 0.3, 0.2, 0.45, {"cash_loan": 0.9, "credit_line": 0.1}, NIGHTY),
                A("night_worker", 0.12, 0.3, 0.4, {"cash_loan": 1.0}, {"night": 0.9, "evening": 0.1}),
                A("rare", 0.23, 0.05, 0.5, {"cash_loan": 0.85, "credit_line": 0.15}, DAYH),
            ],
            "small_business": [A("stall", 1.0, 0.3, 0.4, {"cash_loan": 1.0}, BIZ)],
            "student": [A("student", 1.0, 0.12, 0.4, {"cash_loan": 0.8, "credit_line": 0.2}, NIGHTY)],
        },
        styles={"late": 0.38, "partial": 0.2, "ontime": 0.27, "autodebit": 0.08, "early": 0.05, "prepay": 0.02},
        terms={"cash_loan": {7: 0.55, 14: 0.45}, "credit_line": {14: 0.5, 30: 0.5},
               "installment": {90: 1.0}, "merchant_loan": {30: 1.0}, "wealth_pledge": {30: 1.0}},
        channels={"cash_loan": {"app": 0.75, "web": 0.1, "partner": 0.15},
                  "credit_line": {"app": 0.6, "merchant": 0.4},
                  "installment": {"app": 1.0}, "merchant_loan": {"app": 1.0}, "wealth_pledge": {"app": 1.0}},
        amount_factor={"cash_loan": 1.0, "credit_line": 0.5, "installment": 1.0,
                       "merchant_loan": 1.0, "wealth_pledge": 1.0},
        payday=5, pre_payday=1.5, post_payday=0.6, weekend=0.9,
        bad_kinds={"late15": 0.5, "partial": 0.35, "never": 0.15},
        p_score=0.5, p_outstanding=0.6, p_device_change=0.15, p_extra_device=0.35,
        base_bad=0.03, link=0.05,
    ),
    "sme_ops": W(
        desc="Small-business operating lender: 30-180 day merchant loans repaid monthly, drawn at the "
             "merchant's own terminal or web on weekdays, one total limit; risky borrowers often default.",
        limit_mode="total",
        segments={"small_business": 0.78, "individual": 0.17, "student": 0.05},
        limits={"small_business": (60000, 0.7), "individual": (15000, 0.5), "student": (3000, 0.4)},
        score={"small_business": (660, 60), "individual": (670, 55), "student": (610, 50)},
        archetypes={
            "small_business": [
                A("shop", 0.45, 0.06, 0.3, {"merchant_loan": 0.8, "cash_loan": 0.2}, BIZ, web=0.35),
                A("restaurant", 0.25, 0.1, 0.2, {"merchant_loan": 0.7, "credit_line": 0.3},
                  {"business": 0.5, "evening": 0.4, "night": 0.1}, web=0.2),
                A("trader", 0.2, 0.03, 0.6, {"merchant_loan": 0.9, "cash_loan": 0.1}, BIZ, web=0.6),
                A("micro", 0.1, 0.15, 0.1, {"merchant_loan": 0.6, "cash_loan": 0.4}, DAYH),
            ],
            "individual": [A("owner_personal", 1.0, 0.05, 0.3, {"cash_loan": 0.6, "credit_line": 0.4}, DAYH)],
            "student": [A("student", 1.0, 0.04, 0.25, {"cash_loan": 0.4, "credit_line": 0.6}, NIGHTY)],
        },
        styles={"autodebit": 0.35, "ontime": 0.3, "early": 0.15, "prepay": 0.08, "late": 0.07, "partial": 0.05},
        terms={"merchant_loan": {30: 0.25, 60: 0.15, 90: 0.3, 180: 0.3},
               "cash_loan": {14: 0.3, 30: 0.7}, "credit_line": {30: 0.7, 45: 0.3},
               "installment": {180: 1.0}, "wealth_pledge": {90: 1.0}},
        channels={"merchant_loan": {"merchant": 0.55, "web": 0.25, "app": 0.2},
                  "cash_loan": {"app": 0.7, "web": 0.3},
                  "credit_line": {"app": 0.5, "merchant": 0.5},
                  "installment": {"app": 1.0}, "wealth_pledge": {"web": 1.0}},
        payday=25, pre_payday=1.2, post_payday=0.9, weekend=0.45,
        p_purpose=0.8, p_score=0.7, p_device_web=0.6,
        base_bad=0.02, link=0.85,
    ),
    "campus_first": W(
        desc="Student-heavy lender: small credit lines and 3-12 month instalments for gadgets and tuition, "
             "per-product limits, a campus shopping festival in the test window; moderate risk link.",
        limit_mode="per_product",
        product_limit={"credit_line": 1.0, "installment": 2.5, "cash_loan": 0.8},
        segments={"student": 0.55, "individual": 0.42, "small_business": 0.03},
        limits={"student": (2500, 0.4), "individual": (5000, 0.5), "small_business": (10000, 0.5)},
        score={"student": (615, 50), "individual": (650, 60), "small_business": (650, 55)},
        archetypes={
            "student": [
                A("canteen", 0.45, 0.1, 0.08, {"credit_line": 0.9, "installment": 0.1},
                  {"day": 0.45, "evening": 0.4, "night": 0.15}),
                A("gadget", 0.25, 0.03, 0.5, {"installment": 0.75, "credit_line": 0.25}, NIGHTY),
                A("tuition", 0.15, 0.02, 0.6, {"installment": 0.8, "cash_loan": 0.2}, DAYH),
                A("quiet", 0.15, 0.015, 0.2, {"credit_line": 0.7, "cash_loan": 0.3}, DAYH),
            ],
            "individual": [
                A("young_worker", 0.6, 0.08, 0.2, {"credit_line": 0.6, "installment": 0.3, "cash_loan": 0.1}, NIGHTY),
                A("parent", 0.4, 0.03, 0.4, {"installment": 0.6, "cash_loan": 0.4}, DAYH),
            ],
            "small_business": [A("campus_shop", 1.0, 0.08, 0.25, {"cash_loan": 0.5, "credit_line": 0.5}, BIZ)],
        },
        styles={"ontime": 0.35, "autodebit": 0.2, "early": 0.1, "late": 0.15, "partial": 0.17, "prepay": 0.03},
        terms={"credit_line": {30: 0.7, 40: 0.3}, "installment": {90: 0.3, 180: 0.35, 270: 0.1, 360: 0.25},
               "cash_loan": {7: 0.3, 14: 0.3, 30: 0.4}, "merchant_loan": {30: 1.0}, "wealth_pledge": {90: 1.0}},
        channels={"credit_line": {"app": 0.55, "merchant": 0.35, "partner": 0.1},
                  "installment": {"partner": 0.4, "app": 0.35, "merchant": 0.25},
                  "cash_loan": {"app": 0.9, "web": 0.1}, "merchant_loan": {"merchant": 1.0},
                  "wealth_pledge": {"app": 1.0}},
        payday=1, pre_payday=1.25, post_payday=0.85, weekend=1.2,
        festivals=[("test", 0.35)],
        festival={"shopper": 0.5, "extra": 8, "prods": {"credit_line": 0.5, "installment": 0.5}},
        p_purpose=0.7, p_score=0.65, p_device_change=0.12, p_new_account=0.2,
        base_bad=0.02, link=0.6,
    ),
    "private_wealth": W(
        desc="Affluent clients borrowing rarely and in large sums against wealth-product holdings plus a "
             "credit line, several devices, early repayment, very low default; risk links strongly to default.",
        limit_mode="per_product",
        product_limit={"credit_line": 1.0, "cash_loan": 1.0, "wealth_pledge": 5.0, "installment": 1.5},
        segments={"individual": 0.8, "small_business": 0.18, "student": 0.02},
        limits={"individual": (80000, 0.7), "small_business": (150000, 0.6), "student": (10000, 0.5)},
        score={"individual": (760, 50), "small_business": (740, 50), "student": (680, 50)},
        archetypes={
            "individual": [
                A("pledger", 0.4, 0.02, 0.5, {"wealth_pledge": 0.8, "credit_line": 0.2}, DAYH, web=0.4),
                A("spender", 0.35, 0.08, 0.08, {"credit_line": 0.85, "installment": 0.15},
                  {"day": 0.6, "evening": 0.35, "night": 0.05}, web=0.2),
                A("bridging", 0.15, 0.015, 0.6, {"wealth_pledge": 0.6, "cash_loan": 0.4}, DAYH, web=0.5),
                A("traveller", 0.1, 0.05, 0.1, {"credit_line": 1.0}, NIGHTY, web=0.2),
            ],
            "small_business": [
                A("owner", 1.0, 0.03, 0.4, {"wealth_pledge": 0.5, "cash_loan": 0.3, "credit_line": 0.2}, BIZ,
                  web=0.6)],
            "student": [A("heir", 1.0, 0.05, 0.15, {"credit_line": 1.0}, NIGHTY)],
        },
        styles={"early": 0.35, "prepay": 0.2, "autodebit": 0.25, "ontime": 0.17, "late": 0.02, "partial": 0.01},
        terms={"wealth_pledge": {30: 0.2, 90: 0.35, 180: 0.3, 365: 0.15},
               "credit_line": {30: 0.5, 50: 0.5}, "cash_loan": {30: 0.6, 90: 0.4},
               "installment": {180: 0.5, 360: 0.5}, "merchant_loan": {90: 1.0}},
        channels={"wealth_pledge": {"app": 0.6, "web": 0.4}, "credit_line": {"app": 0.5, "merchant": 0.4,
                                                                             "partner": 0.1},
                  "cash_loan": {"app": 0.6, "web": 0.4}, "installment": {"app": 0.6, "merchant": 0.4},
                  "merchant_loan": {"web": 1.0}},
        amount_factor={"cash_loan": 1.0, "credit_line": 0.3, "installment": 0.8,
                       "merchant_loan": 1.0, "wealth_pledge": 1.0},
        payday=20, pre_payday=1.05, post_payday=1.0, weekend=0.8,
        p_extra_device=0.6, p_device_change=0.1, p_score=0.95, p_purpose=0.5, p_outstanding=0.95,
        base_bad=0.005, link=0.8,
    ),
    "county_partner": W(
        desc="County-town lender selling through partner agents: 3-24 month instalments and cash loans, "
             "a weekly market-day rhythm, shared family phones, outstanding often unreported; moderate risk link.",
        limit_mode="total",
        segments={"individual": 0.7, "small_business": 0.25, "student": 0.05},
        limits={"individual": (12000, 0.5), "small_business": (30000, 0.5), "student": (3000, 0.4)},
        score={"individual": (640, 60), "small_business": (645, 55), "student": (600, 50)},
        archetypes={
            "individual": [
                A("farmer", 0.4, 0.03, 0.45, {"installment": 0.6, "cash_loan": 0.4}, BIZ, web=0.05),
                A("migrant_worker", 0.3, 0.06, 0.25, {"cash_loan": 0.7, "installment": 0.3}, NIGHTY),
                A("household", 0.3, 0.04, 0.3, {"installment": 0.5, "cash_loan": 0.3, "credit_line": 0.2}, DAYH),
            ],
            "small_business": [
                A("agri_trader", 0.6, 0.05, 0.4, {"merchant_loan": 0.6, "installment": 0.4}, BIZ),
                A("village_shop", 0.4, 0.09, 0.2, {"merchant_loan": 0.5, "cash_loan": 0.5}, BIZ)],
            "student": [A("student", 1.0, 0.04, 0.3, {"installment": 0.5, "cash_loan": 0.5}, NIGHTY)],
        },
        styles={"ontime": 0.4, "late": 0.15, "early": 0.15, "partial": 0.1, "autodebit": 0.15, "prepay": 0.05},
        terms={"installment": {90: 0.15, 180: 0.25, 360: 0.35, 540: 0.1, 720: 0.15},
               "cash_loan": {14: 0.3, 30: 0.7}, "credit_line": {30: 1.0},
               "merchant_loan": {60: 0.3, 90: 0.3, 180: 0.4}, "wealth_pledge": {180: 1.0}},
        channels={"installment": {"partner": 0.7, "app": 0.3}, "cash_loan": {"partner": 0.5, "app": 0.5},
                  "credit_line": {"app": 0.6, "merchant": 0.4}, "merchant_loan": {"partner": 0.5, "web": 0.2,
                                                                                    "merchant": 0.3},
                  "wealth_pledge": {"partner": 1.0}},
        payday=15, pre_payday=1.1, post_payday=1.3, weekend=1.0,
        p_outstanding=0.35, p_device_other=0.15, p_score=0.6, p_shared_device=0.15, market_day=2,
        base_bad=0.025, link=0.5,
    ),
}
