"""End to end on the real broker: simulator -> loan-events -> `riskmon worker` ->
risk-alerts / loan-events-dlq / metrics, checked against the offline replay of
the same events through the same code."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from models.model import load, save
from models.prior import load_prior
from models.train import train
from stream.core.alerts import ALERT_SCHEMA_VERSION, ENTITY_ALERT_SCHEMA_VERSION
from stream.core.contract import parse_document
from stream.core.pipeline import observe_sightings, process, sweep_quiet
from stream.core.entities import LATE_DAYS
from stream.kafka.producer import MALFORMED, make_producer, publish
from stream.core.rules import RuleConfig
from stream.core.state_epoch import StateEpoch
from stream.settings import Settings
from stream.core.outcome_watch import bucket_of
from stream.sim import SimConfig, generate
from stream.sim.retime import retime
from tests.conftest import free_ports
from tests.support import FARM_DEVICE, LATE_MERCHANT, ROOT, alert_validator, with_device_farm, with_late_merchant, decode_dlq, loan_doc, metric_sum, read_topic, scrape, start_worker, stop_worker, wait_for

pytestmark = pytest.mark.slow

REQUIRED_ALERT_FIELDS = {
    "alert_id", "user_id", "event_id", "event_ts", "score", "threshold", "severity", "reasons", "model_version", "emitted_at",
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on a simulated history that shares no users with the test stream; 60 days, so
    enough loans have matured outcomes for an overdue early warning; with the shipped typology prior, as
    ``riskmon train`` trains by default."""
    history, _ = generate(SimConfig(users=1500, days=60, seed=3, user_prefix="hist"))
    model = train((parse_document(e) for e in history), seed=7, typology_prior=load_prior("default"))
    assert model.by_type["loan"].blend is not None and model.by_type["loan"].blend.prior is not None
    out = tmp_path_factory.mktemp("model")
    save(model, out)
    return out


