"""Family C against the monitor's own reading of the contract.

``stream.worlds_c`` was written from ``loan-events.md`` by a session that never
read ``stream.core.contract``; its own tests check it against that file.  Here
the project's schema must accept every event it writes: where the two
readings differ, one of them misreads the contract, and held-out data that
went to the dead-letter topic would measure nothing.
"""

from __future__ import annotations

import pytest

from stream.core.contract import parse_document
from stream.worlds_c.gen import generate
from stream.worlds_c.worlds import WORLDS


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_every_event_parses_with_the_projects_schema(name: str) -> None:
    events, labels, _ = generate(name, seed=5, users=200, history_days=20, test_days=7)
    assert len(events) == len(labels) > 100
    stamps = [parse_document(event).ts for event in events]
    assert stamps == sorted(stamps)
