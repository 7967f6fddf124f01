"""Child processes (workers, references) that can never outlive the benchmark.

Each child gets PR_SET_PDEATHSIG so even a SIGKILLed bench leaves none
behind, and ``Children`` stops every child it started (SIGTERM, then SIGKILL)
when its ``with`` block ends, error or not.  Only our own pids are signalled.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

from stream.local.broker import pdeathsig_preexec
from stream.settings import PROJECT_ROOT


class Child:
    """One child process with its log file."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                list(argv), env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=PROJECT_ROOT, preexec_fn=pdeathsig_preexec(),
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 30.0, sig: signal.Signals = signal.SIGTERM) -> int:
        """``sig`` (SIGTERM: Faust and our references shut down and commit), SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Children:
    """Context manager owning every child started through it."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._all: list[Child] = []

    python_bin = sys.executable

    def python(self, name: str, args: Sequence[str], env: Mapping[str, str]) -> Child:
        """Start ``python <args>`` with this interpreter (the project venv)."""
        return self.command(name, [sys.executable, *args], env)

    def command(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
        child = Child(name, argv, env, self.log_dir / f"{name}.log")
        self._all.append(child)
        return child

    def stop(self, child: Child, sig: signal.Signals = signal.SIGTERM) -> int:
        code = child.stop(sig=sig)
        if child in self._all:
            self._all.remove(child)
        return code

    def __enter__(self) -> "Children":
        return self

    def __exit__(self, *exc: object) -> None:
        for child in reversed(self._all):
            child.stop()
        self._all.clear()
