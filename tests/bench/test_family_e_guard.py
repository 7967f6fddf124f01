"""A guard on family E (``stream.worlds_e``), the fifth family of held-out worlds.

Family E was written by a session that read only the contract; on it the
monitor ranks worst of all five families (docs/worlds.md, "Family E").  This
runs the harness (``bench/worlds_quality.py``, through the ``riskmon``
command line) on two of its lenders: the small-business lender (``tradeflow``,
the worst ranking) and the micro-loan app (``microdash``, where habits that
repeat every week trip the rules: the most well-behaved users flagged).
1,500 users, 30 history + 10 test days, seed 1, with the shipped typology
prior (which learned family E at seeds 11-13, so this guards the product as
shipped, not a held-out number).  Measured 2026-12-04: ROC-AUC 0.788 / 0.864,
PR-AUC 0.349 / 0.241, user recall 0.219 / 0.368, well-behaved users flagged
1.2 % / 5.2 %, their loans alerted 0.8 % / 2.0 %.  The floors and ceilings
sit a little outside, so a change that makes the monitor worse here fails.
"""

from __future__ import annotations

import pytest

from tests.bench.scripts import guard_numbers, worst_of

RUNS = (("stream.worlds_e", "tradeflow"), ("stream.worlds_e", "microdash"))
FLOORS = {"monitor_roc": 0.76, "monitor_pr": 0.21, "user_recall": 0.19}
CEILINGS = {"well_behaved_flagged_share": 0.065, "well_behaved_loan_alert_share": 0.025}

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
