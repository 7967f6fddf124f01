"""Entity alert stage: when a shared device or merchant alerts, and the document it sends.

The decision reads the entity's ``View`` (``stream.core.entities``) after a
sighting is folded in.  Each *criterion* counts borrowers of one kind: a
device's new accounts (``device``), a merchant's unfamiliar heavy draws
(``merchant``) and a merchant's borrowers who later went late on what they drew
there (``merchant_late``).  The entity alerts when one criterion's count reaches
its threshold and is at least its ``min_share`` of the borrowers it is judged
against.  Thresholds are set by ``riskmon train`` on the history
(``calibrate_entities``), the way the user alert budget is: the share of the
history's entities that would have alerted stays within the entity budget.
Suppression works as for users, with a longer window: a ring's entity alerts
again only after ``suppress_s`` of event time or at a higher severity.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

import numpy as np

from stream.core.alerts import ENTITY_ALERT_SCHEMA_VERSION
from stream.core.entities import (
    DAY, ENTITY_TYPES, HEAVY_SHARE, LATE_DAYS, LATE_SHARE, LONG_BUCKET_S, LONG_BUCKETS, MIN_SUSPICIOUS_SHARE,
    NEW_ACCOUNT_S, SKETCH_K, WINDOW_DAYS, EntityState, Sighting, View, user_hash, view,
)
from stream.core.scoring import SEVERITIES

#: Lowest threshold training may pick per entity type: three new accounts on one phone in a week
#: can be a family; four is a farm.  Three unfamiliar limit-draws at one till is already a pattern.
MIN_THRESHOLD = {"device": 4.0, "merchant": 3.0, "merchant_late": 3.0}
#: The criteria each entity type is judged by (see the module docstring), and each one's rule name.
CRITERIA = {"device": ("device",), "merchant": ("merchant", "merchant_late")}
RULE = {"device": "device_ring", "merchant": "merchant_ring", "merchant_late": "merchant_lateness"}
MIN_SHARE = {**MIN_SUSPICIOUS_SHARE, "merchant_late": LATE_SHARE}
LONG_WEEKS = LONG_BUCKETS * LONG_BUCKET_S // (7 * DAY)
#: Share of the entities sighted in the history (after its warm-up) allowed to alert.
ENTITY_BUDGET = 0.01
#: However few entities a history has, this many may alert in it: an unlabelled history holds a
#: few rings, and a budget of none would lift the threshold above every one of them.
MIN_ALLOWED = 3
SUPPRESS_S = 7 * DAY
#: An entity alert's ``score`` at its criterion's threshold (``entity_score``).
ENTITY_SCORE_THRESHOLD = 0.5
_NOUN = {"device": "this device", "merchant": "this merchant"}
_SUSPICIOUS_TEXT = {"device": "were new accounts",
                    "merchant": "drew most of their limit as new accounts or from devices new to them"}


@dataclass(frozen=True)
class EntityThresholds:
    """Per entity type: the suspicious-borrower count that alerts, and what is normal there."""

    #: Per criterion (``CRITERIA``); a model trained before a criterion existed lacks its key: it never fires.
    threshold: dict[str, float] = field(default_factory=lambda: {"device": 4.0, "merchant": 5.0, "merchant_late": 5.0})
    normal_p99: dict[str, float] = field(default_factory=lambda: {"device": 1.0, "merchant": 2.0, "merchant_late": 1.0})
    min_share: dict[str, float] = field(default_factory=lambda: dict(MIN_SHARE))
    suppress_s: float = SUPPRESS_S
    #: Event time before which entities do not alert: until the user states have seen
    #: ``NEW_ACCOUNT_S`` of a history, no account can be told new (training sets it to where
    #: it started measuring, past that).
    active_from: float = 0.0
    #: An account first seen this soon after its state began may be an established borrower not
    #: back yet, and is not called new (``stream.core.state_epoch``; training measures it).
    unknown_past_s: float = NEW_ACCOUNT_S

    def to_meta(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "normal_p99": self.normal_p99, "min_share": self.min_share,
                "suppress_s": self.suppress_s, "active_from": self.active_from, "unknown_past_s": self.unknown_past_s}

    @classmethod
    def from_meta(cls, meta: dict[str, Any] | None) -> "EntityThresholds":
        """From a model's ``meta["entities"]``; the defaults for a model trained before entity views."""
        if not meta:
            return cls()
        return cls({k: float(v) for k, v in meta["threshold"].items()}, {k: float(v) for k, v in meta["normal_p99"].items()},
                   {k: float(v) for k, v in meta["min_share"].items()}, float(meta["suppress_s"]),
                   float(meta.get("active_from", 0.0)), float(meta.get("unknown_past_s", NEW_ACCOUNT_S)))


