"""The directional reader and the rank blend (``models.tails``), against brute-force counts.

The tails keep only ``KNOTS`` values per feature, so each property is checked
against the plain count over the whole history: exact where the history has
few distinct values (counts, flags), never under the true distance elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import IsolationForest

from models.core_forest import CoreForest
from models.forest import CompiledForest
from models.model import EVENT_FEATURES, RiskModel, from_artifact, to_artifact
from models.tails import KNOTS, MIN_TAIL_SHARE, RISKY_HIGH, RISKY_LOW, Blend, DirectionalTails, Ranks, blend, mean_rank
from stream.core.features import REPAYMENT_FEATURES
from tests.models.blend_models import model_with_blend

NAMES = ("loans_24h", "log_hours_since_prev_loan", "segment_code")  # risky high, risky low, no direction


def _brute_share(history: np.ndarray, sign: float, x: float) -> float:
    """The history's share at least as far as ``x`` in the risky direction, by counting."""
    return float(np.mean(sign * history >= sign * x))


def test_every_direction_names_a_loan_model_feature_once() -> None:
    assert set(RISKY_HIGH) | set(RISKY_LOW) <= set(EVENT_FEATURES["loan"])
    assert not set(RISKY_HIGH) & set(RISKY_LOW)


def test_features_without_a_direction_are_not_read() -> None:
    tails = DirectionalTails.fit(NAMES, np.random.default_rng(0).normal(size=(50, 3)))
    assert list(tails.columns) == [0, 1] and list(tails.signs) == [1.0, -1.0]


@settings(max_examples=60, deadline=None)
@given(
    history=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=200),
    probe=st.tuples(st.integers(-5, 40), st.integers(-5, 40)),
)
def test_few_distinct_values_give_exactly_the_counted_tail(history: list, probe: tuple) -> None:
    H = np.array([[a, b, 0.0] for a, b in history], dtype=np.float64)
    x = np.array([[probe[0], probe[1], 0.0]], dtype=np.float64)
    tails = DirectionalTails.fit(NAMES, H)
    got = tails.contributions(x)[0]
    for f, (col, sign) in enumerate(((0, 1.0), (1, -1.0))):
        share = max(_brute_share(H[:, col], sign, x[0, col]), 1 / len(H))
        assert got[f] == pytest.approx(-np.log(share))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(KNOTS + 1, 4 * KNOTS))
