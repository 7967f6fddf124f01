"""The fraud-ring numbers, guarded: bench/rings_quality.py as a user runs it, on two ring worlds
at 1,000 users (seed 5, never used to tune), through riskmon train / score / evaluate --entities."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.scripts import ROOT, load

pytestmark = pytest.mark.slow

rings_quality = load("rings_quality")


def test_rings_are_caught_and_innocent_sharing_is_not(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "rings_quality.py"), "--worlds", "baseline", "sparse_borrowers",
         "--seeds", "5", "--users", "1000", "--jobs", "2", "--out", str(tmp_path),
         "--riskmon", f"{sys.executable} -m stream.cli"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    runs = json.loads((tmp_path / "rings_quality.json").read_text())["runs"]
    pooled = rings_quality.pooled_counts(runs)
    farms, merchants = pooled["device_farm_ring caught"], pooled["merchant_collusion_ring caught"]
    innocent = pooled["innocent shared entities flagged"]
    assert farms[1] >= 4 and merchants[1] >= 4 and innocent[1] >= 8, pooled  # enough planted to mean something
    assert farms[0] / farms[1] >= 0.75 and merchants[0] / merchants[1] >= 0.75, pooled
    assert innocent[0] <= 1, pooled
    for r in runs:
        assert r["rings"]["other_entities_flagged"] <= 0.005, r["rings"]
        assert min(r["rings"]["member_recall_by_entity"].values()) >= 0.6, r["rings"]


def test_pooled_counts_add_up_rings_and_innocents() -> None:
    run = {"rings": {"rings": {"device_farm_ring": 4, "merchant_collusion_ring": 2},
                     "ring_recall": {"device_farm_ring": 0.75, "merchant_collusion_ring": 1.0},
                     "innocent_flagged_all": 0.1, "innocent_entities": 10}}
    pooled = rings_quality.pooled_counts([run, run])
    assert pooled == {"device_farm_ring caught": (6, 8), "merchant_collusion_ring caught": (4, 4),
                      "innocent shared entities flagged": (2, 20)}


def test_every_world_runs_when_none_is_named() -> None:
    """The README's command names no world: it runs the whole ring family."""
    every = rings_quality.worlds_of(None)
    assert {"baseline", "sparse_borrowers"} <= set(every) and len(every) >= 8
    assert rings_quality.worlds_of(["baseline,mixed", "campus"]) == ["baseline", "mixed", "campus"]
