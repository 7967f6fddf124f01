"""InputFeed: the input's messages taken from Faust's consumer in batches, with a stream's guarantees kept.

Faust's flow control is the real one (``mode.utils.queues.FlowControlEvent``);
the consumer is a fake that records what was tracked and acknowledged.  The
real consumer, rebalances and commits are exercised by tests/integration
(the end-to-end, fault and rescale tests run the worker on this feed).
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.types import TP
from mode.utils.queues import FlowControlEvent

from stream.worker.input_feed import InputFeed, InputRecord, feed_topic


@dataclass
class FakeMessage:
    offset: int
    generation_id: int = 1
    partition: int = 0
    key: bytes = b"u"
    value: bytes = b"{}"
    tracked: bool = False


@dataclass
class FakeConsumer:
    tracked: list[int] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)

    def track_message(self, message: FakeMessage) -> None:
        self.tracked.append(message.offset)

    def ack(self, message: FakeMessage) -> bool:
        self.acked.append(message.offset)
        return True


@dataclass
class FakeApp:
    flow_control: FlowControlEvent = field(default_factory=FlowControlEvent)
    consumer: FakeConsumer = field(default_factory=FakeConsumer)
    consumer_generation_id: int = 1
    crashed: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.flow_control.resume()

    async def crash(self, exc: BaseException) -> None:
        self.crashed.append(exc)


def in_event_loop(test: Any) -> Any:
    """Run an async test in a fresh event loop (the suite needs no asyncio plugin)."""

    @functools.wraps(test)
    def run() -> None:
        asyncio.run(test())

    return run


def feed_with(app: Any, handled: list[list[int]], batch_max: int = 3, linger_s: float = 0.0,
              maxsize: int = 100, fail: bool = False) -> InputFeed:
    async def handle(batch: list[InputRecord]) -> None:
        if fail:
            raise RuntimeError("store down")
        # Nothing is acknowledged while the handler runs.
        assert not set(app.consumer.acked) & {r.message.offset for r in batch}
        handled.append([r.message.offset for r in batch])

    return InputFeed(app, batch_max, linger_s, handle, maxsize=maxsize)


async def run_until(feed: InputFeed, done: Any, timeout_s: float = 2.0) -> None:
    task = asyncio.ensure_future(feed.run())
    try:
        for _ in range(int(timeout_s / 0.01)):
            if done():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the feed did not get there")
    finally:
        task.cancel()


def test_only_the_input_topic_gets_the_feeds_callback() -> None:
    app = faust.App("feed-test", broker="kafka://127.0.0.1:1")  # never started
    topic = app.topic("loan-events")
    feed = feed_topic(app, topic, 500, 0.025, lambda batch: asyncio.sleep(0))
    assert topic in app.topics  # subscribed, with no agent
    assert app.topics._build_handler(TP("loan-events", 3), {topic}) == feed.on_message
    assert app.topics._build_handler(TP("sightings", 3), set()) != feed.on_message  # Faust's own


@in_event_loop
async def test_batches_in_order_tracked_before_and_acknowledged_after_handling() -> None:
    app, handled = FakeApp(), []
    feed = feed_with(app, handled, batch_max=3)
    for offset in range(7):
        await feed.on_message(FakeMessage(offset))
    await run_until(feed, lambda: len(app.consumer.acked) == 7)
    assert handled == [[0, 1, 2], [3, 4, 5], [6]]
    assert app.consumer.tracked == list(range(7))
    assert app.consumer.acked == list(range(7))


@in_event_loop
async def test_a_message_of_an_older_generation_is_skipped_unacknowledged() -> None:
    app, handled = FakeApp(), []
    feed = feed_with(app, handled)
    await feed.on_message(FakeMessage(0, generation_id=1))
    app.consumer_generation_id = 2  # a rebalance happened after it was fetched
    await feed.on_message(FakeMessage(1, generation_id=2))
    await run_until(feed, lambda: app.consumer.acked == [1])
    assert handled == [[1]]
    assert app.consumer.tracked == [1]


@in_event_loop
async def test_a_revocation_clears_the_buffer_and_no_batch_starts_while_the_flow_is_suspended() -> None:
    app, handled = FakeApp(), []
    feed = feed_with(app, handled)
    await feed.on_message(FakeMessage(0))
    await feed.on_message(FakeMessage(1))
    app.flow_control.suspend()  # what Faust does on a revocation ...
    app.flow_control.clear()  # ... and this empties every managed buffer
    assert not feed.buffer
    arriving = asyncio.ensure_future(feed.on_message(FakeMessage(2)))
    task = asyncio.ensure_future(feed.run())
    await asyncio.sleep(0.05)
    assert not arriving.done() and handled == []  # the callback waits out the suspended flow
    app.flow_control.resume()
    await asyncio.sleep(0.05)
    task.cancel()
    assert handled == [[2]] and app.consumer.acked == [2]


@in_event_loop
async def test_a_full_buffer_holds_the_callback_until_a_batch_is_taken() -> None:
    app, handled = FakeApp(), []
    feed = feed_with(app, handled, batch_max=2, maxsize=2)
    await feed.on_message(FakeMessage(0))
    await feed.on_message(FakeMessage(1))
    third = asyncio.ensure_future(feed.on_message(FakeMessage(2)))
    await asyncio.sleep(0.02)
    assert not third.done()
    await run_until(feed, lambda: app.consumer.acked == [0, 1, 2])
    assert third.done()


@in_event_loop
async def test_the_linger_waits_for_a_whole_batch_but_no_longer() -> None:
    app, handled = FakeApp(), []
    feed = feed_with(app, handled, batch_max=3, linger_s=0.2)
    task = asyncio.ensure_future(feed.run())
    await feed.on_message(FakeMessage(0))
    await asyncio.sleep(0.05)
    await feed.on_message(FakeMessage(1))
    await feed.on_message(FakeMessage(2))  # the batch is whole: taken before the linger is over
    await asyncio.sleep(0.05)
    assert handled == [[0, 1, 2]]
    await feed.on_message(FakeMessage(3))
    await asyncio.sleep(0.05)
    assert handled == [[0, 1, 2]]  # alone: it waits for the linger ...
    await asyncio.sleep(0.4)
    task.cancel()
    assert handled == [[0, 1, 2], [3]]  # ... and then goes alone


@in_event_loop
async def test_a_batch_that_raises_crashes_the_app_and_acknowledges_nothing() -> None:
    app = FakeApp()
    feed = feed_with(app, [], fail=True)
    await feed.on_message(FakeMessage(0))
    await asyncio.wait_for(feed.run(), timeout=2)
    assert [str(e) for e in app.crashed] == ["store down"]
    assert app.consumer.tracked == [0] and app.consumer.acked == []


@in_event_loop
async def test_no_batch_is_taken_while_the_flow_is_suspended_even_before_the_buffer_is_cleared() -> None:
    app, handled = FakeApp(), []
    feed = feed_with(app, handled)
    await feed.on_message(FakeMessage(0))
    app.flow_control.suspend()
    task = asyncio.ensure_future(feed.run())
    await asyncio.sleep(0.05)
    assert handled == [] and app.consumer.tracked == []
    app.flow_control._resume.set()  # resumed without clearing (Faust clears too; this isolates the wait)
    app.flow_control._suspend.clear()
    await asyncio.sleep(0.05)
    task.cancel()
    assert handled == [[0]]


@in_event_loop
async def test_the_linger_counts_from_the_oldest_messages_arrival_not_from_the_last_batch() -> None:
    app = FakeApp()
    handled: list[tuple[list[int], float]] = []
    loop = asyncio.get_running_loop()

    async def slow(batch: list[InputRecord]) -> None:
        handled.append(([r.message.offset for r in batch], loop.time()))
        await asyncio.sleep(0.6)  # longer than the linger

    feed = InputFeed(app, 10, 0.4, slow)
    task = asyncio.ensure_future(feed.run())
    await feed.on_message(FakeMessage(0))
    await asyncio.sleep(0.45)  # the first batch went at 0.4 s and is being handled until 1.0 s
    await feed.on_message(FakeMessage(1))  # waits while it is handled, 0.55 s, more than the linger ...
    await asyncio.sleep(1.2)
    task.cancel()
    (first, t0), (second, t1) = handled
    assert first == [0] and second == [1]
    # ... so it goes as the handler returns (0.6 s after the first batch), not a linger later (1.0 s).
    assert t1 - t0 < 0.8
