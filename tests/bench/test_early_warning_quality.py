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
    """300 outcomes a day at 1 % predicted: on time for thirty days, then a third of them bad.  A
    window takes its week's bad outcomes with the good ones of the week 15 days before, as the alert."""
    day = ewq.DAY
    realised = [(d * day + i, _realised(0.01, d >= 30 and i % 3 == 0)) for d in range(40) for i in range(300)]
    drift = ewq.watch_drift(realised, start=0.0, end=40 * day)
    assert drift["realised"] == 12000 and drift["bad"] == 1000
    assert drift["alert_day"] == 33  # 300 bad on days 30-32 with 2,100 good of days 11-17: 0.115 off
    assert drift["worst_window_ece"] > 0.2  # 700 bad of days 30-36 with 2,100 good: 0.24 off
    quiet = ewq.watch_drift(realised, start=0.0, end=30 * day)
    assert quiet["alert_day"] is None and quiet["worst_window_ece"] < 0.011


def test_a_waves_good_first_payments_before_its_bad_loans_do_not_alert() -> None:
    """A calibrated book (300 a day at 1 %, 3 bad) and a wave of 3,000 loans at 0.3: 2,100 good first
    payments on day 20, 900 bad loans realised on day 35, 15 days past due.  Taken as they arrive, the
    weeks after day 20 read all good and those after day 35 all bad; matched 15 days apart, they agree."""
    day = ewq.DAY
    book = [(d * day + i, _realised(0.01, i < 3)) for d in range(40) for i in range(300)]
    wave = ([(20 * day + 400 + i, _realised(0.3, False)) for i in range(2100)]
            + [(35 * day + 400 + i, _realised(0.3, True)) for i in range(900)])
    aligned = ewq.watch_drift(book + wave, start=15 * day, end=40 * day)  # windows from day 22: a full lag behind
    assert aligned["alert_day"] is None and aligned["worst_window_ece"] < 0.01
    as_they_arrive = ewq.watch_drift(book + wave, start=15 * day, end=40 * day, good_lag_days=0)
    assert as_they_arrive["alert_day"] == 7 and as_they_arrive["worst_window_ece"] > 0.1  # day 22


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
