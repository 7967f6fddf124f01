"""Reference (a): plain aiokafka consume -> produce, the practical ceiling for Python here.

Run as a child process (``python -m stream.bench.passthrough``) so it is
measured exactly like the monitor: its own interpreter and event loop, its
progress read from its committed offsets.  It does what any correct
at-least-once forwarder must do and nothing else: fetch, produce every value
(same key, acks=all like the monitor's producer), wait for delivery, and
commit about once a second (Faust's ``broker_commit_interval`` in the monitor).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time

from stream.settings import load_settings
from stream.kafka.config import aiokafka_client_config

COMMIT_INTERVAL_S = 1.0


async def forward(input_topic: str, output_topic: str, group: str, batch_max: int) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    config = aiokafka_client_config(load_settings())
    consumer = AIOKafkaConsumer(
        input_topic, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False, **config
    )
    producer = AIOKafkaProducer(acks="all", **config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await producer.start()
    await consumer.start()
    try:
        last_commit, dirty = time.monotonic(), False
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=batch_max)
            deliveries = [
                await producer.send(output_topic, value=record.value, key=record.key)
                for records in batches.values()
                for record in records
            ]
            if deliveries:
                await asyncio.gather(*deliveries)
                dirty = True
            # Commit on the interval, and as soon as we are idle so the end is visible.
            if dirty and (not deliveries or time.monotonic() - last_commit >= COMMIT_INTERVAL_S):
                await consumer.commit()
                last_commit, dirty = time.monotonic(), False
        if dirty:
            await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--batch-max", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(forward(args.input, args.output, args.group, args.batch_max))


if __name__ == "__main__":
    main()
