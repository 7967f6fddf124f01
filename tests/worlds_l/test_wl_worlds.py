"""The collective changes and busy days of the test window really happen (and normal behaviour has the
unusual-but-legitimate traits each world is about)."""
import collections
import datetime as dt
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wl_common as C  # noqa: E402

H, T = 45, 14


def day_of(date_str):
    return (dt.date.fromisoformat(date_str) - C.WINDOW_START.date()).days


def split(world, seed=1, users=3000):
    """events of users without any episode, as copies with a helper '_day' (the cache stays clean)"""
    events, labels, info = C.gen(world, seed, users)
    norm = [dict(e, _day=C.day_index(e["ts"])) for e, l in zip(events, labels) if not l["user_anomalous"]]
    loans = [e for e in norm if e["event_type"] == "loan"]
    reps = [e for e in norm if e["event_type"] == "repayment"]
    return events, labels, info, loans, reps


def daily(loans):
    return collections.Counter(e["_day"] for e in loans)


def new_device_share(loans, day_lo, day_hi):
    """share of loans in [day_lo, day_hi], by users with an earlier device, on a device they never used"""
    seen = collections.defaultdict(set)
    n = new = 0
    for e in loans:
        d = e.get("device_id")
        if day_lo <= e["_day"] <= day_hi and d is not None and seen[e["user_id"]]:
            n += 1
            new += d not in seen[e["user_id"]]
        if d is not None:
            seen[e["user_id"]].add(d)
    return new / max(1, n)


def test_calendar_dates_inside_test_window():
    for w in C.WORLD_NAMES:
        _, _, info = C.gen(w, 1, 3000)
        for key, val in info["calendar"].items():
            if key in ("launch_day", "new_broker_live", "spring_move_start", "market_crash", "term_start",
                       "limit_reset", "season_open"):
                assert H <= day_of(val) < H + T, (w, key, val)


def test_handset_launch_day():
    _, _, info, loans, reps = split("handset_upgrade")
    L = day_of(info["calendar"]["launch_day"])
    per_day = daily(loans)
    hist_med = statistics.median(per_day[d] for d in range(H))
    assert per_day[L] >= 3 * hist_med
    launch_inst = [e for e in loans if e["_day"] == L and e["product"] == "installment"]
    assert len(launch_inst) >= 300
    # every handset on an instalment is a brand-new device id
    assert new_device_share([e for e in loans if e["product"] == "installment"], 0, H + T) > 0.97
    # families / staff buy several handsets within minutes
    by_user = collections.Counter(e["user_id"] for e in launch_inst)
    assert sum(1 for c in by_user.values() if c >= 2) >= 20
    # trade-ins settle old contracts early: repayments of history handset loans soon after launch
    hist_phone = {e["loan_id"] for e in loans if e["product"] == "installment" and e["_day"] < L}
    settled = [r for r in reps if r["loan_id"] in hist_phone and L <= r["_day"] <= L + 7 and r["days_late"] == 0]
    assert len(settled) >= 30
    # the launch uplift raises reported limits of many users
    up = 0
    last = {}
    for e in loans:
        u = e["user_id"]
        if u in last and last[u][0] < L - 2 <= e["_day"] and e["credit_limit"] > 1.15 * last[u][1]:
            up += 1
        last[u] = (e["_day"], e["credit_limit"])
    assert up >= 100


