"""How long a state that began recently leaves accounts unjudged (models.unknown_past): the lender's
own return time, measured on the history, saved in the model, used by the replay as by the worker."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models.unknown_past import MAX_S, QUANTILE, unknown_past_span
from stream.core.entities import NEW_ACCOUNT_S
from stream.core.entity_alerts import EntityThresholds
from stream.core.state_epoch import StateEpoch

DAY = 86400.0
T0 = 1_767_225_600.0  # 2026-01-01


def _loans(every_days: list[float], span_days: float = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One borrower per entry, borrowing every that many days from T0 on (users, times, loan mask)."""
    users, times = [], []
    for u, every in enumerate(every_days):
        t = np.arange(T0 + u, T0 + span_days * DAY, every * DAY)
        users += [u] * len(t)
        times += list(t)
    return np.array(users), np.array(times), np.ones(len(times), dtype=bool)


def _brute_span(every_days: list[float], span_days: float = 120) -> float:
    gaps = []
    for u, every in enumerate(every_days):
        t = np.arange(T0 + u, T0 + span_days * DAY, every * DAY)
        if len(t) > 1:
            gaps.append(np.mean(np.diff(t)))
    return float(np.clip(np.quantile(gaps, QUANTILE), NEW_ACCOUNT_S, MAX_S)) if gaps else float(NEW_ACCOUNT_S)


def test_the_span_is_how_long_nine_in_ten_repeat_borrowers_take_between_loans() -> None:
    monthly = [30.0] * 10 + [3.0] * 10  # half come monthly, half twice a week
    assert unknown_past_span(*_loans(monthly)) == pytest.approx(_brute_span(monthly)) == pytest.approx(30 * DAY)
    weekly = [7.0] * 19 + [45.0]  # one in twenty is slow: the quantile is not moved by it
    assert unknown_past_span(*_loans(weekly)) == pytest.approx(_brute_span(weekly))
    assert unknown_past_span(*_loans(weekly)) < 14 * DAY + 1e-6 and _brute_span(weekly) == NEW_ACCOUNT_S


def test_the_span_stays_between_fourteen_and_sixty_days() -> None:
    assert unknown_past_span(*_loans([2.0] * 5)) == NEW_ACCOUNT_S
    assert unknown_past_span(*_loans([90.0] * 5, span_days=400)) == MAX_S == 60 * DAY
    assert unknown_past_span(*_loans([200.0] * 5)) == NEW_ACCOUNT_S  # nobody borrowed twice


def test_repayments_and_the_order_of_events_do_not_count() -> None:
    users, times, loans = _loans([30.0] * 4 + [5.0] * 4)
    shuffled = np.random.default_rng(1).permutation(len(times))
    with_repayments = np.concatenate([users, users]), np.concatenate([times, times + 3600]), \
        np.concatenate([loans, np.zeros(len(loans), dtype=bool)])
    assert unknown_past_span(users[shuffled], times[shuffled], loans) == unknown_past_span(users, times, loans)
    assert unknown_past_span(*with_repayments) == unknown_past_span(users, times, loans)


def test_the_epoch_follows_the_span_and_settles_after_it() -> None:
    epoch = StateEpoch()
    epoch.see(int(T0), T0)
    epoch.unknown_past_s = 30 * DAY
    assert epoch.unknown_past(int(T0 + 29 * DAY)) and not epoch.unknown_past(int(T0 + 30 * DAY))
    epoch.see(int(T0), T0 + 43 * DAY)
    assert not epoch.settled()  # an account first seen on day 29 is 14 days old on day 43
    epoch.see(int(T0), T0 + 44 * DAY)
    assert epoch.settled()


def test_the_span_is_kept_in_the_model_and_old_models_read_fourteen_days() -> None:
    thresholds = replace(EntityThresholds(), unknown_past_s=31 * DAY)
    assert EntityThresholds.from_meta(thresholds.to_meta()) == thresholds
    old = thresholds.to_meta()
    del old["unknown_past_s"]
    assert EntityThresholds.from_meta(old).unknown_past_s == NEW_ACCOUNT_S
