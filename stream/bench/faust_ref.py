"""Reference (b): a bare Faust agent that decodes and forwards, the framework's ceiling;
with ``--send none``, Faust's consumer handing the input over as the worker takes it
(``stream.worker.input_feed``), decoding and forwarding nothing.

Same app configuration as ``stream.worker.app.create_app`` where it matters for
speed (raw schema, acks=-1, 1 s commit interval, producer buffer sized to
the batch, micro-batches of ``batch_max`` within ``batch_linger_s``) but no
table, no parsing beyond ``orjson.loads``, no scoring: the gap between this
and the monitor is the monitor's own work.  Run as a child process
(``python -m stream.bench.faust_ref``) with ``RISKMON_*`` settings in the
environment, like the worker.
"""

from __future__ import annotations

import argparse
from typing import Sequence

import faust
import orjson

from stream.worker.app import faust_config
from stream.worker.input_feed import InputRecord, feed_topic
from stream.logs import logging_dict
from stream.settings import Settings, load_settings


def build(settings: Settings, output_topic: str, send: str = "await") -> faust.App:
    """The app; ``send="soon"`` forwards through Faust's producer buffer (``send_soon``,
    the path the table changelog takes) instead of awaiting ``send`` per event;
    ``send="none"`` takes the input in batches from Faust's consumer as the worker
    does (``feed_topic``), decodes each value and forwards only the first event (the
    bench's clock starts at the first output record): what Faust's consume path,
    as the worker uses it, costs on its own."""
    app = faust.App(settings.app_id, **faust_config(settings))
    app.producer.buffer.max_messages = max(100, 2 * settings.batch_max)
    raw = faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    source = app.topic(settings.input_topic, partitions=settings.partitions, schema=raw)
    sink = app.topic(output_topic, schema=raw)
    if send == "none":
        _consume_only(app, settings, source, sink)
        return app

    @app.agent(source, name="forward")
    async def forward(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(settings.batch_max, within=settings.batch_linger_s):
            for event in batch:
                orjson.loads(event.value)
                if send == "soon":
                    sink.send_soon(key=event.key, value=event.value)
                else:
                    await sink.send(key=event.key, value=event.value)

    return app


def _consume_only(app: faust.App, settings: Settings, source: faust.TopicT, sink: faust.TopicT) -> None:
    """The input fed as ``stream.worker.app`` feeds it (``feed_topic``): decode, send one start marker."""
    started = False

    async def handle(batch: Sequence[InputRecord]) -> None:
        nonlocal started
        for record in batch:
            orjson.loads(record.value)
        if batch and not started:
            await sink.send(key=batch[0].key, value=batch[0].value)
            started = True

    feed_topic(app, source, settings.batch_max, settings.batch_linger_s, handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", required=True)
    parser.add_argument("--send", choices=["await", "soon", "none"], default="await")
    args = parser.parse_args()
    settings = load_settings()
    app = build(settings, args.output, args.send)
    # Started exactly like stream.worker.main starts the monitor (same logging set-up).
    faust.Worker(
        app, loglevel=settings.log_level, quiet=True, logging_config=logging_dict(settings.log_level)
    ).execute_from_commandline()


if __name__ == "__main__":
    main()
