"""Shared helpers for the fault, fuzz and security tests (tests/integration/test_faults.py,
tests/integration/test_fuzz_stream.py, tests/integration/test_security.py).

The yardstick of every fault test is the *no-fault expectation*: the offline
replay (``stream.core.pipeline.process``) of the same events through the same code.
After a fault the stream must end with

* per user, the last value of the state changelog == ``UserState.to_bytes()``
  of the offline replay (no event lost, none counted twice);
* the set of alert ids on the alerts topic == the offline set of
  non-suppressed alert ids (duplicates of the *same* alert id are allowed:
  delivery is at-least-once).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import orjson
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from models.model import load, save
from models.train import train
from stream.core.alerts import ALERT_SCHEMA_VERSION, ENTITY_ALERT_SCHEMA_VERSION
from stream.core.contract import parse_document
from stream.core.event_time import TimePolicy, admit_replay
from stream.core.features import UserState
from stream.core.entities import EntityState
from stream.core.pipeline import observe_sightings, process
from stream.core.rules import RuleConfig
from stream.core.state_epoch import StateEpoch
from stream.settings import Settings
from stream.worker.state_table import STATE_TABLE
from stream.sim import SimConfig, generate
from stream.sim.retime import retime
from stream.kafka.config import kafka_client_config
from tests.support import metric_sum, offline_bytes, read_topic, scrape, start_worker, with_device_farm



# --------------------------------------------------------------------------- model and events


def train_model(out: Path) -> Path:
    """A model trained on a simulated history that shares no users with the test streams."""
    history, _ = generate(SimConfig(users=1500, days=30, seed=3, user_prefix="hist"))
    save(train((parse_document(e) for e in history), seed=7), out)
    return out


def sim_events(users: int, days: int, seed: int, prefix: str) -> list[dict]:
    """A simulated stream moved to the present, as a live producer would send it (``stream.sim.retime``)."""
    events, labels = generate(SimConfig(users=users, days=days, seed=seed, anomaly_rate=0.1, user_prefix=prefix, anomaly_start_day=2))
    events, _ = with_device_farm(events, labels)  # so the entity stage has a ring to alert on
    return retime(events)


@dataclass
class Expectation:
    """What the offline replay of the events decides (the no-fault result)."""

    states: dict[str, bytes]
    alert_ids: set[str]
    scored: int
    duplicates: int
    suppressed: int
    refused_time: dict[str, str] = field(default_factory=dict)  # event_id -> future_ts / stale_ts
    entities: dict[str, dict[str, tuple]] = field(default_factory=dict)  # entity type -> id -> folded_view
    entity_alerts: set[str] = field(default_factory=set)  # standing entity alert ids (not member alerts)
    entity_named: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # entity -> borrowers named


def folded_view(state: EntityState) -> tuple:
    """What an entity state folded, independent of arrival order (sketch slots, member order and
    the duplicate filter's offsets differ between the stream and a replay; counts may not)."""
    return (state.first_ts, state.last_ts, state.head_day, tuple(tuple(sorted(k)) for k in state.sketches),
            tuple(state.loans), state.head_long, tuple(tuple(sorted(k)) for k in state.long_sketches))


def named_by_entity(alerts: Iterable[dict]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for a in alerts:
        out.setdefault((a["entity_type"], a["entity_id"]), set()).update(a["users"])
    return out


def offline_expectation(model_dir: Path, events: Iterable[dict], suppress_window_s: float,
                        policy: TimePolicy = TimePolicy()) -> Expectation:
    """The offline replay, with the worker's event-time policy (``riskmon score``'s own path)."""
    states: dict[str, UserState] = {}
    believed, refused = admit_replay([parse_document(e) for e in events], policy)
    model = load(model_dir)
    outcomes = process(model, model.rules(RuleConfig()), states, believed, suppress_window_s,
                       epoch=StateEpoch(unknown_past_s=model.entity_thresholds.unknown_past_s))
    entity_states: dict[tuple[str, str], EntityState] = {}
    entity_alerts = [o.alert for o in observe_sightings(entity_states, outcomes, model.entity_thresholds, model.version)
                     if o.alert and not o.suppressed]
    by_type: dict[str, dict[str, tuple]] = {}
    for (entity_type, entity_id), state in entity_states.items():
        by_type.setdefault(entity_type, {})[entity_id] = folded_view(state)
    return Expectation(
        refused_time={e.event_id: reason for e, reason, _ in refused},
        states={u: s.to_bytes() for u, s in states.items()},
        alert_ids={o.alert["alert_id"] for o in outcomes if o.alert and not o.suppressed},
        scored=sum(1 for o in outcomes if not o.duplicate),
        duplicates=sum(1 for o in outcomes if o.duplicate),
        suppressed=sum(1 for o in outcomes if o.suppressed),
        entities=by_type,
        entity_alerts={a["alert_id"] for a in entity_alerts if "member_of" not in a},
        entity_named=named_by_entity(entity_alerts),
    )


# --------------------------------------------------------------------------- reading the outputs


def changelog_topic(settings: Settings) -> str:
    return f"{settings.app_id}-{STATE_TABLE}-changelog"


def last_changelog_values(settings: Settings, changelog: str | None = None) -> dict[str, bytes]:
    """The newest changelog value per user (a user's state always goes to one partition);
    ``changelog``: another than the never-rescaled table's."""
    out: dict[str, bytes] = {}
    for key, value in read_topic(settings, changelog or changelog_topic(settings)):
        if key is not None and value is not None:
            out[key.decode()] = value
    return out


def sent_alerts(settings: Settings) -> tuple[list[dict], list[dict]]:
    """(user alerts, entity alerts) on the alerts topic."""
    every = [orjson.loads(v) for _, v in read_topic(settings, settings.alerts_topic)]
    return ([a for a in every if a["schema_version"] == ALERT_SCHEMA_VERSION],
            [a for a in every if a["schema_version"] == ENTITY_ALERT_SCHEMA_VERSION])


def sent_alert_ids(settings: Settings) -> list[str]:
    return [a["alert_id"] for a in sent_alerts(settings)[0]]


def entity_mismatches(settings: Settings, expected: Expectation) -> list[str]:
    """Entities whose last changelog value folded other sightings than the offline replay's."""
    problems = []
    for entity_type, want in expected.entities.items():
        got = {k: folded_view(EntityState.from_bytes(v))
               for k, v in last_changelog_values(settings, f"{settings.app_id}-{entity_type}-state-changelog").items()}
        missing = sorted(set(want) - set(got))
        differ = sorted(k for k in set(got) & set(want) if got[k] != want[k])
        extra = sorted(set(got) - set(want))
        if missing or differ or extra:
            fields = ("first_ts", "last_ts", "head_day", "sketches", "loans")
            how = [f"{k}: {[f for f, g, w in zip(fields, got[k], want[k]) if g != w]}" for k in differ[:2]]
            problems.append(f"{entity_type}: {len(missing)} missing, {len(extra)} unexpected, {len(differ)} differ "
                            f"from the offline replay, e.g. {(missing + extra + differ)[:3]} {how}")
    return problems


def state_mismatches(settings: Settings, expected: Expectation, changelog: str | None = None) -> list[str]:
    """Users (and entities) whose last changelog value differs from the offline state (empty = all equal)."""
    got = last_changelog_values(settings, changelog)
    missing = sorted(set(expected.states) - set(got))
    extra = sorted(set(got) - set(expected.states))
    differ = sorted(u for u in set(got) & set(expected.states) if offline_bytes(got[u]) != expected.states[u])
    problems = []
    if missing:
        problems.append(f"{len(missing)} users missing from the changelog, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} unexpected users in the changelog, e.g. {extra[:3]}")
    if differ:
        detail = []
        for u in differ[:3]:
            g, e = UserState.from_bytes(got[u]), UserState.from_bytes(expected.states[u])
            detail.append(f"{u}: loans/repayments {g.n_loans}/{g.n_repayments} vs offline {e.n_loans}/{e.n_repayments}")
        problems.append(f"{len(differ)} users with state bytes != offline replay, e.g. {'; '.join(detail)}")
    return problems + entity_mismatches(settings, expected)


def assert_same_as_offline(settings: Settings, expected: Expectation, changelog: str | None = None) -> dict[str, int]:
    """Check (a) state per user and (b) alert ids against the offline replay; return counts."""
    problems = state_mismatches(settings, expected, changelog)
    assert not problems, "; ".join(problems)
    user_alerts, entity_alerts = sent_alerts(settings)
    ids = [a["alert_id"] for a in user_alerts]
    assert set(ids) == expected.alert_ids, (
        f"alert ids differ from the offline replay: {len(set(ids) - expected.alert_ids)} unexpected, "
        f"{len(expected.alert_ids - set(ids))} missing"
    )
    # Entity alerts: the standing ones by id, and every borrower named (member alerts depend on arrival order).
    assert {a["alert_id"] for a in entity_alerts if "member_of" not in a} == expected.entity_alerts
    assert named_by_entity(entity_alerts) == expected.entity_named
    return {"alert_messages": len(ids), "distinct_alerts": len(set(ids)), "users": len(expected.states),
            "entities": sum(len(v) for v in expected.entities.values()), "entity_alerts": len(entity_alerts)}


def group_lag(settings: Settings, topic: str | None = None) -> int | None:
    """Committed-offset lag of the worker's consumer group on the input topic (None: unknown)."""
    got = group_offsets(settings, topic)
    return None if got is None else got[1] - got[0]


def group_offsets(settings: Settings, topic: str | None = None) -> tuple[int, int] | None:
    """(committed, end) offsets of the worker's group on the input topic, summed over partitions."""
    got = partition_offsets(settings, topic)
    return None if got is None else (sum(c for c, _ in got.values()), sum(e for _, e in got.values()))


def partition_offsets(settings: Settings, topic: str | None = None) -> dict[int, tuple[int, int]] | None:
    """{partition: (committed, end)} of the worker's group on the input topic (None: unknown)."""
    topic = topic or settings.input_topic
    admin = KafkaAdminClient(**kafka_client_config(settings), request_timeout_ms=5000)
    consumer = KafkaConsumer(**kafka_client_config(settings), enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        committed = admin.list_group_offsets({settings.app_id: tps}).get(settings.app_id, {})
        ends = consumer.end_offsets(tps)
        out = {}
        for tp in tps:
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset is not None and meta.offset >= 0 else 0
            out[tp.partition] = (done, ends[tp])
        return out
    except Exception:  # noqa: BLE001 - a broker hiccup means "not known yet"
        return None
    finally:
        consumer.close()
        admin.close()


# --------------------------------------------------------------------------- worker processes


def log_tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def http_status(port: int, path: str) -> int | None:
    """HTTP status of GET path on the worker's metrics port, None when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def processed(port: int) -> float:
    return metric_sum(scrape(port), "riskmon_events_processed_total")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def kill9(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


@dataclass
class Workers:
    """Worker processes started by one test; ``close`` stops all that still run."""

    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, settings: Settings, log: Path) -> subprocess.Popen:
        proc = start_worker(settings, log)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15  # a healthy worker stops in a few seconds; a stuck one is killed
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str, logs: Iterable[Path] = (),
               procs: Iterable[subprocess.Popen] = (), interval_s: float = 0.3,
               describe: Callable[[], str] | None = None) -> None:
    """Poll ``predicate`` (errors count as False); fail with the worker logs' tails on timeout
    or when one of ``procs`` exits."""
    logs, procs = list(logs), list(procs)
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(
                    f"worker pid {proc.pid} exited with {proc.returncode} while waiting for {what}\n"
                    + "\n".join(f"--- {p}:\n{log_tail(p)}" for p in logs)
                )
        try:
            if predicate():
                return
        except Exception as exc:  # noqa: BLE001 - keep polling, report the last error
            last_error = exc
        time.sleep(interval_s)
    state = ""
    if describe is not None:
        try:
            state = "\nstate: " + describe()
        except Exception as exc:  # noqa: BLE001
            state = f"\nstate: unavailable ({exc!r})"
    raise AssertionError(
        f"timed out after {timeout_s:.0f}s waiting for {what} (last error: {last_error!r}){state}\n"
        + "\n".join(f"--- {p}:\n{log_tail(p)}" for p in logs)
    )


def environ_without_riskmon() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("RISKMON_")}


# --------------------------------------------------------------------------- topics and publishing


def fresh_settings(base: Settings, suffix: str, **changes) -> Settings:
    """Per-test topic names and app id, rule storms off (like the ``unique_topics`` fixture), with ``changes``."""
    changes = {"rule_storm_factor": 0, **changes}
    return base.replace(
        input_topic=f"{base.input_topic}-{suffix}",
        alerts_topic=f"{base.alerts_topic}-{suffix}",
        dlq_topic=f"{base.dlq_topic}-{suffix}",
        app_id=f"{base.app_id}-{suffix}",
        **changes,
    )


class Publisher:
    """Publishes events in a background thread at ``rate`` per second (keyed by user)."""

    def __init__(self, settings: Settings, events: list[dict], rate: float) -> None:
        import threading

        from stream.kafka.producer import make_producer

        self.settings, self.events, self.rate = settings, events, rate
        self.error: BaseException | None = None
        self.producer = make_producer(settings)
        self.thread = threading.Thread(target=self._run, name="test-publisher", daemon=True)

    def _run(self) -> None:
        from stream.kafka.producer import publish

        try:
            publish(self.producer, self.settings.input_topic, self.events, rate=self.rate)
        except BaseException as exc:  # noqa: BLE001 - re-raised by join()
            self.error = exc

    def start(self) -> "Publisher":
        self.thread.start()
        return self

    def join(self, timeout_s: float = 120.0) -> None:
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), f"publisher still running after {timeout_s}s"
        self.producer.close()
        if self.error is not None:
            raise AssertionError(f"publishing failed: {self.error!r}")


def events_reflected(model_dir: Path, events: list[dict], stored: dict[str, bytes], suppress_window_s: float) -> int:
    """How many events the stored (changelog) states already contain.

    The worker writes a user's state once per batch, so each stored state is the
    offline state after some prefix of that user's events; this finds the prefix
    length per user by replaying event by event and comparing bytes.  Fails if a
    stored state matches no prefix (a state the offline replay never passes through).
    """
    model = load(model_dir)
    rules = model.rules(RuleConfig())  # as the worker: the model's calibrated rules
    states: dict[str, UserState] = {}
    seen: dict[str, int] = {}
    found: dict[str, int] = {u: 0 for u in stored if stored[u] == UserState().to_bytes()}
    for event in events:
        doc = parse_document(event)
        process(model, rules, states, [doc], suppress_window_s)
        user = doc.user_id
        seen[user] = seen.get(user, 0) + 1
        if user in stored and user not in found and states[user].to_bytes() == offline_bytes(stored[user]):
            found[user] = seen[user]
    lost = sorted(set(stored) - set(found))
    assert not lost, f"{len(lost)} stored states match no prefix of the user's events, e.g. {lost[:3]}"
    return sum(found.values())


def describe_progress(settings: Settings, expected: Expectation, port: int | None = None) -> Callable[[], str]:
    """A wait_until ``describe``: group offsets, state mismatches and the worker's key metrics."""
    def describe() -> str:
        parts = [f"group (committed, end) offsets per partition {partition_offsets(settings)}",
                 f"state: {state_mismatches(settings, expected) or 'equal'}"]
        if port is not None:
            wanted = ("riskmon_events_processed_total", "riskmon_consumer_lag", "riskmon_worker_")
            parts.append(str({k: v for k, v in scrape(port).items() if k.startswith(wanted)}))
        return "; ".join(parts)
    return describe


#: Seen in ~1 of 3 kill -9/restart runs: everything processed and the state right,
#: but the group's committed offsets stay behind (false consumer-group backlog;
#: a crash then replays all of it).  Faust (faust-streaming 0.15.3) delivers some
#: offsets twice around recovery ("Resuming flow" happens before "Seek stream
#: partitions to committed offsets", faust-streaming/faust#216) and a duplicate in
#: Consumer._acked stops _new_offset from advancing (robinhood/faust#625).
COMMIT_STALL = "committed offsets stuck behind processed ones (see stream/worker/faust_fixes.py)"


def commits_caught_up(settings: Settings, timeout_s: float = 20.0) -> str | None:
    """None once the group's committed offsets reach the end offsets, else what they are."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if group_lag(settings) == 0:
            return None
        time.sleep(0.5)
    return f"{COMMIT_STALL}: (committed, end) per partition {partition_offsets(settings)} after {timeout_s:.0f}s"
