"""Worker health: readiness, the stalled-consumer watchdog, and the HTTP endpoints.

* ``/ready`` answers 200 only once the worker has restored its tables from the
  changelog and is processing; a load balancer or Kubernetes readiness probe
  keeps traffic (and dashboards' "ready" panel) honest during recovery.
* ``/healthy`` answers 503 when the watchdog sees the worker stalled: no batch
  finished for ``stall_timeout_s`` while there are messages waiting (for the
  input stage, or for an entity stage on its sighting topic), or a table
  restore that read nothing for that long.  Faust workers are known to
  stall silently with growing lag or in recovery; this makes the stall
  visible (metric + endpoint + one error log) instead of a silent hang.
* ``/metrics`` is the Prometheus exposition.

All three share one small threaded HTTP server on the metrics port.  Where no
liveness probe reads ``/healthy`` (Docker Compose, systemd), ``stall_exit_s``
has the worker end itself after a stall that long, for its supervisor to
restart it (:func:`exit_when_stalled`).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from stream.worker import metrics

log = logging.getLogger(__name__)


@dataclass
class StageClock:
    """A stage's own stall clock, beside the input's: the entity stages consume sighting topics, and one
    stuck while the input flows would leave the ring alerts silent with nothing to say so."""

    last_progress: float
    waiting_since: float | None = None
    stalled: bool = False

    def waited(self, now: float) -> float:
        """As :meth:`Health.waited`: since the later of its last batch and the moment its messages began to wait."""
        return _waited(self.last_progress, self.waiting_since, now)


def _waited(last_progress: float, waiting_since: float | None, now: float) -> float:
    """How long messages have waited with no batch processed, for any stage's clock."""
    return 0.0 if waiting_since is None else now - max(last_progress, waiting_since)


