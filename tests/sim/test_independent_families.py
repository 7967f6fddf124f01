"""Families B to O of held-out worlds against the monitor's own reading of the contract.

``stream.worlds_b``, ``stream.worlds_c`` and ``stream.worlds_d`` were written from
``loan-events.md`` by sessions that never read ``stream.core.contract``; their own
tests (``tests/worlds_b``, ``tests/worlds_c``, ``tests/worlds_d``) check them against that file.  Here
the project's schema must accept every event they write, through the same
command line the harness uses: where two readings of the contract differ,
one of them misreads it, and held-out data that went to the dead-letter
topic would measure nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest

from stream.core.contract import parse_document
from tests.bench.scripts import ROOT, load

wq = load("worlds_quality")
#: Families that write their stream as producer fleets deliver it: a few events minutes out of
#: order, and a few sent twice (the same event, the same id).
DELIVERED_AS_PRODUCERS_DO = ("stream.worlds_g",)
MAX_DISORDER_S = 15 * 60
FAMILIES = [g for g in wq.GENERATORS if g != "stream.worlds"]  # family A has its own tests (tests/sim/test_worlds.py)


@pytest.mark.parametrize("generator,world", [(g, w) for g in FAMILIES for w in wq.world_list(g)])
def test_every_event_parses_with_the_projects_schema(generator: str, world: str, tmp_path: Path) -> None:
    events, labels = tmp_path / "events.jsonl", tmp_path / "labels.jsonl"
    subprocess.run([sys.executable, "-m", generator, "--world", world, "--seed", "5", "--users", "200",
                    "--history-days", "20", "--test-days", "7", "--out", str(events), "--labels", str(labels)],
                   cwd=ROOT, capture_output=True, check=True)
    lines = [line for line in events.read_bytes().splitlines() if line]
    labelled = [orjson.loads(line)["event_id"] for line in labels.read_bytes().splitlines() if line]
    assert len(labelled) == len(set(labelled)) > 100
    assert {orjson.loads(line)["event_id"] for line in lines} == set(labelled)  # a redelivery is labelled once
    stamps = [parse_document(orjson.loads(line)).ts for line in lines]
    if generator in DELIVERED_AS_PRODUCERS_DO:
        assert max(np.maximum.accumulate(stamps) - stamps) <= MAX_DISORDER_S
    else:
        assert stamps == sorted(stamps) and len(lines) == len(labelled)
