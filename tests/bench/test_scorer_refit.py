"""The scoring microbenchmark times the worker's own forest: its scikit-learn refit
(``stream.bench.scorer.refit``) must compile to exactly the arrays ``models.train`` saved,
on the same rows (the warm part of the history) with the same segment medians."""

from __future__ import annotations

from models.train import train
from stream.bench.scorer import refit
from stream.core.contract import parse_document
from tests.models.test_warm_fit import history_docs


def test_the_refit_is_the_trained_forest() -> None:
    docs = history_docs()
    model = train([parse_document(d) for d in docs], n_estimators=20, outcomes=None, core_forest=False)
    _, same = refit(docs, model)
    assert same
