"""``riskmon bench``: sequence the measurements and guarantee clean-up.

Order, and why:
1. CPU-only work first, before any broker or worker runs: simulate the
   stream and a separate history, train the worker's model, time the scorer
   (so the microbenchmark does not compete with a JVM).
2. Start (or reuse) the broker, pre-load the stream ONCE into the input topic.
3. aiokafka passthrough, bare Faust agent (forwarding), Faust's consumer
   feeding the input as the worker takes it (consuming only), then the monitor, one at a time
   (two cores: running them together would measure contention), each a child
   process with its own consumer group from offset 0.
4. State size from the monitor's changelog.
5. Latency with a fresh worker on its own, empty input topic.
6. Restart at scale (``restart``): a worker's time to ``/ready`` with
   ``restart_users`` states in its changelog, memory and RocksDB stores, after
   the throughput and latency runs so its million states never share the
   broker with them.
7. With ``--profile``, one more monitor pass under py-spy (kept out of the
   headline numbers, since sampling costs CPU).
A failure in one phase is recorded and the others still run; children,
topics (on a reused broker) and the private broker are always cleaned up.
"""

from __future__ import annotations

import logging
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, TypeVar

from models.prior import load_prior
from stream.bench import data, report
from stream.bench.cluster import Names, broker_for, drop_run
from stream.bench.latency import LatencyResult, curve_steps, events_needed, run_latency
from stream.bench.monitor import MonitorRun, monitor_settings, run_monitor
from stream.bench.offsets import OffsetWatch, Progress
from stream.bench.options import BenchOptions
from stream.bench.procs import Children
from stream.bench.restart import rocksdb_available, run_restart
from stream.bench.references import output_topics, run_aiokafka, run_faust
from stream.bench.scorer import ScorerResult, bench_scorer
from stream.bench.state import StateSize, struct_size, with_changelog
from stream.kafka.producer import make_producer, publish
from stream.settings import Settings
from stream.kafka.topics import ensure_topics

log = logging.getLogger(__name__)
T = TypeVar("T")


