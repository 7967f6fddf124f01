"""Shared fixtures: a real Kafka broker, only for the tests that ask for it.

``kafka_settings`` (session scope) reuses a broker that already answers on
``RISKMON_BROKER`` / the default address (e.g. a developer's ``riskmon kafka
start``) and never stops it.  Otherwise it starts a private broker on free
ports with its data under pytest's tmp dir, so concurrent test runs and a
developer's broker never collide, and stops it at session end.  The broker is
also tied to the pytest process (PDEATHSIG), so even a killed run leaves no
java process behind.

``unique_topics`` gives each test its own topic names and app id, so tests
sharing one broker never read each other's messages or consumer offsets.

Tests using either fixture are marked ``kafka`` automatically; deselect them
with ``-m "not kafka"`` on a machine without Java.
"""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Iterator

import pytest

from stream.local import broker
from stream.settings import Settings, load_settings
from stream.kafka.topics import delete_topics, ensure_topics

_KAFKA_FIXTURES = frozenset({"kafka_settings", "private_kafka_settings", "unique_topics"})


@pytest.fixture(autouse=True)
def _root_log_handlers_restored() -> Iterator[None]:
    """A test that runs ``riskmon`` in-process configures logging onto pytest's captured stderr,
    which is closed after the test: later tests in the same worker logged into a closed file
    ("--- Logging error ---"), and a flush there raised (it killed the stall exit's watch thread,
    ``tests/worker/test_health.py``)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def pytest_configure(config: pytest.Config) -> None:
    """kafka-python 3.0 loads its protocol schemas with a deprecated
    importlib.resources API, warning ~100 times per run; not ours to fix."""
    config.addinivalue_line(
        "filterwarnings", r"ignore:(read|open)_text is deprecated:DeprecationWarning"
    )


# The broker-free pass writes generated worlds, trained models and scored streams
# under pytest's base temp dir: 1.2 GB at its peak on 2 workers (docs/tests.md). On a
# nearly full disk that surfaces as dozens of OSErrors in unrelated tests and an
# xdist internal error, so the run refuses to start below this, saying why.
MIN_FREE_BYTES = 2 * 1024**3


def free_space_problem(where: Path, need: int = MIN_FREE_BYTES) -> str | None:
    """Why the suite cannot run with its temp files under ``where``, or None if it can.

    ``where`` need not exist yet (``--basetemp`` is created by pytest): its
    nearest existing parent is the disk that will fill."""
    probe = where
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free >= need:
        return None
    return (f"only {free / 1024**3:.1f} GiB free on the disk holding {where}; the test suite writes "
            f"up to about 1.2 GB there and needs {need / 1024**3:.1f} GiB free. Free space on that disk, "
            f"or point TMPDIR (or pytest --basetemp) at a larger one.")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse a run the disk cannot hold before any test starts (the xdist controller checks for its workers)."""
    if hasattr(session.config, "workerinput"):
        return
    basetemp = session.config.option.basetemp
    problem = free_space_problem(Path(basetemp) if basetemp else Path(tempfile.gettempdir()))
    if problem:
        pytest.exit(problem, returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the broker, so ``-m`` selection just works."""
    for item in items:
        if _KAFKA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free a moment ago (held together so
    the OS cannot hand out the same one twice)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]


def private_broker_settings(base: Settings, data_dir: Path) -> Settings:
    """Settings for a broker of our own on fresh ports under ``data_dir`` (rule storms off, see ``unique_topics``)."""
    port, controller_port = free_ports(2)
    return base.replace(
        rule_storm_factor=0,
        broker=f"127.0.0.1:{port}",
        kafka_port=port,
        kafka_controller_port=controller_port,
        kafka_data_dir=data_dir,
        kafka_security_protocol="PLAINTEXT",
    )


def start_private_broker(make: Callable[[Path], Settings], data_dir: Path, on_start: Callable[[Settings], None],
                         attempts: int = 3) -> Settings:
    """Start a broker from ``make(its data dir)``; on a port taken since it was picked, again on fresh ports.

    ``free_ports`` only knows the ports were free a moment ago: the broker's
    bind can still lose them to another process (or an outgoing connection).
    Each attempt gets its own data dir, because KRaft keeps the controller's
    address in the formatted storage.  ``on_start(settings)`` runs before each
    start, e.g. to register the stop.
    """
    for attempt in range(1, attempts + 1):
        settings = make(data_dir / f"attempt-{attempt}")
        on_start(settings)
        try:
            broker.start(settings, tie_to_parent=True)
            return settings
        except broker.BrokerError as exc:
            broker.stop(settings)
            if "already in use" not in str(exc) or attempt == attempts:
                raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def kafka_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose ``broker`` answers; started (and later stopped) if needed."""
    base = load_settings()
    if broker.answers(base):
        return base
    # The stop is registered before each start so a half-started broker is cleaned up too.
    return start_private_broker(lambda d: private_broker_settings(base, d), tmp_path_factory.mktemp("kafka"),
                                lambda s: request.addfinalizer(lambda: broker.stop(s)))


@pytest.fixture
def private_kafka_settings(tmp_path: Path) -> Settings:
    """Settings for a not-yet-started broker of the test's own (fresh ports,
    data under tmp_path); the test starts it, and must stop it."""
    return private_broker_settings(load_settings(), tmp_path / "kafka")


@pytest.fixture
def unique_topics(kafka_settings: Settings) -> Iterator[Settings]:
    """A Settings copy with per-test topic names and app id, topics created.

    Rule storms are off (``rule_storm_factor`` 0): these tests compare the
    stream's alerts with the offline replay's one by one, and whether a storm
    holds an alert depends on how the worker interleaves partitions and on its
    restarts (``stream.core.rule_storm``).  ``test_end_to_end`` turns them on.
    """
    suffix = uuid.uuid4().hex[:10]
    settings = kafka_settings.replace(
        rule_storm_factor=0,
        input_topic=f"{kafka_settings.input_topic}-{suffix}",
        alerts_topic=f"{kafka_settings.alerts_topic}-{suffix}",
        dlq_topic=f"{kafka_settings.dlq_topic}-{suffix}",
        app_id=f"{kafka_settings.app_id}-{suffix}",
    )
    ensure_topics(settings)
    yield settings
    # Keeps a reused developer broker tidy; a private one is deleted anyway.
    delete_topics(settings, [settings.input_topic, settings.alerts_topic, settings.dlq_topic])
