"""``bench/state_codec_cost.py`` keeps working: it times the current and v7 codecs on the same states."""

from __future__ import annotations

import re

import pytest

from stream.core.features import STATE_VERSION
from tests.bench.scripts import load


def test_the_codec_bench_times_both_versions_on_compact_states(capsys: pytest.CaptureFixture[str]) -> None:
    load("state_codec_cost").main()
    out = capsys.readouterr().out
    assert re.search(rf"^(\d+) states with empty watch slots, stored in 1008 bytes as v{STATE_VERSION}, 1000 as v7$", out, re.M)
    assert int(out.split()[0]) > 0
    for name in ("encode", "decode"):
        ratio = re.search(rf"^{name}: v{STATE_VERSION} [\d.]+ us, v7 [\d.]+ us a state: ratio ([\d.]+)$", out, re.M)
        assert ratio and float(ratio.group(1)) > 0, out
