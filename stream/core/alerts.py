"""Alert stage: the JSON document downstream services consume from ``risk-alerts``.

``alert_id`` is derived from the event id alone, so a redelivered event yields
the same id and consumers can deduplicate on it, even when it is scored again
and decided otherwise: a producer's retry beyond the dedup horizon
(docs/reliability.md), or a replay after a new model came in.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from stream.core.contract import Event, LoanEvent
from stream.core.scoring import Decision

#: User alerts stay at version 1 (``entity_type``/``entity_id`` are optional additions), so
#: consumers written for them read them unchanged.  Entity alerts are version 3: every field the
#: shared contract asks of an alert, ``user_id`` (the borrower whose event fired it) and ``score``
#: in [0, 1] among them (version 2, until 2026-12-06, had no ``user_id`` and its ``score`` was the
#: count of suspicious borrowers, now ``suspicious_borrowers``).
ALERT_SCHEMA_VERSION = 1
ENTITY_ALERT_SCHEMA_VERSION = 3


def fired_by(decision: Decision) -> list[str]:
    """Sources that fired, stable order: 'model', 'early_warning', then rule ids."""
    return (
        (["model"] if decision.model_fired else [])
        + (["early_warning"] if decision.early_warning_fired else [])
        + [h.rule for h in decision.rule_hits]
    )


def alert_id(event_id: str) -> str:
    """One id per event: what fired is not part of it, because an event scored twice may be decided
    otherwise the second time (an outside review: an event re-sent after 16 newer events of its user
    alerted again under a new id, critical where the first had been medium)."""
    digest = hashlib.blake2b(f"user|{event_id}".encode(), digest_size=10).hexdigest()
    return f"al-{digest}"


def build_alert(
    event: Event, decision: Decision, reasons: list[dict[str, Any]], model_version: str, now: datetime | None = None
) -> dict[str, Any]:
    """The alert document (see docs/alert.schema.json)."""
    sources = fired_by(decision)
    doc: dict[str, Any] = {
        "schema_version": ALERT_SCHEMA_VERSION,
        "alert_id": alert_id(event.event_id),
        "entity_type": "user",
        "entity_id": event.user_id,
        "user_id": event.user_id,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "event_ts": event.ts_raw,
        "loan_id": event.loan_id,
        "amount": event.amount,
        "score": round(decision.score, 6),
        "model_score": round(decision.model_score, 6),
        "threshold": round(decision.threshold, 6),
        "severity": decision.severity,
        "fired_by": sources,
        "rules": [h.rule for h in decision.rule_hits],
        "reasons": reasons,
        "model_version": model_version,
        "emitted_at": (now or datetime.now(timezone.utc)).isoformat(timespec="milliseconds"),
    }
    if decision.early_warning is not None:
        doc["early_warning_probability"] = round(decision.early_warning, 6)
    if isinstance(event, LoanEvent):
        doc["product"] = event.product
        doc["segment"] = event.segment
    return doc

