"""Helpers for tests that run the real worker process against the real broker."""

from __future__ import annotations

import base64
import ctypes
import json
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import orjson
from kafka import KafkaConsumer, TopicPartition

from stream.bench import prom
from stream.core.contract import parse_document
from stream.core.features import UserState
from stream.local.processes import kill_hung
from stream.settings import Settings
from stream.kafka.config import kafka_client_config

ROOT = Path(__file__).resolve().parent.parent


_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: the child only makes the syscall


def _die_with_parent() -> None:
    """preexec_fn: Linux SIGKILLs the worker when the test process dies, so a killed pytest (where
    no finalizer runs) leaves no orphan worker behind."""
    _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def offline_bytes(stored: bytes) -> bytes:
    """A state the worker stored, as the offline replay of the same events stores it: the input
    positions only the stream has (``folded_through``, ``rekeyed_through``) at 0."""
    state = UserState.from_bytes(stored)
    state.folded_through = 0
    state.rekeyed_through = [0] * len(state.rekeyed_through)
    return state.to_bytes()


def start_worker(settings: Settings, log_path: Path, *args: str) -> subprocess.Popen:
    """``riskmon worker [args]`` as a child process with exactly ``settings``."""
    with open(log_path, "ab") as log:  # the child has its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "stream.cli", "worker", *args], env=settings.environment(), stdout=log,
            stderr=subprocess.STDOUT, cwd=ROOT, preexec_fn=_die_with_parent,
        )


def stop_worker(proc: subprocess.Popen, timeout_s: float = 30.0) -> int:
    """SIGTERM (Faust shuts down cleanly and commits); if it hangs, its stacks into its log, then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_hung(proc)
    return proc.returncode


def scrape(port: int) -> dict[str, float]:
    """Every sample of the worker's /metrics as {'name{labels}': value}."""
    return prom.scrape(port)


def metric_sum(samples: dict[str, float], name: str) -> float:
    """Sum of a metric over all its label sets."""
    return prom.total(samples, name)


def wait_for(
    predicate: Callable[[], bool], timeout_s: float, what: str | Callable[[], str], proc: subprocess.Popen | None = None,
    log: Path | None = None,
) -> None:
    """Poll ``predicate`` until it holds; fail if ``proc`` exits or ``timeout_s`` passes.

    ``what`` may be a callable, asked only on failure (e.g. for the counts
    reached so far).  On a timeout with a live ``proc``, the worker first
    writes its threads' stacks to its log (SIGUSR2, ``stream.worker.main``),
    so the failure shows where it was stuck, not only that it was.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise AssertionError(f"worker exited with {proc.returncode} while waiting for {_said(what)}:\n{tail}")
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.5)
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGUSR2)
        time.sleep(1.0)
    tail = log.read_text(errors="replace")[-8000:] if log else ""
    raise AssertionError(f"timed out after {timeout_s}s waiting for {_said(what)}\n{tail}")


def _said(what: str | Callable[[], str]) -> str:
    try:
        return what if isinstance(what, str) else what()
    except Exception as exc:  # the failure message must not hide the failure
        return f"<could not describe: {exc!r}>"


def read_records(settings: Settings, topic: str, timeout_s: float = 120.0) -> list:
    """Every record currently in ``topic`` (all partitions; kafka-python ConsumerRecords with partition,
    offset, key, value and headers); fails if that takes over ``timeout_s``."""
    consumer = KafkaConsumer(**kafka_client_config(settings), enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        out: list = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in tps):
            # A slow read must not pass for missing messages.
            assert time.monotonic() < deadline, f"read {len(out)} of {sum(end.values())} messages of {topic} in {timeout_s:.0f}s"
            for records in consumer.poll(timeout_ms=500).values():
                out.extend(records)
        return out
    finally:
        consumer.close()


def read_topic(settings: Settings, topic: str, timeout_s: float = 120.0) -> list[tuple[bytes | None, bytes]]:
    """Every message currently in ``topic`` (all partitions), as (key, value)."""
    return [(r.key, r.value) for r in read_records(settings, topic, timeout_s)]


def decode_dlq(value: bytes) -> tuple[dict, bytes]:
    record = orjson.loads(value)
    return record, base64.b64decode(record["original_b64"])


LATE_MERCHANT = "m-late-payers"
FARM_DEVICE = "d-farm"


def with_late_merchant(events: list[dict], labels: list[dict], borrowers: int = 5) -> tuple[list[dict], list[dict]]:
    """A stream plus a merchant whose borrowers go late: ``borrowers`` accounts each draw a modest
    one-day loan at ``LATE_MERCHANT`` on day 2 (no heavy draw: the draw criterion stays quiet),
    then repay it on day 13 declaring 16 days late (``days_late`` is the producer's word; the
    stream is two weeks long), so the merchant alerts on its borrowers' lateness alone."""
    added = []
    for i in range(borrowers):
        added.append({
            "event_id": f"e-lm-{i}", "event_type": "loan", "user_id": f"lm-{i}",
            "ts": f"2026-03-02T{10 + i}:15:00+08:00", "amount": 300.0, "loan_id": f"l-lm-{i}",
            "product": "credit_line", "term_days": 1, "credit_limit": 3000, "segment": "individual",
            "channel": "merchant", "merchant_id": LATE_MERCHANT,
        })
        added.append({
            "event_id": f"r-lm-{i}", "event_type": "repayment", "user_id": f"lm-{i}",
            "ts": f"2026-03-13T{10 + i}:45:00+08:00", "amount": 300.0, "loan_id": f"l-lm-{i}", "days_late": 16,
        })
    rows = sorted(zip(events + added, labels + [{"event_id": e["event_id"], "label": 0, "scenario": "late_merchant",
                                                  "user_anomalous": False} for e in added]),
                  key=lambda pair: parse_document(pair[0]).ts)
    return [e for e, _ in rows], [lab for _, lab in rows]


