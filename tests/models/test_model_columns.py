"""A model names the columns its forest reads (``models.model.feature_columns``).

So a model trained before a feature was added still loads and reads the same
columns by name, and one that reads a feature this code does not compute is
refused at load with a message that says what to do.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from models.forest import CompiledForest
from models.model import EVENT_FEATURES, LOAN_TERMS, REPAYMENT_HABITS, RiskModel, TypeModel, from_artifact, to_artifact
from models.norms import feature_norms
from stream.core.features import LOAN_FEATURES, REPAYMENT_FEATURES, UserState, update
from stream.core.contract import parse_document
from tests.core.test_features import loan_doc


def _type_model(event_type: str, names: tuple[str, ...]) -> TypeModel:
    X = np.random.default_rng(1).normal(size=(200, len(names)))
    forest = CompiledForest.from_sklearn(IsolationForest(n_estimators=5, random_state=0).fit(X))
    return TypeModel(event_type, names, forest, 0.6, 0.8, feature_norms(names, X))


def _round_trip(loan_names: tuple[str, ...]) -> RiskModel:
    model = RiskModel("v", "now", {"loan": _type_model("loan", loan_names),
                                   "repayment": _type_model("repayment", REPAYMENT_FEATURES)}, {}, {})
    return from_artifact(*to_artifact(model))


def _loan_row():
    state = UserState()
    update(state, parse_document(loan_doc("e-1", 1_780_000_000.0, amount=900.0, product="cash_loan")))
    return update(state, parse_document(loan_doc("e-2", 1_780_003_600.0, amount=4000.0, product="credit_line")))


def test_the_loan_forest_reads_borrowing_not_repayment_habits_or_the_loans_terms() -> None:
    assert set(EVENT_FEATURES["loan"]) == set(LOAN_FEATURES) - set(REPAYMENT_HABITS) - set(LOAN_TERMS)
    assert set(REPAYMENT_HABITS) <= set(LOAN_FEATURES) and "new_product" in EVENT_FEATURES["loan"]


def test_a_model_from_before_a_feature_was_added_reads_its_own_columns_by_name() -> None:
    older = tuple(reversed([n for n in EVENT_FEATURES["loan"] if n != "new_product"]))  # another order, too
    model = _round_trip(older)
    row = _loan_row()
    by_name = dict(zip(row.names, row.values))
    assert by_name["new_product"] == 1.0  # the second loan is on a product never used before
    x = model.prepare(row, None)
    assert x.tolist() == [by_name[n] for n in older]
    assert {r["feature"] for r in model.top_reasons("loan", x, k=36)} <= set(older)


def test_a_model_reading_a_feature_this_code_does_not_compute_is_refused() -> None:
    with pytest.raises(ValueError, match="no_such_feature.*retrain"):
        _round_trip((*EVENT_FEATURES["loan"][:3], "no_such_feature"))
