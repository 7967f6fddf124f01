"""Shared helpers: run the generator in-process into a temporary directory."""
from __future__ import annotations

import pytest

from stream.worlds_i.generate import generate
from stream.worlds_i.writer import write


@pytest.fixture
def make_files(tmp_path):
    def _make(world: str, **kw):
        ctx = generate(world, **kw)
        ev, lb = tmp_path / f"{world}.events.jsonl", tmp_path / f"{world}.labels.jsonl"
        stats = write(ctx, str(ev), str(lb))
        return ev, lb, stats
    return _make
