"""The anomaly model's reach in users (models.train.UserCap, MODEL_USER_SHARE): its threshold is
raised until it alone flags at most its share of the history's last fortnight's users."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.train import UserCap, train
from stream.core.contract import parse_document
from stream.offline.replay import Replay
from stream.offline.train import user_cap_lines
from stream.settings import Settings
from tests.models.test_warm_fit import history_docs


def _flagged_brute_force(scores, ruled, recent, users, threshold) -> int:
    """Users active in the fortnight, hit by no rule there, with a row there at or above ``threshold``."""
    out = 0
    for u in set(users[recent].tolist()):
        mine = recent & (users == u)
        if (ruled & mine).any():
            continue
        out += bool((scores[mine & ~ruled] >= threshold).any())
    return out


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(5, 300), st.floats(0.0, 0.3), st.floats(0.0, 1.0))
def test_the_cap_holds_and_raises_no_further_than_it_must(seed: int, n: int, share: float, budget: float) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.choice(rng.uniform(size=max(n // 3, 1)), size=n)  # ties, as isotonic steps make them
    users = rng.integers(0, max(n // 4, 1), size=n).astype(str)
    ruled, recent = rng.uniform(size=n) < 0.1, rng.uniform(size=n) < 0.6
    cap = UserCap.of(scores, ruled, recent, users, share)
    active = len(set(users[recent].tolist()))
    t = cap.threshold(budget)
    assert t >= budget
    assert cap.flagged(t) == _flagged_brute_force(scores, ruled, recent, users, t)
    if t > budget:
        assert cap.flagged(t) <= share * active
        lower = cap.best[cap.best < t]  # one step lower would flag more than the cap allows
        assert len(lower) and _flagged_brute_force(scores, ruled, recent, users, lower.max()) > share * active
    else:
        assert share <= 0 or cap.flagged(budget) <= share * active


def test_users_a_rule_already_flags_do_not_count() -> None:
    scores = np.array([0.9, 0.8, 0.95, 0.1])
    users = np.array(["a", "a", "b", "c"])
    ruled = np.array([False, True, False, False])
    cap = UserCap.of(scores, ruled, np.ones(4, bool), users, 0.5)
    assert cap.active == 3 and cap.flagged(0.5) == 1  # b; a is the rule's already
    assert cap.threshold(0.5) == 0.5  # one of three is within half


def test_training_caps_a_frequent_borrowers_history_and_says_so() -> None:
    """Loans every three days: at a 5 % budget the model alone would flag a quarter of the users."""
    events = [parse_document(d) for d in history_docs(seed=5)]
    options = dict(alert_rate=0.05, outcomes=None, core_forest=False, calibrate_rules=False)
    free_model, capped_model = train(events, model_user_share=0.0, **options), train(events, **options)
    free = free_model.meta["model_user_cap"]["loan"]
    capped = capped_model.meta["model_user_cap"]["loan"]
    assert free["threshold"] == free["budget_threshold"]
    assert free["users_at_budget"] > 0.05 * free["active_users"]  # the cap has something to do
    assert capped["threshold"] > capped["budget_threshold"] == free["budget_threshold"]
    assert capped["users"] <= 0.05 * capped["active_users"] < capped["users_at_budget"]
    assert capped_model.by_type["loan"].threshold == capped["threshold"]
    # Severity still escalates above the raised threshold: a tenth of the budget's quantile lay under
    # it, so every model alert was "high" and no alert "low" (an outside review).
    for model in (free_model, capped_model):
        tm = model.by_type["loan"]
        assert tm.high_threshold > tm.threshold, (tm.threshold, tm.high_threshold)
        replay = Replay.of(Settings(rule_storm_factor=0, suppress_window_s=0), model)
        warm = datetime.fromisoformat(model.meta["budget_from"]).timestamp()  # where the budget was set
        model_only = [o.decision.severity for o, _ in replay.run(events) if o.decision is not None and o.event.ts >= warm
                      and o.event.event_type == "loan" and o.decision.alert and not o.decision.rule_hits
                      and not o.decision.early_warning_fired]
        assert len(model_only) >= 20 and "low" in model_only, model_only
        assert model_only.count("high") <= len(model_only) / 4, model_only
    # riskmon train's line says what the cap did, and nothing when it did nothing
    assert "raised to" in user_cap_lines(capped_model)[0] and "raised" not in user_cap_lines(free_model)[0]
    assert user_cap_lines(capped_model)[0].startswith("loan model in users: at the budget's threshold")
