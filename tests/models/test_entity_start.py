"""When shared devices and merchants may start alerting (models.train.entities_from): never before
an account first seen at the history's start is NEW_ACCOUNT_S old, however short the history."""

from __future__ import annotations

import numpy as np

from models.train import entities_from, train
from models.training_rows import warm_start
from stream.core.contract import parse_document
from stream.core.entities import NEW_ACCOUNT_S
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
