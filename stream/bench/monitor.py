"""The monitor itself: one ``riskmon worker`` process over the pre-loaded topic.

Started exactly as in production (``python -m stream.cli worker`` with
``RISKMON_*`` settings) with a fresh app id, so its consumer group and its
table changelog start empty and it reads from offset 0.  Timed by its
committed offsets like the references.  Optionally profiled by attaching
py-spy to the worker for the whole run (sampling from outside, no code change).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from stream.bench import prom
from stream.bench.cluster import Names, consecutive_free_ports
from stream.bench.contender import run_contender
from stream.bench.offsets import OffsetWatch, Progress
from stream.bench.procs import Child, Children
from stream.bench.state import changelog_topic
from stream.settings import Settings


@dataclass
class MonitorRun:
    progress: Progress
    settings: Settings
    metrics: dict[str, float] = field(default_factory=dict)
    profile: Path | None = None


def monitor_settings(base: Settings, names: Names, work_dir: Path, model_dir: Path, role: str, processes: int = 1) -> Settings:
    """Worker settings with the run's own topics, app id, data dir and metrics port(s)."""
    metrics_port = consecutive_free_ports(processes)
    return base.replace(
        alerts_topic=names.topic(f"{role}-alerts"),
        dlq_topic=names.topic(f"{role}-dlq"),
        app_id=names.group(role),
        data_dir=work_dir / role,
        model_dir=model_dir,
        metrics_port=metrics_port,
        log_level="WARNING",
    )


def run_monitor(
    settings: Settings, children: Children, watch: OffsetWatch, ends: dict[int, int], timeout_s: float,
    profile_to: str = "", processes: int = 1,
) -> MonitorRun:
    """``settings`` from :func:`monitor_settings`, input topic already pre-loaded; ``processes`` > 1
    runs ``riskmon worker --processes N`` (one group, timed by the group's commits like one worker)."""
    run = MonitorRun(progress=Progress(0.0, 0), settings=settings)

    def attach_profiler(worker: Child) -> Child | None:
        if not profile_to:
            return None
        spy = shutil.which("py-spy") or str(Path(children.python_bin).parent / "py-spy")
        run.profile = Path(profile_to).resolve()
        run.profile.parent.mkdir(parents=True, exist_ok=True)
        fmt = "speedscope" if run.profile.suffix == ".json" else "flamegraph" if run.profile.suffix == ".svg" else "raw"
        argv = [spy, "record", "--pid", str(worker.pid), "--rate", "100", "--nonblocking", "--format", fmt, "-o", str(run.profile)]
        return children.command("py-spy", argv, settings.environment())

    def keep_metrics(worker: Child) -> None:
        run.metrics = prom.scrape_sum(range(settings.metrics_port, settings.metrics_port + processes), missing_ok=True)

    run.progress = run_contender(
        children, watch, "monitor" if processes == 1 else f"monitor-{processes}p",
        ["-m", "stream.cli", "worker", *(["--processes", str(processes)] if processes > 1 else [])],
        settings.environment(), settings.app_id,
        settings.input_topic, ends, timeout_s, output_topic=lambda: changelog_topic(settings, settings.app_id),
        settings=settings, sidecar=attach_profiler, before_stop=keep_metrics,
    )
    return run
