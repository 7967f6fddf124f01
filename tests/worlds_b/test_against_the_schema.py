"""Family B against the monitor's own reading of the contract.

``stream.worlds_b`` was written from ``loan-events.md`` by a session that never
read ``stream.core.contract``; its own tests check it against that file.  Here
the project's schema must accept every event it writes: where the two
readings differ, one of them misreads the contract, and held-out data that
went to the dead-letter topic would measure nothing.
"""

from __future__ import annotations

import orjson
import pytest

from stream.core.contract import parse_document
from stream.worlds_b import WORLDS, generate


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_every_event_parses_with_the_projects_schema(name: str) -> None:
    events, labels, _ = generate(name, seed=5, users=200, history_days=20, test_days=7)
    lines = [line for line in events.splitlines() if line]
    assert len(lines) == len([line for line in labels.splitlines() if line]) > 100
    stamps = [parse_document(orjson.loads(line)).ts for line in lines]
    assert stamps == sorted(stamps)