def test_many_distinct_values_never_score_under_the_counted_tail_and_are_exact_at_the_knots(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    H = rng.lognormal(size=(n, 3))
    tails = DirectionalTails.fit(NAMES, H)
    probes = rng.lognormal(size=(30, 3))
    got = tails.contributions(probes)
    for f, (col, sign) in enumerate(((0, 1.0), (1, -1.0))):
        for r in range(len(probes)):
            truth = -np.log(max(_brute_share(H[:, col], sign, probes[r, col]), 1 / n))
            assert got[r, f] >= truth - 1e-12
        kept = sign * tails.knots[f][np.isfinite(tails.knots[f])]
        exact = tails.contributions(np.column_stack([kept, kept, np.zeros_like(kept)]))[:, f]
        counted = [-np.log(max(_brute_share(H[:, col], sign, v), 1 / n)) for v in kept]
        np.testing.assert_allclose(exact, counted, rtol=0, atol=1e-12)


def test_further_out_on_the_risky_side_never_scores_lower_and_the_safe_side_adds_nothing() -> None:
    rng = np.random.default_rng(5)
    H = rng.normal(size=(3000, 3))
    tails = DirectionalTails.fit(NAMES, H)
    steps = np.linspace(-6, 6, 200)
    loans = tails.score(np.column_stack([steps, np.zeros_like(steps), np.zeros_like(steps)]))
    gaps = tails.score(np.column_stack([np.zeros_like(steps), steps, np.zeros_like(steps)]))
    assert np.all(np.diff(loans) >= 0) and np.all(np.diff(gaps) <= 0)  # more loans riskier, longer gaps safer
    assert loans[0] == pytest.approx(loans[1]) and gaps[-1] == pytest.approx(gaps[-2])  # past the safe end: flat


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 3000))
def test_ranks_are_the_counted_share_at_the_knots_and_monotone_in_between(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    scores = np.round(rng.normal(size=n), 2)  # ties included
    ranks = Ranks.fit(scores)
    np.testing.assert_allclose(ranks(ranks.knots), [np.mean(scores <= k) for k in ranks.knots], atol=1e-12)
    probe = np.sort(rng.normal(scale=2, size=500))
    r = ranks(probe)
    assert np.all(np.diff(r) >= 0) and r.min() >= 0 and r.max() <= 1
    assert ranks(np.array([scores.max() + 1]))[0] == 1.0 and ranks(np.array([scores.min() - 1]))[0] == 0.0
    np.testing.assert_allclose(ranks.score_at(ranks.levels), ranks.knots)  # the inverse, at the knots


def test_the_blend_sums_each_readers_tail_surprise_and_one_far_out_reader_is_enough() -> None:
    a, b = np.array([0.0, 1.0, 0.5, 0.999]), np.array([0.0, 1.0, 0.9, 0.5])
    np.testing.assert_allclose(blend(a, b), [0.0, -2 * np.log(MIN_TAIL_SHARE), np.log(2) + np.log(10),
                                             np.log(1000) + np.log(2)])
    # One reader at its 99.9th percentile outranks both readers at their 90th (the mean rank says the opposite).
    assert blend(np.array([0.999]), np.array([0.5]))[0] > blend(np.array([0.9]), np.array([0.9]))[0]


def test_the_blend_ranks_as_its_combined_ranks_and_is_spread_over_the_history_as_the_forest_was() -> None:
    names = EVENT_FEATURES["loan"]
    rng = np.random.default_rng(8)
    X = rng.lognormal(size=(3000, len(names)))
    forest = CompiledForest.from_sklearn(IsolationForest(n_estimators=20, random_state=0).fit(X))
    f = forest.anomaly_score01(X)
    b = Blend.fit(names, X, f)
    scores = b.score(X, f)
    combined = blend(b.forest_ranks(f), b.tails_ranks(b.tails.score(X)))
    order = np.argsort(combined, kind="stable")
    assert np.all(np.diff(scores[order]) >= -1e-12)  # the same ranking as the combined ranks
    levels = np.linspace(0.05, 0.95, 19)
    np.testing.assert_allclose(np.quantile(scores, levels), np.quantile(f, levels), atol=0.01)  # the forest's scale
    assert f.min() - 1e-12 <= scores.min() and scores.max() <= f.max() + 1e-12


def _model_with_tails() -> tuple[RiskModel, np.ndarray]:
    X = np.random.default_rng(2).lognormal(size=(400, len(EVENT_FEATURES["loan"])))
    return model_with_blend(X), X


def test_a_model_with_tails_scores_the_same_after_its_artefact_round_trip() -> None:
    model, X = _model_with_tails()
    loaded = from_artifact(*to_artifact(model))
    assert loaded.by_type["loan"].blend is not None and loaded.by_type["repayment"].blend is None
    np.testing.assert_array_equal(loaded.score("loan", X), model.score("loan", X))
    blended = model.score("loan", X)
    assert not np.allclose(blended, model.by_type["loan"].forest.anomaly_score01(X))  # the tails do count


def test_a_model_scores_its_readers_ranks_as_it_scores_its_rows() -> None:
    """``score_readers`` is ``score`` with each reader's rank beside it, and blending those ranks again
    gives the score back: the surge discounts the ranks and blends them with the same code."""
    core = CoreForest.fit(EVENT_FEATURES["loan"], np.random.default_rng(4).lognormal(
        size=(400, len(EVENT_FEATURES["loan"]))), 5, 256, 0)
    X = np.random.default_rng(2).lognormal(size=(400, len(EVENT_FEATURES["loan"])))
    model = model_with_blend(X, core)
    scores, ranks = model.score_readers("loan", X)
    np.testing.assert_array_equal(scores, model.score("loan", X))
    assert ranks is not None and ranks.shape == (len(X), 3)  # forest, tails, core
    tm = model.by_type["loan"]
    assert tm.blend is not None
    np.testing.assert_array_equal(ranks[:, 0], tm.blend.forest_ranks(tm.forest.anomaly_score01(X)))
    np.testing.assert_array_equal(model.score_from_reader_ranks("loan", ranks), scores)
    lowered = model.score_from_reader_ranks("loan", np.minimum(ranks, 0.5))  # a reader's rank lowered never lifts
    assert np.all(lowered <= scores + 1e-12)
    repayments = np.random.default_rng(3).normal(size=(5, len(REPAYMENT_FEATURES)))
    plain, none = model.score_readers("repayment", repayments)
    assert none is None and np.array_equal(plain, model.score("repayment", repayments))  # a forest alone


def test_reasons_name_the_directional_features_too() -> None:
    model, X = _model_with_tails()
    x = np.median(X, axis=0)
    x[EVENT_FEATURES["loan"].index("loans_24h")] = X.max() * 10  # far out on one risky feature only
    reasons = model.top_reasons("loan", x)
    assert "loans_24h" in [r["feature"] for r in reasons]


def test_values_a_rounding_error_apart_keep_their_own_tail() -> None:
    """Ratios such as amount / limit sit at 1.0 and one ulp either side; each is its own kept value."""
    one = 1.0
    near = [np.nextafter(one, 0.0), one, np.nextafter(one, 2.0), np.nextafter(np.nextafter(one, 2.0), 2.0)]
    H = np.array([[v, 0.0, 0.0] for v in near * 5 + [0.5] * 10], dtype=np.float64)
    tails = DirectionalTails.fit(NAMES, H)
    probes = np.array([[v, 0.0, 0.0] for v in near], dtype=np.float64)
    got = tails.contributions(probes)[:, 0]
    counted = [-np.log(_brute_share(H[:, 0], 1.0, v)) for v in near]
    np.testing.assert_allclose(got, counted, rtol=0, atol=1e-12)
    assert len(set(got)) == 4


def test_a_model_saved_when_the_blend_averaged_ranks_still_scores_as_it_did() -> None:
    names = EVENT_FEATURES["loan"]
    X = np.random.default_rng(5).lognormal(size=(500, len(names)))
    forest = CompiledForest.from_sklearn(IsolationForest(n_estimators=5, random_state=0).fit(X))
    f = forest.anomaly_score01(X)
    fitted = Blend.fit(names, X, f)
    # What an artefact of that time held: the ranks of the mean rank, and no "ranks_fisher" entry.
    old = Blend(fitted.tails, fitted.forest_ranks, fitted.tails_ranks,
                Ranks.fit(mean_rank(fitted.forest_ranks(f), fitted.tails_ranks(fitted.tails.score(X)))), fisher=False)
    arrays = old.to_arrays()
    del arrays["ranks_fisher"]
    loaded = Blend.from_arrays(arrays)
    assert not loaded.fisher and fitted.fisher
    np.testing.assert_array_equal(loaded.score(X, f), old.score(X, f))
    expected = old.forest_ranks.score_at(old.blend_ranks(mean_rank(*old.reader_ranks(X, f))))
    np.testing.assert_array_equal(loaded.score(X, f), expected)
    assert Blend.from_arrays(fitted.to_arrays()).fisher


@pytest.mark.parametrize("cash_share", [0.05, 0.5, 0.95])
def test_a_cash_loan_weighs_as_rare_as_cash_loans_are_at_the_lender(cash_share: float) -> None:
    """``cash_loan`` is risky when yes, by the lender's own share of cash loans: -log(share)."""
    names = ("cash_loan", "loans_24h")
    rng = np.random.default_rng(3)
    H = np.column_stack([(rng.random(2000) < cash_share).astype(float), rng.poisson(1.0, 2000)])
    tails = DirectionalTails.fit(names, H)
    cash, other = tails.contributions(np.array([[1.0, 1.0], [0.0, 1.0]]))[:, 0]
    assert cash == pytest.approx(-np.log(H[:, 0].mean()))
    assert other == 0.0
