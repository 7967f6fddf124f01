"""Faust wiring: topics, the state tables, the input feed, the agents and the timers around ``stream.worker.batch``.

The input feed (``stream.worker.input_feed``) takes ``loan-events`` (keyed by
``user_id``) from Faust's consumer in micro-batches and hands each to the
``BatchHandler``, whose batch protocol is the delivery guarantee (see
``stream.worker.batch``); the batch's offsets are acknowledged to Faust, which
commits them, when the handler returns.  The entity stages are Faust agents.
Timers publish health, lag and drift and pick up new models.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import faust
import numpy as np

from models.model import RiskModel
from models.tree_walk import compiled_walk_available
from stream.worker import faust_fixes
from stream.worker import metrics
from stream.worker.consumer_report import partition_report
from stream.core.admission import Admission
from stream.core.partition_contract import PartitionContract
from stream.core.rescale import MARKER_KEY, Marker, StateLocation, marker_topic, running_problem
from stream.kafka.config import ssl_context, uses_tls
from stream.kafka.ops import read_last
from stream.kafka.topics import default_topics, missing_topics_problem, partition_counts
from stream.worker.batch import BatchHandler, Sinks
from stream.core.drift import DriftMonitor
from stream.core.entities import write_version as entity_write_version
from stream.worker.health import Health
from stream.worker.input_feed import InputRecord, feed_topic
from stream.worker.model_watch import ModelWatcher
from stream.worker.quiet_sweep import QuietSweep
from stream.core.pipeline import Outcome
from stream.core.rule_storm import StormWatch
from stream.core.rules import RULE_IDS, RuleConfig
from stream.settings import Settings
from stream.worker.entity_batch import EntityBatchHandler
from stream.worker.state_table import EntityTableStore, TableStore, create_entity_table, create_state_table

log = logging.getLogger(__name__)



def faust_broker_credentials(settings: Settings) -> Any:
    """Faust's credentials object for the configured Kafka security protocol (None = plaintext)."""
    protocol = settings.kafka_security_protocol.upper()
    if protocol == "PLAINTEXT":
        return None
    context = ssl_context(settings) if uses_tls(settings) else None
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
    """The model in force; replaced as a whole, so a batch never sees a half-loaded model.

    The rules in force come with it (``RiskModel.rules``): a batch reads the
    model once and takes the rules from it, so a swap changes both at once.
    """

    def __init__(self, model: RiskModel, configured: RuleConfig | None = None) -> None:
        self.configured = configured or RuleConfig()
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
        publish_expectations(self.current, self.configured)


def publish_expectations(model: RiskModel, configured: RuleConfig) -> None:
    """What ``model`` did on its training history, as gauges production is compared with: the rules
    in force (enabled or not) and each one's hit rate there (all event types), for
    ``RiskmonRuleHotterThanTraining``; and the anomaly model's own alert rate there, for
    ``RiskmonModelHotterThanTraining``; and its early warning's outcome lateness, for
    ``RiskmonEarlyWarningLateDaysUnaligned``.  A model from before calibration has no rule rates (that gauge
    is left without series); one from before the model's rate was recorded reads 0, which that alert
    takes as "unknown"."""
    metrics.MODEL_EXPECTED_ALERT_RATE.set(model.expected_model_rate or 0.0)
    metrics.EARLY_WARNING_LATE_DAYS.set(model.early_warning.late_days if model.early_warning else 0)
    rules = model.rules(configured)
    for rule in RULE_IDS:
        metrics.RULE_ENABLED.labels(rule).set(1.0 if rules.enabled(rule) else 0.0)
    metrics.RULE_EXPECTED_HIT_RATE.clear()
    for rule, rate in model.expected_rule_rates.items():
        if rules.enabled(rule):
            metrics.RULE_EXPECTED_HIT_RATE.labels(rule).set(rate)


@dataclass
class Worker:
    """The Faust app and the handles tests and the CLI need."""

    app: faust.App
    model_ref: ModelRef
    table: faust.Table
    health: Health


