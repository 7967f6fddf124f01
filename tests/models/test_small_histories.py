"""What a history too small for a lender does to training: shared devices and merchants start alerting
(models.train.entities_from) only once an account first seen at the history's start is NEW_ACCOUNT_S
old, however short the history, and a history of too few borrowers is refused."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import numpy as np
import pytest

from models.train import TrainingError, entities_from, train
from models.training_rows import MIN_BORROWERS, MIN_ROWS, warm_start
from stream.core.contract import parse_document
from stream.core.entities import NEW_ACCOUNT_S
from stream.core.entity_alerts import EntityThresholds
from stream.offline.train import report_entities
from stream.sim import SimConfig, generate

DAY = 86400.0
T0 = 1_767_225_600.0  # 2026-01-01


def test_a_long_history_starts_them_where_the_budget_is_measured() -> None:
    times = np.array([T0, T0 + 60 * DAY])
    assert entities_from(times, warm_start(times)) == warm_start(times) == T0 + 21 * DAY


def test_a_short_history_starts_them_once_its_first_accounts_are_no_longer_new() -> None:
    times = np.array([T0, T0 + 3 * DAY])
    assert warm_start(times) == T0 + 1.5 * DAY
    assert entities_from(times, warm_start(times)) == T0 + NEW_ACCOUNT_S


def test_an_empty_history_keeps_the_budgets_start() -> None:
    assert entities_from(np.array([]), 5.0) == 5.0


def test_a_model_trained_on_six_days_holds_its_entity_alerts_past_them() -> None:
    """An audit's 3-day history without rings had the merchant criterion fire on 34 of 41
    merchants in the two days after it: every account there looked new, in the history too."""
    history = [parse_document(e) for e in generate(SimConfig(users=1500, days=6, seed=5, user_prefix="s"))[0]]
    model = train(history, n_estimators=20)
    first = min(e.ts for e in history)
    assert model.entity_thresholds.active_from == first + NEW_ACCOUNT_S
    assert model.entity_thresholds.active_from > max(e.ts for e in history)


def test_a_history_of_too_few_borrowers_is_refused_with_the_reason() -> None:
    """One borrower's 2,000 events are plenty of rows and no lender: the shares every budget is
    measured in would be shares of one person."""
    events = generate(SimConfig(users=MIN_BORROWERS - 1, days=60, seed=5, user_prefix="few"))[0]
    assert len(events) >= 2 * MIN_ROWS
    with pytest.raises(TrainingError, match=f"{MIN_BORROWERS - 1} borrower\\(s\\); at least {MIN_BORROWERS}"):
        train([parse_document(e) for e in events], n_estimators=20)


def test_training_says_when_entity_alerts_start_past_the_warm_part(capsys: pytest.CaptureFixture) -> None:
    first = T0
    meta = {"budget_from": datetime.fromtimestamp(first + 3 * DAY, timezone.utc).isoformat(),
            "entities": EntityThresholds(active_from=first + NEW_ACCOUNT_S).to_meta()}
    report_entities(SimpleNamespace(meta=meta))
    assert "entity alerts start at 2026-01-15T00:00:00+00:00, 14 days after the history's first event" in \
        capsys.readouterr().err
    meta["entities"] = EntityThresholds(active_from=first + 3 * DAY).to_meta()
    report_entities(SimpleNamespace(meta=meta))
    assert "entity alerts start" not in capsys.readouterr().err
