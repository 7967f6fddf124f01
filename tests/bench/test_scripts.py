"""The guards' forked commands (``tests/bench/scripts.run_forked``) against the same commands as subprocesses."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.bench.scripts import load, run_forked


def test_a_forked_command_prints_and_exits_as_the_same_command_in_a_new_process() -> None:
    cmd = [sys.executable, "-m", "stream.worlds_b", "--list"]
    code, stdout, _ = run_forked(cmd)
    assert code == 0 and stdout.split()
    assert (code, stdout) == load("worlds_quality").run_subprocess(cmd)[:2]


def test_a_forked_command_that_fails_gives_its_exit_code_and_its_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    cmd = [sys.executable, "-m", "stream.cli", "evaluate", "--scores", str(missing), "--labels", str(missing)]
    code, _, stderr = run_forked(cmd)
    assert code == 1 and "riskmon evaluate:" in stderr and "missing.jsonl" in stderr
    alone_code, _, alone_stderr = load("worlds_quality").run_subprocess(cmd)
    assert (code, stderr.splitlines()[-1]) == (alone_code, alone_stderr.splitlines()[-1])


def test_a_forked_command_that_raises_exits_1_with_its_traceback(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.jsonl")
    code, _, stderr = run_forked([sys.executable, "-m", "stream.cli", "--verbose", "evaluate", "--scores", missing,
                                  "--labels", missing])
    assert code == 1 and "Traceback" in stderr and "FileNotFoundError" in stderr


def test_a_forked_command_refused_by_its_parser_exits_2() -> None:
    code, _, stderr = run_forked([sys.executable, "-m", "stream.cli", "no-such-command"])
    assert code == 2 and "invalid choice" in stderr  # argparse's exit code, as in a new process
