"""The broker the benchmark talks to, and the run's own topic names.

By default a private broker is started on free ports with its data in a
temporary directory (so a developer's broker, other test runs and other
benchmarks never share topics, groups or CPU with us by accident), and is
stopped and deleted afterwards, whatever happens.  ``--broker`` reuses an
existing broker instead; then every topic and group of the run is deleted at
the end, since they carry a per-run suffix.
"""

from __future__ import annotations

import logging
import random
import shutil
import socket
import tempfile
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from stream.local import broker
from stream.settings import Settings
from stream.kafka.config import kafka_client_config
from stream.kafka.topics import delete_topics

log = logging.getLogger(__name__)


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free a moment ago (held together so none repeats)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]


def _ephemeral_low() -> int:
    """The lowest port the kernel hands out for outgoing connections (Linux; 32768 elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def consecutive_free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports that were free a moment ago (``worker --processes``
    serves process i on ``metrics_port + i``).

    Drawn below the kernel's ephemeral range: a port in it can be taken by any
    outgoing connection (a Kafka client's) between this check and the worker's
    bind, and the next port up was never reserved at all.
    """
    high = _ephemeral_low()
    low = max(1024, high - 12_000)
    for _ in range(100):
        first = random.randrange(low, high - count) if high - count > low else free_ports(1)[0]
        if first + count - 1 > 65535:
            continue
        try:
            with ExitStack() as stack:
                for port in range(first, first + count):
                    stack.enter_context(socket.socket()).bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"found no {count} consecutive free ports")


@dataclass(frozen=True)
class Names:
    """Topic and group names of one run: a fresh suffix means every group starts at offset 0."""

    suffix: str

    @classmethod
    def fresh(cls) -> "Names":
        return cls(uuid.uuid4().hex[:8])

    def topic(self, role: str) -> str:
        return f"bench-{role}-{self.suffix}"

    def group(self, contender: str) -> str:
        """Consumer group / Faust app id (Faust's internal topics start with it too)."""
        return f"bench-{contender}-{self.suffix}"


@contextmanager
def broker_for(base: Settings, reuse: str = "") -> Iterator[tuple[Settings, str]]:
    """Yield (settings pointing at a live broker, broker version) and clean up after."""
    if reuse:
        settings = base.replace(broker=reuse)
        if not broker.answers(settings):
            raise RuntimeError(f"no Kafka broker answers on {reuse}")
        # Kafka does not report its release over the protocol; the project's jars are the best guess.
        yield settings, f"{_jar_version(settings)} (reused broker; version of the project's jars)"
        return
    port, controller_port = free_ports(2)
    data_dir = Path(tempfile.mkdtemp(prefix="riskmon-bench-kafka-"))
    settings = base.replace(
        broker=f"127.0.0.1:{port}", kafka_port=port, kafka_controller_port=controller_port,
        kafka_data_dir=data_dir, kafka_security_protocol="PLAINTEXT",
    )
    try:
        broker.fetch_jars(settings)
        broker.start(settings, tie_to_parent=True)
        yield settings, _jar_version(settings)
    finally:
        try:
            broker.stop(settings)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


def _jar_version(settings: Settings) -> str:
    """Kafka version of the project's broker jars (what the embedded broker runs)."""
    jars = sorted(Path(settings.kafka_libs_dir).resolve().glob("kafka_2.13-*.jar"))
    return jars[0].name[len("kafka_2.13-"):-len(".jar")] if jars else "unknown"


def drop_run(settings: Settings, names: Names) -> None:
    """Delete every topic and consumer group of this run (used on a reused broker)."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(**kafka_client_config(settings))
    try:
        topics = [t for t in admin.list_topics() if names.suffix in t]
        try:
            groups = [_group_id(g) for g in admin.list_groups()]
            ours = [g for g in groups if names.suffix in g]
            if ours:
                admin.delete_groups(ours)
        except Exception as exc:  # tidying must not hide the results
            log.warning("could not delete the run's consumer groups: %s", exc)
    finally:
        admin.close()
    if topics:
        delete_topics(settings, topics)


def _group_id(entry: object) -> str:
    """kafka-python returns groups as tuples or named records depending on version."""
    if isinstance(entry, tuple):
        return str(entry[0])
    return str(getattr(entry, "group_id", entry))
