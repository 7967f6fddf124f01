"""The command line a benchmark calls."""
from __future__ import annotations

import json
import re
import pathlib
import subprocess
import sys

import wk_common as C  # pytest puts this folder (no __init__.py) on sys.path

WORLDS = C.worlds()

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "stream.worlds_k", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_list():
    r = _cli("--list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 7
    names = []
    for line in lines:
        m = re.match(r"^([a-z][a-z0-9_]*)  (\S.*)$", line)
        assert m, line
        names.append(m.group(1))
    assert names == WORLDS


def test_generate_files(tmp_path):
    ev, lb = tmp_path / "events.jsonl", tmp_path / "labels.jsonl"
    r = _cli("--world", "gym_prepaid", "--seed", "5", "--users", "300", "--history-days", "21",
             "--test-days", "7", "--out", str(ev), "--labels", str(lb))
    assert r.returncode == 0, r.stderr
    events = [json.loads(x) for x in ev.read_text().splitlines()]
    labels = [json.loads(x) for x in lb.read_text().splitlines()]
    assert events and len(events) == len(labels)
    assert [e["event_id"] for e in events] == [x["event_id"] for x in labels]
    assert not [e for e in events if C.validate(e)]
    start = C.START.timestamp()
    times = [C.epoch(e["ts"]) for e in events]
    assert times == sorted(times) and start <= times[0] and times[-1] < start + 28 * C.DAY


def test_bad_arguments_fail(tmp_path):
    r = _cli("--world", "no_such_world", "--seed", "1", "--out", str(tmp_path / "e"),
             "--labels", str(tmp_path / "l"))
    assert r.returncode == 2
    r = _cli("--world", "gym_prepaid", "--seed", "1")
    assert r.returncode == 2
