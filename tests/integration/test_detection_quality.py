"""Detection quality guard: a smaller, fast version of the README benchmark.

Train on one simulated history, score a held-out simulation (different seed and
users) whose injected episodes overlap its last 14 days, and hold the monitor
to floors a little below the full benchmark's numbers, so a change that makes
detection worse fails here instead of silently shipping.  Also checks that the
per-alert attribution points at each typology's actual cause.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from models.explain import attribute
from models.model import EVENT_FEATURES, RiskModel
from models.train import train
from stream.core.contract import parse_document
from stream.core.pipeline import Outcome, process
from stream.core.rules import RuleConfig
from stream.sim import SimConfig, generate

DAY = 86400
TEST_DAYS, WINDOW_DAYS, FESTIVAL = 74, 14, 66

#: Features that express each typology's cause (what a reviewer should see first).
CAUSES = {
    "loan_stacking": {"loans_1h", "loans_24h", "distinct_channels_7d", "distinct_products_7d",
                      "amount_1h_over_limit", "amount_24h_over_limit"},
    "account_takeover": {"recent_device", "unseen_device", "night_hour", "hour_unusual", "new_channel",
                         "amount_1h_over_limit", "amount_over_limit"},
    "student_overborrowing": {"amount_7d_over_limit", "amount_30d_over_limit", "loans_7d", "loans_30d",
                              "utilisation", "amount_over_limit", "loans_30d_rel_segment", "amount_24h_over_limit"},
    "limit_jump_drain": {"log_limit_change", "amount_24h_over_limit", "amount_over_limit", "amount_1h_over_limit"},
    "borrow_to_repay": {"rollover_chain", "rollover_growth"},
    "overdue_escalation": {"late_streak", "late_last", "late_max_90d", "late_ewm", "utilisation", "loans_30d",
                           "overdue_days", "overdue_loans", "late_rising",
                           "loans_7d", "amount_30d_over_limit", "loans_30d_rel_segment", "log_hours_since_prev_loan",
                           "short_loans_30d"},
}


#: Event recall per scenario, a little below what this run measured when written
#: (17-109 events each): account takeover 0.92, borrow-to-repay 0.94, limit jump
#: 0.82, stacking 0.82, overdue escalation 0.84 (0.75 without its short-loan
#: clause), student 0.96.  The README bar is 0.70 for each.
EVENT_RECALL_FLOORS = {"account_takeover": 0.85, "borrow_to_repay": 0.88, "limit_jump_drain": 0.75,
                       "loan_stacking": 0.75, "overdue_escalation": 0.80, "student_overborrowing": 0.90}


@pytest.fixture(scope="module")
def run() -> tuple[RiskModel, list, list[dict], list[Outcome], float, float]:
    history, _ = generate(SimConfig(users=2000, days=60, seed=1, user_prefix="h"))
    model = train((parse_document(e) for e in history), seed=7)
    config = SimConfig(users=2000, days=TEST_DAYS, seed=2, user_prefix="t", anomaly_rate=0.05,
                       anomaly_start_day=TEST_DAYS - WINDOW_DAYS - 14, festival_day=FESTIVAL)
    raw, labels = generate(config)
    events = [parse_document(e) for e in raw]
    outcomes = process(model, model.rules(RuleConfig()), {}, events, suppress_window_s=6 * 3600)
    start = config.start.timestamp()
    return model, events, labels, outcomes, start, start + (TEST_DAYS - WINDOW_DAYS) * DAY


def test_ranking_and_alerts_meet_the_floors(run) -> None:
    _, events, labels, outcomes, _, window = run
    idx = [i for i, e in enumerate(events) if e.ts >= window]
    loans = [i for i in idx if events[i].event_type == "loan"]
    y = np.array([labels[i]["label"] for i in loans])
    score = np.array([outcomes[i].decision.score for i in loans])
    assert roc_auc_score(y, score) >= 0.94  # 0.970 when written
    assert average_precision_score(y, score) >= 0.80  # 0.880

    bad = {events[i].user_id: labels[i]["scenario"] for i in idx if labels[i]["label"]}
    good = {events[i].user_id for i in idx if not labels[i]["user_anomalous"]}
    flagged = {events[i].user_id for i in idx if outcomes[i].alert is not None}
    assert len(flagged & set(bad)) / len(bad) >= 0.85
    assert len(flagged & good) / len(good) <= 0.01  # 0.004
    per: dict[str, list[bool]] = defaultdict(list)
    for user, scenario in bad.items():
        per[scenario].append(user in flagged)
    assert set(per) == set(CAUSES)
    for scenario, hits in per.items():
        assert sum(hits) / len(hits) >= 0.6, (scenario, sum(hits), len(hits))
    events_hit: dict[str, list[bool]] = defaultdict(list)
    for i in idx:
        if labels[i]["label"]:
            events_hit[labels[i]["scenario"]].append(outcomes[i].alert is not None)
    for scenario, hits in events_hit.items():
        assert sum(hits) / len(hits) >= EVENT_RECALL_FLOORS[scenario], (scenario, sum(hits), len(hits))


def test_no_alert_flood_on_the_festival_day(run) -> None:
    _, events, labels, outcomes, start, window = run
    alerts, seen = Counter(), Counter()
    for i, e in enumerate(events):
        if e.ts >= window and not labels[i]["user_anomalous"]:
            day = int((e.ts - start) // DAY)
            seen[day] += 1
            alerts[day] += outcomes[i].alert is not None
    rates = {d: alerts[d] / seen[d] for d in seen}
    median = float(np.median(list(rates.values())))
    assert rates[FESTIVAL] <= 2 * max(median, 1 / seen[FESTIVAL])


def test_reasons_point_at_the_injected_cause(run) -> None:
    """The forest's top reasons name the cause where the forest reads it; where it does
    not (borrow-to-repay's rollover depth is a repayment habit, left to the rules), the
    alerts name the typology's rule."""
    model, events, labels, outcomes, _, _ = run
    names = EVENT_FEATURES["loan"]
    hits: dict[str, list[bool]] = defaultdict(list)
    for i, e in enumerate(events):
        scenario = labels[i]["scenario"]
        if e.event_type != "loan" or scenario == "normal" or outcomes[i].decision is None:
            continue
        if CAUSES[scenario] & set(names):
            weights = attribute(model.by_type["loan"].forest, outcomes[i].decision.vector[None, :])[0]
            top3 = {names[j] for j in np.argsort(-weights)[:3]}
            hits[scenario].append(bool(top3 & CAUSES[scenario]))
        elif outcomes[i].alert is not None:
            hits[scenario].append(any(r.get("rule") == scenario for r in outcomes[i].alert["reasons"]))
    assert set(hits) == set(CAUSES)
    for scenario, ok in hits.items():
        assert sum(ok) / len(ok) >= 0.6, (scenario, sum(ok), len(ok))


def test_alert_reasons_carry_value_and_normal_range(run) -> None:
    _, _, _, outcomes, _, _ = run
    alerts = [o.alert for o in outcomes if o.alert is not None]
    assert alerts
    for alert in alerts[:200]:
        features = [r for r in alert["reasons"] if "feature" in r and "source" not in r]
        drivers = [r for r in alert["reasons"] if r.get("source") == "early_warning"]
        warned = "early_warning" in alert["fired_by"]
        # the forest's three reasons unless only the early warning fired; its drivers when it fired
        assert len(features) == (0 if warned and "model" not in alert["fired_by"] else 3)
        assert (1 <= len(drivers) <= 3) == warned == any("early_warning" in r for r in alert["reasons"])
        for r in features + drivers:
            assert {"value", "normal_p50", "normal_p99", "text"} <= set(r)
        rules = [r["rule"] for r in alert["reasons"] if "rule" in r]
        assert rules == alert["rules"]
