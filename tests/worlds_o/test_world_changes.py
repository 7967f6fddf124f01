"""Each lender's test window differs from its history in the way the brief
describes, measured on the events themselves (the change's dates come from info)."""
from __future__ import annotations

from collections import Counter, defaultdict
from statistics import mean

from .runs import MEDIUM, day, medium, when

H, T = MEDIUM["history_days"], MEDIUM["test_days"]


def loans(world: str) -> list[dict]:
    return [e for e in medium(world)[0] if e["event_type"] == "loan"]


def repayments(world: str) -> list[dict]:
    return [e for e in medium(world)[0] if e["event_type"] == "repayment"]


def per_day(events: list[dict], days) -> float:
    days = list(days)
    counts = Counter(day(e) for e in events)
    return sum(counts[d] for d in days) / len(days)


def test_shopping_festival() -> None:
    change = medium("shopping_618")[2]["change"]
    fest = range(change["start_day"], change["end_day"])
    sales = loans("shopping_618")
    daily = Counter(day(e) for e in sales)
    assert per_day(sales, fest) >= 2.2 * per_day(sales, range(H))
    assert min(daily[d] for d in fest) > max(daily[d] for d in range(H))

    def share(rows, test) -> float:
        return mean(test(e) for e in rows)

    in_fest = [e for e in sales if day(e) in fest]
    before = [e for e in sales if day(e) < H]

    def instalment(e) -> bool:
        return e["product"] == "installment"

    def near_limit(e) -> bool:
        return e["amount"] >= 0.6 * e["credit_limit"]

    assert share(in_fest, instalment) > share(before, instalment) + 0.1
    assert share(in_fest, near_limit) > 2 * share(before, near_limit)

    def coupon(e) -> bool:
        return any(t <= e["amount"] <= 1.06 * t for t in (300, 500, 1000, 2000, 3000, 5000))
    assert share(in_fest, coupon) > share(before, coupon) + 0.1


def test_fishing_ban() -> None:
    ban = medium("fishing_moratorium")[2]["change"]["start_day"]
    pays = repayments("fishing_moratorium")
    late_before = mean(e["days_late"] for e in pays if day(e) < H)
    late_after = mean(e["days_late"] for e in pays if day(e) >= ban + 3)
    assert late_after >= late_before + 1.0
    cash = [e for e in loans("fishing_moratorium") if e["product"] == "cash_loan"]
    assert per_day(cash, range(ban, H + T)) >= 1.5 * per_day(cash, range(H))


def refinances(world: str) -> list[int]:
    """Days on which a user took a loan and paid 500+ into another loan (a settlement)."""
    by_user_day = defaultdict(list)
    for e in medium(world)[0]:
        by_user_day[(e["user_id"], day(e))].append(e)
    out = []
    for (_, d), evs in by_user_day.items():
        new = {e["loan_id"] for e in evs if e["event_type"] == "loan"}
        if new and any(e["event_type"] == "repayment" and e["loan_id"] not in new and e["amount"] >= 500
                       for e in evs):
            out.append(d)
    return out


def test_ev_price_war_refinancing() -> None:
    war = medium("ev_rider_fleet")[2]["change"]["start_day"]
    days = Counter(refinances("ev_rider_fleet"))
    before = sum(days[d] for d in range(H)) / H
    after = sum(days[d] for d in range(war, H + T)) / (H + T - war)
    assert after >= 5 * before + 3
    long_terms = [e for e in loans("ev_rider_fleet") if e["product"] == "installment" and e["term_days"] > 360]
    assert long_terms and all(day(e) >= war for e in long_terms)


def test_restaurant_district_closure() -> None:
    change = medium("restaurant_closures")[2]["change"]
    shut = range(change["start_day"], min(change["end_day"], H + T))
    sweeps = [e for e in repayments("restaurant_closures") if 2 <= when(e).hour < 4]
    regular = defaultdict(set)
    for e in sweeps:
        if H - 7 <= day(e) < H:
            regular[e["user_id"]].add(day(e))
    sweepers = {u for u, days in regular.items() if len(days) >= 6}
    silent = sweepers - {e["user_id"] for e in sweeps if day(e) in shut}
    assert 0.12 <= len(silent) / len(sweepers) <= 0.45
    assert per_day(sweeps, shut) < 0.92 * per_day(sweeps, range(H - 7, H))
    catch_up = [e for e in sweeps if e["days_late"] >= 2]
    assert sum(day(e) >= change["end_day"] for e in catch_up) >= 3 * max(1, sum(day(e) < H for e in catch_up))


def test_consolidation_launch() -> None:
    launch = medium("debt_consolidation_launch")[2]["change"]["start_day"]
    big = [e for e in loans("debt_consolidation_launch") if e["term_days"] >= 720]
    assert len(big) >= 30 and all(day(e) >= launch for e in big)
    settled = defaultdict(set)
    for e in repayments("debt_consolidation_launch"):
        settled[(e["user_id"], day(e))].add(e["loan_id"])
    multi = [d for (u, d), ids in settled.items() if len(ids) >= 2]
    assert sum(d >= launch for d in multi) / (H + T - launch) >= 3 * sum(d < H for d in multi) / H


def test_household_tv_channel() -> None:
    rows = loans("household_tablet")
    launch = medium("household_tablet")[2]["change"]["start_day"]
    partner = [e for e in rows if e["channel"] == "partner"]
    assert partner and all(day(e) >= launch for e in partner)
    assert sum(day(e) >= H for e in partner) >= 0.05 * sum(day(e) >= H for e in rows)
    users_by_device = defaultdict(set)
    first_seen = {}
    for e in rows:
        if "device_id" in e:
            users_by_device[e["device_id"]].add(e["user_id"])
            first_seen.setdefault(e["device_id"], day(e))
    shared = [d for d, users in users_by_device.items() if len(users) >= 2]
    assert sum(first_seen[d] < H for d in shared) >= 50
    assert sum(first_seen[d] >= launch and d in {e.get("device_id") for e in partner} for d in shared) >= 10


def test_dormant_winback() -> None:
    """Accounts whose first event in the stream is a near-limit loan: rare in the
    history, a wave once the campaign starts."""
    events, _, info = medium("dormant_reactivation")
    campaign = info["change"]["start_day"]
    first = {}
    for e in events:
        first.setdefault(e["user_id"], e)
    comebacks = [e for e in first.values() if e["event_type"] == "loan" and e["amount"] >= 0.7 * e["credit_limit"]]
    assert per_day(comebacks, range(campaign, H + T)) >= 3 * per_day(comebacks, range(H // 2, H)) + 2
