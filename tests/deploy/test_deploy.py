"""The operations side: Prometheus, Alertmanager, Grafana, compose, Dockerfile, k8s.

Two kinds of checks:

* the real tools where they exist on the machine (``promtool check config``,
  ``promtool check rules``, ``promtool test rules``, ``amtool check-config``,
  ``amtool config routes test``); skipped only when the binary is absent;
* cross-checks between files that no single tool sees: every metric a rule or
  panel queries is one the worker exposes, every ``RISKMON_*`` variable is a
  real setting, every bind-mounted path exists, probes hit the endpoints the
  worker serves, selectors match labels, runbook links resolve.

There is no Docker engine or Kubernetes API on the development machine, so the
compose file, the Dockerfile and the manifests are validated by parsing only.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROM_DIR = DEPLOY / "prometheus"
PROM_CONFIG = PROM_DIR / "prometheus.yml"
RULE_FILES = sorted((PROM_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROM_DIR / "tests").glob("*.yml"))
AM_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
GRAFANA_DIR = DEPLOY / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "loan-risk-monitor.json"
K8S_DIR = DEPLOY / "k8s"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
OPERATIONS_DOC = ROOT / "docs" / "operations.md"

WORKER_JOB = "riskmon-worker"
REQUIRED_ALERTS = {
    "RiskmonAlertVolumeSpike",
    "RiskmonNoEventsProcessed",
    "RiskmonDLQRateHigh",
    "RiskmonConsumerLagGrowing",
    "RiskmonWorkerDown",
    "RiskmonWorkerStalled",
    "RiskmonFeatureDriftHigh",
    "RiskmonModelStale",
    "RiskmonModelReloadRefused",
    "RiskmonRuleHotterThanTraining",
}
REQUIRED_SERVICES = {"kafka", "topics", "worker", "simulator", "prometheus", "alertmanager", "grafana"}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (make setup installs it: deploy/install-system-deps.sh)")
    return path


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def _load_yaml(path: Path) -> Any:
    with path.open() as f:
        return yaml.safe_load(f)


def _rules() -> Iterator[dict]:
    for path in RULE_FILES:
        for group in _load_yaml(path)["groups"]:
            yield from group["rules"]


def _alert_rules() -> dict[str, dict]:
    return {r["alert"]: r for r in _rules() if "alert" in r}


# --------------------------------------------------------------------------- promtool / amtool


def test_promtool_check_config_resolves_rule_files():
    promtool = _tool("promtool")
    res = _run(promtool, "check", "config", str(PROM_CONFIG))
    assert res.returncode == 0, res.stdout + res.stderr
    # The rule files are loaded through the config, relative to it.
    assert f"{len(RULE_FILES)} rule files found" in res.stdout + res.stderr


def test_promtool_check_rules():
    promtool = _tool("promtool")
    assert RULE_FILES, "no rule files under deploy/prometheus/rules"
    res = _run(promtool, "check", "rules", *map(str, RULE_FILES))
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=[p.name for p in RULE_TESTS])
def test_promtool_rule_unit_tests(test_file: Path):
    promtool = _tool("promtool")
    res = _run(promtool, "test", "rules", str(test_file))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout + res.stderr


def test_every_alert_has_a_firing_unit_test():
    """Each alert rule is shown to fire at least once in deploy/prometheus/tests."""
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        doc = _load_yaml(path)
        rule_files = {(path.parent / f).resolve() for f in doc["rule_files"]}
        assert rule_files <= {p.resolve() for p in RULE_FILES}, f"{path.name} loads a file that is not a rule file"
        loaded = {r["alert"] for f in rule_files for g in _load_yaml(f)["groups"] for r in g["rules"] if "alert" in r}
        for case in doc["tests"]:
            for check in case.get("alert_rule_test", []):
                # An alert the test's files do not define would be "silent" whatever its rule says.
                assert check["alertname"] in loaded, f"{path.name} checks {check['alertname']} without its rule file"
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = set(_alert_rules())
    assert alerts - fired == set(), f"alerts without a test where they fire: {sorted(alerts - fired)}"
    # The healthy-series test asserts silence for every alert.
    assert alerts - quiet == set(), f"alerts never asserted silent: {sorted(alerts - quiet)}"


def test_amtool_check_config():
    amtool = _tool("amtool")
    res = _run(amtool, "check-config", str(AM_CONFIG))
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize(
    "labels, receiver",
    [
        (["severity=page", "alertname=RiskmonWorkerDown"], "oncall-page"),
        (["severity=ticket", "alertname=RiskmonDLQRateHigh"], "risk-team-ticket"),
        (["alertname=SomethingUnlabelled"], "risk-team-ticket"),
    ],
)
def test_alertmanager_routes_by_severity(labels: list[str], receiver: str):
    amtool = _tool("amtool")
    res = _run(amtool, "config", "routes", "test", f"--config.file={AM_CONFIG}", *labels)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip() == receiver


def test_alert_severities_have_routes():
    am = _load_yaml(AM_CONFIG)
    routed = {m for r in am["route"]["routes"] for m in r.get("matchers", [])}
    for name, rule in _alert_rules().items():
        assert f'severity="{rule["labels"]["severity"]}"' in routed, name


def test_worker_down_inhibits_its_consequences_for_the_same_job():
    am = _load_yaml(AM_CONFIG)
    alerts = set(_alert_rules())
    by_source: dict[str, dict] = {}
    for rule in am["inhibit_rules"]:
        (source,) = rule["source_matchers"]
        by_source[re.fullmatch(r'alertname="(\w+)"', source).group(1)] = rule
    down = by_source["RiskmonWorkerDown"]
    (target,) = down["target_matchers"]
    targets = set(re.fullmatch(r'alertname=~"([\w|]+)"', target).group(1).split("|"))
    assert targets == {"RiskmonNoEventsProcessed", "RiskmonConsumerLagGrowing", "RiskmonWorkerStalled"}
    assert down["equal"] == ["job"]
    for cause in ("RiskmonWorkerStalled", "RiskmonPartitionContractBroken"):  # one page for one incident
        (target,) = by_source[cause]["target_matchers"]
        assert set(re.fullmatch(r'alertname=~"([\w|]+)"', target).group(1).split("|")) == {
            "RiskmonNoEventsProcessed", "RiskmonConsumerLagGrowing"}, cause
    # Inhibition names must be real alerts: a rename would silently break it.
    for rule in am["inhibit_rules"]:
        names = set()
        for m in rule["source_matchers"] + rule["target_matchers"]:
            names |= set(re.search(r'"([\w|]+)"', m).group(1).split("|"))
        assert names <= alerts, f"inhibit rule names unknown alerts: {sorted(names - alerts)}"


# --------------------------------------------------------------------------- alert rule content


def _doc_anchors() -> set[str]:
    """GitHub-style anchors of the Markdown headings in docs/operations.md."""
    anchors = set()
    for line in OPERATIONS_DOC.read_text().splitlines():
        m = re.match(r"^#{1,6}\s+(.*)$", line)
        if m:
            text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def test_the_operations_doc_tables_every_alert():
    """An outside review found ``RiskmonPartitionContractBroken`` missing from the alert table."""
    listed = set(re.findall(r"^\| \[(Riskmon\w+)\]\(#", OPERATIONS_DOC.read_text(), flags=re.M))
    assert listed == set(_alert_rules())


def test_prometheus_keeps_what_the_early_warning_rules_read():
    """An outside review's case: 15 days of retention, while the calibration rules read samples up to
    22 days old, so ``RiskmonEarlyWarningMiscalibrated`` could never fire in the compose stack."""
    text = (PROM_DIR / "rules" / "early_warning.yml").read_text()
    reach = max(int(o) + int(w) for w, o in re.findall(r"\[(\d+)d\]\s*offset\s+(\d+)d", text))
    reach = max(reach, *(int(o) for o in re.findall(r"\boffset\s+(\d+)d", text)))
    compose = _load_yaml(ROOT / "docker-compose.yml")
    (flag,) = [a for a in compose["services"]["prometheus"]["command"] if "retention.time" in a]
    kept = int(re.fullmatch(r".*=(\d+)d", flag).group(1))
    assert reach >= 22 and kept > reach, (kept, reach)


def test_alert_rules_are_complete_for_on_call():
    alerts = _alert_rules()
    assert REQUIRED_ALERTS <= set(alerts), f"missing alerts: {sorted(REQUIRED_ALERTS - set(alerts))}"
    anchors = _doc_anchors()
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"page", "ticket"}, name
        ann = rule["annotations"]
        assert ann.get("summary") and ann.get("description"), name
        m = re.fullmatch(r"docs/operations\.md#([\w\-]+)", ann.get("runbook_url", ""))
        assert m, f"{name}: runbook_url must point at a section of docs/operations.md"
        assert m.group(1) in anchors, f"{name}: no heading for anchor #{m.group(1)} in docs/operations.md"


def test_rules_select_the_scrape_job_name():
    """Rules that pin job=... must use the job the scrape config (and k8s Service) defines."""
    jobs = {c["job_name"] for c in _load_yaml(PROM_CONFIG)["scrape_configs"]}
    assert WORKER_JOB in jobs
    for rule in _rules():
        for job in re.findall(r'job="([^"]*)"', rule["expr"]):
            assert job == WORKER_JOB, rule


# --------------------------------------------------------------------------- metric names


_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_TOKEN = re.compile(r"\d[\w.]*|[A-Za-z_:][\w:]*|\S")
_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan", "atan2",
}
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}


def promql_metric_names(expr: str) -> set[str]:
    """Metric names referenced by a PromQL expression (Grafana variables allowed).

    Strings, label matchers ``{...}`` and ranges ``[...]`` are dropped first; then
    an identifier followed by ``(`` (or, for an aggregation, by ``by``/``without``)
    is a function, keywords are skipped, and the label list after by/without/on/ignoring/group_left/
    group_right is skipped. Tokens starting with a digit are numbers/durations.
    """
    text = _STRING.sub(" ", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # Grafana variables outside matchers
    tokens = _TOKEN.findall(text)
    names: set[str] = set()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok.lower() in _GROUPING and nxt == "(":
            depth, i = 0, i + 1
            while i < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[i], 0)
                if depth == 0:
                    break
                i += 1
        elif (
            re.fullmatch(r"[A-Za-z_:][\w:]*", tok)
            and tok.lower() not in _KEYWORDS
            and nxt != "("  # function call
            and nxt.lower() not in {"by", "without"}  # aggregation written `sum by (...) (...)`
        ):
            names.add(tok)
        i += 1
    return names


def test_promql_tokenizer():
    expr = (
        'sum by (job, le) (rate(foo_bucket{job="$job", a=~"x|y"}[$__rate_interval])) > 3 * '
        'bar:baz:rate5m offset 1d and on (job) histogram_quantile(0.99, qux) unless ignoring (a) '
        'group_left (b) zed > bool 1e3 or vector(0) * time() - label_replace(w, "d", "$1", "s", "(.*)")'
    )
    assert promql_metric_names(expr) == {"foo_bucket", "bar:baz:rate5m", "qux", "zed", "w"}
    assert promql_metric_names("sum(x) without (instance)") == {"x"}


def _exposed_metric_names() -> set[str]:
    """Sample names the worker's /metrics can contain.

    From generate_latest(REGISTRY) after importing stream.worker.metrics: the sample
    lines, plus what each ``# TYPE`` line implies (a labelled metric with no
    label values yet prints only HELP/TYPE, but its samples will exist).
    """
    import stream.worker.metrics  # noqa: F401  (registers the worker's metrics)
    from prometheus_client import REGISTRY, generate_latest

    names: set[str] = set()
    for line in generate_latest(REGISTRY).decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            if kind == "counter":
                base = name[: -len("_total")] if name.endswith("_total") else name
                names |= {base + "_total", base + "_created"}
            elif kind == "histogram":
                names |= {name + s for s in ("_bucket", "_sum", "_count", "_created")}
            elif kind == "summary":
                names |= {name, name + "_sum", name + "_count", name + "_created"}
            else:
                names.add(name)
        elif line and not line.startswith("#"):
            names.add(re.match(r"[A-Za-z_:][\w:]*", line).group(0))
    return names


def _recorded_names() -> set[str]:
    return {r["record"] for r in _rules() if "record" in r}


def _dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def _dashboard_exprs(dash: dict) -> Iterator[tuple[str, str]]:
    def walk(node: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            here = node.get("title") or node.get("name") or where
            if isinstance(node.get("expr"), str):
                yield here, node["expr"]
            for value in node.values():
                yield from walk(value, here)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value, where)

    yield from walk(dash.get("panels", []), "panels")
    yield from walk(dash.get("annotations", {}), "annotations")
    for var in dash["templating"]["list"]:
        if var["type"] != "query":
            continue
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", query) or re.fullmatch(
            r"\s*query_result\((.*)\)\s*", query
        )
        if m:
            yield f"variable {var['name']}", m.group(1)


def test_every_queried_metric_is_exposed_by_the_worker():
    exposed = _exposed_metric_names()
    assert {"riskmon_events_processed_total", "riskmon_score_bucket", "riskmon_model_info",
            "process_cpu_seconds_total"} <= exposed  # sanity of the name set itself
    # `up` is written by Prometheus for every target, ALERTS for every alert.
    known = exposed | _recorded_names() | {"up", "ALERTS"}
    unknown: list[str] = []
    for rule in _rules():
        label = rule.get("record") or rule.get("alert")
        for name in sorted(promql_metric_names(rule["expr"]) - known):
            unknown.append(f"rule {label}: {name}")
    for where, expr in _dashboard_exprs(_dashboard()):
        for name in sorted(promql_metric_names(expr) - known):
            unknown.append(f"dashboard {where}: {name}")
    assert not unknown, "metric names not exposed by the worker nor recorded:\n" + "\n".join(unknown)


def test_recording_rules_are_used():
    """A recording rule nobody queries is dead weight on every evaluation."""
    used: set[str] = set()
    for rule in _rules():
        used |= promql_metric_names(rule["expr"])
    for _, expr in _dashboard_exprs(_dashboard()):
        used |= promql_metric_names(expr)
    doc = OPERATIONS_DOC.read_text()
    unused = {r for r in _recorded_names() if r not in used and r not in doc}
    assert not unused, f"recording rules used nowhere: {sorted(unused)}"


def test_operations_doc_lists_every_worker_metric():
    import stream.worker.metrics as m
    from prometheus_client.metrics import MetricWrapperBase

    doc = OPERATIONS_DOC.read_text()
    missing = []
    for obj in vars(m).values():
        if isinstance(obj, MetricWrapperBase):
            name = obj._name + ("_total" if obj._type == "counter" else "_info" if obj._type == "info" else "")
            if f"`{name}`" not in doc:
                missing.append(name)
    assert not missing, f"metrics missing from docs/operations.md: {missing}"


# --------------------------------------------------------------------------- grafana


def test_dashboard_uses_a_datasource_variable():
    dash = _dashboard()
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = []

    def check(node: Any) -> None:
        if isinstance(node, dict):
            ds = node.get("datasource")
            if isinstance(ds, dict) and ds.get("type") == "prometheus":
                assert ds["uid"] == "${datasource}", node.get("title", node)
            for value in node.values():
                check(value)
        elif isinstance(node, list):
            for value in node:
                check(value)

    check(dash["panels"])
    for panel in dash["panels"]:
        ids.append(panel["id"])
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert dash["uid"] == "loan-risk-monitor"


def test_dashboard_covers_the_risk_team_views():
    # Directly or through a recorded series (level:metric:operations keeps the name).
    exprs = " ".join(e for _, e in _dashboard_exprs(_dashboard()))
    for name in [
        "riskmon_events_processed", "riskmon_alerts", "riskmon_alert_sources",
        "riskmon_score_bucket", "riskmon_processing_latency_seconds", "riskmon_event_lag_seconds",
        "riskmon_consumer_lag_messages", "riskmon_events_invalid", "riskmon_feature_drift_psi",
        "riskmon_model_info", "riskmon_model_created_timestamp_seconds", "riskmon_worker_ready",
        "riskmon_worker_stalled", "riskmon_state_users",
        "riskmon_rule_hit", "riskmon_rule_expected_hit_rate", "riskmon_rule_enabled",
    ]:
        assert name in exprs, f"no panel queries {name}"
    types = {p["type"] for p in _dashboard()["panels"]}
    assert {"timeseries", "stat", "heatmap", "bargauge"} <= types


def test_grafana_provisioning_files():
    ds = _load_yaml(GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml")
    (source,) = ds["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    dashboards = _load_yaml(GRAFANA_DIR / "provisioning" / "dashboards" / "dashboards.yml")
    (provider,) = dashboards["providers"]
    assert provider["type"] == "file"
    # The provider's path is where compose mounts the dashboards directory.
    assert _compose_host_path("grafana", provider["options"]["path"]) == GRAFANA_DIR / "dashboards"


# --------------------------------------------------------------------------- settings


def _settings_names() -> set[str]:
    from stream.settings import ENV_PREFIX, Settings

    return {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(Settings)}


def _check_settings_env(env: dict[str, Any], where: str) -> None:
    """Names are real settings and the values load (types coerce)."""
    from stream.settings import load_settings

    riskmon = {k: str(v) for k, v in env.items() if k.startswith("RISKMON_")}
    unknown = set(riskmon) - _settings_names()
    assert not unknown, f"{where}: not settings: {sorted(unknown)}"
    load_settings(env=riskmon)


# --------------------------------------------------------------------------- docker compose


def _compose() -> dict:
    return _load_yaml(COMPOSE)


def _mounts(service: dict) -> list[tuple[str, str]]:
    out = []
    for vol in service.get("volumes", []):
        if isinstance(vol, dict):
            out.append((vol["source"], vol["target"]))
        else:
            src, dst = vol.split(":")[:2]
            out.append((src, dst))
    return out


def _compose_host_path(service_name: str, container_path: str) -> Path:
    """The repository path behind a path inside a service, via its bind mounts."""
    service = _compose()["services"][service_name]
    best = None
    for src, dst in _mounts(service):
        if src.startswith((".", "/")) and (container_path == dst or container_path.startswith(dst.rstrip("/") + "/")):
            if best is None or len(dst) > len(best[1]):
                best = (src, dst)
    assert best, f"{container_path} is not bind-mounted into {service_name}"
    src, dst = best
    return (ROOT / src / Path(container_path).relative_to(dst)).resolve()


def test_compose_services_and_profiles():
    services = _compose()["services"]
    assert REQUIRED_SERVICES <= set(services), f"missing: {sorted(REQUIRED_SERVICES - set(services))}"
    assert "demo" in services["simulator"].get("profiles", [])
    # Everything else starts with a plain `docker compose up`.
    for name in REQUIRED_SERVICES - {"simulator"}:
        assert not services[name].get("profiles"), name


def test_compose_worker_can_scale():
    worker = _compose()["services"]["worker"]
    assert "container_name" not in worker, "a fixed container_name breaks --scale"
    assert "ports" not in worker, "a host port binding breaks --scale; use expose"
    assert "9308" in {str(p) for p in worker.get("expose", [])}
    assert worker["command"] == ["worker"]


def test_compose_kafka_is_single_node_kraft():
    kafka = _compose()["services"]["kafka"]
    assert kafka["image"] == "apache/kafka:4.0.2"
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert str(env["KAFKA_CONTROLLER_QUORUM_VOTERS"]) == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):
        assert str(env[key]) == "1"
    listeners = env["KAFKA_LISTENERS"]
    for name in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","):
        assert name.split(":")[0] + "://" in listeners
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "healthcheck" in kafka
    # The workers' broker is the in-network listener.
    assert _compose()["services"]["worker"]["environment"]["RISKMON_BROKER"] == "kafka:9092"


def test_compose_start_order():
    services = _compose()["services"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["topics"]["command"] == ["topics"]
    assert services["worker"]["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert services["simulator"]["command"][:2] == ["simulate", "--kafka"]


def test_compose_mounts_exist_and_volumes_are_declared():
    compose = _compose()
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for src, _ in _mounts(service):
            if src.startswith((".", "/")):
                assert (ROOT / src).exists(), f"{name}: bind mount source {src} does not exist"
            else:
                assert src in declared, f"{name}: named volume {src} is not declared"
    assert {"kafka-data", "worker-models"} <= declared


def test_compose_config_paths_match_the_mounts():
    services = _compose()["services"]
    config = next(a for a in services["prometheus"]["command"] if a.startswith("--config.file="))
    assert _compose_host_path("prometheus", config.split("=", 1)[1]) == PROM_CONFIG
    config = next(a for a in services["alertmanager"]["command"] if a.startswith("--config.file="))
    assert _compose_host_path("alertmanager", config.split("=", 1)[1]) == AM_CONFIG
    assert _compose_host_path("grafana", "/etc/grafana/provisioning") == GRAFANA_DIR / "provisioning"
    home = services["grafana"]["environment"].get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        assert _compose_host_path("grafana", home) == DASHBOARD


def test_prometheus_discovers_the_compose_workers():
    compose = _compose()
    prom = _load_yaml(PROM_CONFIG)
    job = next(c for c in prom["scrape_configs"] if c["job_name"] == WORKER_JOB)
    (sd,) = job["dns_sd_configs"]
    assert sd["type"] == "A" and sd["names"] == ["worker"]
    port = compose["services"]["worker"]["environment"].get("RISKMON_METRICS_PORT", "9308")
    assert str(sd["port"]) == str(port)
    (am,) = prom["alerting"]["alertmanagers"]
    for target in am["static_configs"][0]["targets"]:
        assert target.split(":")[0] in compose["services"]


def test_compose_riskmon_env_are_settings():
    for name, service in _compose()["services"].items():
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        _check_settings_env(env, f"docker-compose.yml service {name}")


# --------------------------------------------------------------------------- Dockerfile


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        word, _, args = pending.strip().partition(" ")
        out.append((word.upper(), args.strip()))
        pending = ""
    assert not pending, "Dockerfile ends inside a continued line"
    return out


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, args in _dockerfile_instructions():
        if word == "ENV":
            for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', args):
                env[key] = value.strip('"')
    return env


def test_dockerfile_instructions():
    ins = _dockerfile_instructions()
    words = [w for w, _ in ins]
    froms = [a for w, a in ins if w == "FROM"]
    assert froms and all(re.match(r"python:3\.11", a) for a in froms), froms
    users = [a for w, a in ins if w == "USER"]
    assert users, "no USER: the worker would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    # USER must come after the last FROM to apply to the final image.
    assert max(i for i, w in enumerate(words) if w == "USER") > max(i for i, w in enumerate(words) if w == "FROM")
    assert "9308" in " ".join(a for w, a in ins if w == "EXPOSE").split()
    assert json.loads(next(a for w, a in ins if w == "ENTRYPOINT")) == ["riskmon"]
    assert json.loads([a for w, a in ins if w == "CMD"][-1]) == ["worker"]
    health = next(a for w, a in ins if w == "HEALTHCHECK")
    assert "/metrics" in health
    installs = " ".join(a for w, a in ins if w == "RUN")
    assert "pip wheel" in installs or "pip install" in installs


def test_dockerfile_entrypoint_is_the_console_script():
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "riskmon" in scripts


def test_dockerfile_copies_exist_and_are_not_ignored():
    ignored = [p.strip() for p in DOCKERIGNORE.read_text().splitlines() if p.strip() and not p.startswith("#")]
    for word, args in _dockerfile_instructions():
        if word != "COPY" or "--from" in args:
            continue
        sources = [a for a in args.split() if not a.startswith("--")][:-1]
        for src in sources:
            assert (ROOT / src).exists(), f"COPY {src}: no such path"
            top = Path(src).parts[0]
            assert top not in ignored, f"COPY {src} is excluded by .dockerignore"


def test_dockerfile_riskmon_env_are_settings():
    _check_settings_env(_dockerfile_env(), "Dockerfile")


# --------------------------------------------------------------------------- kubernetes


def _k8s_docs() -> list[tuple[Path, dict]]:
    docs = []
    for path in sorted(K8S_DIR.rglob("*.y*ml")):
        with path.open() as f:
            docs.extend((path, d) for d in yaml.safe_load_all(f) if d is not None)
    return docs


def _k8s(kind: str) -> dict:
    (doc,) = [d for _, d in _k8s_docs() if d["kind"] == kind]
    return doc


def test_k8s_documents_are_well_formed():
    docs = _k8s_docs()
    assert docs
    for path, doc in docs:
        assert isinstance(doc.get("apiVersion"), str) and doc["apiVersion"], path
        assert isinstance(doc.get("kind"), str) and doc["kind"], path
        assert doc.get("metadata", {}).get("name"), path
    kinds = {d["kind"] for _, d in docs}
    assert {"StatefulSet", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "ServiceMonitor"} <= kinds
    # The ServiceMonitor needs prometheus-operator's CRD: keep it out of the
    # top-level directory that `kubectl apply -f deploy/k8s/` reads.
    for path, doc in docs:
        if doc["kind"] == "ServiceMonitor":
            assert path.parent != K8S_DIR


def _worker_container() -> dict:
    (container,) = _k8s("StatefulSet")["spec"]["template"]["spec"]["containers"]
    return container


def test_k8s_statefulset_probes_and_state():
    sts = _k8s("StatefulSet")
    pod = sts["spec"]["template"]["spec"]
    container = _worker_container()
    metrics_port = next(p for p in container["ports"] if p["name"] == "metrics")
    assert metrics_port["containerPort"] == 9308
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthy"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        if probe in container:
            assert container[probe]["httpGet"]["port"] in ("metrics", 9308), probe
    # Injected RISKMON_<SERVICE>_* variables would be rejected as unknown settings.
    assert pod.get("enableServiceLinks") is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    res = container["resources"]
    assert res["requests"]["cpu"] and res["requests"]["memory"] and res["limits"]["memory"]
    # RocksDB on a per-pod volume that holds the data dir.
    config = _k8s("ConfigMap")["data"]
    assert config["RISKMON_TABLE_STORE"] == "rocksdb://"
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == claim["metadata"]["name"])
    for key in ("RISKMON_DATA_DIR", "RISKMON_MODEL_DIR"):
        assert config[key].startswith(mount["mountPath"].rstrip("/") + "/"), key


def test_k8s_references_resolve():
    sts = _k8s("StatefulSet")
    pod_labels = sts["spec"]["template"]["metadata"]["labels"]
    assert sts["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    service = _k8s("Service")
    assert sts["spec"]["serviceName"] == service["metadata"]["name"] == WORKER_JOB
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert service["metadata"]["annotations"]["prometheus.io/port"] == "9308"
    (port,) = service["spec"]["ports"]
    assert port["name"] == "metrics" and port["targetPort"] == "metrics"
    monitor = _k8s("ServiceMonitor")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    pdb = _k8s("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    names = {(d["kind"], d["metadata"]["name"]) for _, d in _k8s_docs()}
    for _, doc in _k8s_docs():
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        for c in spec.get("containers", []):
            for ref in c.get("envFrom", []):
                if "configMapRef" in ref:
                    assert ("ConfigMap", ref["configMapRef"]["name"]) in names
                if "secretRef" in ref:
                    assert ("Secret", ref["secretRef"]["name"]) in names


def test_k8s_jobs_run_riskmon_commands_that_parse():
    """A Job's arguments are a riskmon command line the image's entrypoint accepts."""
    from stream.cli import build_parser

    jobs = [d for _, d in _k8s_docs() if d["kind"] == "Job"]
    assert {j["metadata"]["name"] for j in jobs} >= {"riskmon-topics", "riskmon-seed"}
    for job in jobs:
        (container,) = job["spec"]["template"]["spec"]["containers"]
        args = build_parser().parse_args(container["args"])
        assert args.command == container["args"][0]
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        for path in (v for v in container["args"] if v.startswith("/")):
            assert any(path.startswith(m.rstrip("/") + "/") for m in mounts), f"{path} is on no volume of {job}"


def test_k8s_riskmon_env_are_settings_and_secrets_stay_secret():
    from stream.settings import ENV_PREFIX, SECRET_FIELDS

    secret_names = {ENV_PREFIX + f.upper() for f in SECRET_FIELDS}
    config = _k8s("ConfigMap")["data"]
    secret = _k8s("Secret")
    secret_data = secret.get("stringData") or secret.get("data") or {}
    assert not secret_names & set(config), "secrets belong in the Secret, not the ConfigMap"
    assert set(secret_data) == secret_names
    placeholder = ENV_PREFIX + "MODEL_HMAC_KEY"
    with pytest.raises(ValueError, match="model_hmac_key must be empty .* or at least 32 characters"):
        _check_settings_env({**config, **secret_data}, "k8s ConfigMap + Secret")  # a Secret applied as shipped
    _check_settings_env({**config, **secret_data, placeholder: "0" * 64}, "k8s ConfigMap + Secret")
    for path, doc in _k8s_docs():
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        for c in spec.get("containers", []):
            _check_settings_env({e["name"]: e.get("value", "") for e in c.get("env", [])}, str(path))
