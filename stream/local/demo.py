"""``riskmon run``: the whole system on one machine, for a first look.

Starts the local broker (unless one answers), creates the topics, trains the
default model if there is none, starts a worker and a live simulator as child
processes, then prints alerts as they arrive plus a metrics summary every few
seconds.  Ctrl-C (or ``--duration``) stops the children and the broker it
started, in that order, so nothing is left running.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import orjson
from kafka import KafkaConsumer, TopicPartition

from stream.local import broker
from stream.worker.metrics import metric_total, read_metrics
from stream.local.model_store import ensure_model, model_exists
from stream.settings import Settings
from stream.kafka.config import kafka_client_config
from stream.kafka.topics import ensure_topics

SUMMARY_EVERY_S = 10.0
COLOURS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m"}
RESET = "\033[0m"


def format_alert(alert: dict, colour: bool) -> str:
    """One readable line: time, severity, alert id, score, what fired, top reason.

    The alert id, not the user id: a terminal is not an access-controlled place
    (scrollback, screen shares, pasted snippets), and the id finds the whole
    alert, user included, on the alerts topic.
    """
    top = alert["reasons"][0]["text"] if alert.get("reasons") else ""
    sev = alert["severity"]
    tag = f"{COLOURS.get(sev, '')}{sev:<8}{RESET}" if colour else f"{sev:<8}"
    # An entity alert (a shared device or merchant) shows its type where a user alert shows its score.
    what = f"score={alert['score']:.3f}" if "entity_type" not in alert or alert["entity_type"] == "user" \
        else f"{alert['entity_type']}:{len(alert['users'])} users"
    return f"{alert['event_ts'][:19]}  {tag} {alert['alert_id']} {what} [{'+'.join(alert['fired_by'])}] {top}"


def scrape_summary(port: int) -> str:
    """A one-line summary of the worker's own counters, read from /metrics."""
    try:
        samples = read_metrics(port, timeout_s=2)
    except OSError:
        return "metrics not reachable yet"
    return (
        f"processed={metric_total(samples, 'riskmon_events_processed_total'):.0f} "
        f"alerts={metric_total(samples, 'riskmon_alerts_total'):.0f} "
        f"dead-lettered={metric_total(samples, 'riskmon_events_invalid_total'):.0f}  "
        f"(metrics: http://127.0.0.1:{port}/metrics)"
    )


def _alerts_consumer(settings: Settings) -> KafkaConsumer:
    """A consumer positioned at the current end of the alerts topic (no group, nothing committed)."""
    consumer = KafkaConsumer(**kafka_client_config(settings), enable_auto_commit=False)
    parts = consumer.partitions_for_topic(settings.alerts_topic) or {0}
    tps = [TopicPartition(settings.alerts_topic, p) for p in sorted(parts)]
    consumer.assign(tps)
    consumer.seek_to_end(*tps)
    return consumer


def _stop(proc: subprocess.Popen, name: str, timeout_s: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop in {timeout_s:.0f}s; killing it", file=sys.stderr)
        proc.kill()
        proc.wait()


def run_demo(settings: Settings, rate: float, users: int, duration_s: float = 0.0) -> int:
    started_broker = False
    try:
        if not broker.answers(settings):
            print("starting the local Kafka broker ...", flush=True)
            broker.fetch_jars(settings)
            broker.start(settings)
            started_broker = True
        ensure_topics(settings)
        if not model_exists(settings):
            print("no model yet: training the default model on a simulated history (about 20 s on 2 free cores) ...", flush=True)
        model = ensure_model(settings)
        print(f"model {model.version} loaded", flush=True)
        return _run_children(settings, rate, users, duration_s)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    finally:
        if started_broker:
            broker.stop(settings)
        print("stopped cleanly.", flush=True)


def demo_user_prefix(now: float | None = None) -> str:
    """User-id prefix of one demo run (``live`` + UTC time): new simulated users each run.

    The simulator is seeded, so every run publishes the same month of events. Under
    the same user ids they would be folded into the states the previous run left
    (the changelog outlives it): beyond the 16-event dedup horizon, each user would
    seem to borrow once more per run, and the alerts would say so.
    """
    return "live" + time.strftime("%y%m%d%H%M%S", time.gmtime(now))


def _run_children(settings: Settings, rate: float, users: int, duration_s: float) -> int:
    """Worker and simulator as child processes; alerts printed until Ctrl-C or the deadline."""
    run_dir = settings.data_dir.parent / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = settings.environment()
    cli = [sys.executable, "-m", "stream.cli"]
    consumer = _alerts_consumer(settings)
    children: list[tuple[subprocess.Popen, str]] = []
    colour = sys.stdout.isatty()
    try:
        with open(run_dir / "worker.log", "ab") as worker_log, open(run_dir / "simulator.log", "ab") as sim_log:
            children.append((subprocess.Popen(cli + ["worker"], env=env, stdout=worker_log, stderr=subprocess.STDOUT), "worker"))
            sim_cmd = cli + ["simulate", "--kafka", "--rate", str(rate), "--users", str(users), "--days", "30",
                             "--anomaly-rate", "0.05", "--invalid-rate", "0.002", "--user-prefix", demo_user_prefix()]
            children.append((subprocess.Popen(sim_cmd, env=env, stdout=sim_log, stderr=subprocess.STDOUT), "simulator"))
        print(
            f"worker and simulator started ({rate:.0f} events/s); logs in {run_dir}. Alerts appear below; Ctrl-C stops.",
            flush=True,
        )
        deadline = time.monotonic() + duration_s if duration_s > 0 else float("inf")
        next_summary = time.monotonic() + SUMMARY_EVERY_S
        while time.monotonic() < deadline:
            if children[0][0].poll() is not None:
                print(f"the worker exited with code {children[0][0].returncode}; see {run_dir / 'worker.log'}", file=sys.stderr)
                return 1
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    print(format_alert(orjson.loads(record.value), colour), flush=True)
            if time.monotonic() >= next_summary:
                print(f"-- {scrape_summary(settings.metrics_port)}", flush=True)
                next_summary += SUMMARY_EVERY_S
        return 0
    finally:
        consumer.close()
        for proc, name in reversed(children):
            _stop(proc, name)
