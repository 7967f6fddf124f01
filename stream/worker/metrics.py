"""Metrics stage: aggregate Prometheus series for dashboards and paging.

Names follow Prometheus conventions (``riskmon_<subsystem>_<name>_<unit>``,
``_total`` on counters, seconds as the base unit).  Every label has a small,
fixed set of values (event type, outcome, severity, rule id, rejection code):
never a user id, event id or anything else unbounded, which would both leak
personal data into the monitoring system and blow up its storage.
"""

from __future__ import annotations

import urllib.request
from typing import Any, Iterable

from prometheus_client import Counter, Gauge, Histogram, Info, disable_created_metrics
from prometheus_client.parser import text_string_to_metric_families

from stream.core.outcome_watch import bucket_of
from stream.core.rule_storm import MODEL as MODEL_SOURCE

# No ``<counter>_created`` series (the process start time of every counter and histogram, which
# prometheus-client adds by default): they double the exposition and nothing reads them.
disable_created_metrics()

EVENTS = Counter(
    "riskmon_events_processed_total",
    "Valid events handled by the worker, by event type and outcome (scored, duplicate).",
    ["event_type", "outcome"],
)
INVALID = Counter(
    "riskmon_events_invalid_total",
    "Messages sent to the dead-letter topic, by reason: a contract rule, null_value, future_ts / stale_ts "
    "(event time far from stream time), undecodable_batch (a record batch the client could not decode).",
    ["reason"],
)
REKEYED = Counter(
    "riskmon_events_rekeyed_total",
    "Valid events without a key (no_key), keyed by something else than their user_id (key_mismatch) or on "
    "another partition than their key's (wrong_partition), sent on to their user's partition instead of being "
    "scored where they landed.",
    ["reason"],
)
RESCALE_MOVED = Counter(
    "riskmon_events_moved_by_rescale_total",
    "Input records skipped because riskmon rescale copied them, unprocessed, to the partition their key hashes to "
    "after the rescale (the copy is processed there), or found them already folded into their user's state.",
)
EARLY_WARNING_SCORED = Counter(
    "riskmon_early_warning_scored_total",
    "Loans the overdue early warning scored, by probability bucket (tenths).", ["bucket"],
)
EARLY_WARNING_REALISED = Counter(
    "riskmon_early_warning_realised_total",
    "Scored loans whose outcome a later event realised (bad: a seriously late repayment, or still unpaid that long "
    "past its due date at the borrower's next event or the quiet sweep; good: its first repayment in time and "
    "large enough), by the "
    "probability bucket they were scored in and how they alerted then (no_alert, early_warning, other_alert).",
    ["bucket", "source", "outcome"],
)
EARLY_WARNING_UNTRACKED = Counter(
    "riskmon_early_warning_untracked_total",
    "Loans the early warning scored that its watch cannot follow: the borrower's open-loan and watch slots were "
    "full of loans due sooner, so the outcome will never be realised (a blind spot, largest among stacked "
    "borrowing), by probability bucket.", ["bucket"],
)
QUIET_SWEEP_TURNS = Counter(
    "riskmon_quiet_sweep_turns_total",
    "Turns the quiet sweep completed over this worker's stored users (each user looked at once for loans unpaid "
    "long past due while the borrower sent nothing); its rate is how often a quiet borrower's loan is looked at.",
)
EARLY_WARNING_REALISED_PROBABILITY = Counter(
    "riskmon_early_warning_realised_probability_total",
    "Sum of the predicted probabilities of the realised loans (divide by their count for the mean prediction), "
    "by bucket, source and outcome (a good outcome is realised up to late_days sooner than a bad one of the same "
    "loans: RiskmonEarlyWarningMiscalibrated compares each with its own).", ["bucket", "source", "outcome"],
)
ALERTS = Counter("riskmon_alerts_total", "Alerts sent to the alerts topic, by severity.", ["severity"])
ALERT_SOURCES = Counter(
    "riskmon_alert_sources_total",
    "What fired in sent alerts: 'model' or a typology rule id (an alert can count under several).",
    ["source"],
)
SCORES = Histogram(
    "riskmon_score",
    "Anomaly score of scored events (0 = ordinary, 1 = most anomalous).",
    ["event_type"],
    buckets=(0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.0),
)
LATENCY = Histogram(
    "riskmon_processing_latency_seconds",
    "Time from a message's Kafka timestamp (when it was produced) to its outcome being sent.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
EVENT_LAG = Histogram(
    "riskmon_event_lag_seconds",
    "Wall-clock time minus event time when the event was processed.",
    buckets=(0.1, 0.5, 1, 5, 30, 60, 300, 900, 3600, 21600, 86400),
)
STATE_USERS = Gauge("riskmon_state_users", "Users with state in this worker's table partitions.")
ENTITY_SIGHTINGS = Counter(
    "riskmon_entity_sightings_total",
    "Sightings of shared devices and merchants folded into their entity views ('folded'), or recognised as "
    "redelivered after a restart ('duplicate'), by entity type.",
    ["entity_type", "result"],
)
ENTITY_ALERTS = Counter(
    "riskmon_entity_alerts_total",
    "Entity alerts (a shared device or merchant whose borrowers look like a ring) sent, by entity type and severity.",
    ["entity_type", "severity"],
)
ENTITY_ALERTS_SUPPRESSED = Counter(
    "riskmon_entity_alerts_suppressed_total",
    "Entity alerts that repeated the entity's previous one within the suppression window (counted, not sent).",
    ["entity_type", "severity"],
)
ENTITY_STATES = Gauge(
    "riskmon_entity_states", "Shared devices and merchants with state in this worker's table partitions.", ["entity_type"],
)
MODEL = Info("riskmon_model", "The model currently scoring events.")
MODEL_CREATED = Gauge("riskmon_model_created_timestamp_seconds", "When the current model was trained (Unix time).")
TREE_WALK_COMPILED = Gauge(
    "riskmon_tree_walk_compiled",
    "1 when the trees are walked by the compiled extension (models/_tree_walk.pyx), 0 on the slower numpy fallback.",
)
READY = Gauge("riskmon_worker_ready", "1 once the worker has recovered its tables and is processing, else 0.")
ALERTS_HELD = Counter(
    "riskmon_alerts_held_total",
    "Alerts not sent because every source that raised them was storming (firing across the book many times its "
    "training rate, stream.core.rule_storm) and the early warning did not agree, by source: a rule id, or "
    "'model' for the anomaly model.",
    ["rule"],
)
RULE_STORMING = Gauge(
    "riskmon_rule_storming",
    "1 while the rule storms in this worker's last day of event time (alerts it alone raised are held), else 0.",
    ["rule"],
)
MODEL_STORMING = Gauge(
    "riskmon_model_storming",
    "1 while the anomaly model storms in this worker's last day of event time (alerts it alone raised are held), "
    "else 0.",
)
MODEL_SURGE = Gauge(
    "riskmon_model_surge",
    "How many times more borrowers the anomaly model fired on in this worker's last day of event time than it may "
    "(stream.core.rule_storm.StormWatch.surge): above 1, its scores are discounted by that factor; 1 otherwise.",
)
ALERTS_SUPPRESSED = Counter(
    "riskmon_alerts_suppressed_total",
    "Alerts not sent because the same user alerted for the same reasons within the suppression window.",
    ["severity"],
)
DRIFT = Gauge(
    "riskmon_feature_drift_psi",
    "Population stability index of each feature over recent events vs. the training data (> 0.25: drifted).",
    ["event_type", "feature"],
)
CONSUMER_LAG = Gauge(
    "riskmon_consumer_lag_messages",
    "Messages in the input topic partition not yet processed by this worker (end offset - position).",
    ["partition"],
)
LAST_PROGRESS = Gauge(
    "riskmon_worker_last_progress_timestamp_seconds", "When this worker last finished a batch (Unix time)."
)
STALLED = Gauge(
    "riskmon_worker_stalled", "1 when the worker (its input stage or an entity stage) has finished no batch for the "
    "stall timeout while messages wait, or a table restore read nothing for that long."
)
MODEL_RELOADS = Counter(
    "riskmon_model_reloads_total", "Model versions offered to the running worker, by result (loaded, refused).", ["result"]
)
PARTITION_CONTRACT_BROKEN = Gauge(
    "riskmon_partition_contract_broken",
    "1 while the input topic and the state changelog have different partition counts (the worker stops consuming).",
)
TOPIC_PARTITIONS = Gauge(
    "riskmon_topic_partitions",
    "Partition count of the input topic and of the state changelog, as the broker last reported it.",
    ["role"],
)
RULE_ENABLED = Gauge(
    "riskmon_rule_enabled",
    "1 when the typology rule is in force with the current model, 0 when calibration (or the rules_file) switched it off.",
    ["rule"],
)
RULE_EXPECTED_HIT_RATE = Gauge(
    "riskmon_rule_expected_hit_rate",
    "Share of the training history's events (all types) the rule fired on, as in force with the current model; "
    "compare with its alerts per scored event in production.",
    ["rule"],
)
EARLY_WARNING_LATE_DAYS = Gauge(
    "riskmon_early_warning_late_days",
    "The lateness (days) that makes an outcome bad for the current model's early warning (its outcome_late_days; "
    "0: the model has no early warning). The shipped calibration rules align outcomes for 15 "
    "(RiskmonEarlyWarningLateDaysUnaligned).",
)
MODEL_EXPECTED_ALERT_RATE = Gauge(
    "riskmon_model_expected_alert_rate",
    "Share of the training history's events (all types) whose anomaly score reached its alert threshold with the "
    "current model (0: a model trained before it was recorded); compare with its model alerts per scored event "
    "in production.",
)
STATE_RESETS = Counter(
    "riskmon_state_resets_total",
    "User states found in the changelog in a layout version this worker cannot read (or corrupt) and started afresh.",
)
STATE_UPGRADES = Counter(
    "riskmon_state_upgrades_total",
    "User states found in the changelog in an older layout version and migrated to the current one.",
    ["from_version"],
)


def read_metrics(port: int, timeout_s: float = 3.0, host: str = "127.0.0.1") -> dict[str, float]:
    """Every sample a worker exposes on ``/metrics``, as {'name{label="value",...}': value} (for the
    demo's summary line, the benchmark and the tests; parsed by prometheus_client's own parser)."""
    text = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=timeout_s).read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sample.labels.items())
            out[f"{sample.name}{{{labels}}}" if labels else sample.name] = float(sample.value)
    return out


