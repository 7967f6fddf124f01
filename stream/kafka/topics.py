"""Topics of any Kafka cluster: creating the monitor's topics, reading partition counts, deleting (tests)."""

from __future__ import annotations

import logging
from typing import Any

from stream.kafka.config import kafka_client_config
from stream.settings import Settings

log = logging.getLogger(__name__)


def default_topics(settings: Settings) -> dict[str, int]:
    """The monitor's topics and partition counts.

    Alerts, DLQ and the entity sighting topics get the same partition count
    as the input so that keyed output preserves the input's per-key ordering
    and parallelism.
    """
    return {
        settings.input_topic: settings.partitions,
        settings.alerts_topic: settings.partitions,
        settings.dlq_topic: settings.partitions,
        **{topic: settings.partitions for topic in settings.sighting_topics().values()},
    }


def missing_topics_problem(missing: list[str], broker: str) -> str:
    """The worker's one error line for topics it needs that the broker does not have: what to do."""
    return (
        f"topics missing on {broker}: {', '.join(sorted(missing))}; the worker consumes nothing (and reports not "
        "ready) until they exist: create them with `riskmon topics` and the worker's settings; it checks again "
        "every partition_check_s and starts on them when they exist"
    )


def _admin(settings: Settings, timeout_s: float, purpose: str) -> Any:
    """A kafka-python admin client for ``settings``'s cluster (the caller closes it)."""
    from kafka import KafkaAdminClient

    timeout_ms = int(timeout_s * 1000)
    return KafkaAdminClient(
        **kafka_client_config(settings),
        client_id=f"{settings.app_id}-{purpose}",
        bootstrap_timeout_ms=timeout_ms,
        request_timeout_ms=timeout_ms,
    )


def ensure_topics(
    settings: Settings, topics: dict[str, int] | None = None, timeout_s: float = 30.0
) -> list[str]:
    """Create missing topics; return the names that were actually created.

    Idempotent: topics that already exist are left alone (their partition count
    is *not* changed - shrinking is impossible and growing reshuffles keys, so
    that is an explicit operator decision).  Waits until every topic has a
    leader, because a producer racing a just-created topic gets
    UNKNOWN_TOPIC_OR_PARTITION on KRaft.
    """
    wanted = default_topics(settings) if topics is None else dict(topics)
    timeout_ms = int(timeout_s * 1000)
    admin = _admin(settings, timeout_s, "admin")
    try:
        existing = set(admin.list_topics())
        missing = {name: n for name, n in wanted.items() if name not in existing}
        if missing:
            result = admin.create_topics(
                {
                    name: {"num_partitions": n, "replication_factor": settings.replication}
                    for name, n in missing.items()
                },
                timeout_ms=timeout_ms,
                raise_errors=False,
            )
            _raise_create_errors(result)
        admin.wait_for_topics(list(wanted), timeout_ms=timeout_ms)
    finally:
        admin.close()
    if missing:
        log.info("created topics %s on %s", sorted(missing), settings.broker)
    return sorted(missing)


def partition_counts(settings: Settings, topics: list[str], timeout_s: float = 10.0) -> dict[str, int | None]:
    """Each topic's partition count as the broker reports it now (None: no such topic).

    Fresh metadata on every call: a consumer's own metadata is refreshed only
    every few minutes, which is how long an added partition went unnoticed.
    """
    admin = _admin(settings, timeout_s, "partition-check")
    try:
        described = {t.get("name", t.get("topic")): t for t in admin.describe_topics(topics)}
    finally:
        admin.close()
    return {
        name: len(described[name]["partitions"]) if name in described and not described[name].get("error_code") else None
        for name in topics
    }


def entity_partitions(settings: Settings) -> dict[str, int]:
    """Entity type -> the partition count of its sighting topic as it exists (``settings.partitions``
    for one not created yet).  Entity views are keyed by device or merchant, so ``riskmon rescale``,
    which re-partitions the users, leaves them where they are."""
    topics = settings.sighting_topics()
    counts = partition_counts(settings, list(topics.values())) if topics else {}
    return {t: counts.get(name) or settings.partitions for t, name in topics.items()}


def delete_topics(settings: Settings, names: list[str], timeout_s: float = 30.0) -> None:
    """Delete topics, ignoring ones that do not exist (used by test cleanup)."""
    admin = _admin(settings, timeout_s, "cleanup")
    try:
        present = [n for n in names if n in set(admin.list_topics())]
        if present:
            admin.delete_topics(present, timeout_ms=int(timeout_s * 1000))
    finally:
        admin.close()


def _raise_create_errors(result: dict[str, Any]) -> None:
    """Turn per-topic CreateTopics errors into one readable exception.

    TOPIC_ALREADY_EXISTS is success here: another process may have created
    the topic between our list and create calls.
    """
    from kafka.errors import TopicAlreadyExistsError, for_code

    failures = []
    for topic in result.get("topics", []):
        code = topic.get("error_code", 0)
        if code in (0, TopicAlreadyExistsError.errno):
            continue
        message = topic.get("error_message") or for_code(code).__name__
        failures.append(f"{topic.get('name')}: {message}")
    if failures:
        raise RuntimeError(
            "could not create Kafka topics ("
            + "; ".join(failures)
            + "); check the broker log and that replication <= number of brokers"
        )
