"""Fixes 8 and 9 of ``stream.worker.faust_fixes`` against the real broker: aiokafka 0.14's
metadata list, which forgets topics the producer sends to and does not look again for a topic
the consumers subscribed to before it existed.

Fix 8: a send to a topic aiokafka already knew (from the all-topics metadata fetched at start)
does not list it; the worker's first changelog write (a topic Faust creates after the producer
started) then made aiokafka forget the dead-letter, alert and sightings topics while records
for them waited, for 20 minutes: the end-to-end test stalled or hung on shutdown when two ran
at once.  Fix 9: a changelog created a moment after the group leader subscribed was left out of
its assignments, so a failover restored none of its states.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from stream.kafka.config import aiokafka_client_config
from stream.kafka.topics import delete_topics, ensure_topics
from stream.settings import Settings
from stream.worker.faust_fixes import TopicListingProducer, refresh_unknown_topics

LINGER_MS = 1500  # holds the first record in the producer while the second send narrows the metadata
EXPIRY_MS = 8000  # when aiokafka gives up on a record whose partition has no known leader


async def _delivered_after_a_new_topic(producer_type: type, settings: Settings, known: str, new: str) -> bool:
    """Send to ``known`` (on the broker before the producer started), then to ``new`` (created
    since); whether the first record is delivered well before it would expire."""
    producer = producer_type(**aiokafka_client_config(settings), linger_ms=LINGER_MS, request_timeout_ms=EXPIRY_MS)
    await producer.start()
    try:
        # What Faust does after creating each changelog at start: with no topic listed yet, this
        # reads every topic's metadata, ``known``'s included.
        await producer.client.force_metadata_update()
        await asyncio.to_thread(ensure_topics, settings, {new: 1})  # a changelog created a moment later
        first = await producer.send(known, b"waiting")
        await producer.send(new, b"first to a new topic")
        done, _ = await asyncio.wait([first], timeout=(LINGER_MS + 3000) / 1000)
        delivered = bool(done) and first.exception() is None
    finally:
        await producer.stop()  # flushes: a forgotten record fails here once it expires
    if first.done():
        first.exception()  # retrieved, so asyncio does not warn about it
    return delivered


def _topics(settings: Settings) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    known = f"{settings.alerts_topic}-known-{suffix}"
    ensure_topics(settings, {known: 2})
    return known, f"{settings.alerts_topic}-new-{suffix}"


def test_aiokafka_alone_forgets_a_known_topic_when_it_first_sends_to_a_new_one(unique_topics: Settings) -> None:
    # The upstream behaviour fix 8 exists for; if this starts failing, aiokafka fixed it.
    known, new = _topics(unique_topics)
    try:
        assert not asyncio.run(_delivered_after_a_new_topic(AIOKafkaProducer, unique_topics, known, new))
    finally:
        delete_topics(unique_topics, [known, new])


def test_the_workers_producer_keeps_every_topic_it_sends_to(unique_topics: Settings) -> None:
    known, new = _topics(unique_topics)
    try:
        assert asyncio.run(_delivered_after_a_new_topic(TopicListingProducer, unique_topics, known, new))
    finally:
        delete_topics(unique_topics, [known, new])


async def _assigned_after_a_member_joins(fixed: bool, settings: Settings, known: str, late: str) -> set[str]:
    """Two consumers of one group subscribe to ``known`` and ``late``; ``late`` is created after the
    first (the leader) subscribed and before the second joins.  The topics assigned after the join."""
    config = dict(aiokafka_client_config(settings), group_id=f"{settings.app_id}-fix9-{uuid.uuid4().hex[:6]}",
                  session_timeout_ms=6000, heartbeat_interval_ms=500)
    consumers = [AIOKafkaConsumer(**config), AIOKafkaConsumer(**config)]
    for consumer in consumers:
        if fixed:
            refresh_unknown_topics(consumer._client)
    try:
        await consumers[0].start()
        consumers[0].subscribe([known, late])  # as Faust subscribes to changelogs it is still creating
        await consumers[0].getmany(timeout_ms=2000)  # the first assignment: ``late`` unknown
        await asyncio.to_thread(ensure_topics, settings, {late: 2})
        await consumers[1].start()
        consumers[1].subscribe([known, late])
        deadline = time.monotonic() + 15  # the join's rebalance, well inside the periodic refresh (5 minutes)
        while time.monotonic() < deadline:
            await asyncio.gather(*(c.getmany(timeout_ms=300) for c in consumers))
        return {tp.topic for c in consumers for tp in c.assignment()}
    finally:
        for consumer in consumers:
            await consumer.stop()


def test_aiokafka_alone_leaves_a_topic_created_after_the_subscription_out_of_the_assignment(
        unique_topics: Settings) -> None:
    # The upstream behaviour fix 9 exists for; if this starts failing, aiokafka fixed it.
    known, late = _topics(unique_topics)
    try:
        assert asyncio.run(_assigned_after_a_member_joins(False, unique_topics, known, late)) == {known}
    finally:
        delete_topics(unique_topics, [known, late])


def test_the_workers_consumer_assigns_it_at_the_next_rebalance(unique_topics: Settings) -> None:
    known, late = _topics(unique_topics)
    try:
        assert asyncio.run(_assigned_after_a_member_joins(True, unique_topics, known, late)) == {known, late}
    finally:
        delete_topics(unique_topics, [known, late])