def test_premium_month_end_and_new_broker():
    _, _, info, loans, reps = split("premium_finance")
    cal = info["calendar"]
    bunch = {day_of(d) for d in cal["month_end_renewal_days"]}
    per_day = daily(loans)
    in_b = statistics.mean(per_day[d] for d in bunch)
    out_b = statistics.mean(per_day[d] for d in range(H + T) if d not in bunch)
    assert in_b > 4 * out_b
    assert any(H <= d < H + T for d in bunch)
    # per-policy limits: the loan is close to its reported limit
    ratio = statistics.median(e["amount"] / e["credit_limit"] for e in loans if e["credit_limit"])
    assert ratio > 0.8
    # new broker tablets appear only from its go-live day, each shared by many customers
    nb = day_of(cal["new_broker_live"])
    first_seen, users_of = {}, collections.defaultdict(set)
    for e in loans:
        d = e.get("device_id")
        if d and e["channel"] == "partner":
            first_seen.setdefault(d, e["_day"])
            users_of[d].add(e["user_id"])
    new_tabs = [d for d, day in first_seen.items() if day >= nb and len(users_of[d]) >= 10]
    assert new_tabs, "the new broker's shared tablets"
    assert all(min(x["_day"] for x in loans if x.get("device_id") == d) >= nb for d in new_tabs)
    # fleets: a small business finances several policies the same day
    sb_day = collections.Counter((e["user_id"], e["_day"]) for e in loans if e["segment"] == "small_business")
    assert sum(1 for c in sb_day.values() if c >= 2) >= 100


def test_migrant_spring_move():
    _, _, info, loans, reps = split("migrant_rent_deposit")
    cal = info["calendar"]
    a, b = day_of(cal["spring_move_start"]), day_of(cal["spring_move_end"])
    fest = day_of(cal["spring_festival"])
    per_day = daily(loans)
    hist_med = statistics.median(per_day[d] for d in range(H))
    assert statistics.mean(per_day[d] for d in range(a, b + 1)) > 2 * hist_med
    assert max(per_day[d] for d in range(a, b + 1)) > 4 * hist_med
    # movers come on new phones and new channels
    assert new_device_share(loans, a, b) > max(0.15, 2 * new_device_share(loans, 0, fest - 10))
    # deposit + first month within the hour
    pairs = 0
    by_user = collections.defaultdict(list)
    for e in loans:
        if a <= e["_day"] <= b:
            by_user[e["user_id"]].append(C.parse_ts(e["ts"]))
    for ts in by_user.values():
        pairs += any(0 < (y - x).total_seconds() <= 3600 for x, y in zip(ts, ts[1:]))
    assert pairs >= 300
    # the holiday makes repayments late
    hol = [r["days_late"] for r in reps if fest + 7 <= r["_day"] <= fest + 12]
    before = [r["days_late"] for r in reps if r["_day"] < fest - 2]
    assert statistics.mean(hol) > statistics.mean(before) + 1


def test_margin_crash_and_recovery():
    _, _, info, loans, reps = split("margin_call_wealth")
    cal = info["calendar"]
    c, rcv = day_of(cal["market_crash"]), day_of(cal["market_recovery"])
    assert C.WINDOW_START.date().weekday() == 0 and c % 7 < 5
    pledges = [e for e in loans if e["product"] == "wealth_pledge"]
    per_day = daily(pledges)
    trading_hist = [per_day[d] for d in range(H) if d % 7 < 5]
    assert per_day[c] > 4 * statistics.median(trading_hist)
    # some draw close to their (already lowered) limit
    near = [e for e in pledges if e["_day"] == c and e["amount"] >= 0.8 * e["credit_limit"]]
    assert len(near) >= 30
    # reported limits drop on the crash day
    drops = []
    last = {}
    for e in loans:
        u = e["user_id"]
        if e["_day"] == c and u in last and c - 7 <= last[u][0] < c:
            drops.append(e["credit_limit"] / last[u][1])
        last[u] = (e["_day"], e["credit_limit"])
    assert drops and statistics.median(drops) < 0.95
    # repay when markets recover
    crash_loans = {e["loan_id"] for e in pledges if e["_day"] == c}
    back = [r for r in reps if r["loan_id"] in crash_loans and rcv <= r["_day"] <= rcv + 7]
    assert len(back) >= 0.5 * len(crash_loans)
    # limits move with the market every trading day, rollovers repay within minutes of a new draw
    assert len({e["credit_limit"] for e in pledges}) > 1000


