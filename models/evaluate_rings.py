"""Ring quality for ``riskmon evaluate --entities``: entity alerts against planted rings.

Inputs: the scores file's entity alert lines (``"record": "entity_alert"``), its
per-event lines (user alerts), event times, and an entities file naming each
planted ring entity and each innocent shared entity (``entity_type``,
``entity_id``, ``ring``, ``kind``, ``users``, ``start``, ``phase``), as written by
``python -m stream.worlds --rings --entities``.

Measured over the evaluation window (entity alerts whose event is at or after
the window start; entities that start in it, ``phase: "test"``):

* **ring recall** per ring kind: share of rings (an entities file row's ``group``:
  a farm's phones, a ring's merchant and tills) with at least one entity alert;
* **entity recall** per ring kind: share of ring entities named by an entity alert;
* **innocent flagged** per innocent kind and overall: share of innocent shared
  entities that alerted (the bar is at most 1 %);
* **other entities flagged**: entity alerts on entities the file does not name
  (ordinary devices and merchants), as a count and a share of the entities
  sighted in the window;
* **ring member recall**: share of ring members named by an entity alert on
  their ring's entity (``by_entity``), or caught by any alert: a user alert on
  one of their events in the window, or any entity alert naming them (``any``);
  and by user alerts alone (``user_alerts``), what the monitor caught of them
  before it had entity views;
* **innocent users named**: share of the innocent shared entities' users that an
  entity alert names (the user-level false alarm of the rings);
* **named outside rings**: of the users entity alerts name, the share that is
  no planted ring's member (any ring in the file, the history's too): the false
  names of every entity alert, ordinary entities' included.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Iterable, Mapping


def ring_quality(
    score_lines: Iterable[Mapping[str, Any]],
    entities: Iterable[Mapping[str, Any]],
    event_ts: Mapping[str, float],
    window_start: float | None,
    sighted: set[tuple[str, str]],
) -> dict[str, Any]:
    """Plain JSON-ready numbers (see the module docstring); ``sighted``: the entities loans
    named in the window, as (entity_type, entity_id)."""
    start = window_start if window_start is not None else float("-inf")
    in_window = lambda event_id: event_ts.get(event_id, float("-inf")) >= start  # noqa: E731
    alerted: dict[tuple[str, str], set[str]] = defaultdict(set)  # entity -> users its alerts named
    user_alerted: set[str] = set()
    for line in score_lines:
        if line.get("record") == "entity_alert":
            if in_window(line["event_id"]):
                alerted[line["entity_type"], line["entity_id"]].update(line["users"])
        elif line.get("alert") and in_window(line["event_id"]):
            user_alerted.add(line["user_id"])
    entities = list(entities)
    ring_members = {u for e in entities if e["ring"] for u in e["users"]}
    rings = [e for e in entities if _in_test(e, start)]
    named = {(e["entity_type"], e["entity_id"]) for e in rings}
    groups: dict[tuple[str, str], bool] = {}  # (kind, ring) -> any of its entities alerted
    by_kind: dict[str, list[bool]] = defaultdict(list)
    innocent: dict[str, list[bool]] = defaultdict(list)
    members: dict[str, set[str]] = defaultdict(set)
    caught_by_entity: set[str] = set()
    innocent_users: set[str] = set()
    for e in rings:
        key = (e["entity_type"], e["entity_id"])
        if e["ring"]:
            by_kind[e["kind"]].append(key in alerted)
            group = (e["kind"], str(e.get("group", e["entity_id"])))
            groups[group] = groups.get(group, False) or key in alerted
            members[e["kind"]].update(e["users"])
            caught_by_entity.update(set(e["users"]) & alerted.get(key, set()))
        else:
            innocent[e["kind"]].append(key in alerted)
            innocent_users.update(e["users"])
    named_by_any = set().union(*alerted.values()) if alerted else set()
    every_member = set().union(*members.values()) if members else set()
    others = [k for k in alerted if k not in named]
    return {
        "ring_recall": {k: _share([hit for (kind, _), hit in groups.items() if kind == k]) for k in sorted(by_kind)},
        "rings": {k: sum(1 for kind, _ in groups if kind == k) for k in sorted(by_kind)},
        "entity_recall": {k: _share(v) for k, v in sorted(by_kind.items())},
        "ring_entities": {k: len(v) for k, v in sorted(by_kind.items())},
        "innocent_flagged": {k: _share(v) for k, v in sorted(innocent.items())},
        "innocent_flagged_all": _share([x for v in innocent.values() for x in v]),
        "innocent_entities": sum(len(v) for v in innocent.values()),
        "other_entities_alerted": len(others),
        "other_entities_flagged": _ratio(len(others), len(sighted - named)),
        "member_recall_by_entity": {k: _ratio(len(v & caught_by_entity), len(v)) for k, v in sorted(members.items())},
        "member_recall_any": {k: _ratio(len(v & (named_by_any | user_alerted)), len(v)) for k, v in sorted(members.items())},
        "member_recall_user_alerts": {k: _ratio(len(v & user_alerted), len(v)) for k, v in sorted(members.items())},
        "innocent_users_named": _ratio(len(innocent_users & named_by_any), len(innocent_users)),
        "users_named": len(named_by_any),
        "named_outside_rings": _ratio(len(named_by_any - ring_members), len(named_by_any)),
        "members": len(every_member),
        "sighted_entities": len(sighted),
    }


def _in_test(entity: Mapping[str, Any], start: float) -> bool:
    if start == float("-inf"):
        return True
    return datetime.fromisoformat(entity["start"]).timestamp() >= start


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
