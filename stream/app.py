"""Faust wiring: a thin layer that moves bytes between Kafka and ``stream.pipeline``.

One agent consumes ``loan-events`` (keyed by ``user_id``) in micro-batches.  For
each batch it parses every message (invalid ones go to the dead-letter topic),
loads the state of each user it touches once, runs the shared pipeline, sends
alerts, then writes each touched user's state back once (one changelog record
per user per batch, see ``stream.state_table``), waiting for the broker to
acknowledge both.  The batch's offsets are acknowledged only after all of that,
so a crash replays the batch; redelivered events are recognised by the per-user
recent-id memory in the state and are not counted twice (at-least-once delivery
with idempotent effects).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import faust
import numpy as np
import orjson

from models.model import EVENT_FEATURES, RiskModel
from stream import faust_fixes, metrics
from stream.consumer_report import partition_report
from stream.admission import Admission, Admitted, Rekey, admit
from stream.contract import Event, InvalidEvent
from stream.dlq import PROCESSING_ERROR, dlq_record
from stream.drift import DriftMonitor
from stream.health import Health
from stream.model_watch import ModelWatcher
from stream.pipeline import Outcome, process
from stream.routing import partition_for
from stream.rules import RuleConfig
from stream.settings import Settings
from stream.state_table import StateCache, create_state_table, write_states

log = logging.getLogger(__name__)

#: A record on its way to the broker: (topic, what was sent, its delivery future).
Pending = tuple[Any, dict[str, Any], Any]
#: Header on a re-keyed copy: where the original landed (topic:partition:offset).
REKEYED_FROM_HEADER = "riskmon-rekeyed-from"


def faust_broker_credentials(settings: Settings) -> Any:
    """Faust's credentials object for the configured Kafka security protocol (None = plaintext)."""
    protocol = settings.kafka_security_protocol.upper()
    if protocol == "PLAINTEXT":
        return None
    import ssl

    context = ssl.create_default_context() if "SSL" in protocol else None
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password,
            mechanism=settings.kafka_sasl_mechanism.upper() or "PLAIN",
            ssl_context=context,
        )
    return faust.SSLCredentials(context)


def faust_config(settings: Settings) -> dict[str, Any]:
    """Faust settings every app of ours shares (the worker and the benchmark's reference agent)."""
    return {
        "broker": ";".join(f"kafka://{b}" for b in settings.broker.split(",")),
        "broker_credentials": faust_broker_credentials(settings),
        "datadir": str(settings.data_dir),
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication,
        "consumer_auto_offset_reset": "earliest",
        "web_enabled": False,
        "producer_acks": -1,
        "broker_commit_interval": 1.0,
        # A dead worker's partitions move after the session timeout: keep failover short.
        "broker_session_timeout": settings.session_timeout_s,
        "broker_heartbeat_interval": max(1.0, settings.session_timeout_s / 3),
    }


class ModelRef:
    """The model in force; replaced as a whole, so a batch never sees a half-loaded model."""

    def __init__(self, model: RiskModel) -> None:
        self.current = model
        self.publish()

    def swap(self, model: RiskModel) -> None:
        self.current = model
        self.publish()

    def publish(self) -> None:
        metrics.MODEL.info({"version": self.current.version})
        created = self.current.created_at
        try:
            metrics.MODEL_CREATED.set(datetime.fromisoformat(created).timestamp())
        except ValueError:
            log.warning("model %s has an unreadable created_at %r", self.current.version, created)


@dataclass
class Worker:
    """The Faust app and the handles tests and the CLI need."""

    app: faust.App
    model_ref: ModelRef
    table: faust.Table
    health: Health


def warn_if_trained_with_other_rules(model: RiskModel, rules: RuleConfig) -> list[str]:
    """Log (once per model) which rule thresholds differ from those the model's budget was set with."""
    changed = rules.differs_from(model.meta.get("rules"))
    if changed:
        log.warning(
            "model %s was trained with other rule thresholds (%s) than the rules_file in force; "
            "its alert budget is off until it is retrained with the same rules_file",
            model.version, ", ".join(changed),
        )
    return changed


