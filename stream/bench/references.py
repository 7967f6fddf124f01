"""The two references, run on the same pre-loaded topic as the monitor.

(a) ``passthrough``: aiokafka consume -> produce, what Python can do here at all;
(b) ``faust_ref``: a bare Faust agent that decodes and forwards, what the
framework leaves for the monitor's own work.  Each gets its own consumer
group (fresh, so it starts at offset 0) and its own output topic.
"""

from __future__ import annotations

from pathlib import Path

from stream.bench.cluster import Names
from stream.bench.contender import run_contender
from stream.bench.offsets import OffsetWatch, Progress
from stream.bench.procs import Children
from stream.settings import Settings


def output_topics(names: Names) -> list[str]:
    return [names.topic("out-aiokafka"), names.topic("out-faust")]


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
    timeout_s: float, work_dir: Path,
) -> Progress:
    group = names.group("faust")
    env = settings.replace(app_id=group, data_dir=work_dir / "faust-ref").environment()
    args = ["-m", "stream.bench.faust_ref", "--output", names.topic("out-faust")]
    return run_contender(
        children, watch, "faust", args, env, group, settings.input_topic, ends, timeout_s,
        output_topic=lambda: names.topic("out-faust"), settings=settings,
    )
