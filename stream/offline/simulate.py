"""``riskmon simulate``: write a labelled synthetic history, or publish it live."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from stream.offline.jsonl import refuse_overwriting, write_jsonl
from stream.settings import Settings
from stream.sim.config import SimConfig
from stream.sim.generate import generate, iter_stream
from stream.sim.retime import shift, weeks_until_now


def sim_config(settings: Settings, args: argparse.Namespace) -> SimConfig:
    return SimConfig(
        users=args.users,
        days=args.days,
        seed=settings.seed,
        anomaly_rate=args.anomaly_rate,
        festival_day=None if args.festival_day < 0 else args.festival_day,
        anomaly_start_day=args.anomaly_start_day,
        user_prefix=args.user_prefix,
    )


def simulate(settings: Settings, args: argparse.Namespace) -> int:
    config = sim_config(settings, args)
    if args.kafka:
        from stream.kafka.producer import make_producer, publish
        from stream.kafka.topics import ensure_topics

        ensure_topics(settings)
        producer = make_producer(settings)
        every = int(round(1 / args.invalid_rate)) if args.invalid_rate > 0 else 0
        try:
            # Sent as a live fleet would: event times just before now (stream.core.event_time judges them so).
            weeks = weeks_until_now((config.start + timedelta(seconds=config.horizon)).timestamp())
            sent, bad = publish(producer, settings.input_topic, shift(iter_stream(config), weeks), rate=args.rate,
                                malformed_every=every)
        finally:
            producer.close()
        print(f"published {sent} events and {bad} malformed messages to {settings.input_topic}")
        return 0
    if not args.output:
        raise ValueError("give --output (and --labels) to write files, or --kafka to publish")
    if args.labels:
        refuse_overwriting(Path(args.labels), Path(args.output))
    events, labels = generate(config)
    write_jsonl(Path(args.output), events)
    if args.labels:
        write_jsonl(Path(args.labels), labels)
    anomalous = sum(1 for l in labels if l["label"])
    print(f"wrote {len(events)} events ({anomalous} in injected episodes) to {args.output}")
    return 0
