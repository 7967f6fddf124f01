"""The two references, run on the same pre-loaded topic as the monitor.

(a) ``passthrough``: aiokafka consume -> produce, what Python can do here at all;
(b) ``faust_ref``: a bare Faust agent that decodes and forwards, what the
framework leaves for the monitor's own work;
and ``faust_ref --send none``, Faust's consumer handing the input over in
batches as the worker takes it (``stream.worker.input_feed``), forwarding
nothing: what Faust's consume path costs the worker on its own (the monitor
writes its states, alerts and sightings in batches of its own, not through
Faust's ``send``).
Each gets its own consumer group (fresh, so it starts at offset 0) and its own
output topic.
"""

from __future__ import annotations

from pathlib import Path

from stream.bench.cluster import Names
from stream.bench.contender import run_contender
from stream.bench.offsets import OffsetWatch, Progress
from stream.bench.procs import Children
from stream.settings import Settings


def output_topics(names: Names) -> list[str]:
    return [names.topic("out-aiokafka"), names.topic("out-faust"), names.topic("out-faust-consume")]


def run_aiokafka(
    settings: Settings, names: Names, children: Children, watch: OffsetWatch, ends: dict[int, int], timeout_s: float
) -> Progress:
    group = names.group("aiokafka")
    args = [
        "-m", "stream.bench.passthrough", "--input", settings.input_topic, "--output", names.topic("out-aiokafka"),
        "--group", group, "--batch-max", str(settings.batch_max),
    ]
    return run_contender(
        children, watch, "aiokafka", args, settings.environment(), group, settings.input_topic, ends, timeout_s,
        output_topic=lambda: names.topic("out-aiokafka"), settings=settings,
    )


def run_faust(
    settings: Settings, names: Names, children: Children, watch: OffsetWatch, ends: dict[int, int],
    timeout_s: float, work_dir: Path, consume_only: bool = False,
) -> Progress:
    name = "faust-consume" if consume_only else "faust"
    group, output = names.group(name), names.topic(f"out-{name}")
    env = settings.replace(app_id=group, data_dir=work_dir / f"{name}-ref").environment()
    args = ["-m", "stream.bench.faust_ref", "--output", output, *(["--send", "none"] if consume_only else [])]
    return run_contender(
        children, watch, name, args, env, group, settings.input_topic, ends, timeout_s,
        output_topic=lambda: output, settings=settings,
    )
