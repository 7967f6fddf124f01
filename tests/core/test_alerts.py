"""The user alert's id (stream.core.alerts): one per event, however often it is scored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from stream.core.alerts import build_alert
from stream.core.contract import parse_document
from stream.core.rules import RuleHit
from stream.core.scoring import Decision
from tests.support import loan_doc

AT = datetime(2026, 6, 1, 9, tzinfo=timezone(timedelta(hours=8)))


def _decision(model_fired: bool, rules: tuple[str, ...], severity: str) -> Decision:
    return Decision(score=0.7, model_score=0.6, threshold=0.55, model_fired=model_fired,
                    rule_hits=tuple(RuleHit(r, r) for r in rules), severity=severity, vector=np.zeros(3))


def test_an_event_decided_otherwise_the_second_time_keeps_its_alert_id() -> None:
    """An outside review's case: an event re-sent past the dedup horizon (or replayed after a new model
    came in) is scored again; decided otherwise, it alerted under a new id, which consumers
    deduplicating on ``alert_id`` took for a second incident."""
    event = parse_document(loan_doc("u-1", 1, AT, 900.0, 30))
    first = build_alert(event, _decision(False, ("overdue_escalation",), "medium"), [], "m1")
    again = build_alert(event, _decision(True, ("overdue_escalation", "loan_stacking"), "critical"), [], "m2")
    assert first["alert_id"] == again["alert_id"] and first["fired_by"] != again["fired_by"]
    other = build_alert(parse_document(loan_doc("u-1", 2, AT, 900.0, 30)), _decision(False, ("overdue_escalation",), "medium"), [], "m1")
    assert other["alert_id"] != first["alert_id"]
