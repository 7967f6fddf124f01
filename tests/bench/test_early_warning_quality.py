"""``bench/early_warning_quality.py`` measures the monitor as ``riskmon score`` runs it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from stream.core.contract import Event, parse_document
from stream.core.entity_alerts import EntityThresholds
from stream.core.outcome_watch import Realised, bucket_of
from stream.core.rules import RULE_IDS, RuleConfig
from tests.bench.scripts import load
from tests.core.stub_model import EarlyWarningModel
from tests.core.test_model_surge import AllFarOut, forty_borrowers_loans
from tests.support import loan_doc

ewq = load("early_warning_quality")


class AllFarOutNoRules(AllFarOut):
    """Every loan in the history's top 1 % (``AllFarOut``), scored with every rule off, as a replay asks."""

    entity_thresholds = EntityThresholds()

    def rules(self, configured: RuleConfig) -> RuleConfig:
        return RuleConfig.from_dict({"disabled": list(RULE_IDS)}, "no rules")


def test_the_bench_replays_with_the_storm_watch_so_a_surge_discounts_its_combined_score() -> None:
    """Until stop 52 the bench scored without the watch: forty borrowers far out all kept 0.995."""
    out, _ = ewq.replayed(AllFarOutNoRules(), forty_borrowers_loans())
    first, last = out[0].decision, out[-1].decision
    assert first is not None and last is not None
    assert (first.surge, first.score) == (1.0, 0.995)
    assert last.surge > 1.0 and last.score < last.model_score == 0.995


def test_realised_outcomes_after_the_cut_need_a_test_window_longer_than_the_grace() -> None:
    """A loan matures 15 days after its first due date: 14 days after the cut hold none, 45 days some."""
    short = ewq.run_world("baseline", 1, users=300, history_days=30, test_days=14)
    long = ewq.run_world("baseline", 1, users=300, history_days=30, test_days=45)
    assert short["realised_outcomes"]["loans"] == 0
    assert long["realised_outcomes"]["loans"] > 0  # 9 of the 300 users' loans after the cut
    assert 0 <= long["realised_outcomes"]["bad"] < long["realised_outcomes"]["loans"]


def _realised(probability: float, bad: bool) -> Realised:
    return Realised(bucket_of(probability), "no_alert", probability, bad)


def test_the_watchs_calibration_error_is_the_alerts_per_bucket_gap_over_all_outcomes() -> None:
    """Two buckets: 0.05 x 100 predicts 5 bad and 5 came (gap 0); 0.3 x 100 predicts 30, 10 came (gap 20)."""
    outcomes = ([_realised(0.05, i < 5) for i in range(100)] + [_realised(0.3, i < 10) for i in range(100)])
    assert abs(ewq.watch_ece(outcomes) - 20 / 200) < 1e-12


def test_the_watch_finds_the_first_week_whose_outcomes_drift_past_the_alerts_line() -> None:
    """300 outcomes a day at 1 % predicted: on time for ten days, then a third of them bad."""
    day = ewq.DAY
    realised = [(d * day + i, _realised(0.01, d >= 10 and i % 3 == 0)) for d in range(20) for i in range(300)]
    drift = ewq.watch_drift(realised, start=0.0, end=20 * day)
    assert drift["realised"] == 6000 and drift["bad"] == 1000
    assert drift["alert_day"] == 13  # days 6-12, three at a third bad: 1/7 bad against 0.01 predicted
    assert drift["worst_window_ece"] > 0.3
    quiet = ewq.watch_drift(realised, start=0.0, end=10 * day)
    assert quiet["alert_day"] is None and quiet["worst_window_ece"] < 0.011


def test_a_week_with_too_few_outcomes_never_alerts() -> None:
    realised = [(float(i), _realised(0.01, True)) for i in range(150)]
    drift = ewq.watch_drift(realised, start=0.0, end=10 * ewq.DAY)
    assert drift["ece"] > 0.9 and drift["worst_window_ece"] is None and drift["alert_day"] is None


def test_the_bench_watch_sweeps_quiet_borrowers_once_a_day_as_the_worker_sweeps_them() -> None:
    """Borrower q's loan (probability 0.7) falls due on day 7 and q sends nothing more; another
    borrower borrows every day, due long after.  With the quiet sweep the watch realises q's loan bad at the last
    event of day 22, the first day whose events reach its line; without it, never."""
    t0 = datetime(2026, 3, 2, tzinfo=timezone.utc)

    def loan(user: str, n: int, day: float, amount: float, term: int = 7) -> Event:
        return parse_document(loan_doc(user, n, t0 + timedelta(days=day), amount, term))

    events = [loan("q", 0, 0, 700)] + [loan("busy", n, n + 0.5, 10, term=90) for n in range(40)]
    _, swept = ewq.replayed(EarlyWarningModel(), events)
    assert [(ts, r.probability, r.bad) for ts, r in swept] == [(events[23].ts, 0.7, True)]
    assert ewq.replayed(EarlyWarningModel(), events, quiet_sweep=False)[1] == []


def test_the_bench_reports_the_share_of_scored_and_alerted_loans_the_watch_cannot_follow() -> None:
    def loan(untracked: bool, fired: bool) -> SimpleNamespace:
        return SimpleNamespace(untracked=untracked, decision=SimpleNamespace(early_warning_fired=fired))

    loans = [loan(False, False)] * 6 + [loan(True, False)] * 2 + [loan(True, True), loan(False, True)]
    assert ewq.untracked(loans) == {"untracked_share": 0.3, "untracked_alerted_share": 0.5}
    assert ewq.untracked([]) == {"untracked_share": None, "untracked_alerted_share": None}
