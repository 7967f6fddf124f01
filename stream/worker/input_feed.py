"""The input topic's messages handed to the worker in batches, straight from Faust's consumer.

Faust delivers each message through a channel queue, a stream iteration and an
``Event`` per message, and acknowledges it on the next iteration: about 120 µs
per message on this VM, 40 % of a worker's time (docs/tuning.md).  Here Faust
keeps everything that makes it Faust (group membership, the fetcher and its
offsets, tables, changelogs, recovery, commits), but the input topic's
partitions get a consumer callback of our own (``faust_fixes.hand_over_topic``)
that only appends the message to a buffer; a task takes the buffer in batches
of up to ``batch_max`` (or whatever is there once the oldest message has waited
``batch_linger_s``) and hands them to ``BatchHandler.handle``.

What the stream did per message, and this keeps:

- **Flow control.**  The callback waits while Faust's flow is suspended (a
  rebalance, recovery), and the buffer is managed by ``app.flow_control``, so
  ``flow_control.clear()`` on a revocation empties it as it empties the
  streams' queues.
- **Generations.**  A message fetched before the latest rebalance
  (``message.generation_id`` older than the consumer's) is dropped unprocessed,
  as ``Stream`` skips it: its partition may belong to another worker now, and
  Faust fetches it again from the committed offset if it is still ours.
- **Acknowledgement.**  Each message taken is tracked (``Consumer.track_message``,
  so a revocation's ``wait_empty`` waits for the batch in hand) and
  acknowledged (``Consumer.ack``) only once the handler has returned, so a
  commit never passes a message whose effects the broker has not acknowledged.
- **Back-pressure.**  While the buffer holds ``maxsize`` messages the callback
  waits, and with it Faust's fetch loop, as a full channel queue makes it wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Awaitable, Callable, Sequence

from stream.worker import faust_fixes

log = logging.getLogger(__name__)


class InputRecord:
    """One input message as ``BatchHandler`` reads it (the shape of Faust's ``Event``: key, value, message)."""

    __slots__ = ("key", "value", "message", "__weakref__")  # weakly referenced as Faust's current event

    def __init__(self, message: Any) -> None:
        self.key = message.key
        self.value = message.value
        self.message = message


class InputFeed:
    """The input topic's consumer callback and its batch loop; one per worker."""

    def __init__(self, app: Any, batch_max: int, linger_s: float,
                 handle: Callable[[Sequence[InputRecord]], Awaitable[None]], maxsize: int = 4096) -> None:
        self.app = app
        self.batch_max = batch_max
        self.linger_s = linger_s
        self.handle = handle
        self.maxsize = maxsize
        self.buffer: deque[Any] = deque()
        self.arrived = asyncio.Event()  # set while the buffer holds a message
        self.room = asyncio.Event()  # set while the buffer is below maxsize
        self.room.set()
        self.full = asyncio.Event()  # set while the buffer holds a whole batch
        self.first_at = 0.0  # loop time the oldest buffered message arrived (its linger counts from then)
        app.flow_control.manage_queue(self)  # its clear() empties the buffer on a revocation

    async def on_message(self, message: Any) -> None:
        """Faust's consumer callback for one input message: wait out a suspended flow or a full buffer, then buffer it."""
        await self.app.flow_control.acquire()
        while len(self.buffer) >= self.maxsize:
            self.room.clear()
            await self.room.wait()
        if not self.buffer:
            self.first_at = asyncio.get_running_loop().time()
        self.buffer.append(message)
        self.arrived.set()
        if len(self.buffer) >= self.batch_max:
            self.full.set()

    def clear(self) -> None:
        """Drop every buffered message (``FlowControlEvent.clear``: partitions are being revoked)."""
        self.buffer.clear()
        self.arrived.clear()
        self.full.clear()
        self.room.set()

    def take(self) -> list[InputRecord]:
        """Up to ``batch_max`` buffered messages of the current generation, each tracked as in flight."""
        buffer = self.buffer
        consumer = self.app.consumer
        generation = self.app.consumer_generation_id
        taken: list[InputRecord] = []
        while buffer and len(taken) < self.batch_max:
            message = buffer.popleft()
            if message.generation_id != generation:
                continue  # fetched before the latest rebalance: skipped, as Faust's streams skip it
            message.tracked = True  # each message reaches the buffer once, from the consumer callback
            consumer.track_message(message)
            taken.append(InputRecord(message))
        if not buffer:
            self.arrived.clear()
        if len(buffer) < self.batch_max:
            self.full.clear()
        if len(buffer) < self.maxsize:
            self.room.set()
        return taken

    async def run(self) -> None:
        """Take and handle batches until the app stops; a batch that raises crashes the app (it restarts from the commit)."""
        flow = self.app.flow_control
        while True:
            await self.arrived.wait()
            # Wait for a whole batch, at most until the oldest message has waited the linger (one that
            # arrived while the last batch was handled may have waited it already).
            left = self.first_at + self.linger_s - asyncio.get_running_loop().time()
            if not self.full.is_set() and left > 0:
                try:
                    await asyncio.wait_for(self.full.wait(), left)
                except asyncio.TimeoutError:
                    pass
            await flow.acquire()  # no batch starts while a rebalance is under way
            batch = self.take()
            if not batch:
                continue
            try:
                await self.handle(batch)
            except Exception as exc:
                log.exception("a batch of %d input events failed outside the batch protocol; the worker stops "
                              "and restarts from the last commit", len(batch))
                await self.app.crash(exc)
                return
            ack = self.app.consumer.ack
            for record in batch:
                ack(record.message)


def feed_topic(app: Any, topic: Any, batch_max: int, linger_s: float,
               handle: Callable[[Sequence[InputRecord]], Awaitable[None]]) -> InputFeed:
    """Subscribe ``app`` to ``topic`` (a ``faust.Topic``) without an agent and feed its messages to
    ``handle`` in batches from when the app starts."""
    name = topic.get_topic_name()
    app.topics.add(topic)
    feed = InputFeed(app, batch_max, linger_s, handle)
    faust_fixes.hand_over_topic(app, name, feed.on_message)
    app.task(feed.run)
    return feed
