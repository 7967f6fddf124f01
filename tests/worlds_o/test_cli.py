"""The command line another program calls."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from stream.worlds_o import list_worlds

from .contract import stream_problems

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stream.worlds_o", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_list() -> None:
    out = run("--list")
    assert out.returncode == 0
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 7
    assert [line.split("  ", 1)[0] for line in lines] == [name for name, _ in list_worlds()]
    assert all(len(line.split("  ", 1)[1]) > 20 for line in lines)


def test_required_arguments() -> None:
    assert run("--seed", "1").returncode == 2
    assert run("--world", "shopping_618", "--out", "x.jsonl").returncode == 2
    assert run("--world", "no_such_world", "--out", "a", "--labels", "b").returncode == 2


def test_generate_files(tmp_path: Path) -> None:
    events, labels = tmp_path / "e.jsonl", tmp_path / "l.jsonl"
    out = run("--world", "household_tablet", "--seed", "4", "--users", "200", "--history-days", "10",
              "--test-days", "3", "--out", str(events), "--labels", str(labels))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stderr.strip().splitlines()[-1])
    assert set(summary) == {"world", "seed", "users", "events", "loans", "repayments", "anomalous_users",
                            "labelled_events", "seconds"}
    rows = [json.loads(line) for line in events.read_text().splitlines()]
    tags = [json.loads(line) for line in labels.read_text().splitlines()]
    assert len(rows) == len(tags) == summary["events"] > 0
    assert [r["event_id"] for r in rows] == [t["event_id"] for t in tags]
    assert stream_problems(rows) == []
    again = tmp_path / "e2.jsonl"
    run("--world", "household_tablet", "--seed", "4", "--users", "200", "--history-days", "10",
        "--test-days", "3", "--out", str(again), "--labels", str(tmp_path / "l2.jsonl"))
    assert again.read_bytes() == events.read_bytes()