def metric_total(samples: dict[str, float], name: str) -> float:
    """Sum of a metric over all its label sets."""
    return sum(v for k, v in samples.items() if k == name or k.startswith(name + "{"))


def count_early_warning(outcome: Any) -> None:
    """The delayed-label series of one scored event (``stream.core.outcome_watch``)."""
    decision = outcome.decision
    if decision is not None and decision.early_warning is not None:
        EARLY_WARNING_SCORED.labels(bucket_of(decision.early_warning)).inc()
        if outcome.untracked:
            EARLY_WARNING_UNTRACKED.labels(bucket_of(decision.early_warning)).inc()
    count_realised(outcome.realised)


def count_realised(outcomes: Iterable[Any]) -> None:
    """``riskmon_early_warning_realised_*`` for outcomes realised (``stream.core.outcome_watch.Realised``)."""
    for realised in outcomes:
        outcome = "bad" if realised.bad else "good"
        EARLY_WARNING_REALISED.labels(realised.bucket, realised.source, outcome).inc()
        EARLY_WARNING_REALISED_PROBABILITY.labels(realised.bucket, realised.source, outcome).inc(realised.probability)


def set_surge(surge: float) -> None:
    """``riskmon_model_surge``: the discount the model's last scored event of this worker was read with."""
    MODEL_SURGE.set(surge)


def set_storming(storming: frozenset[str], sources: Iterable[str]) -> None:
    """``riskmon_rule_storming``: 1 for each storming rule, 0 for the other rules with a training rate;
    ``riskmon_model_storming`` the same for the model (``stream.core.rule_storm.MODEL``)."""
    for source in sources:
        gauge = MODEL_STORMING if source == MODEL_SOURCE else RULE_STORMING.labels(source)
        gauge.set(1.0 if source in storming else 0.0)
