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
