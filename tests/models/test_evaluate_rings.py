"""Ring quality (models.evaluate_rings): recall, innocent flags and member recall from alert lines."""

from __future__ import annotations

from models.evaluate_rings import ring_quality

START = 1_000_000.0
ENTITIES = [
    {"entity_type": "device", "entity_id": "d-farm", "ring": True, "kind": "device_farm_ring",
     "users": ["u1", "u2", "u3"], "start": "1970-01-12T14:00:00+00:00", "phase": "test"},
    {"entity_type": "merchant", "entity_id": "m-ring", "ring": True, "kind": "merchant_collusion_ring",
     "users": ["u4", "u5"], "start": "1970-01-12T15:00:00+00:00", "phase": "test"},
    {"entity_type": "device", "entity_id": "d-family", "ring": False, "kind": "family_phone",
     "users": ["u6", "u7"], "start": "1970-01-12T15:00:00+00:00", "phase": "test"},
    {"entity_type": "device", "entity_id": "d-old", "ring": True, "kind": "device_farm_ring",
     "users": ["u8"], "start": "1970-01-01T00:00:00+00:00", "phase": "history"},
]


def test_ring_quality_counts_what_alerted_in_the_window() -> None:
    times = {"e1": START + 10, "e2": START + 20, "e3": START + 30, "e0": START - 10}
    lines = [
        {"record": "entity_alert", "entity_type": "device", "entity_id": "d-farm", "users": ["u1", "u2"], "event_id": "e1"},
        {"record": "entity_alert", "entity_type": "device", "entity_id": "d-other", "users": ["u9"], "event_id": "e2"},
        {"record": "entity_alert", "entity_type": "merchant", "entity_id": "m-ring", "users": ["u4"], "event_id": "e0"},
        {"event_id": "e3", "user_id": "u5", "alert": True},
    ]
    sighted = {("device", "d-farm"), ("device", "d-other"), ("device", "d-a"), ("device", "d-b"), ("merchant", "m-ring")}
    q = ring_quality(lines, ENTITIES, times, START, sighted)
    assert q["entity_recall"] == {"device_farm_ring": 1.0, "merchant_collusion_ring": 0.0}  # m-ring alerted before the window
    assert q["ring_entities"] == {"device_farm_ring": 1, "merchant_collusion_ring": 1}  # d-old started in history
    assert q["innocent_flagged"] == {"family_phone": 0.0}
    assert q["other_entities_alerted"] == 1 and q["other_entities_flagged"] == 1 / 3
    assert q["member_recall_by_entity"]["device_farm_ring"] == 2 / 3
    assert q["member_recall_any"]["merchant_collusion_ring"] == 0.5  # u5 by a user alert
    assert q["member_recall_user_alerts"] == {"device_farm_ring": 0.0, "merchant_collusion_ring": 0.5}
    assert q["innocent_users_named"] == 0.0
    assert q["users_named"] == 3 and q["named_outside_rings"] == 1 / 3  # u1, u2 ring members; u9 no member


def test_a_history_rings_member_is_no_false_name() -> None:
    """u8 belongs to a ring that started in the history: named in the window, it is a ring member."""
    lines = [{"record": "entity_alert", "entity_type": "device", "entity_id": "d-old", "users": ["u8", "u6"],
              "event_id": "e1"}]
    q = ring_quality(lines, ENTITIES, {"e1": START + 10}, START, {("device", "d-old")})
    assert q["users_named"] == 2 and q["named_outside_rings"] == 0.5 and q["innocent_users_named"] == 0.5