def test_stream_end_to_end(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    (metrics_port,) = free_ports(1)
    # Storms on, and touchier than by default: with a tenth of the users misbehaving from day 2,
    # student_overborrowing runs over 3x its training rate for days, and the alerts it alone raised
    # are held (so may the model's, should it run 3x its own).
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=metrics_port,
                                     rule_storm_factor=3, rule_storm_min_hits=5,
                                     rule_storm_min_users=3)
    events, labels = generate(SimConfig(users=600, days=14, seed=11, anomaly_rate=0.1, user_prefix="e2e", anomaly_start_day=2))
    # The model's history is 60 days, whose borrowers come back within about 20 (its return span):
    # the farm borrows past it, where a worker started on this stream can tell new accounts.
    assert load(model_dir).entity_thresholds.unknown_past_s < 21 * 86400
    events, labels = with_device_farm(events, labels, day=22)
    events, labels = with_late_merchant(events, labels)
    events = retime(events)  # sent as a live producer would (stream.core.event_time)
    assert len(events) > 1500

    producer = make_producer(settings)
    sent, bad = publish(producer, settings.input_topic, events, malformed_every=100)
    producer.close()
    assert sent == len(events) and bad >= len(MALFORMED)

    expected_sightings = sum(bool(e.get("device_id") and e["channel"] != "merchant") + bool(e.get("merchant_id"))
                             for e in events if e["event_type"] == "loan")  # a till is the merchant's
    drawn_at_merchant = {e["loan_id"] for e in events if e["event_type"] == "loan" and e.get("merchant_id")}
    expected_sightings += sum(e["event_type"] == "repayment" and e["loan_id"] in drawn_at_merchant
                              and e["days_late"] >= LATE_DAYS for e in events)  # lateness sightings
    log = tmp_path / "worker.log"
    worker = start_worker(settings, log)
    wanted = {"riskmon_events_processed_total": sent, "riskmon_events_invalid_total": bad,
              "riskmon_entity_sightings_total": expected_sightings}
    reached: dict[str, float] = {}

    def all_processed() -> bool:
        samples = scrape(metrics_port)
        reached.update({name: metric_sum(samples, name) for name in wanted})
        return all(reached[name] >= n for name, n in wanted.items())

    try:
        wait_for(all_processed, timeout_s=150, proc=worker, log=log,
                 what=lambda: f"all events processed: wanted {wanted}, reached {reached}")
        samples = scrape(metrics_port)
        # A hung worker's stacks can be taken without stopping it (docs/operations.md).
        worker.send_signal(signal.SIGUSR2)
        wait_for(lambda: "Thread 0x" in log.read_text(errors="replace"), timeout_s=10,
                 what="the stack dump SIGUSR2 asks for", proc=worker, log=log)
    finally:
        assert stop_worker(worker) == 0, log.read_text(errors="replace")[-2000:]

    # Every valid event processed exactly once, none as a duplicate.
    assert metric_sum(samples, "riskmon_events_processed_total") == sent
    assert samples.get('riskmon_events_processed_total{event_type="loan",outcome="duplicate"}', 0) == 0
    assert metric_sum(samples, "riskmon_events_invalid_total") == bad
    assert samples["riskmon_worker_ready"] == 1.0
    assert metric_sum(samples, "riskmon_score_count") == sent

    # Every malformed message is on the DLQ with a reason and its original bytes.
    dlq = [decode_dlq(v) for _, v in read_topic(settings, settings.dlq_topic)]
    assert len(dlq) == bad
    payloads = {payload for _, payload in MALFORMED}
    for record, original in dlq:
        assert original in payloads
        assert record["reason"] and record["error"]
        assert record["source"]["topic"] == settings.input_topic and record["source"]["offset"] >= 0
    assert {r["reason"] for r, _ in dlq} >= {"not_json", "not_object", "wrong_type", "out_of_range", "missing_field",
                                              "unknown_event_type", "bad_format", "too_large"}

    # Alerts: complete documents, keyed by user (by entity for entity alerts), one per alerting event.
    messages = read_topic(settings, settings.alerts_topic)
    every = [orjson.loads(v) for _, v in messages]
    validator = alert_validator()
    for a in every:
        validator.validate(a)
    alerts = [a for a in every if a["schema_version"] == ALERT_SCHEMA_VERSION]
    entity_alerts = [a for a in every if a["schema_version"] == ENTITY_ALERT_SCHEMA_VERSION]
    assert alerts, "no alerts at all"
    assert all(k == (a["entity_id"] if a in entity_alerts else a["user_id"]).encode()
               for (k, _), a in zip(messages, every))
    assert len({a["alert_id"] for a in every}) == len(every), [a for a in every if sum(b["alert_id"] == a["alert_id"] for b in every) > 1]
    for a in alerts:
        assert REQUIRED_ALERT_FIELDS <= set(a)
        assert 0.0 <= a["score"] <= 1.0 and a["reasons"] and a["severity"] in {"low", "medium", "high", "critical"}
    for a in entity_alerts:  # on the same topic, the shared contract's alert too
        assert REQUIRED_ALERT_FIELDS <= set(a) and 0.5 <= a["score"] < 1.0 and a["user_id"] in a["users"]
    assert metric_sum(samples, "riskmon_alerts_total") == len(alerts)

    # The stream decides exactly what the offline replay of the same events decides, including
    # which repeated alerts are suppressed (counted, not sent); of the rest, it sends all but
    # those a rule storm held (which ones depends on how the worker interleaved its partitions).
    model = load(model_dir)
    offline = process(model, model.rules(RuleConfig()), {}, [parse_document(e) for e in events],
                      settings.suppress_window_s,  # as a worker started on this stream, with the model's span
                      epoch=StateEpoch(unknown_past_s=model.entity_thresholds.unknown_past_s))
    decided = {o.alert["alert_id"]: o for o in offline if o.alert and not o.suppressed}
    sent = {a["alert_id"] for a in alerts}
    assert sent <= set(decided), f"{len(sent - set(decided))} alerts the offline replay does not raise"
    held = [decided[i] for i in set(decided) - sent]
    assert held, "no alert held, though student_overborrowing storms in this stream"
    assert not any(o.decision.early_warning_fired for o in held), "an alert the early warning raised was held"
    assert metric_sum(samples, "riskmon_alerts_held_total") == sum(len(o.alert["fired_by"]) for o in held)
    suppressed = sum(1 for o in offline if o.suppressed)
    assert suppressed > 0
    assert metric_sum(samples, "riskmon_alerts_suppressed_total") == suppressed

    # The entity views: every sighting folded once, the farm's device alerts, and the stream's
    # entity alerts are the offline replay's (their ids do not depend on arrival order).
    assert sum(len(o.sightings) for o in offline) == expected_sightings
    assert metric_sum(samples, "riskmon_entity_sightings_total") == expected_sightings
    assert samples.get('riskmon_entity_sightings_total{entity_type="device",result="duplicate"}', 0) == 0
    # Which sighting tipped an entity depends on arrival order, so member alerts (one more borrower
    # each) may differ; the standing alerts and the borrowers named per entity may not.
    replayed = [o.alert for o in observe_sightings({}, offline, model.entity_thresholds, model.version)
                if o.alert and not o.suppressed]

    def standing(alerts: list[dict]) -> set[str]:
        return {a["alert_id"] for a in alerts if "member_of" not in a}

    def named(alerts: list[dict]) -> dict[tuple[str, str], set[str]]:
        out: dict[tuple[str, str], set[str]] = {}
        for a in alerts:
            out.setdefault((a["entity_type"], a["entity_id"]), set()).update(a["users"])
        return out

    assert standing(replayed) == standing(entity_alerts)
    assert named(replayed) == named(entity_alerts)
    farm = {e["user_id"] for e in events if e.get("device_id") == FARM_DEVICE}
    assert named(entity_alerts)[("device", FARM_DEVICE)] == farm
    late_payers = {e["user_id"] for e in events if e.get("merchant_id") == LATE_MERCHANT}
    assert named(entity_alerts)[("merchant", LATE_MERCHANT)] == late_payers
    assert any("merchant_lateness" in a["fired_by"] for a in entity_alerts if a["entity_id"] == LATE_MERCHANT)
    assert metric_sum(samples, "riskmon_entity_alerts_total") == len(entity_alerts)

    # The overdue early warning: each loan it scored counted in its bucket, and the outcomes that
    # later repayments realised (delayed labels), as the offline replay realises them.
    assert model.early_warning is not None
    scored = Counter(bucket_of(o.decision.early_warning) for o in offline
                     if o.decision is not None and o.decision.early_warning is not None)
    assert {f'riskmon_early_warning_scored_total{{bucket="{b}"}}': float(n) for b, n in scored.items()} == {
        k: v for k, v in samples.items() if k.startswith("riskmon_early_warning_scored_total{") and v}
    untracked = Counter(bucket_of(o.decision.early_warning) for o in offline if o.untracked)
    assert {f'riskmon_early_warning_untracked_total{{bucket="{b}"}}': float(n) for b, n in untracked.items()} == {
        k: v for k, v in samples.items() if k.startswith("riskmon_early_warning_untracked_total{") and v}
    assert any("early_warning" in a["fired_by"] and a["early_warning_probability"] >= model.early_warning.threshold
               for a in alerts)
    realised = Counter((r.bucket, r.source, "bad" if r.bad else "good") for o in offline for r in o.realised)
    assert sum(realised.values()) >= 10
    assert {f'riskmon_early_warning_realised_total{{bucket="{b}",outcome="{r}",source="{s}"}}': float(n)
            for (b, s, r), n in realised.items()} == {
        k: v for k, v in samples.items() if k.startswith("riskmon_early_warning_realised_total{") and v}
    assert metric_sum(samples, "riskmon_early_warning_realised_probability_total") == pytest.approx(
        sum(r.probability for o in offline for r in o.realised))

    # Injected anomalies are caught: most typologies, a good share of their users.
    anomalous = {e["user_id"]: l["scenario"] for e, l in zip(events, labels) if l["label"]}
    alerted_users = {a["user_id"] for a in alerts}
    caught = {s for u, s in anomalous.items() if u in alerted_users}
    assert len(caught) >= 3, caught
    assert len(alerted_users & set(anomalous)) / len(anomalous) >= 0.3
    normal_users = {e["user_id"] for e, l in zip(events, labels) if not l["user_anomalous"]}
    assert len(alerted_users & normal_users) / len(normal_users) <= 0.05



