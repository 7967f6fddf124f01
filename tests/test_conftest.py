"""The suite's disk preflight: a run the disk cannot hold stops before its first test, saying why."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import free_space_problem


def test_a_disk_with_room_passes(tmp_path: Path) -> None:
    assert free_space_problem(tmp_path, need=1) is None


def test_a_disk_without_room_says_how_much_is_free_and_what_to_do(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    problem = free_space_problem(tmp_path, need=free + 1024**4)
    assert problem is not None
    assert str(tmp_path) in problem
    assert f"{free / 1024**3:.1f} GiB free" in problem
    assert "TMPDIR" in problem and "--basetemp" in problem


def test_a_base_temp_not_yet_created_is_judged_by_the_disk_it_will_be_made_on(tmp_path: Path) -> None:
    where = tmp_path / "not" / "made" / "yet"
    free = shutil.disk_usage(tmp_path).free
    assert free_space_problem(where, need=1) is None
    assert free_space_problem(where, need=free + 1024**4) is not None
    assert not where.exists()

