"""Restart at scale: how long a worker takes to be ready again with N users' states.

Steps, for a fresh app id (so nothing but what we write is in its changelog):

1. fill the user-state changelog with N real states (``restart_states``),
   written as the worker writes them (``changelog_io``); read a sample back
   and decode it with the worker's own read path;
2. the reference: a bare aiokafka consumer reads the whole changelog once;
3. ``riskmon worker`` with ``memory://``: started, timed to ``/ready`` 200
   (the whole changelog is replayed into memory), stopped;
4. ``riskmon worker`` with ``rocksdb://``: started (replays the changelog into
   RocksDB under its data dir), stopped cleanly with SIGTERM, started again with
   the same data dir and timed to ``/ready``: the restart an operator sees
   when the local state survives (a pod with a persistent volume).

Every run also reads the worker's ``riskmon_state_users`` once it is ready:
a worker that was "ready" with fewer users than were written did not restore
them, and the phase says so instead of reporting a time.  The input topic
stays empty: the times are recovery and start-up, nothing else.

Readiness is the worker's own (``/ready``, refreshed once a second by its
health timer), so a time carries up to about a second of that timer.
"""

from __future__ import annotations

import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from stream.bench import changelog_io, prom
from stream.bench.cluster import Names, consecutive_free_ports
from stream.bench.monitor import monitor_settings
from stream.bench.procs import Children
from stream.bench.restart_states import RUNS, STORES, RestartResult, changelog_records, decodable, state_pool
from stream.core.rescale import changelog_topic
from stream.kafka import ops
from stream.kafka.topics import ensure_topics
from stream.settings import Settings
from stream.worker.state_table import STATE_TABLE

#: Distinct simulated users whose states the phase cycles through (see ``restart_states.state_pool``).
POOL_USERS = 2_000


def rocksdb_available() -> bool:
    """rocksdict is the optional ``rocksdb`` extra (``make setup`` installs it); memory:// runs without it."""
    try:
        import rocksdict  # noqa: F401
    except ImportError:
        return False
    return True


def run_restart(
    base: Settings, names: Names, work: Path, model_dir: Path, events: list[dict], users: int,
    children: Children, timeout_s: float, say: Callable[[str], None],
) -> RestartResult:
    """Fill, read, then time each worker run (``restart_states.RUNS``); see the module doc."""
    settings = monitor_settings(base, names, work, model_dir, "restart").replace(input_topic=names.topic("restart-in"))
    ensure_topics(settings)
    topic = changelog_topic(settings.app_id, STATE_TABLE)
    ops.create_changelog(settings, topic, settings.partitions)
    pool = state_pool(events, POOL_USERS, settings.state_write_version)
    started = time.monotonic()
    count, size = changelog_io.fill(settings, topic, changelog_records(
        users, pool, settings.partitions, settings.key_partitioner))
    result = RestartResult(users=count, partitions=settings.partitions, changelog_bytes=size,
                           write_s=time.monotonic() - started)
    say(f"restart: wrote {count:,} states ({size / 2**20:,.0f} MiB, {len(pool)} distinct) in {result.write_s:.1f}s")
    got = changelog_io.sample(settings, topic, settings.partitions)
    result.sample_read, result.sample_decoded = len(got), decodable(got)
    result.read_s, read = changelog_io.read_whole(settings, topic, settings.partitions, timeout_s)
    if read != count:
        raise RuntimeError(f"the bare consumer read {read} records of {topic}, {count} were written")
    say(f"restart: a bare aiokafka consumer reads them in {result.read_s:.1f}s")
    runs = RUNS if rocksdb_available() else RUNS[:1]  # the missing runs show in result.problems()
    for run in runs:
        run_settings = settings.replace(
            table_store=STORES[run], data_dir=work / f"restart-{STORES[run].rstrip(':/')}",
            metrics_port=consecutive_free_ports(1))
        ready_s, recovered, stop_s = time_to_ready(run_settings, children, f"restart-{run}", timeout_s)
        result.ready_s[run], result.recovered[run], result.stop_s[run] = ready_s, recovered, stop_s
        say(f"restart: {run}: ready in {ready_s:.1f}s with {recovered:,} users (stopped in {stop_s:.1f}s)")
    return result


def time_to_ready(settings: Settings, children: Children, name: str, timeout_s: float,
                  poll_s: float = 0.05) -> tuple[float, int, float]:
    """(seconds from start to ``/ready`` 200, users in its table then, seconds to stop it with SIGTERM)."""
    started = time.monotonic()
    child = children.python(name, ["-m", "stream.cli", "worker"], settings.environment())
    try:
        while not ready(settings.metrics_port):
            if not child.alive():
                raise RuntimeError(f"{name} exited ({child.proc.returncode}) before it was ready "
                                   f"(log {child.log_path}):\n{child.log_tail(1500)}")
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"{name} not ready after {timeout_s:.0f}s (log {child.log_path})")
            time.sleep(poll_s)
        ready_s = time.monotonic() - started
        recovered = int(prom.total(prom.scrape(settings.metrics_port), "riskmon_state_users"))
    finally:
        stopping = time.monotonic()
        code = children.stop(child, sig=signal.SIGTERM)
        stop_s = time.monotonic() - stopping
    if code not in (0, -signal.SIGTERM):
        raise RuntimeError(f"{name} did not stop cleanly (exit {code}, log {child.log_path})")
    return ready_s, recovered, stop_s


def ready(port: int) -> bool:
    """Whether the worker on ``port`` answers ``/ready`` with 200 (not up yet, or 503: False)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2.0) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