def create_app(settings: Settings, model: RiskModel, rules: RuleConfig | None = None) -> Worker:
    """Build the Faust app for ``settings`` (nothing connects until it is started)."""
    rules = rules or RuleConfig()
    warn_if_trained_with_other_rules(model, rules)
    app = faust.App(
        settings.app_id,
        **faust_config(settings),
        store=settings.table_store,
        table_cleanup_interval=3600.0,
        # Alerts and DLQ records gather for 5 ms; the changelog (about one ~1 KB
        # record per event) goes in record batches of up to this size.
        producer_linger=0.005,
        producer_max_batch_size=256 * 1024,
    )
    faust_fixes.install(app, settings.fetch_max_wait_ms)
    raw = faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    input_topic = app.topic(settings.input_topic, partitions=settings.partitions, schema=raw)
    alerts_topic = app.topic(settings.alerts_topic, schema=raw)
    dlq_topic = app.topic(settings.dlq_topic, schema=raw)
    table = create_state_table(app, settings)
    cache = StateCache(settings.state_cache_users)
    model_ref = ModelRef(model)
    health = Health(stall_timeout_s=settings.stall_timeout_s)
    drift = DriftTracker(model, settings.drift_window)
    watcher = ModelWatcher(settings.model_dir, model.version, settings.model_hmac_key)
    next_offset: dict[int, int] = {}  # input partition -> offset after the last processed message

    @app.agent(input_topic, name="monitor")
    async def monitor(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(settings.batch_max, within=settings.batch_linger_s):
            await _handle_batch(batch)

    policy = settings.time_policy()

    async def _dead_letter(ev: faust.types.EventT, raw: bytes, error: InvalidEvent) -> Pending:
        """Queue the DLQ record; the batch waits for its delivery before its offsets are acked."""
        msg = ev.message
        metrics.INVALID.labels(error.code).inc()
        record = dlq_record(raw, ev.key, error, msg.topic, msg.partition, msg.offset)
        return await _send(dlq_topic, key=ev.key, value=record)

    async def _rekey(ev: faust.types.EventT, user_id: str, reason: str, partitions: int) -> Pending:
        """Send the message on to its user's partition (``stream.routing``), as the producer should have."""
        msg = ev.message
        metrics.REKEYED.labels(reason).inc()
        key = user_id.encode()
        headers = list(msg.headers.items() if isinstance(msg.headers, dict) else msg.headers or ())
        headers.append((REKEYED_FROM_HEADER, f"{msg.topic}:{msg.partition}:{msg.offset}".encode()))
        return await _send(input_topic, key=key, value=ev.value, headers=headers,
                           partition=partition_for(key, partitions, settings.key_partitioner),
                           timestamp=msg.timestamp if msg.timestamp and msg.timestamp > 0 else None)

    async def _send(topic: faust.TopicT, **message: Any) -> Pending:
        return topic, message, await topic.send(**message)

    async def _deliver(pending: list[Pending]) -> None:
        """Wait until the broker has every dead letter and re-keyed copy, re-sending refused ones.

        A crash after the batch's commit must not lose one, and a broker that
        keeps refusing them stalls the worker visibly (watchdog) instead of
        dropping them.
        """
        while pending:
            results = await asyncio.gather(*(delivery for _, _, delivery in pending), return_exceptions=True)
            refused = [(topic, message, r) for (topic, message, _), r in zip(pending, results) if isinstance(r, Exception)]
            if not refused:
                return
            log.error("the broker refused %d dead-letter or re-keyed records (%s); sending them again in 1 s",
                      len(refused), type(refused[0][2]).__name__)
            await asyncio.sleep(1.0)
            pending = [await _send(topic, **message) for topic, message, _ in refused]

    async def _handle_batch(batch: list[faust.types.EventT]) -> None:
        if not app.tables.recovery.completed.is_set():  # faust_fixes exists so that this never happens
            log.error(
                "%d events arrived before the state table was restored; their users' features may be wrong "
                "(a Faust recovery bug resurfaced, see stream/faust_fixes.py)", len(batch),
            )
        valid: list[tuple[Event, faust.types.EventT]] = []
        pending: list[Pending] = []  # dead letters and re-keyed copies
        now = time.time()
        admission = Admission(policy, settings.max_message_bytes,
                              app.consumer.topic_partitions(settings.input_topic) or settings.partitions,
                              settings.key_partitioner)
        for ev in batch:
            msg = ev.message
            verdict = admit(ev.key, ev.value, msg.headers, msg.partition, msg.timestamp, now, admission)
            if isinstance(verdict, Admitted):
                valid.append((verdict.event, ev))
            elif isinstance(verdict, Rekey):
                pending.append(await _rekey(ev, verdict.event.user_id, verdict.reason, admission.partitions))
            else:
                pending.append(await _dead_letter(ev, ev.value or b"", verdict.error))
        if valid:
            try:
                await _process_valid(valid)
            except Exception as exc:  # noqa: BLE001 - one bad event must not stop the stream
                cache.clear()  # its states may be half-updated in memory; the table has the last written ones
                log.error(
                    "a batch of %d events failed (%s); retrying its events one by one, dead-lettering any that fail",
                    len(valid), type(exc).__name__,
                )
                for item in valid:
                    try:
                        await _process_valid([item])
                    except Exception as one:  # noqa: BLE001
                        cache.clear()
                        pending.append(await _dead_letter(item[1], item[1].value, InvalidEvent(
                            PROCESSING_ERROR, f"the monitor failed on this event: {type(one).__name__}: {one}"
                        )))
        await _deliver(pending)
        now = time.time()
        for ev in batch:
            msg = ev.message
            next_offset[msg.partition] = max(next_offset.get(msg.partition, 0), msg.offset + 1)
            if msg.timestamp and msg.timestamp > 0:
                metrics.LATENCY.observe(max(0.0, now - msg.timestamp))
        health.progressed(now)
        refresh_ready()

    async def _process_valid(valid: list[tuple[Event, faust.types.EventT]]) -> None:
        """Fold, score, alert, then write state: nothing is stored until every state has been computed.

        Alerts are delivered before the states are written, so a crash between
        the two replays the events and sends the alerts again (same ``alert_id``)
        instead of finding them already folded into the state and staying silent.
        """
        last_event = {e.user_id: ev for e, ev in valid}
        states = cache.load(table, list(last_event), app.rebalancing_count)
        model = model_ref.current  # one version for the whole batch
        outcomes = process(model, rules, states, [e for e, _ in valid], settings.suppress_window_s)
        await _emit_all(outcomes, time.time())
        await write_states(app, table, [(u.encode(), s.to_bytes(), last_event[u]) for u, s in states.items()])
        cache.keep(states)
        drift.observe(outcomes)

    async def _emit_all(outcomes: list[Outcome], now: float) -> None:
        """Send alerts (waiting for the broker) and count outcomes (label look-ups once per batch, not per event)."""
        counts: Counter[tuple[str, str]] = Counter()
        scores: dict[str, list[float]] = {}
        deliveries: list[Any] = []
        for outcome in outcomes:
            event = outcome.event
            if outcome.duplicate:
                counts[event.event_type, "duplicate"] += 1
                continue
            assert outcome.decision is not None
            counts[event.event_type, "scored"] += 1
            scores.setdefault(event.event_type, []).append(outcome.decision.score)
            metrics.EVENT_LAG.observe(max(0.0, now - event.ts))
            alert = outcome.alert
            if alert is None:
                continue
            if outcome.suppressed:
                metrics.ALERTS_SUPPRESSED.labels(alert["severity"]).inc()
                continue
            metrics.ALERTS.labels(alert["severity"]).inc()
            for source in alert["fired_by"]:
                metrics.ALERT_SOURCES.labels(source).inc()
            deliveries.append(await alerts_topic.send(key=event.user_id.encode(), value=orjson.dumps(alert)))
        for (event_type, result), n in counts.items():
            metrics.EVENTS.labels(event_type, result).inc(n)
        for event_type, values in scores.items():
            histogram = metrics.SCORES.labels(event_type)
            for value in values:
                histogram.observe(value)
        if deliveries:
            await asyncio.gather(*deliveries)  # acknowledged by the broker before any state is written

    def refresh_ready() -> None:
        metrics.STATE_USERS.set(len(table.data))
        health.set_ready(app.tables.recovery.completed.is_set() and not app.rebalancing)

    @app.timer(interval=1.0)
    async def report_health() -> None:
        refresh_ready()
        recovery = app.tables.recovery
        health.observe_restore(recovery.active_remaining_total() if recovery.in_recovery else None)
        assigned = [tp for tp in app.consumer.assignment() if tp.topic == settings.input_topic]
        if not assigned:
            health.observe_lag({})
            return
        try:
            ends = await app.consumer.highwaters(*assigned)
        except Exception as exc:  # the watchdog must outlive a broker hiccup
            log.warning("could not read end offsets for the lag metric: %s", exc)
            return
        lag = {}
        for tp in assigned:
            end = ends.get(tp)
            # Not the fetch position: Faust reads ahead, so a stuck worker's
            # position is near the end.  Processed or committed is what counts.
            done = next_offset.get(tp.partition) or app.consumer._committed_offset.get(tp) or 0
            if end is not None:
                lag[tp.partition] = max(0, end - done)
        for gone in set(next_offset) - {tp.partition for tp in assigned}:
            del next_offset[gone]
        health.observe_lag(lag, describe=lambda: partition_report(
            app, settings.input_topic, next_offset, {tp.partition: end for tp, end in ends.items()}))

    @app.timer(interval=settings.model_poll_s)
    async def watch_model() -> None:
        fresh = watcher.poll()
        if fresh is not None:
            warn_if_trained_with_other_rules(fresh, rules)
            model_ref.swap(fresh)
            drift.reset(fresh)

    @app.timer(interval=15.0)
    async def report_drift() -> None:
        drift.publish()

    return Worker(app, model_ref, table, health)


class DriftTracker:
    """Per-event-type drift monitors for the model in force."""

    def __init__(self, model: RiskModel, window: int) -> None:
        self.window = window
        self.reset(model)

    def reset(self, model: RiskModel) -> None:
        self.monitors = {
            t: DriftMonitor(EVENT_FEATURES[t], tm.drift_edges, tm.drift_expected, self.window)
            for t, tm in model.by_type.items()
            if tm.drift_edges
        }

    def observe(self, outcomes: list[Outcome]) -> None:
        for event_type, monitor in self.monitors.items():
            rows = [o.decision.vector for o in outcomes if o.decision is not None and o.event.event_type == event_type]
            if rows:
                monitor.observe(np.stack(rows))

    def publish(self) -> None:
        for event_type, monitor in self.monitors.items():
            for feature, value in monitor.values().items():
                metrics.DRIFT.labels(event_type, feature).set(value)
