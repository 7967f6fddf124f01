"""A small version of the README's worst-world table, as a guard (issue 12).

Runs the held-out-worlds harness (``bench/worlds_quality.py``) as a user would,
through the ``riskmon`` command line, on the three worlds where the monitor is
weakest (per-product limits, a payday lender, and the mix of both), 1,500 users,
30 history + 10 test days, seed 1.  The runs are deterministic for a seed; the
floors sit a little below what this code measures (docs/worlds.md, "The
make-test guard") and above what the monitor measured before issue 12's forest
changes (forest PR-AUC 0.036-0.055 under the plain baseline, monitor PR-AUC
0.372-0.378 on two of them; forest PR-AUC 0.476 before the core forest; user
recall 0.222 before borrow_to_repay's funded-repayment clause, 0.311 with it; forest
PR-AUC at most 0.022 over the plain baseline before the forests learnt normal on the
warm history only, 0.050 after), so
a change that loses the gain fails here.  The
full tables, 8 worlds x 3 seeds x 3,000 users, are ``bench/worlds_quality.py``'s.
"""

from __future__ import annotations

import pytest

from tests.bench.scripts import guard_numbers, worst_of

RUNS = tuple(("stream.worlds", world) for world in ("per_product_limit", "payday_heavy", "mixed"))

#: Floors (minimum over the three worlds) and ceilings (maximum), measured 0.003-0.03 away.
#: Measured 2026-12-05 with ``cash_loan`` read (stop 45): monitor ROC-AUC 0.826-0.843, PR-AUC 0.578-0.729,
#: forest PR-AUC 0.580-0.726 (0.063-0.206 over the plain baseline), user recall 0.378-0.477.
FLOORS = {"forest_minus_plain_pr": 0.05, "monitor_pr": 0.55, "forest_pr": 0.55, "monitor_roc": 0.80,
          "user_recall": 0.35}
CEILINGS = {"well_behaved_loan_alert_share": 0.035, "well_behaved_flagged_share": 0.04}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def numbers(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, float | None]]:
    return guard_numbers(tmp_path_factory, RUNS)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_worst_world_stays_above_its_floor(numbers: list[dict[str, float | None]], name: str) -> None:
    worst, by_world = worst_of(numbers, RUNS, name, min)
    assert worst >= FLOORS[name], by_world


@pytest.mark.parametrize("name", sorted(CEILINGS))
def test_alert_volume_stays_under_its_ceiling(numbers: list[dict[str, float | None]], name: str) -> None:
    worst, by_world = worst_of(numbers, RUNS, name, max)
    assert worst <= CEILINGS[name], by_world
