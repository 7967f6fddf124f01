"""Security checks at the level of the running worker:

(a) a tampered or wrongly signed model directory stops `riskmon worker` with a
    clear one-line error (no traceback, no secret), and a pickled array is never
    unpickled (models/artifact.py has the unit tests; this is the worker's side);
(b) SASL_PLAINTEXT/PLAIN against a private broker with an authenticating
    listener: the worker processes with the right password, does nothing but log
    an authentication error with a wrong one, and no password ever appears in the
    worker's log or in `riskmon config`; SSL with a private CA and client
    certificates (mutual TLS): the worker processes with its certificate and
    stops, saying why, without one;
(c) /metrics and the worker log carry no user id.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from models.artifact import _canonical
from models.model import load, save
from stream.local import broker
from stream.local.tls import LocalTls
from stream.kafka.producer import make_producer, publish
from stream.kafka.refusal import refusal
from stream.settings import Settings
from stream.kafka.topics import ensure_topics
from tests.conftest import free_ports, private_broker_settings, start_private_broker
from tests.faults_support import Workers, http_status, processed, sim_events, train_model, wait_until
from tests.support import ROOT, scrape

pytestmark = pytest.mark.slow

KAFKA_SECRET = "Kafka-Secret-" + uuid.uuid4().hex[:12]
HMAC_SECRET = "Hmac-Secret-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(tmp_path_factory.mktemp("model"))


# --------------------------------------------------------------------------- (a) model artefacts


class _Touch:
    """Unpickling this creates a file: proof that a pickle was executed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (builtins.open, (str(self.path), "w"))


def _rehash(directory: Path) -> None:
    """Recompute the (non-secret) checksums after an edit, as an attacker can."""
    doc = json.loads((directory / "model.json").read_text())
    doc["npz_sha256"] = hashlib.sha256((directory / "model.npz").read_bytes()).hexdigest()
    body = {k: doc[k] for k in ("format_version", "meta", "npz_sha256")}
    doc["body_sha256"] = hashlib.sha256(_canonical(body)).hexdigest()
    (directory / "model.json").write_text(json.dumps(doc))


