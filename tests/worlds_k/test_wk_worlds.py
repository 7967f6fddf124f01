"""The lenders' own calendars: collective changes and busy days inside the test
window, and each one visible in the events."""
from __future__ import annotations

import collections
import sys

import wk_common as C  # pytest puts this folder (no __init__.py) on sys.path

WORLDS = C.worlds()


def _day(e):
    return int((C.epoch(e["ts"]) - C.START.timestamp()) // C.DAY)


def test_changes_and_busy_days_inside_test_window():
    changes, busy = [], []
    for world in WORLDS:
        _, _, info = C.parsed(world)
        m = info["marks"]
        assert m, world
        if "change_day" in m:
            assert 45 <= m["change_day"] < 59, world
            changes.append(world)
        if "busy_day" in m:
            assert 45 <= m["busy_day"] < 59, world
            busy.append(world)
    assert len(changes) >= 3 and len(busy) >= 1


def _loans_per_day(events, pred=lambda e: True):
    return collections.Counter(_day(e) for e in events if e["event_type"] == "loan" and pred(e))


def test_ticket_mega_drop_is_the_busiest_day():
    events, _, info = C.parsed("ticket_drops")
    per_day = _loans_per_day(events)
    assert max(per_day, key=per_day.get) == info["marks"]["busy_day"]


def test_livestream_festival_is_the_busiest_day():
    events, _, info = C.parsed("livestream_studios")
    per_day = _loans_per_day(events)
    assert max(per_day, key=per_day.get) == info["marks"]["busy_day"]


def test_wedding_auspicious_day_tops_banquet_bills():
    events, _, info = C.parsed("wedding_banquets")
    per_day = _loans_per_day(events, lambda e: e["product"] == "installment")
    top = sorted(per_day, key=per_day.get, reverse=True)[:2]
    assert info["marks"]["busy_day"] in top


def test_freight_settlement_change_makes_repayments_late():
    events, _, info = C.parsed("freight_truckers")
    cd = info["marks"]["change_day"]

    def late_share(lo, hi):
        reps = [e for e in events if e["event_type"] == "repayment" and lo <= _day(e) < hi]
        return sum(e["days_late"] > 0 for e in reps) / len(reps)
    assert late_share(cd + 4, 59) > 2 * late_share(10, 45)


def test_gym_closed_chain_gets_no_new_loans():
    events, _, info = C.parsed("gym_prepaid")
    closed = set(info["marks"]["closed_merchants"])
    cd = info["marks"]["change_day"]
    at_closed = [e for e in events if e["event_type"] == "loan" and e.get("merchant_id") in closed]
    assert any(_day(e) < cd for e in at_closed)
    assert not [e for e in at_closed if _day(e) >= cd]


def test_solar_second_projects_only_after_the_subsidy():
    events, labels, info = C.parsed("solar_installers")
    cd = info["marks"]["change_day"]
    seen, second = set(), []
    for e, lb in zip(events, labels):
        if e["event_type"] == "loan" and e["product"] == "installment" and not lb["label"]:
            if e["user_id"] in seen:
                second.append(_day(e))
            seen.add(e["user_id"])
    assert second and min(second) >= cd


def test_mine_suspension_brings_daytime_app_borrowing():
    events, _, info = C.parsed("mine_rotation")
    cd = info["marks"]["change_day"]
    per_day = _loans_per_day(events, lambda e: e["channel"] == "app" and e["product"] == "cash_loan")
    before = sum(per_day[d] for d in range(10, 45)) / 35
    after = sum(per_day[d] for d in range(cd + 1, 59)) / (58 - cd)
    assert after > 3 * max(before, 0.5)
