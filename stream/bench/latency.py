"""Latency at a fixed produce rate: produce -> processed (alert sent) and -> committed.

A fresh worker (own app id, empty input topic) is started and waited on until
ready; then events are produced at ``rate``/s for ``seconds`` s after a short
warm-up whose events are left out of every statistic.  Before that, the same
worker runs the latency curve: the same measurement at shares of the
one-process maximum measured earlier in the run (``CURVE_SHARES``), each step
starting once the one before it is committed.  Three views:

* ``alert`` (the bar's number): for every alert on an event (a user alert),
  the alert record's Kafka timestamp (set by the worker's producer when it
  sends) minus the Kafka timestamp of the source event (set by our producer
  at send()).  The worker sends a batch's alerts right after processing the
  whole batch, so this is the batch's produce -> processed time, exact to the
  ms, sampled at the events that alert (not a uniform sample, but the batch
  is).  Ring alerts (the entity stage's, which name the sighting's event)
  pass through a second topic and stage; they are timed apart
  (``entity_alert_ms``).
* ``hist``: the worker's own ``riskmon_processing_latency_seconds`` histogram
  (message timestamp -> batch outcome sent, every event), difference of two
  scrapes so the warm-up is out; bucket-interpolated, hence coarse, but the
  share at or under 250 ms is exact (250 ms is a bucket edge).
* ``commit``: for each produced offset, when a committed offset first passed
  it (polled every 50 ms) minus its produce timestamp: includes Faust's 1 s
  commit interval, so it is about durability, not reaction time.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import orjson

from stream.bench import prom
from stream.bench.offsets import OffsetWatch, watch_until_committed
from stream.bench.procs import Children
from stream.kafka.producer import make_producer
from stream.settings import Settings
from stream.kafka.config import kafka_client_config
from stream.kafka.topics import ensure_topics

HIST = "riskmon_processing_latency_seconds"
MIN_ALERT_SAMPLES = 100  # below this the alert view is too thin to quote a p99
#: The latency curve's steps, as shares of the one-process maximum measured in the same run,
#: so an operator sees where the knee is on their own hardware.
CURVE_SHARES = (0.25, 0.5, 0.75, 0.9)


@dataclass
class LatencyResult:
    rate: float
    seconds: float
    warmup_s: float
    produced: int = 0
    achieved_rate: float = 0.0
    all_committed: bool = False
    alert_samples: int = 0
    alert_ms: dict[str, float] = field(default_factory=dict)  # p50/p95/p99/max
    entity_alert_samples: int = 0  # ring alerts: user stage -> sighting topic -> entity stage -> alert
    entity_alert_ms: dict[str, float] = field(default_factory=dict)
    hist_count: int = 0
    hist_ms: dict[str, float] = field(default_factory=dict)
    hist_share_le_250ms: float = math.nan
    commit_ms: dict[str, float] = field(default_factory=dict)
    error: str = ""
    curve: list["LatencyResult"] = field(default_factory=list)  # further steps of the same worker (curve_steps)

    @property
    def source(self) -> str:
        """Which view the headline p50/p99 come from."""
        return "alert" if self.alert_samples >= MIN_ALERT_SAMPLES else "hist"

    def headline(self, q: str) -> float:
        view = self.alert_ms if self.source == "alert" else self.hist_ms
        return view.get(q, math.nan)


def _quantiles_ms(values_ms: list[float]) -> dict[str, float]:
    if not values_ms:
        return {}
    arr = np.asarray(values_ms, dtype=np.float64)
    return {
        "p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
        "p99": float(np.percentile(arr, 99)), "max": float(arr.max()),
    }


def is_entity_alert(doc: dict) -> bool:
    """A ring alert of the entity stage (docs/alert.schema.json: user alerts say ``entity_type: "user"``
    or, written before entity views, nothing)."""
    return doc.get("entity_type", "user") != "user"


class _AlertReader(threading.Thread):
    """Collects (event_id, alert record timestamp ms) from the alerts topic, the events' own alerts in
    ``alerts`` and the entity stage's (ring alerts, which name the sighting's event) in ``entity_alerts``.

    The consumer is used only from this thread (kafka-python's is not
    thread-safe): ``drain`` asks the thread to read up to the topic's end as of
    now and then stop.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="bench-alerts", daemon=True)
        self.settings = settings
        self.alerts: list[tuple[str, int]] = []
        self.entity_alerts: list[tuple[str, int]] = []
        self.error = ""
        self._drain = threading.Event()
        self._drain_timeout_s = 0.0

    def run(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(**kafka_client_config(self.settings), enable_auto_commit=False)
        try:
            topic = self.settings.alerts_topic
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            end: dict | None = None
            deadline = math.inf
            while True:
                if end is None and self._drain.is_set():
                    end = consumer.end_offsets(tps)
                    deadline = time.monotonic() + self._drain_timeout_s
                if end is not None and (
                    time.monotonic() > deadline or all(consumer.position(tp) >= end[tp] for tp in tps)
                ):
                    return
                for records in consumer.poll(timeout_ms=200).values():
                    for r in records:
                        doc = orjson.loads(r.value)
                        into = self.entity_alerts if is_entity_alert(doc) else self.alerts
                        into.append((doc["event_id"], int(r.timestamp)))
        except Exception as exc:  # reported, not raised from a thread
            self.error = f"alert reader: {exc}"
        finally:
            consumer.close()

    def drain(self, timeout_s: float = 30.0) -> None:
        """Read up to the topic's current end (at most ``timeout_s``), then stop."""
        self._drain_timeout_s = timeout_s
        self._drain.set()
        self.join(timeout=timeout_s + 10)


class _CommitPoller(threading.Thread):
    """Samples the worker's committed offsets every ``poll_s`` (own admin client: not thread-safe)."""

    def __init__(self, settings: Settings, poll_s: float = 0.05) -> None:
        super().__init__(name="bench-commits", daemon=True)
        self.settings, self.poll_s = settings, poll_s
        self.samples: dict[int, list[tuple[int, float]]] = {}  # partition -> [(committed offset, time)]
        self.stop_flag = threading.Event()

    def run(self) -> None:
        watch = OffsetWatch(self.settings)
        try:
            while not self.stop_flag.is_set():
                now = time.time()
                for p, off in watch.committed(self.settings.app_id, self.settings.input_topic).items():
                    series = self.samples.setdefault(p, [])
                    if not series or off > series[-1][0]:
                        series.append((off, now))
                time.sleep(self.poll_s)
        finally:
            watch.close()

    def committed_at(self, partition: int, offset: int) -> float | None:
        """First time a committed offset > ``offset`` was seen on ``partition``."""
        series = self.samples.get(partition, [])
        i = bisect.bisect_right([o for o, _ in series], offset)
        return series[i][1] if i < len(series) else None


def run_latency(
    settings: Settings, events: list[dict], rate: float, seconds: float, children: Children, timeout_s: float,
    curve: Sequence[tuple[float, float]] = (), processes: int = 1,
) -> LatencyResult:
    """``settings``: worker settings with a fresh input topic, app id and metrics port(s).

    One worker runs every step: first each ``(rate, seconds)`` of ``curve``
    (``LatencyResult.curve``, lowest rate first), then ``rate`` for
    ``seconds`` (the headline).  A step starts once everything before it is
    committed, the entity stages' sightings included, so a step the worker
    could not keep up with does not queue into the next one; the curve comes
    first because the steps right after a long backlog measured seconds of
    p99 at a quarter of the maximum rate.  ``processes`` > 1 runs
    ``riskmon worker --processes N`` (metrics on N consecutive ports, the
    histogram summed over them).
    """
    steps = [*sorted(curve), (rate, seconds)]
    results = [LatencyResult(rate=r, seconds=s, warmup_s=warmup_for(s)) for r, s in steps]
    if events_needed(steps) > len(events):
        raise ValueError(f"need {events_needed(steps)} events for the latency run, got {len(events)}")
    chunks: list[tuple[list[dict], list[dict]]] = []
    start = 0
    for r in results:
        n_warm, n_measured = int(r.rate * r.warmup_s), int(r.rate * r.seconds)
        chunks.append((events[start:start + n_warm], events[start + n_warm:start + n_warm + n_measured]))
        start += n_warm + n_measured
    ensure_topics(settings)
    meta: dict[str, tuple[int, int, int]] = {}  # event id -> (partition, offset, timestamp ms)
    hists: list[list[tuple[float, float]]] = [[] for _ in results]
    reader: _AlertReader | None = None
    poller: _CommitPoller | None = None
    ports = range(settings.metrics_port, settings.metrics_port + processes)
    argv = ["-m", "stream.cli", "worker", *(["--processes", str(processes)] if processes > 1 else [])]
    worker = children.python("latency-worker", argv, settings.environment())
    try:
        _wait_ready(ports, worker.alive, timeout_s=120)
        reader, poller = _AlertReader(settings), _CommitPoller(settings)
        reader.start()
        poller.start()
        producer = make_producer(settings)
        try:
            for i, (result, (warm, measured)) in enumerate(zip(results, chunks)):
                if i and not (results[i - 1].all_committed and worker.alive()):
                    result.error = "not run: the step before it did not finish"
                    continue
                _produce(producer, settings.input_topic, warm, result.rate, meta)
                hist_before = _histogram(ports)
                t0 = time.time()
                _produce(producer, settings.input_topic, measured, result.rate, meta)
                result.achieved_rate = len(measured) / max(1e-9, time.time() - t0)
                result.produced = len(measured)
                result.all_committed = _wait_committed(settings, poller, worker.alive, timeout_s)
                if not result.all_committed:
                    result.error = f"worker did not commit every offset within {timeout_s:.0f}s:\n{worker.log_tail(1500)}"
                elif not _wait_entity_stages(settings, worker.alive, timeout_s):
                    result.all_committed = False
                    result.error = (f"the entity stage did not catch up with its sightings within {timeout_s:.0f}s:\n"
                                    f"{worker.log_tail(1500)}")
                if worker.alive():
                    hists[i] = prom.diff(_histogram(ports), hist_before)
        finally:
            producer.close()
    finally:
        if poller is not None:
            poller.stop_flag.set()
            poller.join(timeout=5)
        if reader is not None:
            reader.drain(timeout_s=30.0 if results[-1].all_committed else 0.0)
            results[-1].error = results[-1].error or reader.error
        children.stop(worker)
    assert reader is not None and poller is not None
    for result, (_, measured), hist in zip(results, chunks, hists):
        _summarise(result, meta, {e["event_id"] for e in measured}, reader, poller, hist)
    results[-1].curve = results[:-1]
    return results[-1]


def warmup_for(seconds: float) -> float:
    """Seconds of warm-up before a step of ``seconds``: its events are left out of every statistic."""
    return min(3.0, max(0.5, seconds / 10))


def events_needed(steps: Sequence[tuple[float, float]]) -> int:
    """Events the (rate, seconds) steps produce, warm-ups included."""
    return sum(int(r * warmup_for(s)) + int(r * s) for r, s in steps)


def curve_steps(max_rate: float, seconds: float, shares: Sequence[float] = CURVE_SHARES) -> list[tuple[float, float]]:
    """The latency curve's (rate, seconds) steps at ``shares`` of the measured maximum rate."""
    return [(max(1.0, round(max_rate * share)), seconds) for share in shares if max_rate > 0]


def _wait_committed(settings: Settings, poller: "_CommitPoller", alive, timeout_s: float) -> bool:
    """Until the poller has seen every produced offset committed."""
    watch = OffsetWatch(settings)
    try:
        end = watch.ends(settings.input_topic, settings.partitions)
    finally:
        watch.close()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        if all(poller.samples.get(p, [(0, 0.0)])[-1][0] >= o for p, o in end.items() if o > 0):
            return True
        time.sleep(0.2)
    return False


def _wait_entity_stages(settings: Settings, alive, timeout_s: float) -> bool:
    """Until the worker's entity stages have committed every sighting forwarded to them.

    The input topic's commits say only that the user stage is done; the
    entity stages run on the same event loop behind it.  A step that starts
    while they still work off the step before measured that backlog: after
    the curve's 90 % step, the 2,000 events/s step read p50 / p99 843 /
    1,783 ms in one run and 84 / 151 ms in another of the same code
    (docs/tuning.md).
    """
    topics = settings.sighting_topics()
    if not topics:
        return True
    watch = OffsetWatch(settings)
    try:
        deadline = time.monotonic() + timeout_s
        for topic in topics.values():
            # Fixed by now: the user stage's sightings are acknowledged before its input offsets are committed.
            ends = watch.ends(topic, settings.partitions)
            progress = watch_until_committed(watch, settings.app_id, topic, ends, time.time(),
                                             max(0.0, deadline - time.monotonic()), alive, poll_s=0.2)
            if not progress.done:
                return False
        return True
    finally:
        watch.close()


def _produce(producer, topic: str, events: list[dict], rate: float, meta: dict[str, tuple[int, int, int]]) -> None:
    """Send at ``rate``/s on a fixed schedule (no catch-up burst is hidden: late sends stay late)."""
    started = time.monotonic()
    for i, event in enumerate(events):
        ahead = i / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
        event_id = event["event_id"]

        def record(md, event_id: str = event_id) -> None:
            meta[event_id] = (md.partition, md.offset, int(md.timestamp))

        producer.send(topic, key=event["user_id"].encode(), value=orjson.dumps(event)).add_callback(record)
    producer.flush()


def _histogram(ports: Sequence[int]) -> list[tuple[float, float]]:
    """The processing-latency histogram's cumulative buckets, summed over the workers' metrics ports."""
    return prom.buckets(prom.scrape_sum(ports), HIST)


def _wait_ready(ports: Sequence[int], alive, timeout_s: float) -> None:
    """Until every worker process reports ready (tables recovered, partitions assigned)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("latency worker exited during start-up")
        try:
            if all(prom.total(prom.scrape(port), "riskmon_worker_ready") >= 1 for port in ports):
                time.sleep(1.0)  # let the fetcher settle on its assignment
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"latency worker not ready after {timeout_s:.0f}s")


def _summarise(
    result: LatencyResult, meta: dict[str, tuple[int, int, int]], measured_ids: set[str],
    reader: _AlertReader, poller: _CommitPoller, hist: list[tuple[float, float]],
) -> None:
    def since_produced(alerts: list[tuple[str, int]]) -> list[float]:
        return [float(ts - meta[eid][2]) for eid, ts in alerts if eid in measured_ids and eid in meta]

    alert_ms, ring_ms = since_produced(reader.alerts), since_produced(reader.entity_alerts)
    result.alert_samples, result.alert_ms = len(alert_ms), _quantiles_ms(alert_ms)
    result.entity_alert_samples, result.entity_alert_ms = len(ring_ms), _quantiles_ms(ring_ms)
    commit_ms = []
    for eid in measured_ids:
        if eid in meta:
            p, off, ts = meta[eid]
            at = poller.committed_at(p, off)
            if at is not None:
                commit_ms.append(at * 1000.0 - ts)
    result.commit_ms = _quantiles_ms(commit_ms)
    if hist:
        result.hist_count = int(hist[-1][1])
        result.hist_ms = {q: prom.quantile(hist, v) * 1000.0 for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
        result.hist_share_le_250ms = prom.share_at_most(hist, 0.25)
