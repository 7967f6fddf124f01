"""Send test traffic with the official Apache Kafka Java client (tests/java/PlanProducer.java).

Real producer fleets use the Java client: compressed record batches (gzip,
snappy, lz4, zstd), null values, no key, headers, long keys.  These helpers write
a *plan* (one JSON line per record, see the Java file's header) and run the Java
program on it against the test broker.

No skips: a test that needs the Java producer fails with a clear message when
``java``/``javac`` or the Kafka client jars are missing, because a skipped
producer test would silently stop testing what real producers send.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from stream.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "java" / "PlanProducer.java"
MAIN_CLASS = "PlanProducer"
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


class JavaProducerError(AssertionError):
    """The Java producer could not be set up or failed; an AssertionError so the test fails (never skips)."""


def _tool(name: str) -> str:
    """``name`` from $JAVA_HOME/bin, else from PATH; fails the test clearly when missing."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / name).is_file():
        return str(Path(home) / "bin" / name)
    found = shutil.which(name)
    if found is None:
        raise JavaProducerError(
            f"'{name}' not found: the Java-producer tests need a JDK 17+ (java and javac), e.g. "
            "'apt-get install openjdk-17-jdk-headless', or JAVA_HOME pointing at one. They do not skip."
        )
    return found


def kafka_libs(settings: Settings) -> Path:
    """The Kafka client jars (kafka-clients with its codec libraries, jackson); fails when absent."""
    libs = Path(settings.kafka_libs_dir)
    if not any(libs.glob("kafka-clients-*.jar")):
        raise JavaProducerError(
            f"no kafka-clients jar in {libs}: run 'make setup' or '.venv/bin/riskmon kafka fetch' first"
        )
    return libs


# --------------------------------------------------------------------------- plans


def record(codec: str, key: bytes | str | None, value: bytes | None, headers: dict[str, str] | None = None,
           timestamp_ms: int | None = None, partition: int | None = None) -> dict:
    """One plan line; ``None`` key/value are sent as real nulls, ``partition`` None = default partitioner."""
    if codec not in CODECS:
        raise ValueError(f"codec must be one of {CODECS}, got {codec!r}")
    if isinstance(key, str):
        key = key.encode()
    line: dict = {
        "codec": codec,
        "key_b64": None if key is None else base64.b64encode(key).decode(),
        "value_b64": None if value is None else base64.b64encode(value).decode(),
        "headers": headers,
        "timestamp_ms": timestamp_ms,
    }
    if partition is not None:
        line["partition"] = partition
    return line


def write_plan(path: Path, records: Iterable[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for line in records:
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
    return path


# --------------------------------------------------------------------------- running


def compile_producer(out_dir: Path, settings: Settings) -> Path:
    """``javac`` the producer once into ``out_dir`` (a run then starts in about a second, not two)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [_tool("javac"), "-cp", f"{kafka_libs(settings)}/*", "-d", str(out_dir), str(SOURCE)],
        capture_output=True, text=True, timeout=120,
    )
    if done.returncode != 0:
        raise JavaProducerError(f"javac {SOURCE.name} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return out_dir


def _properties_file(settings: Settings) -> str | None:
    """Client security properties for a broker that is not plaintext (None for plaintext)."""
    protocol = settings.kafka_security_protocol.upper()
    if protocol == "PLAINTEXT":
        return None
    lines = [f"security.protocol={protocol}"]
    if protocol.startswith("SASL"):
        mechanism = (settings.kafka_sasl_mechanism or "PLAIN").upper()
        module = ("org.apache.kafka.common.security.plain.PlainLoginModule" if mechanism == "PLAIN"
                  else "org.apache.kafka.common.security.scram.ScramLoginModule")
        user = settings.kafka_sasl_username.replace("\\", "\\\\").replace('"', '\\"')
        password = settings.kafka_sasl_password.replace("\\", "\\\\").replace('"', '\\"')
        lines += [f"sasl.mechanism={mechanism}",
                  f'sasl.jaas.config={module} required username="{user}" password="{password}";']
    fd, path = tempfile.mkstemp(prefix="plan-producer-", suffix=".properties")
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(line.replace("\\", "\\\\") if line.startswith("sasl.jaas") else line for line in lines) + "\n")
    return path


@dataclass
class JavaProducerRun:
    """A running (or finished) PlanProducer process."""

    proc: subprocess.Popen
    plan: Path
    stdout_path: Path
    stderr_path: Path
    props: str | None

    def wait(self, timeout_s: float = 120.0) -> dict:
        """Wait for the producer to finish; its summary ({sent, by_codec, compression_rate, elapsed_ms}).

        Raises (with the producer's stderr) when it fails or takes over ``timeout_s``.
        """
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise JavaProducerError(f"Java producer still running after {timeout_s:.0f}s on {self.plan}:\n"
                                    f"{self._stderr()}") from None
        finally:
            if self.props:
                Path(self.props).unlink(missing_ok=True)
        if self.proc.returncode != 0:
            raise JavaProducerError(f"Java producer exited with {self.proc.returncode} on {self.plan}:\n{self._stderr()}")
        lines = self.stdout_path.read_text(errors="replace").strip().splitlines()
        if not lines:
            raise JavaProducerError(f"Java producer printed no summary on {self.plan}:\n{self._stderr()}")
        return json.loads(lines[-1])  # json (not orjson): a compression rate may be NaN

    def stop(self) -> None:
        """Kill it if it still runs (test clean-up)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.props:
            Path(self.props).unlink(missing_ok=True)

    def _stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no stderr)"


def start(settings: Settings, topic: str, plan: Path, rate: float = 0.0, classes: Path | None = None,
          linger_ms: int = 5) -> JavaProducerRun:
    """Start the Java producer on ``plan`` (``rate`` records/s, 0 = unpaced; ``linger_ms`` per batch).

    A paced producer with a short linger sends batches of one or two records, which
    compress little (lz4 averaged 0.91 of the raw size at 400 records/s): a paced run
    that checks compression needs a linger that gathers several records per batch.

    With ``classes`` (from :func:`compile_producer`) it runs the compiled class,
    otherwise Java's single-file source launch of tests/java/PlanProducer.java.
    """
    java, libs = _tool("java"), kafka_libs(settings)
    classpath = f"{libs}/*" if classes is None else f"{classes}{os.pathsep}{libs}/*"
    program = [MAIN_CLASS] if classes is not None else [str(SOURCE)]
    props = _properties_file(settings)
    env = dict(os.environ, PLAN_PRODUCER_LINGER_MS=str(int(linger_ms)))
    if props:
        env["PLAN_PRODUCER_PROPERTIES"] = props
    stdout_path, stderr_path = plan.with_suffix(".out"), plan.with_suffix(".err")
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, *program,
             settings.broker, topic, str(plan), repr(float(rate))],
            stdout=out, stderr=err, env=env, cwd=ROOT,
        )
    return JavaProducerRun(proc, plan, stdout_path, stderr_path, props)


def send(settings: Settings, topic: str, plan: Path, rate: float = 0.0, classes: Path | None = None,
         timeout_s: float = 120.0) -> dict:
    """Run the Java producer on ``plan`` to completion; its summary."""
    run = start(settings, topic, plan, rate, classes)
    try:
        return run.wait(timeout_s)
    finally:
        run.stop()
