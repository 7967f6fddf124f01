"""A guard on the two families of held-out worlds no threshold was chosen on (families B and C).

``test_worst_world_guard`` guards family A, which eight sessions of tuning have
looked at.  This runs the same harness (``bench/worlds_quality.py``, through
the ``riskmon`` command line) on four lenders of ``stream.worlds_b`` and
``stream.worlds_c``, each family written by a session that never read the
detector: the two where it ranks worst (a buy-now-pay-later app, gig workers)
and the two that show its known failures at full size (the city cash lender:
the lowest user recall; the weekly payday lender: the alert-volume flood of
docs/worlds.md, "Family B").  1,500 users, 30 history + 10 test days, seed 1:
immature histories, so the numbers are not the README's; the floors and
ceilings sit a little outside what this code measures (ROC-AUC 0.797-0.919,
PR-AUC 0.378-0.708, user recall 0.178-0.571, well-behaved users flagged at
most 3.5 %, their loans alerted at most 2.1 %, measured 2026-12-03), so a change
that makes the monitor worse on data it was not tuned to fails here.
"""

from __future__ import annotations

import pytest

from tests.bench.scripts import guard_numbers, worst_of

RUNS = (("stream.worlds_b", "metro_cash"), ("stream.worlds_b", "payday_habit"),
        ("stream.worlds_c", "bnpl_checkout"), ("stream.worlds_c", "gig_bursts"))
FLOORS = {"monitor_roc": 0.78, "monitor_pr": 0.36, "user_recall": 0.16}
CEILINGS = {"well_behaved_flagged_share": 0.04, "well_behaved_loan_alert_share": 0.025}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def numbers(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, float | None]]:
    return guard_numbers(tmp_path_factory, RUNS)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_the_worst_lender_stays_above_its_floor(numbers: list[dict[str, float | None]], name: str) -> None:
    worst, by_world = worst_of(numbers, RUNS, name, min)
    assert worst >= FLOORS[name], by_world


@pytest.mark.parametrize("name", sorted(CEILINGS))
def test_alert_volume_stays_under_its_ceiling(numbers: list[dict[str, float | None]], name: str) -> None:
    worst, by_world = worst_of(numbers, RUNS, name, max)
    assert worst <= CEILINGS[name], by_world
