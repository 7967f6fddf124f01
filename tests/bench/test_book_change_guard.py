"""A guard on a lender that changes its book inside the test window (family D's limit campaign).

``stream.worlds_d``'s ``limit_campaign`` raises the limit of a third of its
users at once in the test window; its rules fire on everyone the raise
touches, and rule storms (``stream.core.rule_storm``) hold the alerts those
rules alone raise.  At the guard's scale (1,500 users, 30 history + 10 test
days, seed 1, through the ``riskmon`` command line) this code flags 5.7 % of
the well-behaved users and 3.7 % of their loans, user recall 0.348; with
storms off (``rule_storm_factor`` 0) 9.4 % and 6.3 %, user recall 0.370
(measured 2026-12-03).  The ceilings sit between the two, so a change that
loses the hold, or floods this lender some other way, fails here.
"""

from __future__ import annotations

import pytest

from tests.bench.scripts import guard_numbers

RUNS = (("stream.worlds_d", "limit_campaign"),)
CEILINGS = {"well_behaved_flagged_share": 0.075, "well_behaved_loan_alert_share": 0.05}
FLOORS = {"user_recall": 0.30, "monitor_roc": 0.76}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def numbers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float | None]:
    (only,) = guard_numbers(tmp_path_factory, RUNS)
    return only


@pytest.mark.parametrize("name", sorted(CEILINGS))
def test_the_campaign_does_not_flood(numbers: dict[str, float | None], name: str) -> None:
    assert float(numbers[name]) <= CEILINGS[name], numbers  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_the_hold_keeps_the_misbehaving_users(numbers: dict[str, float | None], name: str) -> None:
    assert float(numbers[name]) >= FLOORS[name], numbers  # type: ignore[arg-type]
