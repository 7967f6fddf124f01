"""Model rollout without restart: a running worker picks up a new model version
atomically; a bad model is refused and the old one keeps scoring."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import orjson
import pytest

from models.model import RiskModel, save
from models.train import train
from stream.worker import metrics
from stream.core.contract import parse_document
from stream.worker.model_watch import ModelWatcher
from stream.kafka.producer import make_producer, publish
from stream.settings import Settings
from stream.sim import SimConfig, generate
from stream.sim.retime import retime
from tests.conftest import free_ports
from tests.support import metric_sum, read_topic, scrape, start_worker, stop_worker, wait_for


@pytest.fixture(scope="module")
def models() -> tuple[RiskModel, RiskModel]:
    history, _ = generate(SimConfig(users=600, days=30, seed=3, user_prefix="hist"))
    first = train((parse_document(e) for e in history), seed=7)
    second = train((parse_document(e) for e in history), seed=8, alert_rate=0.02)
    return first, dataclasses.replace(second, version=first.version + "-next")


def refused_count() -> float:
    return metrics.MODEL_RELOADS.labels("refused")._value.get()


def test_watcher_swaps_in_a_new_version(models, tmp_path: Path) -> None:
    first, second = models
    save(first, tmp_path)
    watcher = ModelWatcher(tmp_path, first.version)
    assert watcher.poll() is None  # nothing changed
    save(second, tmp_path)
    fresh = watcher.poll()
    assert fresh is not None and fresh.version == second.version
    assert watcher.poll() is None


def test_a_model_refused_while_copied_file_by_file_is_loaded_once_complete(models, tmp_path: Path) -> None:
    """``model.json`` lands before ``model.npz`` (cp, rsync): refused in between, then loaded."""
    first, second = models
    save(first, tmp_path / "live")
    save(second, tmp_path / "next")
    watcher = ModelWatcher(tmp_path / "live", first.version)
    (tmp_path / "live" / "model.json").write_bytes((tmp_path / "next" / "model.json").read_bytes())
    assert watcher.poll() is None and watcher.current_version == first.version  # npz checksum mismatch
    (tmp_path / "live" / "model.npz").write_bytes((tmp_path / "next" / "model.npz").read_bytes())
    fresh = watcher.poll()
    assert fresh is not None and fresh.version == second.version


def test_a_model_whose_contents_make_no_sense_is_refused_not_raised(models, tmp_path: Path) -> None:
    """An outside review's case: an artefact with sound checksums but meaningless metadata
    (``"types": []``) raised AttributeError out of the model timer, which crashed the worker."""
    from models.artifact import save_model

    first, _ = models
    save(first, tmp_path)
    watcher = ModelWatcher(tmp_path, first.version)
    before = refused_count()
    save_model(tmp_path, {"x": np.zeros(2)}, {"types": [], "version": "nonsense"})
    assert watcher.poll() is None and refused_count() == before + 1 and watcher.current_version == first.version


def test_watcher_refuses_a_corrupt_model_and_keeps_the_old(models, tmp_path: Path) -> None:
    first, _ = models
    save(first, tmp_path)
    watcher = ModelWatcher(tmp_path, first.version)
    before = refused_count()
    (tmp_path / "model.json").write_text("{ not json")
    assert watcher.poll() is None
    assert refused_count() == before + 1
    assert watcher.current_version == first.version


def test_watcher_refuses_a_model_that_fails_its_sanity_check(models, tmp_path: Path) -> None:
    first, second = models
    save(first, tmp_path)
    watcher = ModelWatcher(tmp_path, first.version)
    loan = second.by_type["loan"]
    broken = dataclasses.replace(loan, reference_scores=loan.reference_scores + 0.05)
    save(dataclasses.replace(second, by_type={**second.by_type, "loan": broken}), tmp_path)  # validly signed
    before = refused_count()
    assert watcher.poll() is None
    assert refused_count() == before + 1


@pytest.mark.slow
def test_running_worker_picks_up_a_new_model(models, unique_topics: Settings, tmp_path: Path) -> None:
    first, second = models
    (port,) = free_ports(1)
    model_dir = tmp_path / "model"
    save(first, model_dir)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "w", metrics_port=port, model_poll_s=0.5)
    events, _ = generate(SimConfig(users=300, days=20, seed=9, anomaly_rate=0.2, user_prefix="r"))
    events = retime(events)  # sent as a live producer would (stream.core.event_time)
    half = len(events) // 2
    log = tmp_path / "worker.log"
    worker = start_worker(settings, log)
    try:
        producer = make_producer(settings)
        publish(producer, settings.input_topic, events[:half])
        wait_for(lambda: metric_sum(scrape(port), "riskmon_events_processed_total") >= half, 90, "first half", worker, log)
        save(second, model_dir)
        info = f'riskmon_model_info{{version="{second.version}"}}'
        wait_for(lambda: scrape(port).get(info) == 1.0, 30, "new model picked up", worker, log)
        publish(producer, settings.input_topic, events[half:])
        producer.close()
        wait_for(lambda: metric_sum(scrape(port), "riskmon_events_processed_total") >= len(events), 90, "all", worker, log)
        assert scrape(port).get('riskmon_model_reloads_total{result="loaded"}') == 1.0
        assert worker.poll() is None  # no restart happened
    finally:
        stop_worker(worker)
    alerts = [orjson.loads(v) for _, v in read_topic(settings, settings.alerts_topic)]
    late_ids = {e["event_id"] for e in events[half:]}
    versions = {a["model_version"] for a in alerts if a["event_id"] in late_ids}
    assert versions == {second.version}, versions
    assert np.isfinite([a["score"] for a in alerts]).all()
