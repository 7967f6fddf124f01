"""The bench scripts as modules for the tests, and the harness runs the make-test guards share.

``bench/`` holds scripts, not a package, so a test loads one by its path
(``load``); the guards on held-out worlds (``test_worst_world_guard``,
``test_independent_families_guard``) run the same harness the same way
(``guard_numbers``), each with its own worlds, floors and ceilings (``worst_of`` reads them).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable

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


def guard_numbers(tmp_path_factory: pytest.TempPathFactory,
                  runs: tuple[tuple[str, str], ...]) -> list[dict[str, float | None]]:
    """``bench/worlds_quality.py``'s summary numbers for each ``(generator, world)``, through the
    ``riskmon`` command line as a user runs it: 1,500 users, 30 history + 10 test days, seed 1."""
    wq = load("worlds_quality")
    out = []
    for generator, world in runs:
        cfg = {"out": str(tmp_path_factory.mktemp(world)), "users": 1500, "history_days": 30, "test_days": 10,
               "riskmon": f"{sys.executable} -m stream.cli", "leave_one_typology_out": False,
               "generator": generator}
        out.append(wq.summary_numbers(wq.run_world(world, 1, cfg)))
    return out


def worst_of(numbers: list[dict[str, float | None]], runs: tuple[tuple[str, str], ...], name: str,
             pick: Callable[[Iterable[float]], float]) -> tuple[float, dict[str, float | None]]:
    """The worst of ``name`` over a guard's runs (``min`` for a floor, ``max`` for a ceiling), and every
    run's value by world for the assertion's message."""
    return pick(float(n[name]) for n in numbers), {w: n[name] for (_, w), n in zip(runs, numbers)}  # type: ignore[arg-type]
