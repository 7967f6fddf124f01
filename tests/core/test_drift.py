"""Feature drift (stream.core.drift): PSI per feature of recent rows against training."""

from __future__ import annotations

import numpy as np

from stream.core.drift import DriftMonitor, bin_edges, bin_shares, psi


def _monitor(train: np.ndarray, window: int = 2000) -> DriftMonitor:
    edges = bin_edges(train)
    return DriftMonitor(["a", "b"], edges, bin_shares(train, edges), window)


def test_psi_is_zero_for_the_same_shares_and_grows_with_the_shift() -> None:
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert 0 < psi([0.6, 0.4], [0.5, 0.5]) < psi([0.9, 0.1], [0.5, 0.5])


def test_the_training_population_is_stable_and_a_shifted_feature_drifts() -> None:
    rng = np.random.default_rng(1)
    train = rng.normal(size=(5000, 2))
    monitor = _monitor(train)
    monitor.observe(rng.normal(size=(1000, 2)))
    stable = monitor.values()
    assert stable["a"] < 0.1 and stable["b"] < 0.1
    shifted = rng.normal(size=(1000, 2))
    shifted[:, 1] += 1.5
    monitor = _monitor(train)
    monitor.observe(shifted)
    drifted = monitor.values()
    assert drifted["a"] < 0.1 and drifted["b"] > 0.25


def test_nothing_is_reported_before_enough_rows_and_old_rows_fade() -> None:
    rng = np.random.default_rng(2)
    train = rng.normal(size=(5000, 2))
    monitor = _monitor(train, window=500)
    monitor.observe(rng.normal(size=(100, 2)))
    assert monitor.values() == {}
    moved = rng.normal(size=(400, 2)) + 3.0
    for _ in range(6):  # the recent population takes over as older counts are halved
        monitor.observe(moved)
    assert monitor.values()["a"] > 1.0 and monitor.rows <= 1000
