"""The typology prior (``models.prior``): the fourth reader of the loan model's blend.

It must score exactly as the scikit-learn classifier it was compiled from,
read only its named features wherever they sit in a model's columns, refuse a
model that lacks one, survive its own artefact and the model's, count in the
blend with the same say as the other readers, and lend its reasons.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from models.model import EVENT_FEATURES, from_artifact, to_artifact
from models.prior import LEFT_OUT, MAX_DEPTH, PRIOR_DIR, PriorError, TypologyPrior, load_prior
from models.tails import blend
from tests.models.blend_models import model_with_blend

NAMES = EVENT_FEATURES["loan"]
FEATURES = tuple(n for n in NAMES if n not in LEFT_OUT)
RISKY = "log_limit_change"  # a feature the directional tails do not read


def _labelled(n: int = 3000, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``FEATURES``: a typology's loans are the ones whose limit rose most."""
    X = np.random.default_rng(seed).lognormal(size=(n, len(FEATURES)))
    return X, (X[:, FEATURES.index(RISKY)] > 3.0).astype(int)


@functools.cache
def _prior() -> TypologyPrior:
    X, y = _labelled()
    return TypologyPrior.fit(FEATURES, X, y, {"sources": ["test"]}, seed=1)


def test_scores_as_scikit_learn_does_and_reads_only_its_features() -> None:
    X, y = _labelled()
    prior = _prior().bind(NAMES)
    reference = HistGradientBoostingClassifier(max_iter=200, max_depth=MAX_DEPTH, random_state=1).fit(X, y)
    rows = np.random.default_rng(8).lognormal(size=(200, len(NAMES)))
    mine = rows[:, [NAMES.index(f) for f in FEATURES]]
    np.testing.assert_allclose(prior.score(rows), reference.decision_function(mine), atol=1e-9)
    moved = rows.copy()
    moved[:, NAMES.index("log_amount")] *= 1000  # a column it leaves out changes nothing
    np.testing.assert_array_equal(prior.score(moved), prior.score(rows))


def test_binds_to_any_column_order_and_refuses_a_model_without_one_of_its_features() -> None:
    prior = _prior()
    shuffled = list(reversed(NAMES))
    rows = np.random.default_rng(2).lognormal(size=(50, len(NAMES)))
    np.testing.assert_array_equal(prior.bind(shuffled).score(rows[:, ::-1]), prior.bind(NAMES).score(rows))
    with pytest.raises(PriorError, match=RISKY):
        prior.bind([n for n in NAMES if n != RISKY])
    with pytest.raises(PriorError, match="unbound"):
        prior.score(rows)


def test_round_trips_its_own_artefact_and_refuses_a_damaged_one(tmp_path: Path) -> None:
    prior = _prior()
    prior.save(tmp_path / "prior")
    loaded = TypologyPrior.load(tmp_path / "prior")
    assert loaded.features == prior.features and loaded.provenance == {"sources": ["test"]}
    rows = np.random.default_rng(3).lognormal(size=(100, len(NAMES)))
    np.testing.assert_array_equal(loaded.bind(NAMES).score(rows), prior.bind(NAMES).score(rows))
    arrays = prior.to_arrays()
    arrays["prior_reference_raw"] = arrays["prior_reference_raw"] + 1e-6
    with pytest.raises(PriorError, match="damaged"):
        TypologyPrior.from_arrays(arrays)


def test_the_blend_gives_the_prior_an_equal_say_and_keeps_it_through_the_model_artefact() -> None:
    X = np.random.default_rng(4).lognormal(size=(600, len(NAMES)))
    model = model_with_blend(X, prior=_prior())
    b = model.by_type["loan"].blend
    assert b is not None and b.prior is not None and b.prior_ranks is not None
    f = model.by_type["loan"].forest.anomaly_score01(X)
    combined = blend(b.forest_ranks(f), b.tails_ranks(b.tails.score(X)), b.prior_ranks(b.prior.score(X)))
    order = np.argsort(combined, kind="stable")
    scores = model.score("loan", X)
    assert np.all(np.diff(scores[order]) >= -1e-12)  # ranks as the readers' ranks combined
    assert not np.allclose(scores, model_with_blend(X).score("loan", X))  # the prior does count
    loaded = from_artifact(*to_artifact(model))
    assert loaded.by_type["loan"].blend is not None and loaded.by_type["loan"].blend.prior is not None
    assert loaded.by_type["loan"].blend.prior.features == FEATURES  # named, as the reasons and train's line need
    np.testing.assert_array_equal(loaded.score("loan", X), scores)


def test_reasons_can_come_from_the_prior() -> None:
    """A value common in the history (its 90th percentile) that the prior learned is a typology's:
    the forest and the tails see little in it, the prior's log-odds rest on it."""
    X = np.random.default_rng(6).lognormal(size=(600, len(NAMES)))
    model = model_with_blend(X, prior=_prior())
    assert NAMES.index(RISKY) not in model.by_type["loan"].blend.tails.columns
    x = np.median(X, axis=0)
    x[NAMES.index(RISKY)] = np.quantile(X[:, NAMES.index(RISKY)], 0.9)
    reasons = {r["feature"]: r["weight"] for r in model.top_reasons("loan", x)}
    assert reasons.get(RISKY, 0.0) >= 0.25  # the prior's quarter of the say, nearly all on this column
    assert all(w >= 0 for w in reasons.values())


def test_the_shipped_prior_loads_reads_the_loan_model_columns_and_says_what_it_learned_from() -> None:
    prior = load_prior("default")
    assert prior is not None and set(prior.features) <= set(NAMES) and not set(prior.features) & set(LEFT_OUT)
    assert {"stream.worlds", "stream.worlds_b", "stream.worlds_c", "stream.worlds_d", "simulator"} <= set(
        prior.provenance["sources"])
    assert prior.provenance["typology_loans"] > 1000
    assert load_prior(PRIOR_DIR).features == prior.features
    assert load_prior("none") is None and load_prior("") is None


def test_a_prior_setting_that_names_no_prior_says_so(tmp_path: Path) -> None:
    with pytest.raises(PriorError, match="typology_prior .*cannot be opened.*typology_prior=none"):
        load_prior(tmp_path / "nowhere")
