import json
import subprocess
import sys

from wm_common import ROOT, WORLD_NAMES, stream_errors


def run(*args):
    return subprocess.run([sys.executable, "-m", "stream.worlds_m", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_list():
    p = run("--list")
    assert p.returncode == 0
    lines = p.stdout.strip().splitlines()
    assert [ln.split("  ")[0] for ln in lines] == list(WORLD_NAMES) or \
        sorted(ln.split("  ")[0] for ln in lines) == WORLD_NAMES
    assert all(len(ln.split("  ", 1)[1]) > 20 for ln in lines)


def test_generation_files_and_determinism(tmp_path):
    outs = []
    for k in range(2):
        ev, lb = tmp_path / ("e%d.jsonl" % k), tmp_path / ("l%d.jsonl" % k)
        p = run("--world", "village_agent_phones", "--seed", "3", "--users", "200", "--history-days", "30",
                "--test-days", "10", "--out", str(ev), "--labels", str(lb))
        assert p.returncode == 0, p.stderr
        outs.append((ev.read_bytes(), lb.read_bytes()))
    assert outs[0] == outs[1]
    events = [json.loads(x) for x in outs[0][0].decode().splitlines()]
    labels = [json.loads(x) for x in outs[0][1].decode().splitlines()]
    assert stream_errors(events, labels, 30, 10) == []


def test_unknown_world_errors(tmp_path):
    p = run("--world", "atlantis", "--seed", "1", "--out", str(tmp_path / "e"), "--labels", str(tmp_path / "l"))
    assert p.returncode != 0
    assert not (tmp_path / "e").exists()