def test_school_term_start():
    _, _, info, loans, reps = split("school_fee_term")
    S = day_of(info["calendar"]["term_start"])
    per_day = daily(loans)
    hist_med = statistics.median(per_day[d] for d in range(H))
    assert max(per_day[d] for d in range(S - 3, S + 1)) > 3 * hist_med
    fees = [e for e in loans if e["purpose"] == "education" and e["product"] == "installment"] \
        if all("purpose" in e for e in loans) else [e for e in loans if e.get("purpose") == "education"]
    by_user = collections.defaultdict(list)
    for e in fees:
        by_user[e["user_id"]].append(C.parse_ts(e["ts"]))
    multi = sum(1 for ts in by_user.values() if len(ts) >= 2 and (max(ts) - min(ts)).total_seconds() <= 3600)
    assert multi >= 100
    ops = [e for e in loans if e["segment"] == "small_business" and e["product"] == "merchant_loan"]
    assert ops and all(e["credit_limit"] == 0 for e in ops)
    lumps = [r for r in reps if r["_day"] >= S and "outstanding" not in r and r["amount"] >= 20000]
    assert len(lumps) >= 50


def test_limit_reset_regulation():
    _, _, info, loans, reps = split("limit_reset_regulation")
    R = day_of(info["calendar"]["limit_reset"])
    last_pre, first_post = {}, {}
    for e in loans:
        u = e["user_id"]
        if e["_day"] < R:
            last_pre[u] = e["credit_limit"]
        elif u not in first_post:
            first_post[u] = e["credit_limit"]
    ratios = [first_post[u] / last_pre[u] for u in first_post if u in last_pre]
    assert len(ratios) >= 300
    assert sum(1 for r in ratios if 0.38 <= r <= 0.72) >= 0.95 * len(ratios)
    # balances sit above the new limits
    lim_now = {}
    above = 0
    for e in sorted(loans + reps, key=lambda e: e["ts"]):
        if e["event_type"] == "loan":
            lim_now[e["user_id"]] = e["credit_limit"]
        elif e["_day"] >= R and "outstanding" in e and e["user_id"] in lim_now and e["user_id"] in first_post:
            above += e["outstanding"] > lim_now[e["user_id"]]
    assert above >= 50
    # fewer new loans, faster repayments
    per_day = daily(loans)
    pre = statistics.mean(per_day[d] for d in range(R - 14, R - 3))
    post = statistics.mean(per_day[d] for d in range(R, H + T))
    assert post < 0.6 * pre
    late_pre = [r["days_late"] > 0 for r in reps if r["_day"] < R]
    late_post = [r["days_late"] > 0 for r in reps if r["_day"] >= R]
    assert sum(late_post) / len(late_post) < 0.7 * sum(late_pre) / len(late_pre)
    # a rush to draw just before the cut
    assert max(per_day[d] for d in range(R - 3, R)) > 1.3 * pre


def test_tour_season_open():
    _, _, info, loans, reps = split("tour_guide_season")
    O = day_of(info["calendar"]["season_open"])
    per_day = daily(loans)
    hist_med = statistics.median(per_day[d] for d in range(H))
    assert hist_med < 0.02 * 3000                      # nearly nothing off-season
    assert per_day[O] > 10 * max(1, hist_med)
    season = [e for e in loans if O <= e["_day"] <= O + 6]
    merch = collections.Counter(e.get("merchant_id") for e in season if e["channel"] == "merchant")
    top4 = sum(c for _, c in merch.most_common(4))
    assert top4 >= 0.8 * sum(merch.values())
    rnd = sum(1 for e in season if e["amount"] % 1000 == 0)
    assert rnd >= 0.8 * len(season)
    # agency office devices shared by many guides
    users_of = collections.defaultdict(set)
    for e in season:
        if e.get("device_id"):
            users_of[e["device_id"]].add(e["user_id"])
    assert max(len(v) for v in users_of.values()) >= 20
    # winter loans: late and lumpy after the bad season
    winter = {e["loan_id"] for e in loans if e["_day"] <= 14}
    lates = [r["days_late"] for r in reps if r["loan_id"] in winter]
    assert len(lates) >= 100 and statistics.median(lates) >= 3
