"""Command-line behaviour of ``python -m stream.worlds_j``."""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
N_WORLDS = 7


def run(args, hashseed="0", check=False):
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    return subprocess.run([sys.executable, "-m", "stream.worlds_j", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=check)


def world_names():
    out = run(["--list"], check=True).stdout
    return [line.split("  ", 1)[0] for line in out.splitlines()]


def test_list_format():
    r = run(["--list"])
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert len(lines) == N_WORLDS
    for line in lines:
        name, desc = line.split("  ", 1)
        assert name and name.replace("_", "").isalnum() and name == name.lower()
        assert desc.strip() and not desc.startswith(" ")
    assert len({line.split("  ")[0] for line in lines}) == N_WORLDS


def test_argument_errors_exit_2(tmp_path):
    ev, lab = str(tmp_path / "e.jsonl"), str(tmp_path / "l.jsonl")
    name = world_names()[0]
    cases = [
        [],
        ["--world", name, "--out", ev],
        ["--world", name, "--labels", lab],
        ["--out", ev, "--labels", lab],
        ["--world", "no_such_world", "--out", ev, "--labels", lab],
        ["--world", name, "--seed", "x", "--out", ev, "--labels", lab],
    ]
    for args in cases:
        assert run(args).returncode == 2, args


def _generate(tmp_path, name, seed, hashseed, tag):
    ev, lab = tmp_path / f"{tag}.ev", tmp_path / f"{tag}.lab"
    r = run(["--world", name, "--seed", str(seed), "--users", "150", "--history-days", "12",
             "--test-days", "5", "--out", str(ev), "--labels", str(lab)], hashseed=hashseed)
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip()
    assert line.startswith(f"world={name} events=") and " users=" in line and " positives=" in line
    return hashlib.sha256(ev.read_bytes() + b"|" + lab.read_bytes()).hexdigest(), line


def test_deterministic_across_hash_seeds_and_seed_matters(tmp_path):
    for i, name in enumerate(world_names()):
        a, line_a = _generate(tmp_path, name, 7, "1", f"a{i}")
        b, line_b = _generate(tmp_path, name, 7, "4242", f"b{i}")
        assert a == b and line_a == line_b, name
        if i < 2:
            c, _ = _generate(tmp_path, name, 8, "1", f"c{i}")
            assert c != a, name
