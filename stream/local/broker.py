"""Run a local single-node Apache Kafka broker (KRaft) for development and tests.

Why embedded: the monitor needs a *real* broker (Faust relies on consumer
groups, changelog topics and transactions that mocks do not model), but a
laptop or CI box should not need Docker or a Kafka download.  Maven resolves
the broker jars once (:func:`fetch_jars`); the broker then runs as a detached
``java kafka.Kafka`` process whose pid, config, data and log live in
``settings.kafka_data_dir``, so ``riskmon kafka start|stop|status`` from any
shell, and the pytest fixture, all see the same broker.

Nothing here downloads at run time except the explicit Maven step.
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from stream.settings import PROJECT_ROOT, Settings
from stream.kafka.config import host_and_port, kafka_client_config, uses_tls
from stream.local.tls import LocalTls, ensure_local_tls

log = logging.getLogger(__name__)

#: Pins the Kafka version and the log4j2 binding; see the comment inside it.
POM_PATH = PROJECT_ROOT / "deploy" / "kafka" / "pom.xml"
LOG4J_CONFIG = PROJECT_ROOT / "deploy" / "kafka" / "log4j2.yaml"

#: Written into the libs dir after a successful Maven run; holds the pom's sha256.
STAMP_NAME = ".pom.sha256"

#: JVM flags: a dev broker needs little heap; G1 with short pauses as Kafka's own
#: scripts use; exit (not limp on) after an OutOfMemoryError.
JVM_OPTS = (
    "-Xmx512m",
    "-Xms128m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    # Kafka's own shutdown hook must log to the end; log4j's hook would
    # otherwise close the log half-way through a clean shutdown.
    "-Dlog4j2.shutdownHookEnabled=false",
)

_MAIN_CLASS = "kafka.Kafka"
_LOG_TAIL_LINES = 40

#: Broker processes started by *this* Python process, so we can reap them
#: (a dead child stays a zombie, and looks alive to kill(pid, 0), until reaped).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class BrokerError(RuntimeError):
    """The local broker could not be fetched, started or stopped."""


@dataclass(frozen=True)
class BrokerStatus:
    """What ``riskmon kafka status`` shows.

    ``running`` is about *our* process (pid file + live ``kafka.Kafka`` java);
    ``answers`` is whether *any* broker serves metadata on ``bootstrap``.  The
    two differ when e.g. a Docker broker owns the port (answers, not running)
    or our broker is still starting (running, not answering yet).
    """

    running: bool
    pid: int | None
    bootstrap: str
    answers: bool
    log_path: Path
    already_running: bool = False


# --------------------------------------------------------------------------- paths


def _data_dir(settings: Settings) -> Path:
    return Path(settings.kafka_data_dir).resolve()


def properties_path(settings: Settings) -> Path:
    """The server.properties we (re)write on every start."""
    return _data_dir(settings) / "server.properties"


def pid_path(settings: Settings) -> Path:
    return _data_dir(settings) / "broker.pid"


def log_path(settings: Settings) -> Path:
    """JVM stdout+stderr; with deploy/kafka/log4j2.yaml this is the broker log."""
    return _data_dir(settings) / "broker.log"


def _log_dirs(settings: Settings) -> Path:
    return _data_dir(settings) / "logs"


def local_bootstrap(settings: Settings) -> str:
    """Address of the embedded broker's client listener."""
    return f"127.0.0.1:{settings.kafka_port}"