@dataclass(frozen=True, slots=True)
class EntityOutcome:
    """What one sighting did to its entity."""

    sighting: Sighting
    duplicate: bool
    view: View | None = None
    alert: dict[str, Any] | None = None
    suppressed: bool = False


def severity(suspicious: float, threshold: float) -> str | None:
    if suspicious < threshold:
        return None
    ratio = suspicious / threshold
    return "critical" if ratio >= 3 else "high" if ratio >= 2 else "medium"


def entity_score(count: float, threshold: float) -> float:
    """The alert's ``score`` in [0, 1], as the shared contract has every alert's: ``count / (count +
    threshold)``, so it reaches ``ENTITY_SCORE_THRESHOLD`` at the threshold, and a count twice or
    three times it (severity high, critical) reads 0.67, 0.75.  The count itself is
    ``suspicious_borrowers``."""
    return count / (count + threshold)


def measure(v: View, criterion: str) -> tuple[float, float]:
    """(count, share) of a criterion's borrowers in the view."""
    if criterion == "merchant_late":
        return v.late, v.late_share
    return v.suspicious, v.share


def fired(v: View, entity_type: str, thresholds: "EntityThresholds") -> list[tuple[str, float, float]]:
    """The criteria that fire, as (criterion, count, threshold), the strongest (count over threshold) first."""
    out = []
    for criterion in CRITERIA[entity_type]:
        threshold = thresholds.threshold.get(criterion, math.inf)
        count, share = measure(v, criterion)
        if count >= threshold and share >= thresholds.min_share.get(criterion, 1.0):
            out.append((criterion, count, threshold))
    return sorted(out, key=lambda c: -c[1] / c[2])


def cannot_fire(state: EntityState, s: Sighting, thresholds: EntityThresholds) -> bool:
    """Whether ``s`` surely leaves its device below the threshold, known without reading the sketches.

    Reading them (``view``: seven bottom-k unions) is most of a sighting's cost
    in the entity stage, and most devices serve one or two borrowers.  A
    device's count of new-account borrowers in the window is at most its
    loans in the window, exactly so while fewer than ``SKETCH_K`` (above it
    the count is an estimate); ``add`` puts at most this one more loan in the
    window.  Merchants are always read: their lateness criterion counts
    repayments, which no loan count bounds.
    """
    if s.entity_type != "device" or s.late_days:
        return False
    return state.loans_in_window() + 1 < min(thresholds.threshold.get("device", math.inf), SKETCH_K)


