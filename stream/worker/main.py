"""``riskmon worker``: serve metrics and run the Faust worker with a model until stopped."""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import logging
import signal
import sys
import time
import traceback
from pathlib import Path

import faust
from mode.utils.tracebacks import Traceback

from models.model import RiskModel
from stream.core.rescale import RescaleInProgress, StateLocation, state_location
from stream.kafka.topics import entity_partitions
from stream.kafka.refusal import refusal
from stream.worker.app import create_app, read_rescale_marker
from stream.worker.health import Health, exit_when_stalled, serve
from stream.logs import logging_dict
from stream.settings import Settings

log = logging.getLogger(__name__)


def run_worker(settings: Settings, model: RiskModel) -> int:
    make_data_dir(settings.data_dir)
    rules = settings.rule_config()
    # Health and metrics answer from the start (/ready 503), so a worker still waiting
    # for the broker, or refused by it, shows as up and not ready rather than absent.
    health = Health(stall_timeout_s=settings.stall_timeout_s)
    serve(health, settings.metrics_port)
    if settings.stall_exit_s:
        exit_when_stalled(health, settings.stall_exit_s)
    location = find_state(settings)  # refuses to start while a rescale is moving the state
    if location.partitions is not None and location.partitions != settings.partitions:
        log.warning("the state was rescaled to %d partitions (riskmon rescale) but partitions is %d: using %d; "
                    "set RISKMON_PARTITIONS=%d", location.partitions, settings.partitions, location.partitions,
                    location.partitions)
        settings = settings.replace(partitions=location.partitions)
    worker = create_app(settings, model, rules, location, health, entity_partitions(settings))
    log.info("worker starting: model %s, metrics on :%d", model.version, settings.metrics_port)
    runner = _Worker(
        worker.app, loglevel=settings.log_level, quiet=True, logging_config=logging_dict(settings.log_level)
    )
    # Faust's terminal spinner sets the root logger to DEBUG (at WARNING and
    # above), so every debug call in Faust and aiokafka builds a record to throw
    # away; a worker has no terminal to spin on anyway.
    runner.spinner = None
    # Everything built so far (imports, model, Faust app) lives as long as the
    # process: keep it out of the garbage collector's full passes, which pause
    # the event loop for as long as they take to scan the heap.  (The CLI has
    # already raised the collector's thresholds: stream.gc_tuning.)
    gc.freeze()
    runner.execute_from_commandline()
    return 0


class _Worker(faust.Worker):
    """Faust's worker, with SIGUSR2 dumping every thread's Python stack and SIGUSR1 every asyncio task's, to stderr.

    Faust (mode) binds SIGUSR2 to pdb, which on a headless worker waits forever
    for a terminal.  What an operator needs from a hung worker is where it
    hangs, and a handler that runs through the event loop (as SIGUSR1's task
    dump does) cannot say that when the loop itself is blocked: ``faulthandler``
    writes from the signal handler, whatever Python is doing.  Where the loop
    still turns, the task dump says what each task awaits (it found the stall of
    docs/reliability.md, finding 17).  mode's own task dump prints every frame's
    local variables, events and settings among them, into the log; this one
    prints names, files and lines only.  The worker keeps running afterwards
    (docs/operations.md, "RiskmonWorkerStalled").
    """

    def _install_signal_handlers_unix(self) -> None:
        super()._install_signal_handlers_unix()
        self.loop.remove_signal_handler(signal.SIGUSR2)
        faulthandler.register(signal.SIGUSR2, file=sys.__stderr__, all_threads=True)  # not Faust's redirected stderr

    def _on_sigusr1(self) -> None:
        print(task_stacks(), file=sys.__stderr__, flush=True)


def task_stacks() -> str:
    """Every asyncio task of the running loop, each with the stack of what it awaits: names, files
    and lines, never a value (``_Worker``)."""
    lines = []
    for task in sorted(asyncio.all_tasks(), key=lambda t: t.get_name()):
        coro = task.get_coro()
        lines.append(f"TASK {task.get_name()} ({getattr(coro, '__qualname__', type(coro).__name__)})")
        frames = traceback.walk_tb(Traceback.from_task(task))  # type: ignore[arg-type]
        lines.extend(traceback.StackSummary.extract(frames, capture_locals=False).format())
    return "\n".join(lines)


def make_data_dir(path: Path) -> None:
    """Create the worker's data directory and its parents, the directory itself readable by its
    owner only (borrowers' states; parents made as the umask says).

    Faust creates only the last level, and a missing parent stopped the worker
    with a bare ``FileNotFoundError`` traceback from inside Faust's start-up.
    """
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise RuntimeError(f"cannot create the worker's data directory {path}: {exc.strerror or exc}; "
                           "set RISKMON_DATA_DIR to a directory this user can write") from exc


def _stop_if_refused(settings: Settings, cause: Exception | None = None) -> None:
    """RuntimeError in the broker's words when it refuses this worker's TLS or SASL.

    A broker refusing SASL credentials or a TLS certificate closes the connection, which the client
    may report as a failed bootstrap only, after its own timeouts: so the broker is asked first, and
    again whenever the client fails."""
    said = refusal(settings)
    if said:
        raise RuntimeError(f"the broker at {settings.broker} refused this worker: {said}") from cause


def find_state(settings: Settings, timeout_s: float = 60.0) -> StateLocation:
    """Where the state is, by the rescale marker; retried while the broker does not answer."""
    deadline = time.monotonic() + timeout_s
    _stop_if_refused(settings)
    while True:
        try:
            marker = read_rescale_marker(settings)
            break
        except ValueError:
            raise
        except Exception as exc:  # the broker may still be starting
            _stop_if_refused(settings, exc)
            hint = (f"; is the broker up at {settings.broker}"
                    + (", and do the kafka_sasl_* credentials match its listener?"
                       if settings.kafka_security_protocol.startswith("SASL") else "?"))
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not read the rescale marker from {settings.broker}: {exc}{hint}") from exc
            log.warning("could not read the rescale marker yet (%s%s); retrying", exc, hint)
            time.sleep(2.0)
    try:
        return state_location(marker)
    except RescaleInProgress as exc:
        log.error("%s", exc)
        raise
