"""Local-DIFFI attribution: finds the shifted feature, and the vectorised
version equals a straightforward per-tree reference built on sklearn itself;
and the sentence an alert gives for each top feature (``models.model.describe``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from models.explain import attribute, top_features
from models.forest import CompiledForest
from models.model import EVENT_FEATURES, describe
from models.norms import FeatureNorm, feature_norms
from stream.core.features import FLAG_FEATURES
from tests.models.blend_models import model_with_blend

N_FEATURES = 8


@pytest.fixture(scope="module")
def normal_data() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(2000, N_FEATURES))


def _reference_lfi(model: IsolationForest, X: np.ndarray) -> np.ndarray:
    """Carletti et al.'s local_diffi loop, per sample and per tree, using
    sklearn's own decision_path (with its float32 cast and feature subsets)."""
    X32 = X.astype(np.float32)
    height = int(np.ceil(np.log2(max(model.max_samples_, 2))))
    out = np.zeros(X.shape)
    for r in range(X.shape[0]):
        credit, count = np.zeros(X.shape[1]), np.zeros(X.shape[1])
        for est, cols in zip(model.estimators_, model.estimators_features_):
            cols = cols if len(cols) < X.shape[1] else np.arange(X.shape[1])
            nodes = est.decision_path(X32[r : r + 1, cols]).indices
            depth = len(nodes) - 1
            for node in nodes[:-1]:
                f = cols[est.tree_.feature[node]]
                credit[f] += 1.0 / depth - 1.0 / height
                count[f] += 1
        used = count > 0
        out[r, used] = credit[used] / count[used]
    return out


@pytest.mark.parametrize("params", [dict(), dict(max_features=0.5, bootstrap=True), dict(max_samples=16)])
def test_vectorised_equals_reference(normal_data: np.ndarray, params: dict) -> None:
    model = IsolationForest(n_estimators=25, random_state=1, **params).fit(normal_data)
    forest = CompiledForest.from_sklearn(model)
    X = np.random.default_rng(5).normal(size=(40, N_FEATURES)) * 2
    X[:5, 3] += 8
    np.testing.assert_allclose(attribute(forest, X), _reference_lfi(model, X), rtol=1e-12, atol=1e-15)


def test_shifted_feature_is_top_attribution(normal_data: np.ndarray) -> None:
    # max_samples=1024 so trees see the tails: with the default 256 a +8 sigma
    # point looks like any point past the ~2.7 sigma sample maximum, and
    # ordinary 2-sigma values in other features compete (hit rate ~75-99%).
    model = IsolationForest(n_estimators=200, max_samples=1024, random_state=0).fit(normal_data)
    forest = CompiledForest.from_sklearn(model)
    rng = np.random.default_rng(1)
    for j in range(N_FEATURES):
        X = rng.normal(size=(200, N_FEATURES))
        X[:, j] += 8.0
        hit_rate = np.mean([top_features(row, 1) == [j] for row in attribute(forest, X)])
        assert hit_rate >= 0.9, f"feature {j}: top-1 hit rate {hit_rate:.3f}"


def test_attribution_shape_and_sign(normal_data: np.ndarray) -> None:
    forest = CompiledForest.from_sklearn(IsolationForest(n_estimators=10, random_state=0).fit(normal_data))
    attr = attribute(forest, normal_data[:7])
    assert attr.shape == (7, N_FEATURES)
    assert np.all(attr >= 0)


def test_single_leaf_trees_attribute_nothing(normal_data: np.ndarray) -> None:
    forest = CompiledForest.from_sklearn(IsolationForest(n_estimators=3, max_samples=1).fit(normal_data))
    np.testing.assert_array_equal(attribute(forest, normal_data[:4]), 0.0)


def test_top_features_orders_and_drops_zeros() -> None:
    row = np.array([0.1, 0.0, 0.3, 0.1, 0.2])
    assert top_features(row, 3) == [2, 4, 0]
    assert top_features(row, 10) == [2, 4, 0, 3]
    assert top_features(row, 0) == []


def test_every_feature_has_words_for_the_alert_reasons() -> None:
    """An alert's reasons are read by people: no feature may fall back to its code name."""
    from models.model import EVENT_FEATURES
    from stream.core.features import FEATURE_TEXT

    named = {name for names in EVENT_FEATURES.values() for name in names}
    assert named <= set(FEATURE_TEXT), sorted(named - set(FEATURE_TEXT))


def test_alert_reasons_never_name_a_feature_that_contributed_nothing() -> None:
    """Only two repayment features vary in training, so the forest never splits on the
    other sixteen: asked for ten reasons, an alert gets the two that earned credit."""
    from models.model import EVENT_FEATURES, RiskModel, TypeModel

    names = EVENT_FEATURES["repayment"]
    X = np.zeros((500, len(names)))
    X[:, :2] = np.random.default_rng(3).normal(size=(500, 2))
    forest = CompiledForest.from_sklearn(IsolationForest(n_estimators=20, random_state=0).fit(X))
    tm = TypeModel("repayment", names, forest, 0.6, 0.8, feature_norms(names, X))
    model = RiskModel("v", "now", {"repayment": tm}, {}, {})
    x = np.zeros(len(names))
    x[:2] = (6.0, -0.5)
    reasons = model.top_reasons("repayment", x, k=10)
    assert {r["feature"] for r in reasons} == set(names[:2])
    assert all(r["weight"] > 0 for r in reasons)
    assert reasons[0]["feature"] == names[0]  # the far outlier drove the score


