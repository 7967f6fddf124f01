"""``riskmon score``: replay a JSONL file in order through the stream's own path
(parse -> features -> score -> rules -> entity views) and write one result per
event, plus a line of its own (``"record": "entity_alert"``) for each entity alert,
right after the event at which it fired.  With ``alerts``, a second file holds
the alert documents themselves, exactly as the worker would send them to
``risk-alerts`` (docs/alert.schema.json; suppressed and held alerts left out),
for a consumer's integration tests, or to match the topic by ``alert_id``.

With a history (``--history``), its events go through the same path first and
nothing of them is written: the input is scored as the continuation of that
history, with every user's and entity's state, the alert suppression and the
rule-storm watch where the history left them.  Scoring the last fortnight
alone would start every user as new, and a worker never does that (it
recovers its states, or is seeded: ``riskmon seed``); on the simulator a cold
start caught half the misbehaving users (docs/operations.md, "First
deployment").  Input events that are already in the history (the same
``event_id``) are skipped and counted, so an input that overlaps its history
is scored once, as the stream would.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import orjson

from models.model import load
from stream.core.contract import Event
from stream.offline.jsonl import ReadReport, read_events, refuse_overwriting, write_jsonl
from stream.offline.replay import Replay
from stream.settings import Settings

#: What an entity alert line of the scores file carries (after ``"record": "entity_alert"``).
ENTITY_ALERT_FIELDS = ("alert_id", "entity_type", "entity_id", "user_id", "users", "event_id", "score", "threshold",
                       "suspicious_borrowers", "count_threshold", "severity", "reasons", "member_of")


@dataclass
class ScoreCounts:
    """What ``score_file`` wrote: one line per scored event, and alerts of each kind."""

    events: int = 0
    alerts: int = 0  # user alerts sent (a suppressed or held one was never sent)
    entity_alerts: int = 0  # their own lines of the scores file, not events
    history_events: int = 0  # events of the history folded in first (none written)
    in_history: int = 0  # input events skipped because the history holds them
    suppressed: int = 0  # alerts that repeated the user's last one: "alert" true in the file, not sent

    def line(self) -> str:
        first = ""
        if self.history_events or self.in_history:
            first = f"after {self.history_events} history events"
            first += f" ({self.in_history} input events already in it, skipped), " if self.in_history else ", "
        repeats = f" ({self.suppressed} repeats suppressed)" if self.suppressed else ""
        return f"{first}scored {self.events} events: {self.alerts} alerts{repeats}, {self.entity_alerts} entity alerts"


def score_file(settings: Settings, model_dir: Path, source: Path, target: Path,
               history: Path | None = None, alerts: Path | None = None) -> tuple[ReadReport, ScoreCounts, ReadReport | None]:
    """Score ``source`` into ``target``, as the continuation of ``history`` when given, and the alerts
    sent into ``alerts`` when given; returns the input's read report, what was written, and the
    history's read report (None without one)."""
    refuse_overwriting(target, source, history, alerts)
    if alerts is not None:
        refuse_overwriting(alerts, source, history)
    replay = Replay.of(settings, load(model_dir, hmac_key=settings.model_hmac_key))
    report = ReadReport()
    counts = ScoreCounts()
    history_report: ReadReport | None = None
    seen: set[str] = set()  # the history's event ids
    if history is not None:
        history_report = ReadReport()
        for outcome, _ in replay.run(read_events(history, history_report, settings.time_policy())):
            seen.add(outcome.event.event_id)
            counts.history_events += 1

    def fresh(events: Iterator[Event]) -> Iterator[Event]:
        for event in events:
            if event.event_id in seen:
                counts.in_history += 1
                continue
            yield event

    def rows(send: Callable[[dict], None]) -> Iterator[dict]:
        for outcome, entity_alerts in replay.run(fresh(read_events(source, report, settings.time_policy()))):
            d = outcome.decision
            counts.events += 1
            alerted = outcome.alert is not None and not outcome.held
            counts.alerts += alerted and not outcome.suppressed
            counts.suppressed += alerted and outcome.suppressed
            if alerted and not outcome.suppressed:
                send(outcome.alert)
            yield {
                "event_id": outcome.event.event_id,
                "user_id": outcome.event.user_id,
                "event_type": outcome.event.event_type,
                "score": round(d.score, 6),
                "model_score": round(d.model_score, 6),
                "surge": round(d.surge, 3),  # "score" read the model's discounted this many times (stream.core.rule_storm)
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
                send(alert)
                yield {"record": "entity_alert", **{k: alert[k] for k in ENTITY_ALERT_FIELDS if k in alert}}

    with ExitStack() as files:
        sink = None
        if alerts is not None:
            alerts.parent.mkdir(parents=True, exist_ok=True)
            sink = files.enter_context(open(alerts, "wb"))

        def send(alert: dict) -> None:
            if sink is not None:  # encoded as the worker encodes them (stream.worker.batch)
                sink.write(orjson.dumps(alert) + b"\n")

        write_jsonl(target, rows(send))
    if counts.in_history and not counts.events:  # two simulations with the same ids, say: an outside review's
        raise ValueError(f"all {counts.in_history} input events are already in the history (the same event_id), so "
                         f"nothing was scored and {target} is empty; is --input the history again, or were both "
                         "files made with the same ids (riskmon simulate --user-prefix)?")
    return report, counts, history_report