def observe(state: EntityState, s: Sighting, thresholds: EntityThresholds, model_version: str,
            now: datetime | None = None) -> EntityOutcome:
    """Fold ``s`` into ``state`` and decide whether the entity alerts (mutates ``state``).

    An alert names the entity's recent borrowers (at most ``MEMBERS``; the share
    gate has made sure most of them are suspicious).  While it stands (a repeat
    would be suppressed), a borrower the window had not seen yet is named by a
    *member alert* of their own (``member_of`` the standing alert), so each
    borrower of a flagged device or till is named, whichever order the stream
    meets them in.
    """
    if state.seen(s.source):
        return EntityOutcome(s, duplicate=True)
    quiet = cannot_fire(state, s, thresholds)  # before add(): it bounds the loans add() leaves in the window
    known = not quiet and user_hash(s.user_id) in state.window(0)  # among the entity's borrowers in the window
    state.add(s)
    state.mark(s.source)
    if quiet:
        return EntityOutcome(s, duplicate=False)
    v = view(state, s.entity_type)
    firing = fired(v, s.entity_type, thresholds) if s.ts >= thresholds.active_from else []
    if not firing:
        return EntityOutcome(s, duplicate=False, view=v)
    _, count, threshold = firing[0]
    level = severity(count, threshold)
    assert level is not None
    rank = SEVERITIES.index(level)
    sec = int(s.ts)
    # Both ways in time: the stream can meet a ring's earlier sightings after its alert.
    suppressed = bool(state.alert_ts) and abs(sec - state.alert_ts) < thresholds.suppress_s and rank <= state.alert_rank
    if suppressed and not known:
        standing = entity_alert_id(s.entity_type, s.entity_id, SEVERITIES[state.alert_rank], state.alert_ts)
        member = build_entity_alert(s, state, v, firing, thresholds, level, model_version, now, member_of=standing)
        return EntityOutcome(s, duplicate=False, view=v, alert=member)
    alert = build_entity_alert(s, state, v, firing, thresholds, level, model_version, now)
    if not suppressed and sec >= state.alert_ts:
        state.alert_ts, state.alert_rank = sec, rank
    elif not suppressed:
        # An earlier sighting met late, alerting at a higher severity: it stands beside the newer alert
        # instead of moving the window back, where a later sighting of the newer alert's week would
        # have alerted again under that alert's id (an outside review's case).
        state.alert_rank = max(state.alert_rank, rank)
    return EntityOutcome(s, duplicate=False, view=v, alert=alert, suppressed=suppressed)


