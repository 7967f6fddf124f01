"""``riskmon worker --processes N``: N worker processes in one consumer group on one host.

One Python process runs one event loop on one core; a host with more cores runs
more workers.  They are ordinary members of the group: Kafka spreads the input
partitions over them, each keeps the table partitions of its own input
partitions, and a member that dies has its partitions moved to the others.
Process ``i`` serves health and metrics on ``metrics_port + i`` and keeps local
state under ``data_dir/process-i`` (``rocksdb://`` needs a directory each).

The supervisor only starts, watches and stops.  SIGINT or SIGTERM stops every
worker cleanly (SIGTERM each, which lets Faust commit, then SIGKILL after
``STOP_TIMEOUT_S``).  If one worker exits on its own, the supervisor stops the
others and exits with that worker's code, so the orchestrator restarts the set
as a whole, and a broken configuration fails loudly instead of running at half
capacity.  Workers get PR_SET_PDEATHSIG, so even a SIGKILLed supervisor leaves
none behind.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

from stream.local.broker import pdeathsig_preexec
from stream.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 30.0


def process_settings(settings: Settings, index: int) -> Settings:
    """Worker ``index``'s settings: its own metrics port and local state directory."""
    return settings.replace(metrics_port=settings.metrics_port + index, data_dir=Path(settings.data_dir) / f"process-{index}")


def check_ports(settings: Settings, processes: int) -> None:
    """Refuse a set whose metrics ports would run past 65535 (ValueError, naming the setting)."""
    if settings.metrics_port + processes - 1 > 65535:
        raise ValueError(f"metrics_port {settings.metrics_port} + {processes} processes runs past port 65535")


def run_processes(settings: Settings, processes: int) -> int:
    """Run ``processes`` workers until a signal (returns 0) or one of them exits (returns its code)."""
    check_ports(settings, processes)
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    workers: list[subprocess.Popen] = []

    def forward(signum: int, _frame: object) -> None:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    # The stack dumps (docs/operations.md, "RiskmonWorkerStalled") reach every worker of the set.
    previous.update({sig: signal.signal(sig, forward) for sig in (signal.SIGUSR1, signal.SIGUSR2)})
    try:
        for i in range(processes):
            own = process_settings(settings, i)
            env = own.environment()
            workers.append(subprocess.Popen([sys.executable, "-m", "stream.cli", "worker"], env=env,
                                            cwd=PROJECT_ROOT, preexec_fn=pdeathsig_preexec()))
        log.warning("started %d worker processes (pids %s), metrics on ports %d-%d", processes,
                    ", ".join(str(w.pid) for w in workers), settings.metrics_port, settings.metrics_port + processes - 1)
        code = 0
        while not stopping:
            exited = [(i, w.returncode) for i, w in enumerate(workers) if w.poll() is not None]
            if exited:
                i, code = exited[0]
                log.error("worker process %d (pid %d) exited with code %s; stopping the other workers. "
                          "Its log lines above say why; the set exits with its code so it is restarted whole",
                          i, workers[i].pid, code)
                code = code or 1
                break
            time.sleep(0.2)
        return code
    finally:
        _stop_all(workers)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_all(workers: list[subprocess.Popen]) -> None:
    """SIGTERM every live worker (Faust commits and leaves the group), SIGKILL what is left after the timeout."""
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for w in workers:
        try:
            w.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("worker pid %d did not stop within %.0f s of SIGTERM; killing it (its stacks are in its log)",
                      w.pid, STOP_TIMEOUT_S)
            kill_hung(w)


def kill_hung(proc: subprocess.Popen) -> None:
    """SIGKILL a worker that did not stop, after SIGUSR2 has written its threads' stacks to its stderr
    (``stream.worker.main``), so the log says where it hung."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGUSR2)
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        proc.kill()
    proc.wait()
