"""With the ring layer off, the generator's output is byte-identical to before it existed.

The hashes were computed with ``python -m stream.worlds`` at commit adb51fb
(before ``--rings``), 300 users, seed 1, 10 history + 4 test days.
"""

from __future__ import annotations

import hashlib

import orjson
import pytest

from stream.worlds import WORLDS, generate_world

EXPECTED = {
    "baseline": (
        "84a93d1437f378c821a8ed4f39eb6c3711faa2f35529529a601806761850d668",
        "8cbf3c555c802e02f4206cd2edc1eba3a33e57d840adff953d3397e99a07d30e",
    ),
    "mixed": (
        "b128cfeda5c96c0a79a108bcc479247d2698113e1490a7f2d0587f6e36dae362",
        "b1f30501edf736e01311dcb41da839a9c732ca67fbfe31f9e3852afc5bfc77a2",
    ),
    "sparse_borrowers": (
        "d708089be8c7e2984cc8bed47cb90d52cf22edb2f421f9355996c3a7a51dd2a9",
        "c9dc1c9786077ead4894f02a262210916842a6127f02f267c82c40111fae4843",
    ),
    "payday_heavy": (
        "1e331efedf82fcde92ba1b554bfcb408ef46933a1a077e7e8537a396c003f118",
        "0f93df147c86afe20d8b402b842a5533495624c5e6e0dae9bfffc6aea42a0eea",
    ),
}


def _sha(rows: list[dict]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(orjson.dumps(row))
        h.update(b"\n")
    return h.hexdigest()


@pytest.mark.parametrize("world", sorted(EXPECTED))
def test_rings_off_is_byte_identical(world: str) -> None:
    kwargs = dict(seed=1, users=300, history_days=10, test_days=4)
    for result in (generate_world(WORLDS[world], **kwargs), generate_world(WORLDS[world], rings=False, **kwargs)):
        events, labels = result
        assert (_sha(events), _sha(labels)) == EXPECTED[world]


def test_cli_rings_off_is_byte_identical(tmp_path) -> None:
    from stream.worlds.cli import main

    out, lab = tmp_path / "e.jsonl", tmp_path / "l.jsonl"
    assert main(["--world", "baseline", "--seed", "1", "--users", "300", "--history-days", "10",
                 "--test-days", "4", "--out", str(out), "--labels", str(lab)]) == 0
    assert hashlib.sha256(out.read_bytes()).hexdigest() == EXPECTED["baseline"][0]
    assert hashlib.sha256(lab.read_bytes()).hexdigest() == EXPECTED["baseline"][1]