ALERT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d  (low|medium|high|critical) +al-[0-9a-f]{20} score=[01]\.\d{3} \[")


def test_make_run_demo_shows_alerts_and_stops_cleanly(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    """`make run`'s job (`riskmon run`) against a running broker: it leaves the broker
    alone, prints alert lines and a metrics summary, and stops its worker and simulator."""
    (metrics_port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=metrics_port)
    done = subprocess.run(
        [sys.executable, "-m", "stream.cli", "run", "--duration", "40", "--rate", "500", "--users", "400"],
        env=settings.environment(), cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    out = done.stdout
    assert done.returncode == 0, (out, done.stderr)
    assert "starting the local Kafka broker" not in out and out.rstrip().endswith("stopped cleanly.")
    alerts = [line for line in out.splitlines() if ALERT_LINE.match(line)]
    assert alerts, out
    processed = [int(m.group(1)) for m in re.finditer(r"^-- processed=(\d+)", out, re.M)]
    assert processed and processed[-1] > 1000, out
    assert not re.search(r"live\d{12}-\d+", out)  # no user id on the terminal
    log = (tmp_path / "run" / "simulator.log").read_text()
    assert re.search(r"published \d+ events", log), log
    with pytest.raises(OSError):  # the worker is gone: nothing serves its metrics any more
        scrape(metrics_port)


def test_each_demo_run_simulates_new_users() -> None:
    from stream.local.demo import demo_user_prefix

    first, later = demo_user_prefix(0.0), demo_user_prefix(61.0)
    assert first == "live700101000000" and later == "live700101000101"


def test_a_quiet_borrowers_unpaid_loan_is_realised_by_the_worker_sweep(unique_topics: Settings, model_dir: Path,
                                                                       tmp_path: Path) -> None:
    """Twelve borrowers take a loan 40 days ago and send nothing more; other borrowers keep the
    partitions busy now.  The worker's quiet sweep (over the real Faust table) realises every one of
    the twelve loans bad, in the bucket and source the offline replay tagged it with, and nothing else."""
    (metrics_port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=metrics_port,
                                     entity_views=False)
    now = time.time()

    def loan(user: str, n: int, ts: float, amount: float) -> dict:
        return loan_doc(user, n, datetime.fromtimestamp(ts, timezone.utc), amount, 7, credit_limit=5000)

    quiet = [loan(f"quiet-{i}", 0, now - 40 * 86400 + 60 * i, 400 + 350 * i) for i in range(12)]
    model = load(model_dir)
    states: dict = {}
    process(model, model.rules(RuleConfig()), states, [parse_document(d) for d in quiet], 0.0)
    expected = Counter((r.bucket, r.source, "bad") for rs in sweep_quiet(model, states, now).values() for r in rs)
    assert sum(expected.values()) == 12

    producer = make_producer(settings)
    publish(producer, settings.input_topic, quiet)
    producer.flush()
    log = tmp_path / "worker.log"
    worker = start_worker(settings, log)
    rounds = 0

    def all_realised() -> bool:  # a batch sweeps only users of its own partitions: keep every partition busy
        nonlocal rounds
        rounds += 1
        publish(producer, settings.input_topic, [loan(f"busy-{i}", rounds, time.time(), 100) for i in range(40)])
        producer.flush()
        return metric_sum(scrape(metrics_port), "riskmon_early_warning_realised_total") >= 12

    def turned_again() -> bool:  # a later turn looks at them again, and must not realise them twice
        all_realised()
        return scrape(metrics_port)["riskmon_quiet_sweep_turns_total"] >= 2

    try:
        wait_for(all_realised, timeout_s=120, proc=worker, log=log, what="the quiet borrowers' loans realised")
        wait_for(turned_again, timeout_s=60, proc=worker, log=log, what="two turns of the quiet sweep")
        samples = scrape(metrics_port)
    finally:
        producer.close()
        assert stop_worker(worker) == 0, log.read_text(errors="replace")[-2000:]
    assert {f'riskmon_early_warning_realised_total{{bucket="{b}",outcome="{r}",source="{s}"}}': float(n)
            for (b, s, r), n in expected.items()} == {
        k: v for k, v in samples.items() if k.startswith("riskmon_early_warning_realised_total{") and v}
