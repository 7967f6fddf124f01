"""Run one contender (a child process) over the pre-loaded topic and time it by its commits."""

from __future__ import annotations

import signal
import time
from typing import Callable, Sequence

from stream.bench.offsets import OffsetWatch, Progress, first_timestamp, watch_until_committed
from stream.bench.procs import Child, Children
from stream.settings import Settings


def run_contender(
    children: Children,
    watch: OffsetWatch,
    name: str,
    args: Sequence[str],
    env: dict[str, str],
    group: str,
    topic: str,
    ends: dict[int, int],
    timeout_s: float,
    output_topic: Callable[[], str],
    settings: Settings,
    sidecar: Callable[[Child], Child | None] | None = None,
    before_stop: Callable[[Child], None] | None = None,
) -> Progress:
    """Start ``python <args>``, wait until ``group`` has committed ``ends``, stop it.

    ``sidecar`` may start a helper attached to the child (a profiler) at the
    first commit; it is stopped with SIGINT (so it writes its output) before
    the child is stopped.  ``before_stop`` runs while the child is still up
    (e.g. to scrape metrics).  ``output_topic`` names the topic whose first
    record marks the start of processing (called after the run: the monitor's
    changelog only exists once the worker has created it).
    """
    started = time.time()
    child = children.python(name, args, env)
    helper: Child | None = None

    def attach() -> None:
        nonlocal helper
        if sidecar is not None:
            helper = sidecar(child)

    try:
        progress = watch_until_committed(
            watch, group, topic, ends, started, timeout_s, child.alive, on_first_commit=attach
        )
        if helper is not None:
            children.stop(helper, sig=signal.SIGINT)
            helper = None
        if before_stop is not None and child.alive():
            before_stop(child)
        if progress.error:
            progress.error += f" (log {child.log_path}):\n{child.log_tail(1500)}"
        else:
            progress.first_output = first_timestamp(settings, output_topic())
    finally:
        if helper is not None:
            children.stop(helper, sig=signal.SIGINT)
        children.stop(child)
    return progress