# --------------------------------------------------------------------------- jars


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_jars(settings: Settings, pom: Path = POM_PATH) -> Path:
    """Make sure ``settings.kafka_libs_dir`` holds the classpath for ``pom``.

    A stamp with the pom's sha256 makes the common case a file read; when the
    pom changes (e.g. a Kafka upgrade) the jars are fetched into a fresh
    directory and swapped in whole, so old and new versions never mix on the
    classpath and an interrupted download never leaves a half-filled dir.
    """
    libs = Path(settings.kafka_libs_dir).resolve()
    digest = _sha256(pom)
    stamp = libs / STAMP_NAME
    if stamp.is_file() and stamp.read_text().strip() == digest and any(libs.glob("kafka_2.13-*.jar")):
        return libs

    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(
            "Maven ('mvn') is not on PATH; it is needed once to fetch the Kafka jars. "
            "Install it (e.g. 'apt-get install maven') or copy the jars listed in "
            f"{pom} into {libs} and write the pom's sha256 to {stamp}"
        )
    libs.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=libs.name + ".new-", dir=libs.parent))
    cmd = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={staging}"]
    log.info("fetching Kafka jars: %s", " ".join(cmd))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=pom.parent, check=False)
        if proc.returncode != 0:
            out = (proc.stdout + proc.stderr).strip().splitlines()[-_LOG_TAIL_LINES:]
            raise BrokerError(
                f"'mvn dependency:copy-dependencies' failed (exit {proc.returncode}) for {pom}; "
                "check network access to Maven Central (or your ~/.m2/settings.xml mirror). "
                "Maven said:\n" + "\n".join(out)
            )
        (staging / STAMP_NAME).write_text(digest + "\n")
        old = libs.with_name(libs.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if libs.exists():
            libs.rename(old)
        staging.rename(libs)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return libs


def _java() -> str:
    """The java binary: $JAVA_HOME/bin/java first, as Kafka's own scripts do."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise BrokerError(
            "no 'java' found (Kafka 4 needs Java 17+); install a JRE, e.g. "
            "'apt-get install openjdk-17-jre-headless', or set JAVA_HOME"
        )
    return found


# --------------------------------------------------------------------------- config


def server_properties(settings: Settings) -> str:
    """The broker config; rewritten on every start so Settings stay the truth.

    Choices worth knowing:

    * Static quorum (``controller.quorum.voters``), not ``--standalone``: a
      single dev node never changes membership, and with a static quorum the
      controller endpoint is not baked into the formatted log, so changing
      ``kafka_controller_port`` later still works.
    * ``auto.create.topics.enable=false``: a typo in a topic name must fail
      loudly instead of silently creating a new topic.  Our topics are made by
      :func:`stream.kafka.topics.ensure_topics`; Faust creates its own internal
      (changelog/repartition) topics through the admin API.
    * All internal topics use replication 1 and one partition (there is only
      one broker, and 50 offsets partitions would slow the first group join).
    * ``group.initial.rebalance.delay.ms=0``: consumers start immediately,
      which matters for tests and a single local worker.
    * Few network/IO threads: this is a 2-core laptop broker.
    * ``kafka_security_protocol=SASL_PLAINTEXT`` (tests, demos of the secured
      path): clients must authenticate with SASL/PLAIN as
      ``kafka_sasl_username``/``kafka_sasl_password`` on ``kafka_port``; the
      broker keeps a PLAINTEXT listener for itself on 127.0.0.1 at
      ``kafka_controller_port + 1``.  The password then sits in this file,
      which is written with mode 0600.
    """
    data = _data_dir(settings)
    port, cport = settings.kafka_port, settings.kafka_controller_port
    protocol = _client_protocol(settings)
    if protocol != "PLAINTEXT":
        # Clients authenticate on kafka_port; the broker itself keeps a PLAINTEXT
        # listener on 127.0.0.1 only (inter-broker traffic of this single node).
        internal = _internal_port(settings)
        name = protocol.lower()
        listener_lines = [
            f"listeners={protocol}://127.0.0.1:{port},PLAINTEXT://127.0.0.1:{internal},CONTROLLER://127.0.0.1:{cport}",
            f"advertised.listeners={protocol}://127.0.0.1:{port},PLAINTEXT://127.0.0.1:{internal}",
            f"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,{protocol}:{protocol},CONTROLLER:PLAINTEXT",
        ]
        if "SASL" in protocol:
            listener_lines += [
                "sasl.enabled.mechanisms=PLAIN",
                f"listener.name.{name}.sasl.enabled.mechanisms=PLAIN",
                f"listener.name.{name}.plain.sasl.jaas.config="
                + _plain_jaas(settings.kafka_sasl_username, settings.kafka_sasl_password),
            ]
        if "SSL" in protocol:
            tls = LocalTls(tls_dir(settings))
            listener_lines += [
                f"listener.name.{name}.ssl.keystore.type=PEM",
                f"listener.name.{name}.ssl.keystore.location={tls.broker}",
                f"listener.name.{name}.ssl.truststore.type=PEM",
                f"listener.name.{name}.ssl.truststore.location={tls.ca}",
                # SSL alone authenticates clients by their certificate; SASL_SSL by the SASL user
                f"listener.name.{name}.ssl.client.auth={'none' if 'SASL' in protocol else 'required'}",
            ]
    else:
        listener_lines = [
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        ]
    lines = [
        "# Written by stream/local/broker.py on every start: change Settings, not this file.",
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{cport}",
        *listener_lines,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={data / 'logs'}",
        f"num.partitions={settings.partitions}",
        "default.replication.factor=1",
        "min.insync.replicas=1",
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        # Kafka 4.0 (fixed in 4.1, KAFKA-19130) makes a restarted combined node
        # wait out its previous broker session before re-registering: 9s with
        # the default timeout.  4s keeps restarts quick while a GC pause or a
        # busy 2-core box still does not fence the broker.
        "broker.heartbeat.interval.ms=1000",
        "broker.session.timeout.ms=4000",
        "num.network.threads=2",
        "num.io.threads=4",
    ]
    return "\n".join(lines) + "\n"


def _client_protocol(settings: Settings) -> str:
    """The protocol of the embedded broker's client listener: the settings' own.

    SASL is offered with the PLAIN mechanism only, for one user
    (``kafka_sasl_username``/``kafka_sasl_password``). TLS uses the broker's own
    certificates (:func:`tls_dir`); with ``SSL`` alone the broker requires a
    client certificate signed by its CA (mutual TLS). A local broker for tests
    and demos of the secured paths: a real cluster brings its own.
    """
    protocol = settings.kafka_security_protocol.upper()
    if "SASL" in protocol and settings.kafka_sasl_mechanism.upper() not in ("", "PLAIN"):
        raise BrokerError(
            f"the embedded broker offers SASL with PLAIN only, not {settings.kafka_sasl_mechanism}; "
            "use a real cluster for that"
        )
    return protocol


def tls_dir(settings: Settings) -> Path:
    """Where the embedded broker keeps its CA, its own and a client's certificates
    (:mod:`stream.local.tls`); clients point ``kafka_ssl_cafile`` and the others there."""
    return _data_dir(settings) / "tls"


def with_local_tls(settings: Settings) -> Settings:
    """``settings`` whose empty TLS files are the embedded broker's own: how this module's own
    probes reach a TLS listener the caller configured no files for."""
    if not uses_tls(settings) or settings.kafka_ssl_cafile:
        return settings
    return settings.replace(**LocalTls(tls_dir(settings)).client_settings())


def _internal_port(settings: Settings) -> int:
    """Port of the broker-internal PLAINTEXT listener (127.0.0.1) when clients use
    SASL: the controller port + 1, so no new setting is needed."""
    return settings.kafka_controller_port + 1


def _plain_jaas(username: str, password: str) -> str:
    """The PLAIN login module line for the broker's SASL listener (one user)."""
    for name, value in (("username", username), ("password", password)):
        if not value or any(c in value for c in '"\\;\n\r'):
            raise BrokerError(
                f"kafka_sasl_{name} must be non-empty and free of quotes, backslashes, ';' and newlines "
                "for the embedded broker's JAAS config"
            )
    return (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'user_{username}="{password}";'
    )


def _new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.

    Same format as ``kafka-storage.sh random-uuid`` (which also avoids ids
    starting with '-', as those look like command-line flags).
    """
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _java_cmd(libs: Path, main: str, *args: str) -> list[str]:
    """``java`` with our JVM flags, log4j2 config and the Maven-fetched classpath."""
    return [
        _java(),
        *JVM_OPTS,
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        "-cp",
        f"{libs}/*",
        main,
        *args,
    ]


def _format_storage(settings: Settings, libs: Path) -> None:
    """Format the KRaft log dir once; an existing meta.properties means done.

    Re-formatting would wipe the cluster id and make existing data unreadable,
    so this only ever runs on an empty data dir.
    """
    if (_log_dirs(settings) / "meta.properties").exists():
        return
    cmd = _java_cmd(
        libs, "kafka.tools.StorageTool",
        "format", "-t", _new_cluster_id(), "-c", str(properties_path(settings)),
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=180)
    if proc.returncode != 0:
        raise BrokerError(
            f"formatting Kafka storage in {_log_dirs(settings)} failed (exit {proc.returncode}):\n"
            + (proc.stdout + proc.stderr).strip()
        )


# --------------------------------------------------------------------------- probes


def _tcp_open(bootstrap: str, timeout_s: float = 0.5) -> bool:
    """Cheap pre-check so a closed port costs milliseconds, not a client timeout."""
    for server in bootstrap.split(","):
        try:
            host, port = host_and_port(server)
            with socket.create_connection((host or "127.0.0.1", port), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


def answers(settings: Settings, bootstrap: str | None = None, timeout_s: float = 3.0) -> bool:
    """True when a Kafka broker serves a metadata request on ``bootstrap``.

    An open port is not enough (a half-started broker accepts connections
    before it can serve requests), so this asks for cluster metadata and
    requires at least one broker in the answer.
    """
    from kafka import KafkaAdminClient

    bootstrap = bootstrap or settings.broker
    settings = with_local_tls(settings)
    if not _tcp_open(bootstrap):
        return False
    timeout_ms = int(timeout_s * 1000)
    admin = None
    try:
        admin = KafkaAdminClient(
            **kafka_client_config(settings.replace(broker=bootstrap)),
            client_id="riskmon-probe",
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=timeout_ms,
        )
        return bool(admin.describe_cluster().get("brokers"))
    except Exception as exc:  # any failure means "not (yet) a usable broker"
        log.debug("no Kafka answer on %s: %s", bootstrap, exc)
        return False
    finally:
        if admin is not None:
            admin.close()


# --------------------------------------------------------------------------- process


def _read_pid(settings: Settings) -> int | None:
    try:
        return int(pid_path(settings).read_text().strip())
    except (OSError, ValueError):
        return None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _is_our_broker(pid: int, settings: Settings) -> bool:
    """Only a java ``kafka.Kafka`` using *this* data dir's config is ours.

    Pids are recycled: after a reboot the pid file may name an editor or
    another broker, which we must never signal.
    """
    cmd = _cmdline(pid)
    return _MAIN_CLASS in cmd and str(properties_path(settings)) in cmd


def pid_alive(pid: int) -> bool:
    """Alive and not a zombie (reaping it first if it is our own child)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        _CHILDREN.pop(pid, None)
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def pdeathsig_preexec() -> Callable[[], None]:
    """A preexec_fn asking Linux to SIGTERM the broker when its parent dies.

    Used for test brokers so a killed pytest (SIGTERM/SIGKILL, where no
    finalizer runs) leaves no orphan JVM.  libc is loaded here, before fork,
    so the child only makes one syscall.  Caveat: Linux fires it when the
    *thread* that started the child exits, so call start() from a long-lived
    thread (pytest fixtures run in the main thread).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    return preexec


def _tail(path: Path, offset: int = 0, lines: int = _LOG_TAIL_LINES) -> str:
    """The log written since ``offset``, trimmed for an error message.

    Java stack traces bury the cause, so the first ERROR line and the last
    "Caused by:" line come first, then the tail.
    """
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            all_lines = fh.read().decode(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    if not all_lines:
        return "(log is empty)"
    first_error = [line for line in all_lines if " ERROR " in line or " FATAL " in line][:1]
    cause = [line for line in all_lines if line.startswith("Caused by:")][-1:]
    return "\n".join([*first_error, *cause, "...", *all_lines[-lines:]])


def status(settings: Settings) -> BrokerStatus:
    """Current state of the local broker for ``settings`` (never raises)."""
    pid = _read_pid(settings)
    running = pid is not None and pid_alive(pid) and _is_our_broker(pid, settings)
    return BrokerStatus(
        running=running,
        pid=pid if running else None,
        bootstrap=settings.broker,
        answers=answers(settings),
        log_path=log_path(settings),
    )


def _check_bootstrap_is_local(settings: Settings) -> None:
    host, _, port = settings.broker.rpartition(":")
    if host not in {"127.0.0.1", "localhost"} or port != str(settings.kafka_port) or "," in settings.broker:
        raise BrokerError(
            f"broker={settings.broker!r} does not answer, and it is not the embedded broker's "
            f"address {local_bootstrap(settings)}; either start that broker yourself or set "
            f"RISKMON_BROKER={local_bootstrap(settings)} to use the embedded one"
        )


def _check_ports_free(settings: Settings) -> None:
    ports = [("kafka_port", settings.kafka_port), ("kafka_controller_port", settings.kafka_controller_port)]
    if _client_protocol(settings) != "PLAINTEXT":
        ports.append(("kafka_controller_port", _internal_port(settings)))  # + 1: the internal listener
    for name, port in ports:
        if _tcp_open(f"127.0.0.1:{port}"):
            raise BrokerError(
                f"port {port} ({name}) on 127.0.0.1 is already in use by a program that is not "
                f"a Kafka broker answering on {settings.broker}; stop it or choose another port "
                f"with RISKMON_{name.upper()}"
            )


def _wait_ready(settings: Settings, pid: int, wait_s: float, log_offset: int) -> None:
    deadline = time.monotonic() + wait_s
    bootstrap = local_bootstrap(settings)
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            pid_path(settings).unlink(missing_ok=True)
            raise BrokerError(
                f"Kafka broker (pid {pid}) exited during start-up; last lines of "
                f"{log_path(settings)}:\n{_tail(log_path(settings), log_offset)}"
            )
        if answers(settings, bootstrap, timeout_s=2.0):
            return
        time.sleep(0.25)
    _terminate(settings, pid, timeout_s=10)
    raise BrokerError(
        f"Kafka broker (pid {pid}) did not answer on {bootstrap} within {wait_s:.0f}s and was "
        f"stopped; raise wait_s on a slow machine. Last lines of {log_path(settings)}:\n"
        f"{_tail(log_path(settings), log_offset)}"
    )


def start(settings: Settings, wait_s: float = 60.0, *, tie_to_parent: bool = False) -> BrokerStatus:
    """Start the local broker unless one already answers; return its status.

    Idempotent: a broker answering on ``settings.broker`` (ours or anyone's)
    makes this a no-op with ``already_running=True``; if our process is alive
    but still starting, we wait for it rather than launch a second one.
    ``tie_to_parent`` makes the broker die with the calling process (tests).
    """
    if answers(settings):
        return replace(status(settings), already_running=True)
    _check_bootstrap_is_local(settings)
    pid = _read_pid(settings)
    if pid is not None and pid_alive(pid) and _is_our_broker(pid, settings):
        _wait_ready(settings, pid, wait_s, log_offset=0)
        return replace(status(settings), already_running=True)
    pid_path(settings).unlink(missing_ok=True)  # stale: process gone or not ours
    _check_ports_free(settings)

    libs = fetch_jars(settings)
    data = _data_dir(settings)
    data.parent.mkdir(parents=True, exist_ok=True)
    data.mkdir(mode=0o700, exist_ok=True)  # the topics' data: borrowers' events
    if uses_tls(settings):
        tls = ensure_local_tls(tls_dir(settings))
        log.warning("the local broker speaks TLS on %s; clients trust it with RISKMON_KAFKA_SSL_CAFILE=%s "
                    "(and, for SSL, show RISKMON_KAFKA_SSL_CERTFILE=%s, RISKMON_KAFKA_SSL_KEYFILE=%s)",
                    settings.broker, tls.ca, tls.client_cert, tls.client_key)
    properties = properties_path(settings)
    properties.touch(mode=0o600)  # may hold the SASL user's password
    properties.chmod(0o600)
    properties.write_text(server_properties(settings))
    _format_storage(settings, libs)

    logfile = log_path(settings)
    offset = logfile.stat().st_size if logfile.exists() else 0
    cmd = _java_cmd(libs, _MAIN_CLASS, str(properties_path(settings)))
    began = time.monotonic()
    with logfile.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=data,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the starting shell must not kill it
            preexec_fn=pdeathsig_preexec() if tie_to_parent else None,
        )
    _CHILDREN[proc.pid] = proc
    pid_path(settings).write_text(f"{proc.pid}\n")
    _wait_ready(settings, proc.pid, wait_s, offset)
    log.info("Kafka broker pid %d answers on %s after %.1fs", proc.pid, settings.broker, time.monotonic() - began)
    return status(settings)


def _terminate(settings: Settings, pid: int, timeout_s: float) -> None:
    """SIGTERM (Kafka shuts down cleanly), then SIGKILL after ``timeout_s``."""
    for sig, wait in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not pid_alive(pid):
            break
        log.warning("Kafka broker pid %d ignored %s for %.0fs", pid, sig.name, wait)
    if pid_alive(pid):
        raise BrokerError(f"Kafka broker pid {pid} survived SIGKILL; check 'ps -p {pid}'")
    pid_path(settings).unlink(missing_ok=True)


def stop(settings: Settings, timeout_s: float = 30.0) -> bool:
    """Stop our broker; True if one was stopped, False if none was running.

    Only signals the pid from our pid file, and only if it is still our java
    ``kafka.Kafka`` process (see :func:`_is_our_broker`); a stale pid file is
    just removed.
    """
    pid = _read_pid(settings)
    if pid is None:
        return False
    if not (pid_alive(pid) and _is_our_broker(pid, settings)):
        pid_path(settings).unlink(missing_ok=True)
        return False
    _terminate(settings, pid, timeout_s)
    return True