def warn_if_trained_with_other_rules(model: RiskModel, rules: RuleConfig) -> list[str]:
    """Log (once per model) which configured rule thresholds differ from those the model was trained from.

    The comparison is with the rules as configured at training (which calibration
    started from), not with the calibrated ones the model keeps: a model that
    calibrated its rules scores with those whatever the rules_file says now, so a
    changed file takes effect only by retraining; a model trained with
    calibration off scores with the rules_file in force, and its budget is off.
    """
    calibration = model.meta.get("rule_calibration") or {}
    changed = rules.differs_from(calibration.get("configured", model.meta.get("rules")))
    if changed and model.calibrated_rules is not None:
        log.warning(
            "model %s was calibrated from other rule thresholds (%s) than the rules_file in force; it keeps "
            "scoring with the rules it calibrated; retrain it to calibrate from the new rules_file",
            model.version, ", ".join(changed),
        )
    elif changed:
        log.warning(
            "model %s was trained with other rule thresholds (%s) than the rules_file in force; "
            "its alert budget is off until it is retrained with the same rules_file",
            model.version, ", ".join(changed),
        )
    return changed


def read_rescale_marker(settings: Settings) -> Marker | None:
    """The rescale marker in force (``stream.core.rescale``; None: never rescaled)."""
    raw = read_last(settings, marker_topic(settings.app_id), MARKER_KEY)
    return None if raw is None else Marker.from_bytes(raw)


def create_app(settings: Settings, model: RiskModel, rules: RuleConfig | None = None,
               location: StateLocation = StateLocation(), health: Health | None = None,
               entity_partitions: dict[str, int] | None = None) -> Worker:
    """Build the Faust app for ``settings`` (nothing connects until it is started).

    ``location``: the state table the rescale marker points to, and the input
    records a rescale copied to their new partition (skipped here).  ``health``:
    the one the health server already answers from (a new one if None).
    ``entity_partitions``: each entity type's sighting topic's partition count
    (``stream.kafka.topics.entity_partitions``; ``settings.partitions`` if None).
    """
    rules = rules or RuleConfig()
    warn_if_trained_with_other_rules(model, rules)
    compiled_walk = compiled_walk_available()
    metrics.TREE_WALK_COMPILED.set(1.0 if compiled_walk else 0.0)
    if not compiled_walk:
        log.warning("the C tree walk (models/_tree_walk.pyx) is not built: the trees are walked with numpy, "
                    "which costs throughput and 10-25 ms at p99; run `make setup` where a C compiler is installed")
    app = _faust_app(settings)
    raw = faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    input_topic = app.topic(settings.input_topic, partitions=settings.partitions, schema=raw)
    table = create_state_table(app, settings, location.table)
    model_ref = ModelRef(model, rules)
    health = health or Health(stall_timeout_s=settings.stall_timeout_s)
    drift = DriftTracker(model, settings.drift_window)
    policy = settings.time_policy()
    alerts_topic = app.topic(settings.alerts_topic, schema=raw)
    dlq_topic = app.topic(settings.dlq_topic, schema=raw)
    entity_partitions = entity_partitions or {}
    sighting_topics = {
        t: app.topic(name, partitions=entity_partitions.get(t, settings.partitions), schema=raw)
        for t, name in settings.sighting_topics().items()
    }
    handler = BatchHandler(
        Sinks(alerts=alerts_topic, dead_letters=dlq_topic, input=input_topic, sightings=sighting_topics,
              sighting_partitions={t: topic.partitions or settings.partitions for t, topic in sighting_topics.items()}),
        TableStore(app, table, settings.state_cache_users, settings.state_write_version),
        model=lambda: model_ref.current,  # one version for the whole batch
        rules=rules,
        admission=lambda: Admission(  # per batch: the input's partition count can change
            policy, settings.max_message_bytes,
            app.consumer.topic_partitions(settings.input_topic) or settings.partitions, settings.key_partitioner,
        ),
        suppress_window_s=settings.suppress_window_s,
        give_up_s=settings.session_timeout_s,  # then the group may have moved the partitions: restart
        on_outcomes=drift.observe,
        moved=location.moved,
        lateness_sightings=entity_write_version(settings.state_write_version) >= 2,
        pack_sightings=settings.pack_sightings,
        storms=StormWatch(settings.storm_policy()),
        quiet=QuietSweep(lambda: table.data.keys(), settings.quiet_sweep_users) if settings.quiet_sweep_users else None,
    )

    def refresh_ready() -> None:
        metrics.STATE_USERS.set(len(table.data))
        for entity_type, entity_table in entity_tables.items():
            metrics.ENTITY_STATES.labels(entity_type).set(len(entity_table.data))
        health.set_ready(app.tables.recovery.completed.is_set() and not app.rebalancing)

    contract_holds = asyncio.Event()  # cleared while the partition contract is broken or topics are missing: the feed waits
    missing_before: set[str] = set()

    async def check_partition_contract() -> None:
        checked = await _check_topics(settings, table)
        known, rescale = await _rescale_problem(settings, location.table)
        if checked is not None and known:
            contract, missing = checked
            if missing_before - set(missing):  # created since: assign them now, not at the 5-minute refresh
                try:
                    await faust_fixes.refresh_consumer_metadata(app)
                except Exception as exc:  # the check must outlive a client hiccup
                    log.warning("could not refresh the consumer's metadata for the topics created since: %s "
                                "(they are assigned at its periodic refresh, within 5 minutes)", exc)
            missing_before.clear()
            missing_before.update(missing)
            health.observe_missing_topics(missing_topics_problem(missing, settings.broker) if missing else None)
            problem = contract.problem() if contract.broken else rescale
            health.observe_contract(problem)
            # Missing topics hold the feed too: a batch would wait on sends to a topic that is not there.
            contract_holds.clear() if problem or missing else contract_holds.set()

    app.task(check_partition_contract)  # at start-up, before any batch
    app.timer(interval=settings.partition_check_s)(check_partition_contract)

    async def handle(batch: list[InputRecord]) -> None:
        await contract_holds.wait()  # nothing is processed (or committed) on a broken partition contract
        if not app.tables.recovery.completed.is_set():  # faust_fixes exists so that this never happens
            log.error(
                "%d events arrived before the state table was restored; their users' features may be wrong "
                "(a Faust recovery bug resurfaced, see stream/worker/faust_fixes.py)", len(batch),
            )
        await handler.handle(batch)
        health.progressed(time.time())
        refresh_ready()

    feed_topic(app, input_topic, settings.batch_max, settings.batch_linger_s, handle)

    entity_offsets: dict[str, dict[int, int]] = {t: {} for t in sighting_topics}  # processed, as next_offset
    entity_tables = {t: _entity_agent(app, t, topic, alerts_topic, dlq_topic, model_ref, settings, health,
                                      entity_offsets[t])
                     for t, topic in sighting_topics.items()}

    @app.timer(interval=1.0)
    async def report_health() -> None:
        refresh_ready()
        await _report_health(app, settings, health, handler.next_offset, entity_offsets)

    watcher = ModelWatcher(settings.model_dir, model.version, settings.model_hmac_key)

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


