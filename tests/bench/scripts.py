"""The bench scripts as modules for the tests, and the harness runs the make-test guards share.

``bench/`` holds scripts, not a package, so a test loads one by its path
(``load``); the guards on held-out worlds (``test_worst_world_guard``,
``test_independent_families_guard``) run the same harness the same way
(``guard_numbers``), each with its own worlds, floors and ceilings (``worst_of`` reads them).

The guards' commands are the harness's, but forked (``run_forked``) from a server process that
imported scikit-learn and the monitor once: each ``python -m`` command otherwise spends 1-2.5 s of
its 2-5 s importing them (about a third of the guards' time).  The child runs the module as
``python -m`` would (``runpy``), with its own output, exit code, logging and garbage collector.
"""

from __future__ import annotations

import functools
import importlib.util
import multiprocessing
import os
import runpy
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable, Sequence

import pytest

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def load(name: str) -> ModuleType:
    """``bench/<name>.py`` as a module (loaded once per test process)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: What the fork server imports before it forks a command: the costly part of every command's start.
PRELOAD = ["numpy", "sklearn.ensemble", "sklearn.metrics", "models.train", "models.evaluate", "stream.cli",
           "stream.offline.score", "tests.bench.scripts"]


def _run_module(module: str, args: list[str], stdout: str, stderr: str) -> None:
    """``python -m module args`` in a forked child, its output into the files ``stdout`` and ``stderr``
    (a ``SystemExit`` is the child's exit code, an exception's traceback goes to ``stderr``)."""
    for fd, path in ((1, stdout), (2, stderr)):
        opened = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(opened, fd)
        os.close(opened)
    os.chdir(ROOT)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def run_forked(cmd: Sequence[str]) -> tuple[int, str, str]:
    """The harness's ``RUN_COMMAND`` for the guards: ``python -m`` commands forked from the preloaded
    server (``PRELOAD``), anything else as a subprocess."""
    if len(cmd) < 3 or cmd[0] != sys.executable or cmd[1] != "-m":
        return load("worlds_quality").run_subprocess(cmd)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    with tempfile.TemporaryDirectory() as tmp:
        stdout, stderr = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        Path(stdout).touch()
        Path(stderr).touch()  # read below even if the child dies before it opens them
        child = ctx.Process(target=_run_module, args=(cmd[2], list(cmd[3:]), stdout, stderr))
        child.start()
        child.join()
        with open(stdout, encoding="utf-8", errors="replace") as out, \
                open(stderr, encoding="utf-8", errors="replace") as err:
            return child.exitcode if child.exitcode is not None else 1, out.read(), err.read()


def guard_numbers(tmp_path_factory: pytest.TempPathFactory,
                  runs: tuple[tuple[str, str], ...]) -> list[dict[str, float | None]]:
    """``bench/worlds_quality.py``'s summary numbers for each ``(generator, world)``, through the
    ``riskmon`` command line as a user runs it (each command forked, ``run_forked``): 1,500 users,
    30 history + 10 test days, seed 1."""
    wq = load("worlds_quality")
    out = []
    wq.RUN_COMMAND = run_forked
    try:
        for generator, world in runs:
            cfg = {"out": str(tmp_path_factory.mktemp(world)), "users": 1500, "history_days": 30, "test_days": 10,
                   "riskmon": f"{sys.executable} -m stream.cli", "leave_one_typology_out": False,
                   "generator": generator}
            out.append(wq.summary_numbers(wq.run_world(world, 1, cfg)))
    finally:
        wq.RUN_COMMAND = wq.run_subprocess
    return out


def worst_of(numbers: list[dict[str, float | None]], runs: tuple[tuple[str, str], ...], name: str,
             pick: Callable[[Iterable[float]], float]) -> tuple[float, dict[str, float | None]]:
    """The worst of ``name`` over a guard's runs (``min`` for a floor, ``max`` for a ceiling), and every
    run's value by world for the assertion's message."""
    return pick(float(n[name]) for n in numbers), {w: n[name] for (_, w), n in zip(runs, numbers)}  # type: ignore[arg-type]
