"""At full size (3,000 users, 45 + 14 days) each world carries most typologies in the
test window, about a third of anomalous users also misbehave in the history, and the
share of label-1 loans in the test window is in the intended range."""
from __future__ import annotations

from collections import defaultdict

import pytest

from stream.worlds_i.generate import generate
from stream.worlds_i.typologies import TYPOLOGIES
from stream.worlds_i.worlds import WORLDS


@pytest.mark.parametrize("world", list(WORLDS))
def test_full_size_world(world: str) -> None:
    ctx = generate(world, seed=1, users=3000, history_days=45, test_days=14)
    applicable = [n for n in TYPOLOGIES if ctx.world.typology_weights.get(n, 0) > 0]
    in_test: set[str] = set()
    hist_users: set[int] = set()
    test_users: set[int] = set()
    loans = defaultdict(int)
    for u in ctx.users:
        for e in u.events:
            if e.kind == "book" or not 0 <= e.t < ctx.end:
                continue
            test = e.t >= ctx.h_end
            if e.kind == "loan" and test:
                loans[e.label] += 1
            if e.label:
                (test_users if test else hist_users).add(u.idx)
                if test:
                    in_test.add(e.scenario)
    assert len(in_test) >= len(applicable) - 1, sorted(set(applicable) - in_test)
    share = loans[1] / (loans[0] + loans[1])
    assert 0.015 <= share <= 0.04, share
    anomalous = {u.idx for u in ctx.users if u.anomalous}
    assert 0.03 <= len(anomalous) / 3000 <= 0.05
    assert 0.2 <= len(hist_users) / len(anomalous) <= 0.55
