"""Turning the measurements into one result dict, a human table and one JSON line.

Kept apart from the measuring code so the keys (which CI and dashboards
parse) are defined in exactly one place, ``assemble``.
"""

from __future__ import annotations

import json
import math
import os
import platform
from datetime import datetime, timezone
from typing import Any

from stream.bench.latency import LatencyResult
from stream.bench.monitor import MonitorRun
from stream.bench.offsets import Progress
from stream.bench.options import BenchOptions
from stream.bench.restart_states import RestartResult
from stream.bench.scorer import ScorerResult
from stream.bench.state import StateSize
from stream.settings import Settings

#: The project's targets (issue "Speed"); (key, comparison, bound).
BAR: tuple[tuple[str, str, float], ...] = (
    ("monitor_eps", ">=", 5000.0),
    ("ratio_faust", ">=", 0.5),
    ("latency_p99_ms", "<=", 250.0),
    ("scorer_single_speedup", ">=", 50.0),
    ("scorer_batch_speedup", ">=", 1.0),
    ("state_bytes_per_user", "<=", 1024.0),
    ("restart_ready_s.rocksdb", "<=", 60.0),  # at 1,000,000 users (issue 14); any smaller run passes trivially
)


def versions(kafka_version: str) -> dict[str, str]:
    import aiokafka
    import faust
    import kafka
    import numpy
    import orjson
    import sklearn

    return {
        "python": platform.python_version(), "faust": faust.__version__, "aiokafka": aiokafka.__version__,
        "kafka-python": kafka.__version__, "numpy": numpy.__version__, "sklearn": sklearn.__version__,
        "orjson": orjson.__version__, "kafka_broker": kafka_version,
    }


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem_gib = 0.0
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        pass
    return {
        "cores": len(os.sched_getaffinity(0)), "cpu": cpu, "memory_gib": round(mem_gib, 1),
        "platform": platform.platform(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        # Other load on the box skews every number; 5/15-minute averages cover the run.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def _eps(p: Progress | None) -> float:
    return p.eps() if p is not None else 0.0


def assemble(
    opts: BenchOptions, settings: Settings, kafka_version: str, events: int, users: int,
    aiokafka: Progress | None, faust: Progress | None, monitor: MonitorRun | None, profiled: MonitorRun | None,
    latency: LatencyResult | None, scorer: ScorerResult | None, state: StateSize | None, errors: list[str],
    monitor2: MonitorRun | None = None, monitor_noent: MonitorRun | None = None,
    latency_noent: LatencyResult | None = None, restart: RestartResult | None = None,
    latency2: LatencyResult | None = None, faust_consume: Progress | None = None,
) -> dict[str, Any]:
    """Every number of the run under its stable key."""
    monitor_eps, faust_eps, aiokafka_eps = _eps(monitor.progress if monitor else None), _eps(faust), _eps(aiokafka)
    consume_eps = _eps(faust_consume)
    noent_eps = _eps(monitor_noent.progress if monitor_noent else None)
    two_eps = _eps(monitor2.progress if monitor2 else None)
    out: dict[str, Any] = {
        "monitor_eps": monitor_eps,
        "monitor_2proc_eps": two_eps,
        "processes_2_over_1": two_eps / monitor_eps if monitor_eps and two_eps else math.nan,
        "aiokafka_eps": aiokafka_eps,
        "faust_eps": faust_eps,
        "ratio_faust": monitor_eps / faust_eps if faust_eps else 0.0,
        "ratio_aiokafka": monitor_eps / aiokafka_eps if aiokafka_eps else 0.0,
        # Faust's consumer handing the input over as the worker takes it (input_feed), nothing else: its ceiling.
        "faust_consume_eps": consume_eps,
        "faust_consume_over_aiokafka": consume_eps / aiokafka_eps if aiokafka_eps else 0.0,
        "latency_p50_ms": latency.headline("p50") if latency else math.nan,
        "latency_p99_ms": latency.headline("p99") if latency else math.nan,
        # The entity views' cost: the same worker with entity_views=false, measured in the same run.
        "monitor_no_entities_eps": noent_eps,
        "entity_views_eps_ratio": monitor_eps / noent_eps if monitor_eps and noent_eps else math.nan,
        "latency_p99_no_entities_ms": latency_noent.headline("p99") if latency_noent else math.nan,
        # The same rate on two cores: riskmon worker --processes 2, each process half the partitions.
        "latency_p50_2proc_ms": latency2.headline("p50") if latency2 else math.nan,
        "latency_p99_2proc_ms": latency2.headline("p99") if latency2 else math.nan,
        "scorer_single_us": scorer.compiled_single_us if scorer else math.nan,
        "sklearn_single_us": scorer.sklearn_single_us if scorer else math.nan,
        "scorer_batch_us_per_event": scorer.compiled_batch_us_per_event if scorer else math.nan,
        "sklearn_batch_us_per_event": scorer.sklearn_batch_us_per_event if scorer else math.nan,
        "scorer_single_speedup": scorer.single_speedup if scorer else math.nan,
        "scorer_batch_speedup": scorer.batch_speedup if scorer else math.nan,
        "scorer_batch_size": scorer.batch_size if scorer else 0,
        "scorer_trees": scorer.n_trees if scorer else 0,
        "scores_max_abs_diff": scorer.max_abs_diff if scorer else math.nan,
        "scores_equal": scorer.scores_equal if scorer else False,
        "scorer_same_as_worker": scorer.same_as_worker if scorer else False,
        "state_bytes_per_user": state.bytes_per_user if state else math.nan,
        "state_struct_bytes": state.state_bytes if state else 0,
        "state_changelog_live_bytes_per_user": state.changelog_live_bytes_per_user if state else math.nan,
        "state_changelog_written_bytes_per_user": state.changelog_written_bytes_per_user if state else math.nan,
        "state_changelog_users": state.changelog_users if state else 0,
        "state_changelog_records": state.changelog_records if state else 0,
    }
    for name, p in (("aiokafka", aiokafka), ("faust", faust), ("faust_consume", faust_consume),
                    ("monitor", monitor.progress if monitor else None)):
        out[f"{name}_startup_s"] = p.startup_s() if p else math.nan
        out[f"{name}_wall_s"] = p.wall_s() if p else math.nan
        out[f"{name}_measured_events"] = p.measured_events() if p else 0
        out[f"{name}_eps_commit_window"] = p.eps_commit_window() if p else 0.0
        out[f"{name}_committed_all"] = bool(p and p.done)
    if monitor:
        out["monitor_processed"] = int(sum(v for k, v in monitor.metrics.items() if k.startswith("riskmon_events_processed_total")))
        out["monitor_invalid"] = int(sum(v for k, v in monitor.metrics.items() if k.startswith("riskmon_events_invalid_total{")))
        out["monitor_alerts"] = int(sum(v for k, v in monitor.metrics.items() if k.startswith("riskmon_alerts_total{")))
    if monitor2:
        out["monitor_2proc_committed_all"] = monitor2.progress.done
        out["monitor_2proc_processed"] = int(sum(
            v for k, v in monitor2.metrics.items() if k.startswith("riskmon_events_processed_total")))
    if profiled:
        out["monitor_eps_profiled"] = _eps(profiled.progress)
        out["profile"] = str(profiled.profile) if profiled.profile else ""
    if latency:
        out.update({
            "latency_source": latency.source,
            "latency_p95_ms": latency.headline("p95"),
            "latency_alert_samples": latency.alert_samples,
            "latency_alert_ms": latency.alert_ms,
            "latency_entity_alert_samples": latency.entity_alert_samples,
            "latency_entity_alert_ms": latency.entity_alert_ms,
            "latency_hist_ms": latency.hist_ms,
            "latency_hist_count": latency.hist_count,
            "latency_hist_share_le_250ms": latency.hist_share_le_250ms,
            "latency_commit_ms": latency.commit_ms,
            "latency_produced": latency.produced,
            "latency_achieved_rate": latency.achieved_rate,
            "latency_committed_all": latency.all_committed,
            "latency_curve": latency_curve(latency, out.get("monitor_eps", math.nan)),
        })
    out.update(restart_keys(restart))
    out["bar"] = {key: _meets(_lookup(out, key), op, bound) for key, op, bound in BAR}
    out["settings"] = {
        "events": events, "users": users, "rate": opts.latency_rate, "duration": opts.latency_seconds,
        "skip_latency": opts.skip_latency, "batch_max": settings.batch_max, "batch_linger_s": settings.batch_linger_s,
        "partitions": settings.partitions, "smoke": opts.smoke, "broker_reused": bool(opts.broker),
        "restart_users": 0 if opts.skip_restart else opts.restart_users,
    }
    out["versions"] = versions(kafka_version)
    out["machine"] = machine()
    out["errors"] = errors
    return out


def restart_keys(restart: RestartResult | None) -> dict[str, Any]:
    """The restart phase's keys: seconds to ready per store, and what they are compared with.

    ``restart_ready_s.memory`` replays the whole changelog, ``.rocksdb`` restarts
    with the local RocksDB state kept; ``restart_changelog_read_s`` is a bare
    aiokafka consumer reading the same changelog in the same run, so the
    ratios say how far recovery is from the client's own read speed.
    """
    r = restart
    ready = r.ready_s if r else {}
    return {
        "restart_ready_s": {"memory": ready.get("memory", math.nan), "rocksdb": ready.get("rocksdb", math.nan)},
        "restart_rocksdb_first_ready_s": ready.get("rocksdb_first", math.nan),
        "restart_users": r.users if r else 0,
        "restart_recovered_users": dict(r.recovered) if r else {},
        "restart_changelog_read_s": r.read_s if r else math.nan,
        "restart_memory_over_read": r.over_read("memory") if r else math.nan,
        "restart_rocksdb_over_read": r.over_read("rocksdb") if r else math.nan,
        "restart_changelog_bytes": r.changelog_bytes if r else 0,
        "restart_write_s": r.write_s if r else math.nan,
        "restart_stop_s": dict(r.stop_s) if r else {},
    }


def _lookup(result: dict[str, Any], key: str) -> Any:
    """``result[key]``, where ``a.b`` reads ``result["a"]["b"]`` (NaN when missing)."""
    value: Any = result
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return math.nan
        value = value[part]
    return value


def latency_curve(latency: LatencyResult, max_rate: float) -> list[dict[str, Any]]:
    """The curve's steps: rate as a share of the one-process maximum of the same run, p50/p99 and their view."""
    return [{
        "share_of_max": step.rate / max_rate if max_rate and not math.isnan(max_rate) else math.nan,
        "rate": step.rate, "achieved_rate": step.achieved_rate, "p50_ms": step.headline("p50"),
        "p99_ms": step.headline("p99"), "source": step.source, "committed_all": step.all_committed,
    } for step in latency.curve]


def _meets(value: Any, op: str, bound: float) -> bool | None:
    if not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return value >= bound if op == ">=" else value <= bound


def _clean(value: Any) -> Any:
    """NaN/inf are not JSON: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def json_line(result: dict[str, Any]) -> str:
    return json.dumps(_clean(result), separators=(",", ":"))


def _fmt(value: Any, unit: str = "") -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.1f}{unit}" if abs(value) >= 10 else f"{value:,.3g}{unit}"
    return f"{value}{unit}"


def table(result: dict[str, Any]) -> str:
    """The human view: each headline number, what it is compared to, and the verdict."""
    bar = result["bar"]
    verdict = {True: "ok", False: "MISS", None: "-"}
    rows = [
        ("throughput (events/s, commits)", "", "", ""),
        ("  aiokafka passthrough", _fmt(result["aiokafka_eps"]), "", ""),
        ("  bare Faust agent", _fmt(result["faust_eps"]), "", ""),
        ("  Faust's consumer as the worker takes input, consuming only", _fmt(result.get("faust_consume_eps", math.nan)), "", ""),
        ("  Faust consuming only / aiokafka", _fmt(result.get("faust_consume_over_aiokafka", math.nan)), "", ""),
        ("  monitor (riskmon worker)", _fmt(result["monitor_eps"]), ">= 5,000", verdict[bar["monitor_eps"]]),
        ("  monitor / Faust", _fmt(result["ratio_faust"]), ">= 0.5", verdict[bar["ratio_faust"]]),
        ("  monitor / aiokafka", _fmt(result["ratio_aiokafka"]), "", ""),
        ("  monitor, 2 processes (--processes 2)", _fmt(result.get("monitor_2proc_eps", math.nan)), "", ""),
        ("  2 processes / 1", _fmt(result.get("processes_2_over_1", math.nan)), "", ""),
        ("  monitor without entity views", _fmt(result.get("monitor_no_entities_eps", math.nan)), "", ""),
        ("  with / without entity views", _fmt(result.get("entity_views_eps_ratio", math.nan)), "", ""),
        ("latency (produce -> processed, ms)", "", "", ""),
        (f"  p50 [{result.get('latency_source', '-')}]", _fmt(result["latency_p50_ms"]), "", ""),
        (f"  p99 [{result.get('latency_source', '-')}]", _fmt(result["latency_p99_ms"]), "<= 250", verdict[bar["latency_p99_ms"]]),
        ("  p99 without entity views", _fmt(result.get("latency_p99_no_entities_ms", math.nan)), "", ""),
        ("  p50 / p99 with 2 processes (--processes 2)", f"{_fmt(result.get('latency_p50_2proc_ms', math.nan))} / "
         f"{_fmt(result.get('latency_p99_2proc_ms', math.nan))}", "", ""),
    ]
    if "latency_hist_ms" in result:
        hist, commit = result["latency_hist_ms"], result["latency_commit_ms"]
        rows += [
            ("  p99 [worker histogram]", _fmt(hist.get("p99", math.nan)), "", ""),
            ("  share <= 250 ms [histogram]", _fmt(result["latency_hist_share_le_250ms"]), "", ""),
            ("  p50 / p99 -> committed", f"{_fmt(commit.get('p50', math.nan))} / {_fmt(commit.get('p99', math.nan))}", "", ""),
        ]
    for step in result.get("latency_curve", []):
        rows.append((f"  at {_fmt(step['share_of_max'] * 100)} % of max ({_fmt(step['rate'])} ev/s): p50 / p99 "
                     f"[{step['source']}]", f"{_fmt(step['p50_ms'])} / {_fmt(step['p99_ms'])}", "", ""))
    rows += [
        ("scorer (us, best of N)", "", "", ""),
        ("  single: compiled / sklearn", f"{_fmt(result['scorer_single_us'])} / {_fmt(result['sklearn_single_us'])}",
         ">= 50x", verdict[bar["scorer_single_speedup"]] + f" ({_fmt(result['scorer_single_speedup'])}x)"),
        ("  batch per event: compiled / sklearn",
         f"{_fmt(result['scorer_batch_us_per_event'])} / {_fmt(result['sklearn_batch_us_per_event'])}",
         ">= 1x", verdict[bar["scorer_batch_speedup"]] + f" ({_fmt(result['scorer_batch_speedup'])}x)"),
        ("  max |compiled - sklearn| score", _fmt(result["scores_max_abs_diff"]), "<= 1e-12",
         "ok" if result["scores_equal"] else "MISS"),
        ("state (bytes/user)", "", "", ""),
        ("  struct + key", _fmt(result["state_bytes_per_user"]), "<= 1024", verdict[bar["state_bytes_per_user"]]),
        ("  changelog: latest / all written", f"{_fmt(result['state_changelog_live_bytes_per_user'])} / "
         f"{_fmt(result['state_changelog_written_bytes_per_user'])}", "", ""),
    ]
    if result.get("restart_users"):
        ready = result["restart_ready_s"]
        rows += [
            (f"restart ({result['restart_users']:,} users' states, s to /ready)", "", "", ""),
            ("  memory store (replays the changelog)", _fmt(ready["memory"]), "", ""),
            ("  rocksdb, local state kept", _fmt(ready["rocksdb"]), "<= 60",
             verdict[bar["restart_ready_s.rocksdb"]]),
            ("  rocksdb first start (replays into RocksDB)", _fmt(result["restart_rocksdb_first_ready_s"]), "", ""),
            ("  bare aiokafka consumer reads the changelog", _fmt(result["restart_changelog_read_s"]), "", ""),
            ("  memory / bare read", _fmt(result["restart_memory_over_read"]), "", ""),
        ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{name:<{width}}  {value:>22}  {target:>9}  {ok}".rstrip() for name, value, target, ok in rows]
    s, v, m = result["settings"], result["versions"], result["machine"]
    lines.append(
        f"\n{s['events']:,} events / {s['users']:,} users, {s['partitions']} partitions, batch {s['batch_max']} "
        f"within {s['batch_linger_s']}s; latency at {s['rate']:.0f} ev/s for {s['duration']:.0f}s"
    )
    lines.append(
        f"python {v['python']}, faust {v['faust']}, aiokafka {v['aiokafka']}, kafka-python {v['kafka-python']}, "
        f"numpy {v['numpy']}, sklearn {v['sklearn']}, Kafka {v['kafka_broker']}; {m['cores']} cores, {m['date']}"
    )
    for error in result["errors"]:
        lines.append(f"ERROR: {error}")
    return "\n".join(lines)
