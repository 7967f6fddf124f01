"""``bench/early_warning_quality.py`` measures the monitor as ``riskmon score`` runs it."""

from __future__ import annotations

from stream.core.entity_alerts import EntityThresholds
from stream.core.rules import RULE_IDS, RuleConfig
from tests.bench.scripts import load
from tests.core.test_model_surge import AllFarOut, forty_borrowers_loans

ewq = load("early_warning_quality")


class AllFarOutNoRules(AllFarOut):
    """Every loan in the history's top 1 % (``AllFarOut``), scored with every rule off, as a replay asks."""

    entity_thresholds = EntityThresholds()

    def rules(self, configured: RuleConfig) -> RuleConfig:
        return RuleConfig.from_dict({"disabled": list(RULE_IDS)}, "no rules")


def test_the_bench_replays_with_the_storm_watch_so_a_surge_discounts_its_combined_score() -> None:
    """Until stop 52 the bench scored without the watch: forty borrowers far out all kept 0.995."""
    out = ewq.replayed(AllFarOutNoRules(), forty_borrowers_loans())
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