def say(message: str) -> None:
    """Progress goes to stderr so stdout stays the table plus (last) the JSON line."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _phase(name: str, errors: list[str], fn: Callable[[], T]) -> T | None:
    """Run one phase; an exception is recorded (and the run goes on) instead of losing every number."""
    try:
        return fn()
    except Exception as exc:
        log.debug("phase %s failed", name, exc_info=True)
        errors.append(f"{name}: {exc.__class__.__name__}: {exc}")
        say(f"{name} FAILED: {exc}\n{traceback.format_exc(limit=3)}")
        return None


def _checked(name: str, p: Progress, errors: list[str]) -> Progress:
    if p.error:
        errors.append(f"{name}: {p.error}")
    say(f"{name}: {p.eps():,.0f} events/s (first commit to last: {p.eps_commit_window():,.0f}/s; start-up {p.startup_s():.1f}s)")
    return p


def run_bench(base: Settings, opts: BenchOptions) -> dict[str, Any]:
    """Run everything; return the result dict (see ``report.assemble``)."""
    errors: list[str] = []
    names = Names.fresh()
    work = Path(tempfile.mkdtemp(prefix="riskmon-bench-"))
    (work / "logs").mkdir()
    try:
        say(f"simulating {opts.events:,} events for {opts.users:,} users and a training history ...")
        events = data.bench_events(opts.events, opts.users)
        users = len({e["user_id"] for e in events})
        hist = data.history(opts.history_users, opts.history_days)
        model_dir = work / "model"
        model = data.train_model(hist, model_dir, tails=base.model_tails, core_forest=base.model_core_forest,
                                 typology_prior=load_prior(base.typology_prior))
        say(f"model {model.version} trained on {len(hist):,} history events; timing the scorer ...")
        scorer: ScorerResult | None = _phase("scorer", errors, lambda: bench_scorer(hist, events, model, opts.scorer_repeats))
        with broker_for(base, opts.broker) as (cluster, kafka_version):
            say(f"Kafka {kafka_version} on {cluster.broker}")
            try:
                results = _on_broker(cluster, names, opts, events, model_dir, work, errors)
            finally:
                if opts.broker:
                    _phase("cleanup", errors, lambda: drop_run(cluster, names))
        return report.assemble(
            opts, cluster, kafka_version, len(events), users, results["aiokafka"], results["faust"], results["monitor"],
            results["profiled"], results["latency"], scorer, results["state"], errors, results["monitor2"],
            results["monitor_noent"], results["latency_noent"], results["restart"], results["latency2"],
            results["faust_consume"],
        )
    finally:
        if opts.keep_logs:
            shutil.copytree(work / "logs", Path(opts.keep_logs), dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def _on_broker(
    cluster: Settings, names: Names, opts: BenchOptions, events: list[dict], model_dir: Path, work: Path,
    errors: list[str],
) -> dict[str, Any]:
    results: dict[str, Any] = dict.fromkeys(
        ("aiokafka", "faust", "faust_consume", "monitor", "monitor2", "monitor_noent", "profiled", "latency",
         "latency_noent", "latency2", "state", "restart"))
    base = cluster.replace(input_topic=names.topic("in"))
    ensure_topics(base, {base.input_topic: base.partitions, **{t: base.partitions for t in output_topics(names)}})
    say(f"pre-loading {len(events):,} events into {base.input_topic} ...")
    producer = make_producer(base)
    try:
        t = time.monotonic()
        publish(producer, base.input_topic, events)
        say(f"pre-loaded in {time.monotonic() - t:.1f}s")
    finally:
        producer.close()
    watch = OffsetWatch(base)
    try:
        ends = watch.ends(base.input_topic, base.partitions)
        if sum(ends.values()) != len(events):
            errors.append(f"input topic holds {sum(ends.values())} messages, expected {len(events)}")
        with Children(work / "logs") as children:
            timeout = opts.phase_timeout_s
            say("reference (a): aiokafka passthrough ...")
            results["aiokafka"] = _phase("aiokafka", errors, lambda: _checked(
                "aiokafka", run_aiokafka(base, names, children, watch, ends, timeout), errors))
            say("reference (b): bare Faust agent ...")
            results["faust"] = _phase("faust", errors, lambda: _checked(
                "faust", run_faust(base, names, children, watch, ends, timeout, work), errors))
            say("reference (b), consuming only: Faust's consumer handing the input over as the worker takes it ...")
            results["faust_consume"] = _phase("faust_consume", errors, lambda: _checked(
                "faust_consume", run_faust(base, names, children, watch, ends, timeout, work, consume_only=True), errors))
            say("monitor: riskmon worker ...")
            mon_settings = monitor_settings(base, names, work, model_dir, "monitor")
            ensure_topics(mon_settings)
            monitor: MonitorRun | None = _phase("monitor", errors, lambda: run_monitor(mon_settings, children, watch, ends, timeout))
            results["monitor"] = monitor
            if monitor:
                _checked("monitor", monitor.progress, errors)
            say("monitor without entity views (entity_views=false), for their cost ...")
            noent_settings = monitor_settings(base, names, work, model_dir, "monitor-noent").replace(entity_views=False)
            ensure_topics(noent_settings)
            results["monitor_noent"] = _phase("monitor_noent", errors, lambda: run_monitor(
                noent_settings, children, watch, ends, timeout))
            if results["monitor_noent"]:
                _checked("monitor_noent", results["monitor_noent"].progress, errors)
            say("monitor on two cores: riskmon worker --processes 2 ...")
            two_settings = monitor_settings(base, names, work, model_dir, "monitor2", processes=2)
            ensure_topics(two_settings)
            results["monitor2"] = _phase("monitor2", errors, lambda: run_monitor(
                two_settings, children, watch, ends, timeout, processes=2))
            if results["monitor2"]:
                _checked("monitor2", results["monitor2"].progress, errors)
            say("state size from the monitor's changelog ...")
            results["state"] = _phase("state", errors, lambda: _state(events, base, mon_settings.app_id, monitor))
            if not opts.skip_latency:
                say(f"latency: {opts.latency_rate:.0f} events/s for {opts.latency_seconds:.0f}s ...")
                max_rate = monitor.progress.eps() if monitor and monitor.progress.done else 0.0
                results["latency"] = _phase("latency", errors, lambda: _latency(
                    base, names, opts, events, model_dir, work, children, errors,
                    curve=curve_steps(max_rate, opts.curve_seconds)))
                say("latency without entity views ...")
                results["latency_noent"] = _phase("latency_noent", errors, lambda: _latency(
                    base, names, opts, events, model_dir, work, children, errors, entity_views=False))
                say("latency with two processes (riskmon worker --processes 2) ...")
                results["latency2"] = _phase("latency2", errors, lambda: _latency(
                    base, names, opts, events, model_dir, work, children, errors, processes=2))
            if not opts.skip_restart:
                _restart(base, names, opts, events, model_dir, work, children, errors, results)
            if opts.profile:
                say(f"profiling a second monitor pass with py-spy -> {opts.profile} ...")
                prof_settings = monitor_settings(base, names, work, model_dir, "profiled")
                ensure_topics(prof_settings)
                results["profiled"] = _phase("profile", errors, lambda: run_monitor(
                    prof_settings, children, watch, ends, timeout, profile_to=opts.profile))
    finally:
        watch.close()
    return results


def _state(events: list[dict], settings: Settings, app_id: str, monitor: MonitorRun | None) -> StateSize:
    size = struct_size(events)
    if monitor is None or not monitor.progress.done:
        return size
    return with_changelog(size, settings, app_id)


def _restart(
    base: Settings, names: Names, opts: BenchOptions, events: list[dict], model_dir: Path, work: Path,
    children: Children, errors: list[str], results: dict[str, Any],
) -> None:
    """The restart phase; a worker that recovered fewer users than were written is an error, not a time."""
    say(f"restart: a worker's time to ready with {opts.restart_users:,} users' states ...")
    if not rocksdb_available():
        errors.append("restart: rocksdict is not installed (the rocksdb extra, which make setup installs): "
                      "only the memory store is measured")
    result = _phase("restart", errors, lambda: run_restart(
        base, names, work, model_dir, events, opts.restart_users, children, opts.phase_timeout_s, say))
    if result is not None:
        errors.extend(f"restart: {problem}" for problem in result.problems())
    results["restart"] = result


def _latency(
    base: Settings, names: Names, opts: BenchOptions, events: list[dict], model_dir: Path, work: Path,
    children: Children, errors: list[str], entity_views: bool = True, curve: list[tuple[float, float]] | None = None,
    processes: int = 1,
) -> LatencyResult:
    role = ("latency" if entity_views else "latency-noent") + (f"-{processes}p" if processes > 1 else "")
    settings = monitor_settings(base, names, work, model_dir, role, processes=processes).replace(
        input_topic=names.topic(f"{role}-in"), entity_views=entity_views)
    needed = events_needed([(opts.latency_rate, opts.latency_seconds), *(curve or [])])
    if len(events) < needed:
        events = data.bench_events(needed, opts.users, seed=12)
    result = run_latency(settings, events, opts.latency_rate, opts.latency_seconds, children, opts.phase_timeout_s,
                         curve=curve or (), processes=processes)
    for step in (result, *result.curve):
        say(
            f"latency at {step.rate:,.0f} ev/s: p50 {step.headline('p50'):.0f} ms, p99 {step.headline('p99'):.0f} ms "
            f"[{step.source}], {step.alert_samples} alert samples, achieved {step.achieved_rate:,.0f} ev/s"
        )
        if step.error:
            errors.append(f"{role} at {step.rate:.0f} ev/s: {step.error}")
    return result


def main(base: Settings, opts: BenchOptions) -> int:
    """CLI entry: SIGTERM becomes SystemExit so every ``finally`` above still cleans up."""
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        result = run_bench(base, opts.smoke_sized() if opts.smoke else opts)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(report.table(result), flush=True)
    if opts.json:
        print(report.json_line(result), flush=True)
    return 1 if result["errors"] else 0