@pytest.mark.parametrize("name, x, p50, p99, text", [
    ("log_hours_since_prev_loan", 0.36, 180.0, 2160.0, "time since previous loan: 22 min (training median 7.5 days, p99 90 days)"),
    ("log_hours_since_prev_loan", 5.5, 30.0, 2160.0, "time since previous loan: 5.5 h (training median 30 h, p99 90 days)"),
    ("log_term_days", 30.0, 90.0, 365.0, "term in days of this loan: 30 (training median 90, p99 365)"),
    ("log_amount", 12500.0, 800.0, 25000.0, "amount: 12,500 (training median 800, p99 25,000)"),
])
def test_a_reason_on_a_logged_feature_is_told_in_its_own_units(name, x, p50, p99, text) -> None:
    norm = FeatureNorm(math.log1p(p50), math.log1p(p99))
    assert describe(name, math.log1p(x), norm) == text


@pytest.mark.parametrize("name, value, p50, p99, text", [
    ("amount_24h_over_limit", 0.89, 0.121, 0.969,
     "amount borrowed in 24h as a share of the limit: 89% (training median 12%, p99 97%)"),
    ("amount_over_limit", 0.8, 0.2, 0.9, "loan amount as a share of the credit limit: 80% (training median 20%, p99 90%)"),
    ("utilisation", 1.05, 0.3, 0.95, "outstanding as a share of the limit: 105% (training median 30%, p99 95%)"),
    # A limit of 0 (the contract allows it) is read as 1: a multiple, not "1000000000%" (an outside review).
    ("amount_24h_over_limit", 1e7, 0.121, 0.969,
     "amount borrowed in 24h as a share of the limit: 10,000,000x (training median 12%, p99 97%)"),
    ("log_limit_change", math.log(3.0), 0.0, math.log(1.2), "limit change in 7d: 3x (training median 1x, p99 1.2x)"),
    ("amount_rel_segment", math.log(3.2), 0.0, math.log(2.5), "amount vs. segment median: 3.2x (training median 1x, p99 2.5x)"),
    ("loans_30d_rel_segment", 4.0, 1.0, 2.5, "loans in 30d vs. segment median: 4x (training median 1x, p99 2.5x)"),
    ("loans_24h", 4.0, 1.0, 2.0, "loans in 24h: 4 (training median 1, p99 2)"),
])
def test_a_reason_on_a_ratio_is_told_as_people_read_it(name, value, p50, p99, text) -> None:
    assert describe(name, value, FeatureNorm(p50, p99)) == text


def test_a_reason_never_overflows_on_an_absurd_value() -> None:
    assert describe("log_amount", 1e6, FeatureNorm(5.0, 10.0)).startswith("amount: 1")
    assert describe("log_limit_change", 1e6, FeatureNorm(0.0, 0.1)).startswith("limit change in 7d: 1")


def test_a_yes_or_no_feature_is_told_as_such_with_how_often_training_said_yes() -> None:
    X = np.array([[1.0, 3.0]] * 3 + [[0.0, 5.0]] * 97)
    norms = feature_norms(["unseen_device", "loans_24h"], X)
    assert norms["unseen_device"].share == pytest.approx(0.03) and norms["loans_24h"].share is None
    assert describe("unseen_device", 1.0, norms["unseen_device"]) == \
        "device never seen for this user: yes (yes on 3.0% of the training's loans)"
    assert describe("unseen_device", 0.0, norms["unseen_device"]).startswith("device never seen for this user: no")
    # Without a share (a model from before shares were kept) it reads as before.
    assert describe("unseen_device", 1.0, FeatureNorm(0.0, 1.0)) == \
        "device never seen for this user: 1 (training median 0, p99 1)"


def test_norms_survive_the_artefact_and_older_ones_still_load() -> None:
    flag, plain = FeatureNorm(0.0, 1.0, 0.031), FeatureNorm(2.0, 9.0)
    assert FeatureNorm.from_list(flag.to_list()) == flag and FeatureNorm.from_list(plain.to_list()) == plain
    assert plain.to_list() == [2.0, 9.0] and FeatureNorm.from_list([0.0, 1.0]) == FeatureNorm(0.0, 1.0)


def test_a_yes_or_no_value_is_common_where_most_training_rows_had_it() -> None:
    rare_yes, common_yes = FeatureNorm(0.0, 1.0, 0.03), FeatureNorm(1.0, 1.0, 0.8)
    values = np.array([0.0, 1.0])
    assert rare_yes.is_common_flag(values).tolist() == [True, False]
    assert common_yes.is_common_flag(values).tolist() == [False, True]
    assert FeatureNorm(0.0, 1.0).is_common_flag(values).tolist() == [False, False]  # not a yes/no: never


def test_an_alert_never_names_a_yes_or_no_feature_at_its_common_value() -> None:
    """The model credits a feature for shortening a path on either side of a split, so
    without the filter 'device never seen: no' can lead an alert; the flag at its rare
    value (yes, on 3 % of the training's loans) still may."""
    names = EVENT_FEATURES["loan"]
    flags = [j for j, n in enumerate(names) if n in FLAG_FEATURES]
    rng = np.random.default_rng(11)
    X = rng.lognormal(size=(800, len(names)))
    X[:, flags] = (rng.random((800, len(flags))) < 0.03).astype(float)
    model = model_with_blend(X)
    probes = X[:200].copy()
    probes[:100, flags] = 0.0
    probes[100:, flags] = 1.0
    probes[:, 0] *= 50  # something else is anomalous too
    named = model.top_reasons_rows("loan", probes, k=len(names))
    assert all(r for r in named)
    assert not any(names.index(r["feature"]) in flags for reasons in named[:100] for r in reasons)
    assert any(names.index(r["feature"]) in flags for reasons in named[100:] for r in reasons)
