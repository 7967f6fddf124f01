"""Every riskmon command runs with the raised garbage-collector thresholds (stream.gc_tuning)."""

from __future__ import annotations

import gc

import pytest

from stream.cli import main
from stream.gc_tuning import GC_THRESHOLDS


def test_a_command_collects_the_young_generation_less_often(capsys: pytest.CaptureFixture[str]) -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)  # Python's defaults
        assert main(["config"]) == 0
        assert gc.get_threshold() == GC_THRESHOLDS and GC_THRESHOLDS[0] > 700
    finally:
        gc.set_threshold(*before)
