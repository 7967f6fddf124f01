"""A guard on the families of held-out worlds no threshold was chosen on (families B, C, E, G, K, L, M, N and O).

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

Family E (``stream.worlds_e``), the fifth family, ranks worst of all five
(docs/worlds.md, "Family E"); its guard runs the small-business lender
(``tradeflow``, the worst ranking) and the micro-loan app (``microdash``,
where weekly habits trip the rules: the most well-behaved users flagged) on
its own floors and ceilings.  Measured 2026-12-04 with the shipped prior:
ROC-AUC 0.788 / 0.864, PR-AUC 0.349 / 0.241, user recall 0.219 / 0.368,
well-behaved users flagged 1.2 % / 5.2 %, their loans alerted 0.8 % / 2.0 %;
since the loan model reads ``cash_loan`` (2026-12-05): ROC-AUC 0.825 / 0.882,
PR-AUC 0.410 / 0.283, user recall 0.219 / 0.298, well-behaved users flagged
1.2 % / 4.0 %, their loans alerted 0.8 % / 1.3 %; the floors were raised with it.

Family G (``stream.worlds_g``) is delivered as producer fleets deliver: events
minutes out of order, some sent twice, borrowers in eight time zones, loans at
``credit_limit`` 0.  Its guard runs the time-zone lender (``multi_timezone``)
and the car and tuition lender whose limits are cut in the test window
(``auto_edu_tightening``, the worst ranking at full size).  Measured
2026-12-05 with the shipped prior (which never saw G): ROC-AUC 0.851 / 0.930,
PR-AUC 0.493 / 0.769, user recall 0.200 / 0.200, well-behaved users flagged
1.9 % / 0.6 %, their loans alerted 2.0 % / 0.6 %.

Family K (``stream.worlds_k``), the eleventh, is where the model falls under
the plain baseline most often at full size (the wedding lender) and where a
busy day first flooded (the live-stream festival, docs/worlds.md, "Storms
counted against a usual day").  Measured 2026-12-05 in this small setting:
ROC-AUC 0.835 / 0.873, PR-AUC 0.218 / 0.176, user recall 0.125 / 0.368,
well-behaved users flagged 6.6 % / 5.3 % (6.0 % at the festival lender with
storms judged on the day's own events), their loans alerted 7.3 % / 1.2 %.

Family L (``stream.worlds_l``), the twelfth, ranks worst at the migrant-rent
lender, whose Spring move brings new phones and channels by the thousand
inside the test window (the most well-behaved users flagged of any guard),
and the phone-financing lender, where every purchase comes on a new device
(docs/worlds.md, "Family L"). Measured 2026-12-05 in this small setting, with
storms counted in borrowers: ROC-AUC 0.637 / 0.731, PR-AUC 0.165 / 0.149, user
recall 0.278 / 0.364, well-behaved users flagged 10.4 % / 4.2 %, their loans
alerted 6.8 % / 4.5 %.

Family M (``stream.worlds_m``), the thirteenth, runs the zero-rate week (new
customers on store tablets and purchases split minutes apart: the model under
the plain baseline at every seed at full size) and the payroll outage (a
workforce late together). Measured 2026-12-05 in this small setting, with the
surge discount on the ranking score: ROC-AUC 0.735 / 0.848, PR-AUC 0.137 /
0.458, user recall 0.286 / 0.353, well-behaved users flagged 5.6 % / 3.0 %,
their loans alerted 4.4 % / 2.6 %.

Family N (``stream.worlds_n``), the fourteenth, runs the school-fee lender
(term start: fee instalments at the maximum term after limit raises, its
worst ranking at full size) and the merchant inventory rush (large draws on
a wholesaler's kiosk read as takeovers; the model under the plain baseline at
every seed at full size). Measured 2026-12-06 in this small setting, with the
core forest's student flag: ROC-AUC 0.802 / 0.834, PR-AUC 0.478 / 0.459, user
recall 0.370 / 0.600, well-behaved users flagged 4.5 % / 4.2 %, their loans
alerted 3.9 % / 2.4 %.

Family O (``stream.worlds_o``), the fifteenth, runs the fishing ban (shared
dock-office devices, a few days late as normal: the worst ranking at full
size) and the restaurant closures (a week of wage draws from silent
terminals: the model under the plain baseline at every seed at full size).
Measured 2026-12-06 in this small setting: ROC-AUC 0.783 / 0.818, PR-AUC
0.287 / 0.544, user recall 0.267 / 0.316, well-behaved users flagged 1.6 % /
2.3 %, their loans alerted 1.2 % / 1.3 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.bench.scripts import guard_numbers, worst_of


@dataclass(frozen=True)
class Guard:
    runs: tuple[tuple[str, str], ...]
    floors: dict[str, float]
    ceilings: dict[str, float]


GUARDS = {
    "B and C": Guard((("stream.worlds_b", "metro_cash"), ("stream.worlds_b", "payday_habit"),
                      ("stream.worlds_c", "bnpl_checkout"), ("stream.worlds_c", "gig_bursts")),
                     {"monitor_roc": 0.78, "monitor_pr": 0.36, "user_recall": 0.16},
                     {"well_behaved_flagged_share": 0.04, "well_behaved_loan_alert_share": 0.025}),
    "E": Guard((("stream.worlds_e", "tradeflow"), ("stream.worlds_e", "microdash")),
               {"monitor_roc": 0.80, "monitor_pr": 0.26, "user_recall": 0.19},
               {"well_behaved_flagged_share": 0.065, "well_behaved_loan_alert_share": 0.025}),
    "G": Guard((("stream.worlds_g", "multi_timezone"), ("stream.worlds_g", "auto_edu_tightening")),
               {"monitor_roc": 0.82, "monitor_pr": 0.44, "user_recall": 0.16},
               {"well_behaved_flagged_share": 0.03, "well_behaved_loan_alert_share": 0.025}),
    "K": Guard((("stream.worlds_k", "wedding_banquets"), ("stream.worlds_k", "livestream_studios")),
               {"monitor_roc": 0.81, "monitor_pr": 0.15, "user_recall": 0.10},
               {"well_behaved_flagged_share": 0.075, "well_behaved_loan_alert_share": 0.08}),
    "L": Guard((("stream.worlds_l", "migrant_rent_deposit"), ("stream.worlds_l", "handset_upgrade")),
               {"monitor_roc": 0.60, "monitor_pr": 0.12, "user_recall": 0.24},
               {"well_behaved_flagged_share": 0.12, "well_behaved_loan_alert_share": 0.08}),
    "M": Guard((("stream.worlds_m", "zero_rate_promo_week"), ("stream.worlds_m", "payroll_outage")),
               {"monitor_roc": 0.70, "monitor_pr": 0.11, "user_recall": 0.25},
               {"well_behaved_flagged_share": 0.075, "well_behaved_loan_alert_share": 0.06}),
    "N": Guard((("stream.worlds_n", "school_fee_term_start"), ("stream.worlds_n", "merchant_inventory_rush")),
               {"monitor_roc": 0.78, "monitor_pr": 0.42, "user_recall": 0.33},
               {"well_behaved_flagged_share": 0.055, "well_behaved_loan_alert_share": 0.045}),
    "O": Guard((("stream.worlds_o", "fishing_moratorium"), ("stream.worlds_o", "restaurant_closures")),
               {"monitor_roc": 0.76, "monitor_pr": 0.25, "user_recall": 0.23},
               {"well_behaved_flagged_share": 0.035, "well_behaved_loan_alert_share": 0.025}),
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=sorted(GUARDS))
def guarded(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> tuple[Guard, list[dict[str, float | None]]]:
    guard = GUARDS[request.param]
    return guard, guard_numbers(tmp_path_factory, guard.runs)


def test_the_worst_lender_stays_above_its_floors(guarded: tuple[Guard, list[dict[str, float | None]]]) -> None:
    guard, numbers = guarded
    low = {}
    for name, floor in guard.floors.items():
        worst, by_world = worst_of(numbers, guard.runs, name, min)
        if worst < floor:
            low[name] = by_world
    assert not low, low


def test_alert_volume_stays_under_its_ceilings(guarded: tuple[Guard, list[dict[str, float | None]]]) -> None:
    guard, numbers = guarded
    high = {}
    for name, ceiling in guard.ceilings.items():
        worst, by_world = worst_of(numbers, guard.runs, name, max)
        if worst > ceiling:
            high[name] = by_world
    assert not high, high
