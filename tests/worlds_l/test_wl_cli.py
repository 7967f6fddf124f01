"""python -m stream.worlds_l: --list, a generation, an unknown world."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wl_common as C  # noqa: E402


def run(*args):
    return subprocess.run([sys.executable, "-m", "stream.worlds_l", *args], cwd=C.ROOT, capture_output=True,
                          text=True, timeout=120)


def test_list():
    p = run("--list")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 7
    names = []
    for line in lines:
        name, sep, desc = line.partition("  ")
        assert sep and desc.strip()
        names.append(name)
    assert tuple(names) == C.WORLD_NAMES


def test_generation_writes_aligned_files(tmp_path):
    out, lab, info = tmp_path / "events.jsonl", tmp_path / "labels.jsonl", tmp_path / "info.json"
    p = run("--world", "migrant_rent_deposit", "--seed", "3", "--users", "150", "--history-days", "10",
            "--test-days", "4", "--out", str(out), "--labels", str(lab), "--info", str(info))
    assert p.returncode == 0, p.stderr
    ev_lines = out.read_text().splitlines()
    lab_lines = lab.read_text().splitlines()
    assert len(ev_lines) == len(lab_lines) > 50
    v = C.StreamValidator()
    for e_line, l_line in zip(ev_lines, lab_lines):
        ev, lb = json.loads(e_line), json.loads(l_line)
        assert not v.check(ev)
        assert lb["event_id"] == ev["event_id"]
    meta = json.loads(info.read_text())
    assert meta["n_events"] == len(ev_lines) and meta["test_days"] == 4
    # same as the library function, byte for byte
    e_bytes, l_bytes = C.gen_bytes("migrant_rent_deposit", 3, 150, 10, 4)
    assert out.read_bytes() == e_bytes and lab.read_bytes() == l_bytes


def test_defaults_are_3000_users_45_plus_14_days(tmp_path):
    out, lab = tmp_path / "e.jsonl", tmp_path / "l.jsonl"
    p = run("--world", "tour_guide_season", "--seed", "1", "--out", str(out), "--labels", str(lab))
    assert p.returncode == 0, p.stderr
    events, labels, info = C.gen("tour_guide_season", 1, 3000, 45, 14)
    assert len(out.read_text().splitlines()) == len(events)
    first, last = json.loads(out.read_text().splitlines()[0]), json.loads(out.read_text().splitlines()[-1])
    assert first["ts"] >= "2026-01-05T00:00:00+08:00" and last["ts"] < "2026-03-05T00:00:00+08:00"


def test_unknown_world_errors(tmp_path):
    p = run("--world", "no_such_world", "--seed", "1", "--out", str(tmp_path / "e"), "--labels",
            str(tmp_path / "l"))
    assert p.returncode != 0
    assert "unknown world" in p.stderr
    assert not (tmp_path / "e").exists()


def test_missing_world_errors():
    p = run("--seed", "1")
    assert p.returncode != 0


def test_library_rejects_unknown_world():
    import pytest
    with pytest.raises(ValueError):
        C.generate("nope", 1, 10, 5, 5)
