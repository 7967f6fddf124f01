"""``riskmon score``: replay a JSONL file in order through the stream's own path
(parse -> features -> score -> rules -> entity views) and write one result per
event, plus a line of its own (``"record": "entity_alert"``) for each entity alert,
right after the event at which it fired."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from models.model import load
from stream.offline.jsonl import ReadReport, read_events, write_jsonl
from stream.offline.replay import Replay
from stream.settings import Settings

#: What an entity alert line of the scores file carries (after ``"record": "entity_alert"``).
ENTITY_ALERT_FIELDS = ("alert_id", "entity_type", "entity_id", "users", "event_id", "score", "threshold",
                       "severity", "reasons", "member_of")


@dataclass
class ScoreCounts:
    """What ``score_file`` wrote: one line per scored event, and alerts of each kind."""

    events: int = 0
    alerts: int = 0  # user alerts sent (a suppressed or held one was never sent)
    entity_alerts: int = 0  # their own lines of the scores file, not events

    def line(self) -> str:
        return f"scored {self.events} events: {self.alerts} alerts, {self.entity_alerts} entity alerts"


def score_file(settings: Settings, model_dir: Path, source: Path, target: Path) -> tuple[ReadReport, ScoreCounts]:
    """Score ``source`` into ``target``; returns the read report and what was written."""
    replay = Replay.of(settings, load(model_dir, hmac_key=settings.model_hmac_key))
    report = ReadReport()
    counts = ScoreCounts()

    def rows() -> Iterator[dict]:
        for outcome, entity_alerts in replay.run(read_events(source, report, settings.time_policy())):
            d = outcome.decision
            counts.events += 1
            counts.alerts += outcome.alert is not None and not outcome.held
            yield {
                "event_id": outcome.event.event_id,
                "user_id": outcome.event.user_id,
                "event_type": outcome.event.event_type,
                "score": round(d.score, 6),
                "model_score": round(d.model_score, 6),
                "threshold": round(d.threshold, 6),
                "early_warning_probability": None if d.early_warning is None else round(d.early_warning, 6),
                "alert": outcome.alert is not None and not outcome.held,
                "suppressed": outcome.suppressed,
                "held": outcome.held,
                "severity": d.severity,
                "fired_by": outcome.alert["fired_by"] if outcome.alert else [],
                "reasons": outcome.alert["reasons"] if outcome.alert else [],
            }
            for alert in entity_alerts:
                counts.entity_alerts += 1
                yield {"record": "entity_alert", **{k: alert[k] for k in ENTITY_ALERT_FIELDS if k in alert}}

    write_jsonl(target, rows())
    return report, counts