def with_device_farm(events: list[dict], labels: list[dict], accounts: int = 8, day: int = 15) -> tuple[list[dict], list[dict]]:
    """A simulated stream (stream.sim, starting 2026-03-01) plus a loan farm: ``accounts`` brand-new
    accounts borrowing once each from one phone, 40 minutes apart on ``day`` (each looks ordinary on
    its own), labelled as anomalous.  Day 15, past a 14-day stream's end: an account a worker started
    on the stream first sees within the model's return span (14 days and more) may be an established
    one, and is not called new (``stream.core.state_epoch``); pass a later day for a longer span."""
    farm = [{
        "event_id": f"e-farm-{i}", "event_type": "loan", "user_id": f"farm-{i}",
        "ts": f"2026-03-{day + 1:02d}T{10 + (40 * i) // 60:02d}:{(40 * i) % 60:02d}:00+08:00", "amount": 1200.0,
        "loan_id": f"l-farm-{i}", "product": "cash_loan", "term_days": 14, "credit_limit": 3000,
        "segment": "individual", "channel": "app", "device_id": FARM_DEVICE,
    } for i in range(accounts)]
    rows = sorted(zip(events + farm, labels + [{"event_id": e["event_id"], "label": 1, "scenario": "device_farm",
                                                 "user_anomalous": True} for e in farm]),
                  key=lambda pair: parse_document(pair[0]).ts)
    return [e for e, _ in rows], [lab for _, lab in rows]


def loan_doc(user: str, n: int, at: datetime, amount: float, term_days: int, credit_limit: float = 1000) -> dict:
    """An individual's cash loan through the app, as the contract spells it (event ``{user}-e{n}``,
    loan ``{user}-L{n}``): the early-warning watch's tests borrow, and borrowers go quiet."""
    return {"event_id": f"{user}-e{n}", "event_type": "loan", "user_id": user, "ts": at.isoformat(), "amount": amount,
            "loan_id": f"{user}-L{n}", "product": "cash_loan", "term_days": term_days, "credit_limit": credit_limit,
            "segment": "individual", "channel": "app"}


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def alert_validator() -> "jsonschema.Draft202012Validator":
    """A validator of docs/alert.schema.json that checks ``date-time`` formats too: jsonschema checks
    them only with an optional package this project does not install, so they passed unread (an
    outside review)."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _RFC3339.fullmatch(value):
            raise ValueError(f"{value!r} is not an RFC 3339 date-time")
        datetime.fromisoformat(value.replace("Z", "+00:00"))  # a real date and time
        return True

    schema = json.loads((ROOT / "docs" / "alert.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=checker)
