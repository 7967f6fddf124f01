"""The real Prometheus server (Debian's `prometheus`) scrapes a running worker with
the project's recording/alerting rules, and the risk team's dashboard queries
return data: the dashboard is checked against what the worker really exposes,
not against a list of names."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from models.model import save
from models.train import train
from stream.core.contract import parse_document
from stream.kafka.producer import make_producer, publish
from stream.settings import Settings
from stream.sim import SimConfig, generate
from stream.sim.retime import retime
from tests.conftest import free_ports
from tests.support import ROOT, metric_sum, scrape, start_worker, stop_worker, wait_for

pytestmark = pytest.mark.slow

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "loan-risk-monitor.json"
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
JOB = "riskmon-worker"
TEMPLATE = {"$job": JOB, "$instance": ".*", "$event_type": ".*", "$__rate_interval": "30s", "$__range": "5m",
            "$__interval": "5s"}
#: Panels that must show data after a short run (the rest need hours of history or a fault).
MUST_HAVE_DATA = ("riskmon_events_processed_total", "riskmon_alerts_total", "riskmon_score_bucket",
                  "riskmon_processing_latency_seconds_bucket", "riskmon_state_users", "riskmon_model_info",
                  "riskmon_early_warning_realised_bad:ratio7d", "riskmon_early_warning_calibration_error",
                  "riskmon_early_warning_untracked:ratio7d")


def dashboard_queries() -> list[str]:
    exprs: list[str] = []

    def walk(panel: dict) -> None:
        exprs.extend(t["expr"] for t in panel.get("targets", []) if t.get("expr"))
        for child in panel.get("panels", []):
            walk(child)

    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        walk(panel)
    return exprs


def instantiate(expr: str) -> str:
    for name, value in sorted(TEMPLATE.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(name, value)
    return expr


def query(port: int, expr: str) -> list:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    body = json.loads(urllib.request.urlopen(url, timeout=5).read())
    assert body["status"] == "success", (expr, body)
    return body["data"]["result"]


@pytest.fixture
def prometheus_bin() -> str:
    path = shutil.which("prometheus")
    if path is None:
        pytest.fail("the prometheus binary is missing: `make setup` installs the Debian package `prometheus`")
    return path


def test_dashboard_queries_return_data_from_a_live_worker(
    unique_topics: Settings, tmp_path: Path, prometheus_bin: str
) -> None:
    metrics_port, prom_port = free_ports(2)
    # 60 days, so the history holds enough matured outcomes for an early warning and its panels read data.
    history, _ = generate(SimConfig(users=1500, days=60, seed=3, user_prefix="hist"))
    save(train((parse_document(e) for e in history), seed=7), tmp_path / "model")
    settings = unique_topics.replace(model_dir=tmp_path / "model", data_dir=tmp_path / "w", metrics_port=metrics_port)
    events, _ = generate(SimConfig(users=400, days=20, seed=5, anomaly_rate=0.1, user_prefix="p"))
    events = retime(events)  # sent as a live producer would (stream.core.event_time)

    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in RULES],
        "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": [f"127.0.0.1:{metrics_port}"]}]}],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = tmp_path / "worker.log"
    worker = start_worker(settings, log)
    prom = subprocess.Popen(
        [prometheus_bin, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "wb"),
    )
    try:
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/-/ready", timeout=2).status == 200,
                 30, "prometheus ready")
        # In two halves, scraped in between: the worker takes the whole stream in seconds, and the
        # early warning's panels read increases, which a counter at its final value from its first
        # scrape on does not show (a worker in production realises outcomes over days).
        producer = make_producer(settings)
        sent = 0
        for half in (events[: len(events) // 2], events[len(events) // 2:]):
            sent += publish(producer, settings.input_topic, half, rate=1500, malformed_every=200)[0]
            producer.flush()
            wait_for(lambda: metric_sum(scrape(metrics_port), "riskmon_events_processed_total") >= sent,
                     90, "events processed", proc=worker, log=log)
            time.sleep(6)  # a few more scrapes and rule evaluations after the last event
        producer.close()
        assert query(prom_port, f'up{{job="{JOB}"}}')[0]["value"][1] == "1"
        # make setup builds the C tree walk, and the worker says it runs on it
        assert query(prom_port, f'riskmon_tree_walk_compiled{{job="{JOB}"}}')[0]["value"][1] == "1"

        exprs = [instantiate(e) for e in dashboard_queries()]
        assert len(exprs) >= 20
        empty = [e for e in exprs if not query(prom_port, e)]
        for name in MUST_HAVE_DATA:
            assert any(name in e for e in exprs), f"no dashboard panel shows {name}"
            assert not [e for e in empty if name in e], f"panel on {name} returned no data: {empty}"
        assert len(empty) <= len(exprs) // 4, f"{len(empty)} of {len(exprs)} panels empty: {empty}"

        rules = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/rules", timeout=5).read())
        health = [r["health"] for g in rules["data"]["groups"] for r in g["rules"]]
        assert health and all(h == "ok" for h in health), health
    finally:
        prom.terminate()
        prom.wait(timeout=30)
        stop_worker(worker)
