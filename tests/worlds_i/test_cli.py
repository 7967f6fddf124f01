"""The command line: --list, argument errors, and byte-for-byte determinism."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stream.worlds_i.worlds import WORLDS

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, hashseed: str = "0") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    return subprocess.run([sys.executable, "-m", "stream.worlds_i", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_list() -> None:
    r = _run("--list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 7 == len(WORLDS)
    for line, name in zip(lines, WORLDS):
        head, _, desc = line.partition("  ")
        assert head == name and len(desc) > 20 and "\n" not in desc


def test_argument_errors(tmp_path) -> None:
    out, lab = str(tmp_path / "e"), str(tmp_path / "l")
    assert _run("--world", "no_such_world", "--out", out, "--labels", lab).returncode == 2
    assert _run("--world", "tea_coop", "--out", out).returncode == 2
    assert _run().returncode == 2


def test_same_arguments_same_bytes(tmp_path) -> None:
    args = ["--world", "uplift_waves", "--seed", "7", "--users", "250", "--history-days", "12", "--test-days", "6"]
    a = _run(*args, "--out", str(tmp_path / "a.e"), "--labels", str(tmp_path / "a.l"), hashseed="1")
    b = _run(*args, "--out", str(tmp_path / "b.e"), "--labels", str(tmp_path / "b.l"), hashseed="2")
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout and a.stdout.startswith("world=uplift_waves events=")
    assert (tmp_path / "a.e").read_bytes() == (tmp_path / "b.e").read_bytes()
    assert (tmp_path / "a.l").read_bytes() == (tmp_path / "b.l").read_bytes()


def test_other_seed_differs(make_files) -> None:
    a, _, _ = make_files("tea_coop", seed=1, users=150, history_days=10, test_days=5)
    a_bytes = a.read_bytes()
    b, _, _ = make_files("tea_coop", seed=2, users=150, history_days=10, test_days=5)
    assert a_bytes != b.read_bytes()