def _flip_npz_byte(d: Path, marker: Path) -> str:
    raw = bytearray((d / "model.npz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (d / "model.npz").write_bytes(bytes(raw))
    return ""


def _edit_json_threshold(d: Path, marker: Path) -> str:
    doc = json.loads((d / "model.json").read_text())
    text = json.dumps(doc["meta"])
    doc["meta"]["types"]["loan"]["threshold"] += 9  # a forest threshold raised by hand
    assert json.dumps(doc["meta"]) != text
    (d / "model.json").write_text(json.dumps(doc))
    return ""


def _signed_with_other_key(d: Path, marker: Path) -> str:
    save(load(d), d, hmac_key="not-the-deployment-key")
    return HMAC_SECRET


def _unsigned_but_key_required(d: Path, marker: Path) -> str:
    return HMAC_SECRET


def _pickled_array_checksums_fixed(d: Path, marker: Path) -> str:
    with np.load(d / "model.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays[next(iter(arrays))] = np.array([_Touch(marker)], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=True, **arrays)
    (d / "model.npz").write_bytes(buf.getvalue())
    _rehash(d)
    return ""


@pytest.mark.parametrize(
    "tamper",
    [_flip_npz_byte, _edit_json_threshold, _signed_with_other_key, _unsigned_but_key_required,
     _pickled_array_checksums_fixed],
    ids=["npz_byte_flipped", "json_edited", "signed_with_other_key", "unsigned_key_required", "pickle_rehashed"],
)
def test_worker_refuses_a_bad_model(tamper, model_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "model"
    bad.mkdir()
    for name in ("model.npz", "model.json"):
        (bad / name).write_bytes((model_dir / name).read_bytes())
    marker = tmp_path / "pickle-ran"
    key = tamper(bad, marker)
    (closed_port,) = free_ports(1)  # nothing listens: the worker must fail before Kafka
    settings = Settings().replace(
        model_dir=bad, model_hmac_key=key, data_dir=tmp_path / "worker", broker=f"127.0.0.1:{closed_port}",
        metrics_port=free_ports(1)[0], kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="riskmon", kafka_sasl_password=KAFKA_SECRET,
    )
    try:
        proc = subprocess.run([sys.executable, "-m", "stream.cli", "worker"], env=settings.environment(), cwd=ROOT,
                              capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"the worker did not refuse the model; it ran on: {exc.stderr!r:.2000}") from None
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-2000:]
    assert "cannot load the model" in out and str(bad) in out, out[-2000:]
    assert "Traceback" not in out, out[-3000:]
    assert KAFKA_SECRET not in out and HMAC_SECRET not in out
    assert not marker.exists(), "a pickle inside model.npz was executed"
    assert len(out.strip().splitlines()) <= 3, f"expected a short error, got:\n{out[-3000:]}"


# --------------------------------------------------------------------------- (b) SASL


def _secured_broker_settings(data_dir: Path, **security: str) -> Settings:
    """A private broker whose client port is secured by ``security`` (internal listener on controller+1)."""
    for _ in range(20):
        s = private_broker_settings(Settings(), data_dir)
        if broker._tcp_open(f"127.0.0.1:{s.kafka_controller_port + 1}") is False and \
                s.kafka_controller_port + 1 not in (s.kafka_port,):
            break
    return s.replace(**security)


def _sasl_broker_settings(data_dir: Path, password: str) -> Settings:
    """A private broker whose client port asks for SASL/PLAIN."""
    return _secured_broker_settings(data_dir, kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN",
                                    kafka_sasl_username="riskmon", kafka_sasl_password=password)


def _stream_through(workers: Workers, good: Settings, refused: Settings, logs: list[Path], port: int, seed: int,
                    prefix: str) -> subprocess.Popen:
    """Topics and events on a secured broker, a worker with the right credentials that processes every
    event, and one with wrong ones, returned."""
    ensure_topics(good)
    producer = make_producer(good)
    sent, _ = publish(producer, good.input_topic, sim_events(users=150, days=14, seed=seed, prefix=prefix))
    producer.close()
    ok = workers.start(good, logs[0])
    wrong = workers.start(refused, logs[1])
    wait_until(lambda: processed(port) >= sent, 90, f"{sent} events processed over {prefix}", logs[:1], [ok])
    return wrong


def test_sasl_plain_worker(model_dir: Path, tmp_path: Path) -> None:
    wrong_password = "Wrong-Secret-" + uuid.uuid4().hex[:12]
    ports = free_ports(2)
    logs = [tmp_path / "good.log", tmp_path / "bad.log"]
    workers = Workers()
    started: list[Settings] = []  # every start attempt, each stopped at the end
    try:
        settings = start_private_broker(lambda d: _sasl_broker_settings(d, KAFKA_SECRET), tmp_path / "kafka",
                                        started.append)
        good = settings.replace(app_id="riskmon-sasl", model_dir=model_dir, data_dir=tmp_path / "w1",
                                metrics_port=ports[0])
        bad = good.replace(app_id="riskmon-sasl-bad", data_dir=tmp_path / "w2", metrics_port=ports[1],
                           kafka_sasl_password=wrong_password)
        assert "SASL_PLAINTEXT://" in broker.properties_path(settings).read_text()
        assert broker.properties_path(settings).stat().st_mode & 0o077 == 0, "server.properties holds a password"
        # The client port refuses unauthenticated and wrongly authenticated clients.
        assert not broker.answers(settings.replace(kafka_security_protocol="PLAINTEXT"), timeout_s=3)
        assert not broker.answers(settings.replace(kafka_sasl_password=wrong_password), timeout_s=3)
        # Asked on a plain socket, the broker says why (kafka-python may only see the close after it).
        assert refusal(settings) is None
        said = refusal(settings.replace(kafka_sasl_password=wrong_password))
        assert said and said.startswith("SaslAuthenticationFailedError"), said
        assert wrong_password not in said and KAFKA_SECRET not in said
        # A first bootstrap server that is down passes the question on to the next, as a client does.
        (down,) = free_ports(1)
        assert refusal(settings.replace(broker=f"127.0.0.1:{down},{settings.broker}"), timeout_s=2) is None
        said = refusal(settings.replace(broker=f"127.0.0.1:{down},{settings.broker}",
                                                kafka_sasl_password=wrong_password), timeout_s=2)
        assert said and said.startswith("SaslAuthenticationFailedError"), said
        wrong = _stream_through(workers, good, bad, logs, ports[0], seed=41, prefix="sasl")
        # The wrongly authenticated worker processes nothing and says why.
        wait_until(lambda: wrong.poll() is not None or _auth_error(logs[1]), 90, "an authentication error logged",
                   logs[1:])
        assert _auth_error(logs[1]), logs[1].read_text(errors="replace")[-3000:]
        try:  # it may still be up (answering /metrics) or may have exited on the failure
            assert processed(ports[1]) == 0 and http_status(ports[1], "/ready") != 200
        except OSError:
            assert wrong.wait(timeout=15) != 0, "a worker that cannot authenticate must not exit 0"
        config = subprocess.run([sys.executable, "-m", "stream.cli", "config"], env=good.environment(), cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert config.returncode == 0 and "kafka_sasl_password = ***" in config.stdout
    finally:
        workers.close()
        for attempt in started:
            broker.stop(attempt)
    for text in (logs[0].read_text(errors="replace"), logs[1].read_text(errors="replace"), config.stdout + config.stderr):
        assert KAFKA_SECRET not in text and wrong_password not in text, "a SASL password was written out"


def test_mutual_tls_worker(model_dir: Path, tmp_path: Path) -> None:
    """SSL with a private CA and a client certificate: the clients' one TLS context
    (``stream.kafka.config.ssl_context``) in kafka-python (topics, producer, probes), aiokafka and
    Faust (the worker), against a broker that requires a certificate its CA signed."""
    ports = free_ports(2)
    logs = [tmp_path / "good.log", tmp_path / "bad.log"]
    workers = Workers()
    started: list[Settings] = []
    try:
        settings = start_private_broker(lambda d: _secured_broker_settings(d, kafka_security_protocol="SSL"),
                                        tmp_path / "kafka", started.append)
        tls = LocalTls(broker.tls_dir(settings))
        assert all(p.stat().st_mode & 0o077 == 0 for p in tls.directory.iterdir()), "a key readable by others"
        properties = broker.properties_path(settings).read_text()
        assert "listeners=SSL://" in properties and "ssl.client.auth=required" in properties
        good = settings.replace(**tls.client_settings(), app_id="riskmon-tls", model_dir=model_dir,
                                data_dir=tmp_path / "w1", metrics_port=ports[0])
        no_certificate = good.replace(kafka_ssl_certfile="", kafka_ssl_keyfile="", app_id="riskmon-tls-bad",
                                      data_dir=tmp_path / "w2", metrics_port=ports[1])
        # The client port refuses plain clients, clients that do not trust its CA, and clients without a certificate.
        assert not broker.answers(settings.replace(kafka_security_protocol="PLAINTEXT"), timeout_s=3)
        assert not broker.answers(no_certificate, timeout_s=3)
        assert refusal(good) is None
        said = refusal(no_certificate)
        assert said and said.startswith("TLS: the broker refused this client") and "kafka_ssl_certfile" in said, said
        said = refusal(good.replace(kafka_ssl_cafile=""))  # the system's CAs: ours is not among them
        assert said and said.startswith("TLS: the broker's certificate is not trusted"), said

        wrong = _stream_through(workers, good, no_certificate, logs, ports[0], seed=43, prefix="tls")
        # The worker without a certificate stops at once, saying what the broker refused.
        assert wrong.wait(timeout=60) != 0, "a worker the broker refuses must not exit 0"
        assert "refused this worker: TLS: the broker refused this client" in logs[1].read_text(errors="replace")
    finally:
        workers.close()
        for attempt in started:
            broker.stop(attempt)


def _auth_error(log: Path) -> bool:
    text = log.read_text(errors="replace").lower()
    return "authentication" in text or "saslauthentication" in text


# --------------------------------------------------------------------------- (c) no user ids


def test_no_user_ids_in_metrics_or_logs(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    """After a run with valid, malformed and key-mismatched input at INFO log level, and the
    thread and task dumps an operator asks a stalled worker for (SIGUSR2, SIGUSR1)."""
    (port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port,
                                     log_level="INFO")
    events = sim_events(users=300, days=14, seed=42, prefix="pii")
    users = {e["user_id"] for e in events}
    producer = make_producer(settings)
    sent, bad = publish(producer, settings.input_topic, events, malformed_every=50)
    mismatched = dict(events[0], event_id="pii-km")
    producer.send(settings.input_topic, key=b"pii-someone-else", value=json.dumps(mismatched).encode())
    producer.flush()
    producer.close()
    log = tmp_path / "worker.log"
    workers = Workers()
    try:
        worker = workers.start(settings, log)
        wait_until(lambda: processed(port) >= sent, 90, "events processed", [log], [worker])
        metrics_text = "\n".join(f"{k} {v}" for k, v in scrape(port).items())
        for sig, mark in ((signal.SIGUSR2, "Thread 0x"), (signal.SIGUSR1, "TASK ")):
            worker.send_signal(sig)
            wait_until(lambda: mark in log.read_text(errors="replace"), 15, f"the {sig.name} dump", [log], [worker])
        assert "input_feed.py" in log.read_text(errors="replace")  # the task dump shows where the input waits
    finally:
        workers.close()
    log_text = log.read_text(errors="replace")
    assert len(log_text) > 0
    leaked_metrics = sorted(u for u in users if u in metrics_text)
    leaked_log = sorted(u for u in users | {"pii-someone-else"} if u in log_text)
    assert not leaked_metrics, f"user ids in /metrics: {leaked_metrics[:5]}"
    assert not leaked_log, f"user ids in the worker log: {leaked_log[:5]}"


def test_embedded_broker_listener_config_is_checked() -> None:
    """Pure: the SASL and TLS listener configs, and the inputs the embedded broker refuses."""
    base = Settings().replace(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN",
                              kafka_sasl_username="riskmon", kafka_sasl_password="pw-1")
    props = broker.server_properties(base)
    assert f"SASL_PLAINTEXT://127.0.0.1:{base.kafka_port}" in props
    assert f"PLAINTEXT://127.0.0.1:{base.kafka_controller_port + 1}" in props
    assert 'user_riskmon="pw-1";' in props and "inter.broker.listener.name=PLAINTEXT" in props
    assert "SASL" not in broker.server_properties(Settings()) and "ssl." not in broker.server_properties(Settings())
    assert "ssl." not in props
    # SASL_SSL: the SASL user authenticates the client, so no client certificate is asked for.
    both = broker.server_properties(base.replace(kafka_security_protocol="SASL_SSL"))
    assert f"SASL_SSL://127.0.0.1:{base.kafka_port}" in both and 'user_riskmon="pw-1";' in both
    tls = LocalTls(broker.tls_dir(base))
    assert f"listener.name.sasl_ssl.ssl.keystore.location={tls.broker}" in both
    assert "listener.name.sasl_ssl.ssl.client.auth=none" in both
    for bad in (base.replace(kafka_sasl_password='a"b'), base.replace(kafka_sasl_password=""),
                base.replace(kafka_sasl_password="x;y"), base.replace(kafka_sasl_mechanism="SCRAM-SHA-512")):
        with pytest.raises(broker.BrokerError):
            broker.server_properties(bad)


def test_the_demo_terminal_shows_alert_ids_not_user_ids() -> None:
    """Pure: ``make run`` prints alerts to a terminal, which is no place for user ids."""
    from stream.local.demo import format_alert

    alert = {"event_ts": "2026-03-14T19:02:04+08:00", "severity": "high", "alert_id": "al-0123456789abcdef0123",
             "user_id": "u-very-identifiable-42", "score": 0.8, "fired_by": ["model", "loan_stacking"],
             "reasons": [{"rule": "loan_stacking", "text": "5 loans in 24h across 3 products"}]}
    for colour in (False, True):
        line = format_alert(alert, colour)
        assert "al-0123456789abcdef0123" in line and "5 loans in 24h" in line and "model+loan_stacking" in line
        assert "u-very-identifiable-42" not in line
    ring = {"schema_version": 3, "event_ts": "2026-03-14T11:02:04+00:00", "severity": "medium",
            "alert_id": "al-0123456789abcdef0124", "entity_type": "device", "entity_id": "d-7",
            "user_id": "u-very-identifiable-42", "users": ["u-very-identifiable-42", "u-another-7"], "score": 0.5,
            "suspicious_borrowers": 4.0, "fired_by": ["device_ring"],
            "reasons": [{"rule": "device_ring", "text": "4 of the 4 accounts that borrowed from this device"}]}
    line = format_alert(ring, False)
    assert "device:2 users" in line and "u-very-identifiable-42" not in line and "u-another-7" not in line
