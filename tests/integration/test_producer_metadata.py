"""Fix 8 of ``stream.worker.faust_fixes`` against the real broker: a record waiting to be sent
keeps its topic's metadata when the producer first sends to a topic it did not know.

aiokafka 0.14 asks for the metadata of the topics on its list only, and a send to a topic it
already knew (from the all-topics metadata fetched at start) does not list it.  The worker's
first changelog write (a topic Faust creates after the producer started) then made aiokafka
forget the dead-letter, alert and sightings topics while records for them waited, for 20
minutes: the end-to-end test stalled or hung on shutdown when two ran at once.
"""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaProducer

from stream.kafka.config import aiokafka_client_config
from stream.kafka.topics import delete_topics, ensure_topics
from stream.settings import Settings
from stream.worker.faust_fixes import TopicListingProducer

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

