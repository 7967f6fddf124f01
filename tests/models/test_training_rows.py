"""The history as training keeps it (models.training_rows): columns that hold exactly what
the stream's feature code gave, checked against the plain per-event objects they replace."""

from __future__ import annotations

import numpy as np
import pytest

from models.outcomes import OutcomeLabeller, OutcomeRules, label_outcomes
from models.training_rows import TrainingRows, warm_start
from stream.core.contract import Event, LoanEvent, parse_document
from stream.core.features import apply_segment_stats, segment_medians
from stream.core.pipeline import featurize_sighted
from stream.sim import SimConfig, generate


@pytest.fixture(scope="module")
def history() -> list[Event]:
    docs, _ = generate(SimConfig(users=300, days=40, seed=5, user_prefix="tr", festival_day=None))
    events = [parse_document(d) for d in docs]
    return events + events[100:110]  # redelivered: the state's duplicate filter no longer holds them


def test_the_columns_are_the_stream_features_of_every_event_in_order(history: list[Event]) -> None:
    reference = list(featurize_sighted(history))
    rows = TrainingRows.collect(iter(history), OutcomeRules(), hot_states=16)  # most states packed
    assert len(rows.ts) == len(reference) and rows.ts.tolist() == [e.ts for e, _, _ in reference]
    assert [("loan", "repayment")[k] for k in rows.kinds.tolist()] == [e.event_type for e, _, _ in reference]
    index: dict[str, int] = {}
    assert rows.users.tolist() == [index.setdefault(e.user_id, len(index)) for e, _, _ in reference]
    for event_type in ("loan", "repayment"):
        mine = [r.values for e, r, _ in reference if e.event_type == event_type]
        assert np.array_equal(rows.values[event_type], np.array(mine))  # the same floats, to the bit
        assert [r.values for r in rows.rows(event_type)] == mine
    loans = [e for e, _, _ in reference if isinstance(e, LoanEvent)]
    assert rows.loan_ids == [e.event_id for e in loans] and rows.segments == [e.segment for e in loans]
    assert [(i, s) for i, s in rows.sightings] == [(i, s) for i, (_, _, seen) in enumerate(reference) for s in seen]
    assert rows.outcomes == label_outcomes((e for e, _, _ in reference), OutcomeRules())
    labeller = OutcomeLabeller(OutcomeRules())
    for e, _, _ in reference:
        labeller.add(e)
    assert rows.revolving == labeller.revolving_reasons()
    named = TrainingRows.collect(iter(history), OutcomeRules(revolving=("installment",)))
    assert named.revolving == {"installment": "named by outcome_revolving_products"}
    assert TrainingRows.collect(iter(history)).outcomes is None  # no outcome rules: no labels


def test_warm_rows_stats_and_matrix_are_those_of_the_rows_one_by_one(history: list[Event]) -> None:
    reference = [(e, r) for e, r, _ in featurize_sighted(history)]
    rows = TrainingRows.collect(iter(history))
    warm_from = warm_start([e.ts for e, _ in reference])
    warm = [e.ts >= warm_from for e, _ in reference]
    assert rows.warm_from == warm_from and rows.warm.tolist() == warm
    stats = segment_medians([(e.segment, r) for (e, r), w in zip(reference, warm) if w and isinstance(e, LoanEvent)])
    assert rows.stats == stats
    plain = np.array([apply_segment_stats(r, e.segment, stats).values for e, r in reference if isinstance(e, LoanEvent)])
    assert np.array_equal(rows.matrix("loan"), plain)
    assert np.array_equal(rows.matrix("repayment"), rows.values["repayment"])
    users: dict[str, int] = {}
    ids = [users.setdefault(e.user_id, len(users)) for e, _ in reference]
    expected = [(u, e.event_type, r.values) for u, (e, r), w in zip(ids, reference, warm) if w]
    assert [(u, t, r.values) for u, t, r in rows.in_order(rows.warm)] == expected
    loans_warm = np.array([w for (e, _), w in zip(reference, warm) if e.event_type == "loan"])
    assert np.array_equal(rows.fit_mask("loan"), loans_warm)
