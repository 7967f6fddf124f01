"""The ring layer (--rings): fraud rings and innocent sharing on extra users, with ground truth per entity."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from functools import lru_cache

import pytest

from stream.worlds import INNOCENT_KINDS, RING_TYPOLOGIES, WORLDS, generate_world, generate_world_entities
from stream.worlds.cli import main

from .contract_check import contract_errors

WORLDS_UNDER_TEST = ("baseline", "per_product_limit", "sparse_borrowers", "payday_heavy")
KW = dict(seed=3, users=400, history_days=20, test_days=8)


@lru_cache(maxsize=None)
def world(name: str):
    events, labels, entities = generate_world_entities(WORLDS[name], rings=True, **KW)
    by_user = defaultdict(list)
    for ev, lab in zip(events, labels):
        by_user[ev["user_id"]].append((ev, lab))
    return events, labels, entities, by_user


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s)


def groups(entities, kind):
    out = defaultdict(list)
    for row in entities:
        if row["kind"] == kind:
            out[row["group"]].append(row)
    return out


@pytest.mark.parametrize("name", WORLDS_UNDER_TEST)
def test_base_world_is_unchanged(name: str) -> None:
    events, labels, _, _ = world(name)
    base_events, base_labels = generate_world(WORLDS[name], **KW)
    tag = WORLDS[name].tag
    kept = [(e, lab) for e, lab in zip(events, labels) if e["event_id"].startswith(f"w{tag}-e")]
    assert [e for e, _ in kept] == base_events
    assert [lab for _, lab in kept] == base_labels
    extra = {e["user_id"] for e in events} - {e["user_id"] for e in base_events}
    assert extra and all(u.startswith(f"w{tag}-") and len(u) == len(base_events[0]["user_id"]) for u in extra)


@pytest.mark.parametrize("name", WORLDS_UNDER_TEST)
def test_stream_is_valid_sorted_unique(name: str) -> None:
    events, labels, _, _ = world(name)
    assert len({e["event_id"] for e in events}) == len(events)
    assert [lab["event_id"] for lab in labels] == [e["event_id"] for e in events]
    times = [ts(e["ts"]) for e in events]
    assert times == sorted(times)
    bad = [(e, contract_errors(e)) for e in events if contract_errors(e)]
    assert not bad, bad[:3]


@pytest.mark.parametrize("name", WORLDS_UNDER_TEST)
def test_device_farm_members_are_new_accounts_on_the_ring_device(name: str) -> None:
    _, _, entities, by_user = world(name)
    farms = groups(entities, "device_farm_ring")
    assert farms
    for rows in farms.values():
        start = min(ts(r["start"]) for r in rows)
        members = {u for r in rows for u in r["users"]}
        assert 5 <= len(members) <= 40
        for row in rows:
            assert row["entity_type"] == "device" and row["ring"] is True
            for user in row["users"]:
                evs = by_user[user]
                first = ts(evs[0][0]["ts"])
                assert start <= first <= start + timedelta(days=6), (user, first, start)
                assert any(e.get("device_id") == row["entity_id"] for e, _ in evs)
                assert all(lab["user_anomalous"] for _, lab in evs)
                loans = [(e, lab) for e, lab in evs if e["event_type"] == "loan"]
                assert all(lab["label"] == 1 and lab["scenario"] == "device_farm_ring" for _, lab in loans)
                assert all(e["channel"] in ("app", "web") for e, _ in loans)


@pytest.mark.parametrize("name", WORLDS_UNDER_TEST)
def test_merchant_collusion_members_draw_at_the_ring_merchant(name: str) -> None:
    _, _, entities, by_user = world(name)
    rings = groups(entities, "merchant_collusion_ring")
    assert rings
    for rows in rings.values():
        (merchant,) = [r for r in rows if r["entity_type"] == "merchant"]
        assert merchant["ring"] is True and 6 <= len(merchant["users"]) <= 40
        start = ts(merchant["start"])
        new = 0
        for user in merchant["users"]:
            evs = by_user[user]
            ring_loans = [(e, lab) for e, lab in evs if e.get("merchant_id") == merchant["entity_id"]]
            assert ring_loans
            for e, lab in ring_loans:
                assert e["event_type"] == "loan" and e["channel"] == "merchant"
                assert e["product"] in ("credit_line", "installment")
                assert lab["label"] == 1 and lab["scenario"] == "merchant_collusion_ring"
                assert start <= ts(e["ts"]) <= start + timedelta(days=12)
            assert all(lab["user_anomalous"] for _, lab in evs)
            new += ts(evs[0][0]["ts"]) >= start
        assert 0 < new < len(merchant["users"]) or len(merchant["users"]) < 8  # a mix of new and established
        for till in (r for r in rows if r["entity_type"] == "device"):
            assert set(till["users"]) <= set(merchant["users"])


@pytest.mark.parametrize("name", WORLDS_UNDER_TEST)
def test_innocent_sharers_are_all_label_0(name: str) -> None:
    _, _, entities, by_user = world(name)
    kinds = {r["kind"] for r in entities if not r["ring"]}
    assert kinds == set(INNOCENT_KINDS)
    for row in entities:
        if row["ring"]:
            continue
        assert row["kind"] in INNOCENT_KINDS
        for user in row["users"]:
            for e, lab in by_user[user]:
                assert lab["label"] == 0 and lab["scenario"] == "normal" and lab["user_anomalous"] is False
            key = "device_id" if row["entity_type"] == "device" else "merchant_id"
            assert any(e.get(key) == row["entity_id"] for e, _ in by_user[user])


@pytest.mark.parametrize("name", WORLDS_UNDER_TEST)
def test_entity_rows(name: str) -> None:
    events, _, entities, by_user = world(name)
    test_start = datetime.fromisoformat("2026-01-05T00:00:00+08:00") + timedelta(days=KW["history_days"])
    assert {r["kind"] for r in entities if r["ring"]} == set(RING_TYPOLOGIES)
    for row in entities:
        assert set(row) >= {"entity_type", "entity_id", "ring", "kind", "users", "start", "phase"}
        assert row["entity_type"] in ("device", "merchant")
        assert row["ring"] == (row["kind"] in RING_TYPOLOGIES)
        assert len(row["users"]) >= 2 and all(u in by_user for u in row["users"])
        key = "device_id" if row["entity_type"] == "device" else "merchant_id"
        first = min(ts(e["ts"]) for u in row["users"] for e, _ in by_user[u] if e.get(key) == row["entity_id"])
        assert first == ts(row["start"])
        assert row["phase"] == ("test" if first >= test_start else "history")
    for kind in RING_TYPOLOGIES:
        phases = {r["phase"] for r in entities if r["kind"] == kind}
        assert phases == {"test", "history"}, kind


def test_rates_at_1000_users() -> None:
    _, _, entities = generate_world_entities(WORLDS["baseline"], seed=1, users=1000, rings=True)
    for kind in RING_TYPOLOGIES:
        assert len({r["group"] for r in entities if r["kind"] == kind and r["phase"] == "test"}) >= 2, kind


def test_deterministic() -> None:
    a = generate_world_entities(WORLDS["mixed"], seed=2, users=200, history_days=10, test_days=4)
    b = generate_world_entities(WORLDS["mixed"], seed=2, users=200, history_days=10, test_days=4)
    assert a == b


def test_cli(tmp_path) -> None:
    out, lab, ent = tmp_path / "e.jsonl", tmp_path / "l.jsonl", tmp_path / "n.jsonl"
    args = ["--world", "late_payers", "--seed", "1", "--users", "200", "--history-days", "10", "--test-days", "4",
            "--out", str(out), "--labels", str(lab)]
    assert main([*args, "--rings", "--entities", str(ent)]) == 0
    rows = [json.loads(line) for line in ent.read_text().splitlines()]
    users = {json.loads(line)["user_id"] for line in out.read_text().splitlines()}
    assert rows and all(set(r["users"]) <= users for r in rows)
    with pytest.raises(SystemExit):
        main([*args, "--entities", str(ent)])
