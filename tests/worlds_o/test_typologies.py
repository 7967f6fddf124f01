"""Every typology appears in every world, in the test window and (overall) in the
history, with the mechanics its name promises."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest

from .runs import MEDIUM, TYPOLOGIES, WORLDS, day, medium, when

H = MEDIUM["history_days"]


def by_user(world: str) -> dict[str, list[tuple[dict, dict]]]:
    events, labels, _ = medium(world)
    out = defaultdict(list)
    for ev, lab in zip(events, labels):
        out[ev["user_id"]].append((ev, lab))
    return out


def users_of(scenario: str) -> list[list[tuple[dict, dict]]]:
    """Event histories of every user labelled with `scenario`, over all worlds."""
    return [evs for world in WORLDS for evs in by_user(world).values()
            if any(lab["scenario"] == scenario for _, lab in evs)]


def mine(evs, scenario: str, kind: str | None = None) -> list[dict]:
    return [e for e, lab in evs if lab["scenario"] == scenario and (kind is None or e["event_type"] == kind)]


@pytest.mark.parametrize("world", WORLDS)
def test_every_typology_in_the_test_window(world: str) -> None:
    events, labels, _ = medium(world)
    seen = {lab["scenario"] for ev, lab in zip(events, labels) if lab["label"] and day(ev) >= H}
    assert set(TYPOLOGIES) <= seen


def test_a_quarter_to_a_third_of_episodes_start_in_the_history() -> None:
    episodes = [ep for world in WORLDS for ep in medium(world)[2]["episodes"]]
    share = sum(ep["in_history"] for ep in episodes) / len(episodes)
    assert 0.2 <= share <= 0.4
    for world in WORLDS:
        events, labels, _ = medium(world)
        assert any(lab["label"] and day(ev) < H for ev, lab in zip(events, labels))


def test_intensities_range_from_subtle_to_blatant() -> None:
    for name in TYPOLOGIES:
        xs = [ep["intensity"] for w in WORLDS for ep in medium(w)[2]["episodes"] if ep["typology"] == name]
        assert min(xs) < 0.3 and max(xs) > 0.7, name


def test_loan_stacking_packs_loans_into_a_day() -> None:
    packed = 0
    users = users_of("loan_stacking")
    for evs in users:
        times = sorted(when(e) for e in mine(evs, "loan_stacking", "loan"))
        packed += len(times) >= 2 and (times[-1] - times[0]).total_seconds() <= 36 * 3600
    assert packed >= 0.6 * len(users)


def test_borrow_to_repay_settles_an_older_loan_soon_after_borrowing() -> None:
    chained = 0
    users = users_of("borrow_to_repay")
    for evs in users:
        loans = mine(evs, "borrow_to_repay", "loan")
        pays = mine(evs, "borrow_to_repay", "repayment")
        chained += any(p["loan_id"] != ln["loan_id"] and 0 <= (when(p) - when(ln)).total_seconds() <= 2.1 * 86400
                       for ln in loans for p in pays)
    assert chained >= 0.8 * len(users)


def test_account_takeover_mostly_comes_from_a_new_device() -> None:
    fresh = total = 0
    for evs in users_of("account_takeover"):
        fraud = mine(evs, "account_takeover", "loan")
        before = {e.get("device_id") for e, lab in evs
                  if e["event_type"] == "loan" and not lab["label"] and when(e) < when(fraud[0])}
        if before - {None}:
            total += 1
            fresh += fraud[0].get("device_id") not in before
    assert total and fresh >= 0.6 * total


def test_student_overborrowing_is_by_students_beyond_usual_amounts() -> None:
    bigger = compared = 0
    for evs in users_of("student_overborrowing"):
        loans = mine(evs, "student_overborrowing", "loan")
        assert all(e["segment"] == "student" for e in loans)
        usual = sorted(e["amount"] for e, lab in evs
                       if e["event_type"] == "loan" and not lab["label"] and when(e) < when(loans[0]))
        if usual:
            compared += 1
            bigger += max(e["amount"] for e in loans) >= 1.8 * usual[len(usual) // 2]
    assert compared and bigger >= 0.8 * compared


def test_limit_jump_drain_follows_a_higher_limit() -> None:
    """The raise comes at most a few days before the drain."""
    raised = compared = 0
    for evs in users_of("limit_jump_drain"):
        drain = mine(evs, "limit_jump_drain", "loan")
        earlier = [e["credit_limit"] for e, lab in evs if e["event_type"] == "loan" and not lab["label"]
                   and when(e) < when(drain[0]) - timedelta(days=5)]
        if earlier:
            compared += 1
            raised += drain[0]["credit_limit"] > max(earlier)
    assert compared and raised >= 0.8 * compared


def test_overdue_escalation_gets_later() -> None:
    later = compared = 0
    for evs in users_of("overdue_escalation"):
        lates = [e["days_late"] for e in mine(evs, "overdue_escalation", "repayment")]
        if len(lates) >= 3:
            compared += 1
            later += lates[-1] > lates[0] and min(lates) >= 1
    assert compared and later >= 0.8 * compared


def test_cashout_goes_through_merchants_shared_by_a_ring() -> None:
    merchants = defaultdict(set)
    for evs in users_of("merchant_cashout_ring"):
        for e in mine(evs, "merchant_cashout_ring", "loan"):
            assert e["channel"] == "merchant" and e["merchant_id"]
            merchants[e["merchant_id"]].add(e["user_id"])
    assert any(len(users) >= 2 for users in merchants.values())


def test_identity_farm_accounts_are_new_and_share_devices() -> None:
    devices = defaultdict(set)
    for evs in users_of("identity_farm"):
        assert all(lab["label"] == 1 for _, lab in evs)
        for e in mine(evs, "identity_farm", "loan"):
            if "device_id" in e:
                devices[e["device_id"]].add(e["user_id"])
    assert sum(len(users) >= 2 for users in devices.values()) >= len(WORLDS)
