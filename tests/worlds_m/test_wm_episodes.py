from collections import Counter, defaultdict

import pytest

from wm_common import TYPOLOGIES, WORLD_NAMES, day_of, gen

N = 3000


def episodes(world):
    """user -> (typology, first labelled day, labelled loans) at full scale."""
    events, labels, _ = gen(world, 1, N)
    out = {}
    for e, lb in zip(events, labels):
        if lb["label"]:
            typ, first, n = out.get(e["user_id"], (lb["scenario"], day_of(e), 0))
            out[e["user_id"]] = (typ, first, n + (e["event_type"] == "loan"))
    return out


@pytest.mark.parametrize("world", WORLD_NAMES)
def test_anomalous_share_and_typologies(world):
    events, labels, info = gen(world, 1, N)
    anom = {e["user_id"] for e, lb in zip(events, labels) if lb["user_anomalous"]}
    assert 0.02 <= len(anom) / N <= 0.05
    assert 0.02 <= info["anomalous_user_rate"] <= 0.05
    eps = episodes(world)
    assert set(t for t, _, _ in eps.values()) == set(TYPOLOGIES)
    # normal users never carry a labelled event; anomalous users mostly do
    assert len(eps) >= 0.8 * len(anom)


@pytest.mark.parametrize("world", WORLD_NAMES)
def test_some_episodes_start_in_history(world):
    eps = episodes(world)
    hist = sum(1 for _, first, _ in eps.values() if first < 45)
    assert hist >= 3


def test_history_share_and_intensity_range_across_family():
    firsts, stack = [], defaultdict(list)
    for w in WORLD_NAMES:
        for typ, first, n in episodes(w).values():
            firsts.append(first < 45)
            stack[typ].append(n)
    share = sum(firsts) / len(firsts)
    assert 0.15 <= share <= 0.5
    # episode intensity is drawn from a range: loan counts vary within a typology
    for typ in ("loan_stacking", "student_overborrowing", "account_takeover", "limit_jump_drain"):
        assert max(stack[typ]) >= min(stack[typ]) + 3, typ
    c = Counter(stack["loan_stacking"])
    assert len(c) >= 4