def _entity_agent(app: faust.App, entity_type: str, topic: faust.TopicT, alerts: faust.TopicT, dead_letters: faust.TopicT,
                  model_ref: ModelRef, settings: Settings, health: Health, next_offset: dict[int, int]) -> faust.Table:
    """The entity stage of one entity type: an agent on its sighting topic and its changelog-backed table
    (with the topic's partition count).  Its batches are not the worker's progress: the stall clock
    is the input's, and sightings from other workers kept resetting it while this one's input was
    stuck (docs/reliability.md, finding 29).  The stage has a clock of its own instead
    (``Health.observe_stage``), fed with ``next_offset``: per partition, the offset after its last
    processed sighting."""
    table = create_entity_table(app, entity_type, topic.partitions or settings.partitions)
    store = EntityTableStore(app, table, entity_write_version(settings.state_write_version))
    handler = EntityBatchHandler(entity_type, alerts, dead_letters, store, model=lambda: model_ref.current,
                                 give_up_s=settings.session_timeout_s)

    async def entities(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(settings.batch_max, within=settings.batch_linger_s):
            await handler.handle(batch)
            for event in batch:
                partition, offset = event.message.partition, event.message.offset + 1
                next_offset[partition] = max(next_offset.get(partition, 0), offset)
            health.stage_progressed(entity_type)

    app.agent(topic, name=f"{entity_type}-entities")(entities)
    return table


def _faust_app(settings: Settings) -> faust.App:
    app = faust.App(
        settings.app_id,
        **faust_config(settings),
        store=settings.table_store,
        table_cleanup_interval=3600.0,
        # No linger by default: aiokafka keeps one produce request in flight per
        # broker, so records queued meanwhile batch up anyway, and each batch
        # awaits its alerts and then its states, which a linger delays twice
        # (docs/tuning.md).  The changelog (about one ~1 KB record per event)
        # goes in record batches of up to this size.
        producer_linger=settings.producer_linger_s,
        producer_max_batch_size=256 * 1024,
    )
    faust_fixes.install(app, settings.fetch_max_wait_ms)
    return app


async def _check_topics(settings: Settings, table: faust.Table) -> tuple[PartitionContract, list[str]] | None:
    """The partition contract, fresh from the broker, and which of the topics ``riskmon topics`` creates
    are missing (None: the broker did not answer now).  Faust creates the changelogs itself."""
    changelog = table.changelog_topic.get_topic_name()
    needed = list(default_topics(settings))
    try:
        counts = await asyncio.to_thread(partition_counts, settings, [*needed, changelog])
    except Exception as exc:  # the check must outlive a broker hiccup; it runs again
        log.warning("could not read the partition counts for the partition contract check: %s", exc)
        return None
    for role, topic in (("input", settings.input_topic), ("changelog", changelog)):
        if counts[topic] is not None:
            metrics.TOPIC_PARTITIONS.labels(role).set(counts[topic])
    contract = PartitionContract(settings.input_topic, counts[settings.input_topic], changelog, counts[changelog])
    return contract, [topic for topic in needed if counts[topic] is None]


async def _rescale_problem(settings: Settings, table: str) -> tuple[bool, str | None]:
    """(known, why this worker must stop consuming because of a rescale: None for no reason)."""
    try:
        marker = await asyncio.to_thread(read_rescale_marker, settings)
    except Exception as exc:  # the check must outlive a broker hiccup; it runs again
        log.warning("could not read the rescale marker for the partition contract check: %s", exc)
        return False, None
    return True, running_problem(marker, table)


async def _report_health(app: faust.App, settings: Settings, health: Health, next_offset: dict[int, int],
                         entity_offsets: dict[str, dict[int, int]]) -> None:
    """Feed the watchdog: restore progress, the sightings waiting for each entity stage, and the lag of
    each assigned input partition."""
    recovery = app.tables.recovery
    health.observe_restore(recovery.active_remaining_total() if recovery.in_recovery else None)
    for entity_type, topic in settings.sighting_topics().items():
        waiting = await _waiting(app, topic, entity_offsets[entity_type])
        if waiting is not None:
            health.observe_stage(entity_type, sum(waiting[0].values()))
    waiting = await _waiting(app, settings.input_topic, next_offset)
    if waiting is not None:
        lag, ends = waiting
        health.observe_lag(lag, describe=lambda: partition_report(app, settings.input_topic, next_offset, ends))


async def _waiting(app: faust.App, topic: str, next_offset: dict[int, int]) -> tuple[dict[int, int], dict[int, int]] | None:
    """Messages of ``topic`` not yet processed and the end offsets, per assigned partition (None: the end
    offsets could not be read). ``next_offset``: the offset after the last processed message, per partition;
    else the committed one. Not the fetch position: Faust reads ahead, so a stuck stage's position is near
    the end."""
    assigned = [tp for tp in app.consumer.assignment() if tp.topic == topic]
    ends: dict[int, int] = {}
    if assigned:
        try:
            ends = {tp.partition: end for tp, end in (await app.consumer.highwaters(*assigned)).items()
                    if end is not None}
        except Exception as exc:  # the watchdog must outlive a broker hiccup
            log.warning("could not read end offsets of %s for the watchdog: %s", topic, exc)
            return None
    committed = {tp.partition: offset for tp, offset in faust_fixes.committed_offsets(app).items() if tp.topic == topic}
    for gone in set(next_offset) - {tp.partition for tp in assigned}:
        del next_offset[gone]
    lag = {p: max(0, end - (next_offset.get(p) or committed.get(p) or 0)) for p, end in ends.items()}
    return lag, ends


class DriftTracker:
    """Per-event-type drift monitors for the model in force."""

    def __init__(self, model: RiskModel, window: int) -> None:
        self.window = window
        self.reset(model)

    def reset(self, model: RiskModel) -> None:
        self.model = model
        self.monitors = {
            t: DriftMonitor(tm.features, tm.drift_edges, tm.drift_expected, self.window)
            for t, tm in model.by_type.items()
            if tm.drift_edges
        }

    def observe(self, outcomes: list[Outcome], scored_by: RiskModel) -> None:
        """Count a batch's feature vectors, unless another model than the monitored one scored it: a
        model swapped in while the batch waited for the broker reads other columns (an outside
        review crashed the worker that way, docs/reliability.md, finding 27)."""
        if scored_by is not self.model:
            return
        for event_type, monitor in self.monitors.items():
            rows = [o.decision.vector for o in outcomes if o.decision is not None and o.event.event_type == event_type]
            if rows:
                monitor.observe(np.stack(rows))

    def publish(self) -> None:
        for event_type, monitor in self.monitors.items():
            for feature, value in monitor.values().items():
                metrics.DRIFT.labels(event_type, feature).set(value)