@dataclass
class Health:
    """Mutable health facts, written by the worker's event loop, read by the HTTP thread."""

    stall_timeout_s: float = 60.0
    ready: bool = False
    stalled: bool = False
    last_progress: float = field(default_factory=time.time)
    lag: dict[int, int] = field(default_factory=dict)
    #: When messages began to wait (lag from zero, or from no partitions, to more); None while none wait.
    waiting_since: float | None = None
    restore_stuck: bool = False
    restore_left: int | None = None
    restore_progress: float = 0.0
    contract_problem: str | None = None  # the partition contract is broken (stream.core.partition_contract)
    topics_problem: str | None = None  # topics the worker needs are missing (stream.kafka.topics)
    stages: dict[str, StageClock] = field(default_factory=dict)  # the entity stages, by entity type

    def progressed(self, now: float | None = None) -> None:
        self.last_progress = time.time() if now is None else now
        metrics.LAST_PROGRESS.set(self.last_progress)
        if self.stalled:
            log.warning("worker is making progress again")
        self.stalled = False
        self._publish()

    def observe_restore(self, left: int | None, now: float | None = None) -> None:
        """Judge a table restore: stuck when changelog records remain and none was read for the stall timeout.

        A worker stuck restoring its tables is what Faust users report most:
        ``/ready`` stays 503 and nothing else says why.  ``left`` is the number
        of changelog records still to read, None when no restore is running.
        """
        now = time.time() if now is None else now
        if not left or left != self.restore_left:  # over, read some, or a new restore after a rebalance
            if self.restore_stuck:
                log.warning("table restore is moving again")
            self.restore_left, self.restore_progress, self.restore_stuck = left or None, now, False
        elif not self.restore_stuck and now - self.restore_progress > self.stall_timeout_s:
            self.restore_stuck = True
            log.error(
                "table restore stuck: %d changelog records still to read and none read for %.0fs; "
                "check the broker and the changelog topic, restart the worker if it persists",
                left, now - self.restore_progress,
            )
        self._publish()

    def observe_contract(self, problem: str | None) -> None:
        """A broken partition contract makes the worker neither ready nor healthy, with one error per change."""
        _log_change(self.contract_problem, problem,
                    "partition contract holds again: input topic and state changelog have the same partition count")
        self.contract_problem = problem
        metrics.PARTITION_CONTRACT_BROKEN.set(1.0 if problem else 0.0)
        if problem:
            self.set_ready(False)
        self._publish()

    def observe_missing_topics(self, problem: str | None) -> None:
        """Missing topics make the worker not ready, with one error per change.  Still healthy: a restart
        would not create them."""
        _log_change(self.topics_problem, problem, "the worker's topics exist now: consuming")
        self.topics_problem = problem
        if problem:
            self.set_ready(False)

    def stage_progressed(self, stage: str, now: float | None = None) -> None:
        """An entity stage finished a batch (not the worker's progress: the input's clock is its own)."""
        clock = self._stage(stage, now)
        clock.last_progress = time.time() if now is None else now
        if clock.stalled:
            log.warning("the %s stage is making progress again", stage)
            clock.stalled = False
            self._publish()

    def observe_stage(self, stage: str, waiting: int, now: float | None = None) -> None:
        """Messages waiting on ``stage``'s topic; a stage whose messages waited longer than the stall timeout
        with no batch finished makes the worker stalled, with one error naming the stage."""
        now = time.time() if now is None else now
        clock = self._stage(stage, now)
        if not waiting:
            clock.waiting_since = None
        elif clock.waiting_since is None:
            clock.waiting_since = now
        stalled = self._waited_too_long(now, clock)
        if stalled and not clock.stalled:
            log.error("the %s stage stalled: no batch processed for %.0fs while %d sightings wait on its topic; "
                      "its ring alerts are not sent; check the broker connection and the worker log, restart "
                      "the worker if it persists", stage, clock.waited(now), waiting)
        elif clock.stalled and not stalled:
            log.warning("the %s stage no longer waits", stage)
        clock.stalled = stalled
        self._publish()

    def _stage(self, stage: str, now: float | None) -> StageClock:
        if stage not in self.stages:
            self.stages[stage] = StageClock(last_progress=time.time() if now is None else now)
        return self.stages[stage]

    def _publish(self) -> None:
        stuck = self.stalled or self.restore_stuck or any(c.stalled for c in self.stages.values())
        metrics.STALLED.set(1.0 if stuck else 0.0)

    def is_stalled(self, now: float | None = None) -> bool:
        """Not healthy as of now: stuck (:meth:`is_stuck`), or refusing to consume on a broken partition contract."""
        return bool(self.contract_problem) or self.is_stuck(now)

    def is_stuck(self, now: float | None = None) -> bool:
        """Stalled, or a table restore stuck, as of now, judged from this thread too.

        The worker's event loop updates the verdict every second; if that loop
        is blocked it cannot, so the HTTP thread also applies the rule to the
        last facts it has (messages were waiting, no progress since).
        """
        now = time.time() if now is None else now
        return (self.stalled or self.restore_stuck or self._waited_too_long(now)
                or any(c.stalled or self._waited_too_long(now, c) for c in self.stages.values()))

    def _waited_too_long(self, now: float, clock: "StageClock | Health | None" = None) -> bool:
        """The stall rule, one for both threads and every stage (``clock``; the input's by default): ready,
        and messages waiting longer than ``stall_timeout_s``."""
        return self.ready and (clock or self).waited(now) > self.stall_timeout_s

    def waited(self, now: float) -> float:
        """How long messages have waited with no batch processed: since the later of the last batch and the
        moment they began to wait.  A worker idle for an hour that is assigned a partition with messages on it
        (a rebalance, an input topic created late) has waited nothing yet, not an hour."""
        return _waited(self.last_progress, self.waiting_since, now)

    def set_ready(self, ready: bool, now: float | None = None) -> None:
        """Ready as the worker sees it, and never while the partition contract is broken or topics are missing.
        Becoming ready starts the stall clock of messages already waiting: they waited for the table
        restore, which ``observe_restore`` judges; counted, a long restore read as a stall the moment
        it ended (an outside review, docs/reliability.md, finding 29)."""
        was_ready = self.ready
        self.ready = ready and not self.contract_problem and not self.topics_problem
        if self.ready and not was_ready:
            now = time.time() if now is None else now
            for clock in (self, *self.stages.values()):
                if clock.waiting_since is not None:
                    clock.waiting_since = now
        metrics.READY.set(1.0 if self.ready else 0.0)

    def observe_lag(self, lag: dict[int, int], now: float | None = None,
                    describe: Callable[[], str] | None = None) -> None:
        """Record lag per partition and decide whether the worker is stalled (``describe``: details for the log)."""
        now = time.time() if now is None else now
        for partition, value in lag.items():
            metrics.CONSUMER_LAG.labels(str(partition)).set(value)
        for gone in set(self.lag) - set(lag):
            metrics.CONSUMER_LAG.remove(str(gone))
        self.lag = dict(lag)
        if sum(lag.values()) == 0:
            self.waiting_since = None
        elif self.waiting_since is None:
            self.waiting_since = now
        stalled = self._waited_too_long(now)
        if stalled and not self.stalled:  # (never while the partition contract is broken: not ready then)
            details = ""
            if describe is not None:
                try:
                    details = "; " + describe()
                except Exception as exc:  # noqa: BLE001 - the verdict matters more than its details
                    details = f"; no partition details ({type(exc).__name__})"
            log.error(
                "worker stalled: no batch processed for %.0fs while %d messages wait; "
                "check the broker connection and the worker log, restart the worker if it persists%s",
                self.waited(now), sum(lag.values()), details,
            )
        self.stalled = stalled
        self._publish()