def entity_alert_id(entity_type: str, entity_id: str, level: str, ts: float) -> str:
    """Derived from the entity, the severity and the week (event time) it was reached in, not from the
    sighting that tipped it: the stream meets a ring's sightings in another order than a replay, and
    both must name the alert alike (and a redelivered one keep its id)."""
    week = int(ts // SUPPRESS_S)
    digest = hashlib.blake2b(f"{entity_type}|{entity_id}|{level}|{week}".encode(), digest_size=10).hexdigest()
    return f"al-{digest}"


def _count(x: float) -> str:
    return f"{x:.0f}" if x < SKETCH_K else f"about {x:.0f}"


def reasons(s: Sighting, v: View, firing: list[tuple[str, float, float]], normal_p99: dict[str, float]) -> list[dict[str, Any]]:
    """Why, in the borrower's terms: each criterion that fired, then what else the window shows."""
    where = _NOUN[s.entity_type]
    out = []
    for criterion, _, _ in firing:
        rule, normal = RULE[criterion], normal_p99.get(criterion, 0.0)
        if criterion == "merchant_late":
            text = (f"{_count(v.late)} of the {_count(v.late_base)} accounts that borrowed at {where} in "
                    f"{LONG_WEEKS} weeks went {LATE_DAYS}+ days late repaying what they drew here; "
                    f"normal p99 is {normal:.0f}")
        else:
            text = (f"{_count(v.suspicious)} of the {_count(v.users)} accounts that borrowed from {where} in "
                    f"{WINDOW_DAYS} days {_SUSPICIOUS_TEXT[s.entity_type]}; normal p99 is {normal:.0f}")
        out.append({"rule": rule, "text": text})
    rule = out[0]["rule"]
    if v.new:
        out.append({"rule": rule, "text": f"{_count(v.new)} of the window's borrowers opened their account within "
                                          f"{NEW_ACCOUNT_S // DAY} days"})
    if v.heavy:
        out.append({"rule": rule, "text": f"{_count(v.heavy)} of the window's borrowers drew at least "
                                          f"{HEAVY_SHARE:.0%} of their credit limit or headroom in one loan here, "
                                          "as a new account or from a device new to them"})
    return out


def build_entity_alert(s: Sighting, state: EntityState, v: View, firing: list[tuple[str, float, float]],
                       thresholds: EntityThresholds, level: str, model_version: str, now: datetime | None = None,
                       member_of: str | None = None) -> dict[str, Any]:
    """The entity alert document (docs/alert.schema.json); ``users`` names the entity's recent borrowers
    (a member alert: the one borrower it adds to the standing alert ``member_of``)."""
    if member_of is None:
        alert_id, users = entity_alert_id(s.entity_type, s.entity_id, level, s.ts), list(state.members)
    else:
        alert_id, users = entity_alert_id(s.entity_type, s.entity_id, f"member:{s.user_id}", s.ts), [s.user_id]
    doc = {
        "schema_version": ENTITY_ALERT_SCHEMA_VERSION,
        "alert_id": alert_id,
        "entity_type": s.entity_type,
        "entity_id": s.entity_id,
        "user_id": s.user_id,
        "users": users,
        "event_id": s.event_id,
        "event_ts": datetime.fromtimestamp(s.ts, timezone.utc).isoformat(timespec="seconds"),
        "score": round(entity_score(firing[0][1], firing[0][2]), 4),
        "threshold": ENTITY_SCORE_THRESHOLD,
        "suspicious_borrowers": round(firing[0][1], 3),
        "count_threshold": firing[0][2],
        "severity": level,
        "fired_by": [RULE[c] for c, _, _ in firing],
        "rules": [RULE[c] for c, _, _ in firing],
        "borrowers": round(v.users, 3),
        "new_accounts": round(v.new, 3),
        "heavy_draws": round(v.heavy, 3),
        "window_days": WINDOW_DAYS,
        **({"late_borrowers": round(v.late, 3), "late_window_weeks": LONG_WEEKS} if s.entity_type == "merchant" else {}),
        "reasons": reasons(s, v, firing, thresholds.normal_p99),
        "model_version": model_version,
        "emitted_at": (now or datetime.now(timezone.utc)).isoformat(timespec="milliseconds"),
    }
    if member_of is not None:
        doc["member_of"] = member_of
    return doc


def calibrate_entities(sightings: Iterable[tuple[Sighting, bool]], active_from: float = 0.0,
                       unknown_past_s: float = NEW_ACCOUNT_S, budget: float = ENTITY_BUDGET, min_threshold: dict[str, float] = MIN_THRESHOLD,
                       min_share: dict[str, float] = MIN_SHARE) -> EntityThresholds:
    """Thresholds from a history's sightings, in order (``(sighting, warm)``: counted in the budget or not).

    Per criterion: the lowest threshold (at least its ``min_threshold``) at which at
    most ``budget`` (and at least ``MIN_ALLOWED``) of the entities of its type sighted
    in the warm part would have alerted on it; and the 99th percentile, over those
    entities, of each one's highest count, the "normal" an alert's reason quotes.  The
    count is read as the criterion reads it: 0 where its share gate fails.  A busy
    installer's or agent's merchant sees dozens of new accounts a week among hundreds
    of borrowers; quoting that as normal made an alert read "21 of the 21 accounts
    ...; normal p99 is 42" (family K, docs/worlds.md), as if it fired below normal.
    Per entity, not per sighting: a ring's own devices in the history borrow many times
    each, and over sightings they made an alert at 4 read "normal p99 is 15" (an
    outside review); over entities the budget keeps the quoted normal near the threshold.
    """
    states: dict[tuple[str, str], EntityState] = {}
    peak: dict[tuple[str, str, str], float] = {}  # (criterion, entity): highest count seen with the share gate passing
    sighted: set[tuple[str, str]] = set()
    for s, warm in sightings:
        key = (s.entity_type, s.entity_id)
        state = states.get(key)
        if state is None:
            state = states[key] = EntityState()
        state.add(s)
        if not warm:
            continue
        v = view(state, s.entity_type)
        sighted.add(key)
        for criterion in CRITERIA[s.entity_type]:
            count, share = measure(v, criterion)
            gated = count if share >= min_share[criterion] else 0.0
            if gated:
                peak[(criterion, *key)] = max(peak.get((criterion, *key), 0.0), gated)
    threshold: dict[str, float] = {}
    normal: dict[str, float] = {}
    for entity_type in ENTITY_TYPES:
        population = [k for k in sighted if k[0] == entity_type]
        allowed = max(math.floor(budget * len(population)), MIN_ALLOWED)
        for criterion in CRITERIA[entity_type]:
            peaks = np.array([peak.get((criterion, *k), 0.0) for k in population])
            t = min_threshold[criterion]
            while len(peaks) and int((peaks >= t).sum()) > allowed:
                t += 1.0
            threshold[criterion] = t
            normal[criterion] = float(np.quantile(peaks, 0.99)) if len(peaks) else 0.0
    return EntityThresholds(threshold, normal, dict(min_share), SUPPRESS_S, active_from, unknown_past_s)
