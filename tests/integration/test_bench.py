"""``riskmon bench``: the smoke run end to end on the real broker, plus its pure helpers.

Never asserts on speed (a shared CI box makes any timing bar flaky): only that
every phase ran, every contender consumed everything, and the compiled
forest scores exactly like scikit-learn on the benchmark batch.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from stream.bench import prom
from stream.bench.latency import curve_steps, events_needed, is_entity_alert
from stream.bench.offsets import Progress
from stream.bench.report import json_line
from stream.bench.scorer import best_of
from stream.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SMOKE_EVENTS = 3_000
SMOKE_RESTART_USERS = 3_000

REQUIRED_KEYS = {
    "monitor_eps", "aiokafka_eps", "faust_eps", "ratio_faust", "latency_p50_ms", "latency_p99_ms",
    "scorer_single_us", "sklearn_single_us", "scorer_batch_us_per_event", "sklearn_batch_us_per_event",
    "state_bytes_per_user", "versions", "settings", "machine", "processes_2_over_1",
    "monitor_no_entities_eps", "entity_views_eps_ratio", "latency_p99_no_entities_ms", "latency_curve",
    "restart_ready_s", "restart_users", "restart_recovered_users", "restart_changelog_read_s",
    "latency_p50_2proc_ms", "latency_p99_2proc_ms", "faust_consume_eps", "faust_consume_over_aiokafka",
}


@pytest.mark.slow
def test_bench_smoke_end_to_end(kafka_settings: Settings, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "stream.cli", "bench", "--smoke", "--json", "--broker", kafka_settings.broker,
         "--keep-logs", str(tmp_path / "logs")],
        cwd=ROOT, env=kafka_settings.environment(), capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert REQUIRED_KEYS <= result.keys()
    assert result["errors"] == []

    for key in ("monitor_eps", "aiokafka_eps", "faust_eps", "faust_consume_eps", "ratio_faust", "latency_p50_ms",
                "latency_p99_ms",
                "scorer_single_us", "sklearn_single_us", "scorer_batch_us_per_event", "sklearn_batch_us_per_event",
                "state_bytes_per_user"):
        assert result[key] is not None and result[key] > 0, key

    # Every contender consumed the whole pre-loaded topic, and the worker processed every event once.
    assert result["settings"]["events"] == SMOKE_EVENTS
    for name in ("aiokafka", "faust", "faust_consume", "monitor"):
        assert result[f"{name}_committed_all"], name
    assert result["monitor_processed"] + result["monitor_invalid"] == SMOKE_EVENTS
    # Two processes in one group (riskmon worker --processes 2) share the same events between them.
    assert result["monitor_2proc_committed_all"] and result["processes_2_over_1"] > 0
    assert result["monitor_2proc_processed"] >= result["monitor_processed"]
    # The entity views' cost is measured against the same worker without them, in the same run.
    assert result["entity_views_eps_ratio"] > 0 and result["latency_p99_no_entities_ms"] > 0
    # The same fixed rate on two processes: both joined the group and every step was processed.
    assert 0 < result["latency_p50_2proc_ms"] <= result["latency_p99_2proc_ms"]
    assert result["latency_committed_all"]
    # The latency curve: the same worker at 25/50/75/90 % of the one-process maximum of this run, each step
    # caught up before the next, each with its own percentiles.
    curve = result["latency_curve"]
    assert [round(step["share_of_max"], 2) for step in curve] == [0.25, 0.5, 0.75, 0.9]
    for step in curve:
        assert step["committed_all"] and step["rate"] > 0 and step["achieved_rate"] > 0
        assert 0 < step["p50_ms"] <= step["p99_ms"], step
    assert result["state_changelog_users"] == result["settings"]["users"]
    # Restart: every state written to the changelog was back in the worker's table when /ready said so,
    # replayed into memory, replayed into RocksDB, and kept by RocksDB across a restart; each run timed.
    assert result["restart_users"] == SMOKE_RESTART_USERS
    assert result["restart_recovered_users"] == dict.fromkeys(("memory", "rocksdb_first", "rocksdb"), SMOKE_RESTART_USERS)
    for store in ("memory", "rocksdb"):
        assert result["restart_ready_s"][store] > 0, store
    assert result["restart_rocksdb_first_ready_s"] > 0 and result["restart_changelog_read_s"] > 0

    # Correctness of the comparison, not its speed: same model, same scores.
    assert result["scorer_same_as_worker"]
    assert result["scores_equal"] and result["scores_max_abs_diff"] <= 1e-12
    assert result["scorer_batch_size"] == 1000

    assert {"python", "faust", "aiokafka", "kafka-python", "numpy", "sklearn", "kafka_broker"} <= result["versions"].keys()
    assert {"cores", "date"} <= result["machine"].keys()
    assert {"events", "users", "rate", "duration", "batch_max", "batch_linger_s", "partitions"} <= result["settings"].keys()


def test_histogram_quantile_interpolates_inside_the_bucket() -> None:
    cumulative = [(0.1, 50.0), (0.25, 90.0), (0.5, 100.0), (math.inf, 100.0)]
    assert prom.quantile(cumulative, 0.5) == pytest.approx(0.1)
    assert prom.quantile(cumulative, 0.7) == pytest.approx(0.1 + 0.15 * 0.5)
    assert prom.share_at_most(cumulative, 0.25) == pytest.approx(0.9)
    assert prom.quantile([(math.inf, 10.0)], 0.99) == 0.0  # all in +Inf: only a lower bound is known
    assert math.isnan(prom.quantile([], 0.5))


def test_histogram_diff_leaves_only_the_new_observations() -> None:
    before = [(0.1, 5.0), (math.inf, 6.0)]
    after = [(0.1, 8.0), (math.inf, 10.0)]
    assert prom.diff(after, before) == [(0.1, 3.0), (math.inf, 4.0)]


def test_throughput_runs_from_first_output_to_all_committed() -> None:
    p = Progress(started=100.0, total=1000, samples=[(101.0, 0), (103.0, 400), (105.0, 1000)], first_output=102.0)
    assert p.done
    assert p.eps() == pytest.approx(1000 / 3.0)
    assert p.eps_commit_window() == pytest.approx(600 / 2.0)
    assert p.startup_s() == pytest.approx(2.0)
    unfinished = Progress(started=100.0, total=1000, samples=[(101.0, 500)], first_output=100.5)
    assert unfinished.eps() == 0.0


def test_json_line_has_no_nan() -> None:
    line = json_line({"a": math.nan, "b": {"c": math.inf}, "d": [1.0, math.nan]})
    assert json.loads(line) == {"a": None, "b": {"c": None}, "d": [1.0, None]}


def test_best_of_reports_per_call_seconds() -> None:
    calls = []
    seconds = best_of(lambda: calls.append(1), repeats=2, min_time_s=0.001)
    assert 0 < seconds < 0.01 and len(calls) > 2


def test_the_latency_curve_steps_and_the_events_they_need() -> None:
    assert curve_steps(1000.0, 20.0) == [(250, 20.0), (500, 20.0), (750, 20.0), (900, 20.0)]
    assert curve_steps(0.0, 20.0) == []  # no maximum measured (the monitor phase failed): no curve
    assert events_needed([(100.0, 10.0)]) == 100 + 1000  # a 1 s warm-up, then 10 s
    assert events_needed([(100.0, 10.0), (200.0, 60.0)]) == 1100 + 600 + 12_000  # warm-up at most 3 s


def test_ring_alerts_are_timed_apart_from_the_events_own_alerts() -> None:
    assert not is_entity_alert({"event_id": "e1", "entity_type": "user", "user_id": "u1"})
    assert not is_entity_alert({"event_id": "e1", "user_id": "u1"})  # written before entity views
    assert is_entity_alert({"event_id": "e1", "entity_type": "device", "entity_id": "d1"})
    assert is_entity_alert({"event_id": "e1", "entity_type": "merchant", "entity_id": "m1"})


def test_scrape_sum_adds_every_process_and_skips_a_silent_one_only_when_told() -> None:
    from prometheus_client import CollectorRegistry, Counter, start_http_server

    from stream.bench.cluster import consecutive_free_ports

    first = consecutive_free_ports(3)
    servers = []
    for port, value in ((first, 2.0), (first + 1, 5.0)):
        registry = CollectorRegistry()
        Counter("riskmon_bench_probe", "test", registry=registry).inc(value)
        servers.append(start_http_server(port, addr="127.0.0.1", registry=registry)[0])
    try:
        assert prom.scrape_sum([first, first + 1])["riskmon_bench_probe_total"] == 7.0
        assert prom.scrape_sum([first, first + 1, first + 2], missing_ok=True)["riskmon_bench_probe_total"] == 7.0
        with pytest.raises(OSError):
            prom.scrape_sum([first, first + 2])
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