def _log_change(before: str | None, after: str | None, resolved: str) -> None:
    """One error when a problem appears or changes, one warning (``resolved``) when it goes."""
    if after != before:
        if after:
            log.error("%s", after)
        elif before:
            log.warning("%s", resolved)


#: A worker that ended itself after a stall exits with this status (EX_TEMPFAIL: start it again).
EXIT_STALLED = 75


class StallExit:
    """When a worker stuck for ``after_s`` (:meth:`Health.is_stuck`) should end itself.

    Not while the partition contract is broken: that worker refuses on purpose
    and says what to do, and a restart would only refuse again.
    """

    def __init__(self, health: Health, after_s: float) -> None:
        self.health = health
        self.after_s = after_s
        self.stuck_since: float | None = None

    def due(self, now: float) -> bool:
        if not self.health.is_stuck(now):
            self.stuck_since = None
            return False
        if self.stuck_since is None:
            self.stuck_since = now
        return now - self.stuck_since >= self.after_s


def exit_when_stalled(health: Health, after_s: float, interval_s: float = 1.0,
                      end: Callable[[int], None] = os._exit) -> threading.Thread:
    """End the process with :data:`EXIT_STALLED` once it has been stuck for ``after_s``.

    A thread, not an event-loop timer, so that it also ends a worker whose loop
    is blocked.  A hard exit, because a stalled Faust worker's graceful shutdown
    can hang on the very sends it is stuck on (docs/reliability.md, finding 17);
    the worker is at-least-once, so what it had not committed is processed again
    after the restart, as after a ``kill -9``.
    """
    decision = StallExit(health, after_s)

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            now = time.time()
            if decision.due(now):
                try:  # a log that cannot be written must not keep a stuck worker alive
                    log.critical("worker stuck for %.0fs: exiting with status %d for its supervisor to restart it "
                                 "(stall_exit_s); see the errors above for why", now - (decision.stuck_since or now),
                                 EXIT_STALLED)
                    for handler in logging.getLogger().handlers:
                        handler.flush()
                except Exception:  # noqa: BLE001, S110
                    pass
                end(EXIT_STALLED)
                return

    thread = threading.Thread(target=watch, name="stall-exit", daemon=True)
    thread.start()
    return thread


def _handler_for(health: Health) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
            elif path == "/ready":
                self._send(200 if health.ready else 503, b"ready\n" if health.ready else b"not ready\n")
            elif path in ("/healthy", "/health"):
                ok = not health.is_stalled()
                why = b"partition contract broken\n" if health.contract_problem else b"stalled\n"
                self._send(200 if ok else 503, b"ok\n" if ok else why)
            else:
                self._send(404, b"try /metrics, /ready or /healthy\n")

        def _send(self, code: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # scrapes are not news
            return

    return Handler


def serve(health: Health, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Start the health/metrics server in a daemon thread; a port already taken is refused in words."""
    try:
        server = ThreadingHTTPServer((host, port), _handler_for(health))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise RuntimeError(f"the metrics port {port} is already in use (another worker on this host?): "
                           "set RISKMON_METRICS_PORT to a free port") from exc
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health-http", daemon=True).start()
    return server
