"""``riskmon train`` says what ranks loans in the model it saved (``stream.offline.train.readers_line``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from models.core_forest import CoreForest
from models.model import EVENT_FEATURES
from models.prior import TypologyPrior
from stream.offline.train import readers_line
from tests.models.blend_models import model_with_blend

NAMES = EVENT_FEATURES["loan"]


def _with_loan(model, **changes):
    return replace(model, by_type={**model.by_type, "loan": replace(model.by_type["loan"], **changes)})


def test_the_line_names_each_reader_and_how_they_combine() -> None:
    X = np.random.default_rng(1).lognormal(size=(300, len(NAMES)))
    core = CoreForest.fit(NAMES, X, n_estimators=5, max_samples=128, seed=0)
    model = model_with_blend(X, core)
    tails = len(model.by_type["loan"].blend.tails.columns)
    assert readers_line(model) == (f"loan model: forest on {len(NAMES)} features + directional tails on {tails} + "
                                   f"core forest on {len(core.columns)}, by Fisher's combination of their ranks")
    old = _with_loan(model, blend=replace(model_with_blend(X).by_type["loan"].blend, fisher=False))
    assert readers_line(old) == (f"loan model: forest on {len(NAMES)} features + directional tails on {tails}, "
                                 "by the mean of their ranks")
    assert readers_line(_with_loan(model, blend=None)) == f"loan model: forest on {len(NAMES)} features alone"


def test_the_line_says_what_the_typology_prior_learned_from() -> None:
    X = np.random.default_rng(2).lognormal(size=(300, len(NAMES)))
    features = tuple(n for n in NAMES if n != "log_amount")
    prior = TypologyPrior.fit(features, X[:, [NAMES.index(f) for f in features]],
                              (X[:, NAMES.index("loans_1h")] > 2).astype(int), {}, seed=0)
    model = model_with_blend(X, prior=prior)
    model = replace(model, meta={"typology_prior": {"used": True, "typology_loans": 38708, "streams": 90}})
    assert readers_line(model).endswith(f"typology prior on {len(features)} (learned from 38708 typology loans in "
                                        "90 generated streams), by Fisher's combination of their ranks")
