"""``models.combine``: the early warning's budget share and its place on the forest's scale."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.combine import FULL_LIFT, scale_knots, share_by_skill
from stream.core.scoring import on_forest_scale


def test_the_share_follows_the_skill_over_the_forest_between_floor_and_ceiling() -> None:
    assert share_by_skill(0.05, 0.10, 0.1, 0.6) == 0.1  # worse than the forest: the floor
    assert share_by_skill(0.10, 0.10, 0.1, 0.6) == 0.1  # no better: the floor
    assert share_by_skill(0.10 * FULL_LIFT, 0.10, 0.1, 0.6) == 0.6
    assert share_by_skill(0.90, 0.10, 0.1, 0.6) == 0.6  # capped
    middle = share_by_skill(0.10 * (1 + FULL_LIFT) / 2, 0.10, 0.1, 0.6)
    assert 0.1 < middle < 0.6 and abs(middle - 0.35) < 1e-9
    assert share_by_skill(0.3, 0.0, 0.1, 0.6) == 0.6  # a forest with no skill at all
    assert share_by_skill(0.3, 0.1, 0.2, 0.1) == 0.2  # a ceiling under the floor: the floor


def _lines(a: float, gap: float) -> tuple[float, float]:
    return a, min(1.0, a + gap)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**31), st.floats(0.02, 0.9), st.floats(0, 0.09), st.floats(0.3, 0.8), st.floats(0, 0.15),
       st.integers(0, 400))
def test_the_knots_keep_both_lines_and_the_order(
    seed: int, ew_t: float, ew_gap: float, t: float, gap: float, n: int
) -> None:
    rng = np.random.default_rng(seed)
    p, f = rng.beta(0.5, 5, n), rng.beta(2, 5, n)
    ew_lines, forest_lines = _lines(ew_t, ew_gap), _lines(t, gap)
    xs, ys = scale_knots(p, f, ew_lines, forest_lines)
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) >= 0)
    assert xs[0] == 0.0 and ys[0] == 0.0 and xs[-1] == 1.0 and ys[-1] == 1.0
    if ew_lines[0] < ew_lines[1]:  # one probability for both lines maps onto the higher one
        assert np.interp(ew_lines[0], xs, ys) == forest_lines[0]
    assert np.interp(ew_lines[1], xs, ys) == forest_lines[1]
    ew = SimpleNamespace(threshold=ew_lines[0], high_threshold=ew_lines[1], scale=(xs, ys))
    tm = SimpleNamespace(threshold=forest_lines[0], high_threshold=forest_lines[1])
    probe = np.sort(np.concatenate([p, rng.random(50), list(ew_lines), [0.0, 1.0]]))
    mapped = on_forest_scale(probe, ew, tm)  # type: ignore[arg-type]
    assert np.array_equal(mapped >= forest_lines[0], probe >= ew_lines[0])  # alerts exactly on its own line
    if forest_lines[0] < forest_lines[1]:  # (one forest line for both: every alert is high)
        assert np.array_equal(mapped >= forest_lines[1], probe >= ew_lines[1])  # escalates exactly on its high one
    assert np.all(np.diff(mapped) >= 0) and np.all((mapped >= 0) & (mapped <= 1))


def test_inside_a_band_equal_quantiles_meet() -> None:
    """The early warning's median alert ranks with the forest's median alert, not at a linear guess."""
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(0, 0.2, 9000), rng.uniform(0.2, 0.9, 900), rng.uniform(0.9, 1.0, 100)])
    f = np.concatenate([rng.uniform(0, 0.6, 9000), 0.6 + 0.1 * rng.beta(1, 8, 900), rng.uniform(0.7, 1.0, 100)])
    xs, ys = scale_knots(p, f, (0.2, 0.9), (0.6, 0.7))
    band_p, band_f = p[(p >= 0.2) & (p < 0.9)], f[(f >= 0.6) & (f < 0.7)]
    assert abs(np.interp(np.median(band_p), xs, ys) - np.median(band_f)) < 0.002
    linear = 0.6 + (np.median(band_p) - 0.2) / 0.7 * 0.1
    assert abs(linear - np.median(band_f)) > 0.02  # so the test tells the two apart


def test_near_misses_of_a_step_shaped_early_warning_meet_the_forests() -> None:
    """An isotonic early warning: a few steps of nearly equal probabilities below its line.

    The loans just under the alert line (the band's top percent) decide most of
    the ranking's precision; each must rank with the forest's loan at the same
    quantile, not on a straight line across the band's top sixteenth.
    """
    rng = np.random.default_rng(11)
    steps = rng.choice([0.0057, 0.0063, 0.0103, 0.05], size=20000, p=[0.6, 0.3, 0.08, 0.02])
    p = steps + rng.random(20000) * 1e-7  # the classifier's own order breaks ties inside a step
    f = rng.beta(2, 5, 20000) * 0.58
    xs, ys = scale_knots(p, f, (0.9, 0.95), (0.58, 0.7))
    for q in (0.5, 0.9, 0.97, 0.99, 0.995):
        assert abs(np.interp(np.quantile(p, q), xs, ys) - np.quantile(f, q)) < 0.01, q
