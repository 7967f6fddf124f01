"""Rule calibration (models.calibrate) on hand-made histories, through training and the artefact,
and the one way every scoring path picks the rules in force (``RiskModel.rules``)."""

from __future__ import annotations

import json

import pytest

from models.calibrate import EVERY, KEPT, LADDER, MIN_USERS, ONCE, SWITCHED_OFF, TIGHTENED, USER_COUNTS, Calibration, calibrate
from stream.core.features import LOAN_FEATURES, REPAYMENT_FEATURES, FeatureRow
from stream.core.rules import RULE_IDS, STUDENT, RuleConfig, evaluate_rules, tightened

BUDGET = 0.01

#: Feature values that make one rule fire as configured (and at which ladder steps).
STACKING_AT_1 = dict(loans_24h=5, distinct_products_7d=3)  # 5 >= 5, 3 >= 3; at x1.25 needs 7 and 4
STACKING_UP_TO_2 = dict(loans_24h=10, distinct_products_7d=6)  # fires up to x2 (10, 6); not at x3 (15, 9)
TAKEOVER = dict(recent_device=1, night_hour=1, amount_1h_over_limit=0.7)  # fires as configured; x1.25 needs 0.75
STUDENT_ALWAYS = dict(segment_code=STUDENT, loans_30d=500, amount_30d_over_limit=500, distinct_products_7d=50)
LATE_SHORT = dict(short_loans_30d=4)  # with a late repayment: overdue_escalation; at x1.25 needs 5 loans


def _row(event_type: str, **values: float) -> FeatureRow:
    names = LOAN_FEATURES if event_type == "loan" else REPAYMENT_FEATURES
    assert not set(values) - set(names), set(values) - set(names)
    return FeatureRow(event_type, tuple(float(values.get(n, 0.0)) for n in names))


def _history(loans: int = 4000, repayments: int = 4000, **hot: tuple[int, dict]) -> list[tuple[str, str, FeatureRow]]:
    """``loans`` loan rows and ``repayments`` repayment rows, one user each (so reach = hit rate);
    ``hot[name] = (n, values)`` makes the first ``n`` loan rows after the previous group carry ``values``."""
    rows = []
    special = [values for n, values in hot.values() for _ in range(n)]
    for i in range(loans):
        rows.append((f"u{i}", "loan", _row("loan", **(special[i] if i < len(special) else {}))))
    for i in range(repayments):
        rows.append((f"r{i}", "repayment", _row("repayment", days_late=1)))
    return rows


def _outcome(calibration: Calibration, rule: str):
    return next(o for o in calibration.outcomes if o.rule == rule)


def test_a_hot_rule_is_tightened_to_the_first_step_within_its_share() -> None:
    # loan_stacking fires on 10 % of the loans as configured; 0.3 % keep firing up to x2.
    history = _history(stack=(388, STACKING_AT_1), strong=(12, STACKING_UP_TO_2))
    cal = calibrate(history, RuleConfig(), BUDGET)
    stacking = _outcome(cal, "loan_stacking")
    assert stacking.before["loan"].hit_rate == pytest.approx(0.10)
    assert (stacking.action, stacking.factor, stacking.label) == (TIGHTENED, 1.25, "tightened x1.25")
    assert stacking.after["loan"].hit_rate == pytest.approx(0.003)
    assert stacking.after["loan"].reach <= cal.rule_share * BUDGET
    assert cal.effective == tightened(RuleConfig(), "loan_stacking", 1.25)
    # What the model keeps is what fires: the tightened config hits exactly the strong rows.
    assert sum(bool(evaluate_rules(r, cal.effective)) for _, t, r in history if t == "loan") == 12
    assert cal.applied and cal.over_budget() == []


def test_a_cool_rule_is_left_as_configured() -> None:
    cal = calibrate(_history(takeover=(12, TAKEOVER)), RuleConfig(), BUDGET)
    takeover = _outcome(cal, "account_takeover")
    assert (takeover.action, takeover.factor) == (KEPT, 1.0)
    assert takeover.before == takeover.after and takeover.after["loan"].hits == 12
    assert cal.effective == RuleConfig()
    assert "within its share" in takeover.why


def test_a_rule_no_step_brings_within_its_share_is_switched_off() -> None:
    cal = calibrate(_history(student=(200, STUDENT_ALWAYS), takeover=(12, TAKEOVER)), RuleConfig(), BUDGET)
    student = _outcome(cal, "student_overborrowing")
    assert student.action == SWITCHED_OFF and f"x{LADDER[-1]:g}" in student.why
    assert cal.effective.disabled == ("student_overborrowing",)
    assert student.after["loan"].hits == 0 and student.before["loan"].hits == 200
    row = _row("loan", **STUDENT_ALWAYS)
    assert [h.rule for h in evaluate_rules(row, RuleConfig())] == ["student_overborrowing"]
    assert evaluate_rules(row, cal.effective) == []
    assert _outcome(cal, "account_takeover").action == KEPT  # the others stay


def test_rules_together_over_their_share_tighten_the_hottest_first() -> None:
    # Each within its share (0.5 %), together 1.2 %: over a cap at the budget (1 %), not over the default
    # (twice the budget: the history holds the misbehaving users the rules exist for).
    history = _history(stack=(18, STACKING_AT_1), takeover=(16, TAKEOVER), late=(14, dict(**LATE_SHORT, late_last=1)))
    default = calibrate(history, RuleConfig(), BUDGET)
    assert {_outcome(default, r).action for r in ("loan_stacking", "account_takeover", "overdue_escalation")} == {KEPT}
    cal = calibrate(history, RuleConfig(), BUDGET, rules_share=1.0)
    assert [_outcome(cal, r).action for r in ("loan_stacking", "account_takeover", "overdue_escalation")] == [
        TIGHTENED, KEPT, KEPT]
    assert "hottest" in _outcome(cal, "loan_stacking").why
    assert dict(cal.together)["loan"].reach == pytest.approx(30 / 4000)
    assert dict(cal.together)["loan"].reach <= cal.rules_share * BUDGET


def _few_users_history(users: int, loans: int) -> list[tuple[str, str, FeatureRow]]:
    """``users`` users with 3 stacking loans each, among ``loans`` loans."""
    rows = [(f"u{i % users}", "loan", _row("loan", **STACKING_AT_1)) for i in range(3 * users)]
    rows += [(f"v{i}", "loan", _row("loan")) for i in range(loans - 3 * users)]
    return rows + [(f"r{i}", "repayment", _row("repayment")) for i in range(100)]


def test_a_rule_reaching_a_handful_of_users_is_kept_whatever_its_share() -> None:
    # 4 users in 500 loans reach 0.8 %, over the share; 4 users are four cases, not a misread normal.
    few = _outcome(calibrate(_few_users_history(4, 500), RuleConfig(), BUDGET), "loan_stacking")
    assert few.before["loan"].users == 4 < MIN_USERS and few.before["loan"].reach > 0.5 * BUDGET
    assert few.action == KEPT and "too few users" in few.why
    # The same share from enough users is tightened.
    many = _outcome(calibrate(_few_users_history(MIN_USERS, 1250), RuleConfig(), BUDGET), "loan_stacking")
    assert many.before["loan"].reach == pytest.approx(few.before["loan"].reach) and many.action == TIGHTENED


def _frequent_borrowers(users: int, loans_each: int, hit_users: int, hits_each: int = 1
                        ) -> list[tuple[str, str, FeatureRow]]:
    """``users`` users with ``loans_each`` loans each; ``hits_each`` loans of each of the first
    ``hit_users`` are takeovers."""
    rows = [(f"u{u}", "loan", _row("loan", **(TAKEOVER if u < hit_users and k < hits_each else {})))
            for u in range(users) for k in range(loans_each)]
    return rows + [(f"r{i}", "repayment", _row("repayment")) for i in range(100)]


def test_a_rule_tripping_many_users_of_frequent_borrowers_is_tightened_though_its_events_are_few() -> None:
    # 15 of 400 users who take 10 loans each: 0.375 % of the loans (within the rule's 0.5 %),
    # but 3 % of the 500 active users, and users are what the risk team's promise counts.
    history = _frequent_borrowers(400, 10, 15)
    cal = calibrate(history, RuleConfig(), BUDGET)
    takeover = _outcome(cal, "account_takeover")
    assert takeover.before["loan"].reach == pytest.approx(0.00375)
    assert takeover.before["loan"].reach < cal.rule_share * BUDGET
    assert takeover.users_before == 15 and cal.active_users == 500
    assert cal.user_reach(takeover.users_before) == pytest.approx(0.03)
    assert (takeover.action, takeover.factor) == (TIGHTENED, 1.25) and takeover.users_after == 0
    assert "of users in the last fortnight (15 users hit once)" in takeover.why
    # Users are counted in the history's last fortnight: hits before it do not count there.
    older = calibrate(history, RuleConfig(), BUDGET, fortnight_from=150)  # the first 15 users' rows come before
    assert older.active_users == 500 - 15 and _outcome(older, "account_takeover").users_before == 0
    assert _outcome(older, "account_takeover").action == KEPT
    # A typology's users are hit again and again: the same 15 users hit 3 times each reach as
    # much, but are no misread normal (a user is counted when hit exactly once).
    repeated = calibrate(_frequent_borrowers(400, 10, 15, hits_each=3), RuleConfig(), BUDGET)
    assert _outcome(repeated, "account_takeover").before["loan"].reach == pytest.approx(0.00375)
    assert _outcome(repeated, "account_takeover").users_before == 0
    assert _outcome(repeated, "account_takeover").action == KEPT
    # ... which the training report notes, in case they are a habit of well-behaved borrowers.
    [note] = repeated.repeat_notes()
    assert note.startswith("account_takeover fires on 3.00% of the last fortnight's users (15), on 0.00% (0) exactly once")
    assert calibrate(history, RuleConfig(), BUDGET).repeat_notes() == []  # tightened: nothing to note
    # With calibration off, the excess is reported in users.
    off = calibrate(history, RuleConfig(), BUDGET, apply=False)
    assert any(p.startswith("account_takeover reaches 3.00% of the last fortnight's users") for p in off.over_budget())
    # The artefact keeps the user counts.
    assert Calibration.from_meta({"rule_calibration": cal.to_meta(), "rules": cal.effective.as_dict()}) == cal


def test_counting_every_user_tightens_a_rule_its_users_trip_again_and_again() -> None:
    # The 15 users hit 3 times each pass when users are counted once; counted every time they
    # are 3 % of the active users, over the rule's share, and the rule is tightened.
    repeated = _frequent_borrowers(400, 10, 15, hits_each=3)
    every = calibrate(repeated, RuleConfig(), BUDGET, users_counted=EVERY)
    takeover = _outcome(every, "account_takeover")
    assert (takeover.action, takeover.factor) == (TIGHTENED, 1.25)
    assert takeover.users_before == 15 and takeover.users_after == takeover.users_every_after == 0
    assert "(15 users hit)" in takeover.why and "users hit at all in the last fortnight" in every.table()
    assert every.repeat_notes() == []
    # A user hit once counts the same either way.
    once_each = _frequent_borrowers(400, 10, 15)
    assert (_outcome(calibrate(once_each, RuleConfig(), BUDGET, users_counted=EVERY), "account_takeover").users_before
            == _outcome(calibrate(once_each, RuleConfig(), BUDGET), "account_takeover").users_before == 15)
    # The artefact keeps how users were counted; a model from before counted them once.
    meta = {"rule_calibration": every.to_meta(), "rules": every.effective.as_dict()}
    assert Calibration.from_meta(meta) == every
    older = json.loads(json.dumps(meta))
    del older["rule_calibration"]["users_counted"]
    for o in older["rule_calibration"]["rules"]:
        o["users"] = o["users"][:2]
    assert Calibration.from_meta(older).users_counted == ONCE
    with pytest.raises(ValueError, match="users_counted is one of once, every"):
        calibrate(repeated, RuleConfig(), BUDGET, users_counted="twice")


def test_the_settings_offer_the_calibrations_ways_of_counting_users() -> None:
    from stream.settings import CHOICES, Settings

    assert CHOICES["rules_users_counted"] == USER_COUNTS and Settings().rules_users_counted == ONCE


def test_rules_together_tripping_too_many_users_tighten_the_one_tripping_most() -> None:
    # Two rules, each on 0.4 % of 2,500 users (within its share) but 0.8 % together, over a
    # together-limit of 0.5 % (rules_user_share 0.5 here): the one tripping more users is tightened.
    rows = [(f"u{u}", "loan", _row("loan", **(TAKEOVER if u < 12 and k == 0 else
                                                STACKING_AT_1 if 12 <= u < 22 and k == 0 else {})))
            for u in range(2500) for k in range(4)]
    cal = calibrate(rows, RuleConfig(), BUDGET, rule_share=0.5, rules_user_share=0.5)
    assert _outcome(cal, "account_takeover").action == TIGHTENED
    assert _outcome(cal, "loan_stacking").action == KEPT
    assert "of the last fortnight's users" in _outcome(cal, "account_takeover").why
    assert cal.user_reach(cal.together_users) == pytest.approx(10 / 2500)


def test_with_calibration_off_the_rules_stay_as_configured_and_the_excess_is_reported() -> None:
    history = _history(stack=(388, STACKING_AT_1), strong=(12, STACKING_UP_TO_2), student=(200, STUDENT_ALWAYS))
    cal = calibrate(history, RuleConfig(), BUDGET, apply=False)
    assert not cal.applied and cal.effective == RuleConfig()
    assert {o.rule: o.action for o in cal.outcomes} == dict.fromkeys(RULE_IDS, KEPT)
    assert cal.proposed == {"loan_stacking": "tightened x1.25", "student_overborrowing": SWITCHED_OFF}
    problems = cal.over_budget()
    assert any(p.startswith("loan_stacking reaches 10.00%") and "tightened x1.25" in p for p in problems)
    assert any(p.startswith("all rules together reach") for p in problems)
    assert "calibration OFF" in cal.table()


def test_a_rule_switched_off_in_the_configured_rules_stays_off_and_is_not_counted() -> None:
    configured = RuleConfig(disabled=("loan_stacking",))
    cal = calibrate(_history(stack=(400, STACKING_AT_1)), configured, BUDGET)
    stacking = _outcome(cal, "loan_stacking")
    assert stacking.action == SWITCHED_OFF and "configured" in stacking.why
    assert cal.effective == configured and dict(cal.together)["loan"].hits == 0


def test_the_table_names_every_rule_its_action_and_share() -> None:
    cal = calibrate(_history(stack=(388, STACKING_AT_1), strong=(12, STACKING_UP_TO_2)), RuleConfig(), BUDGET)
    table = cal.table()
    for rule in RULE_IDS:
        assert rule in table
    line = next(ln for ln in table.splitlines() if ln.startswith("loan_stacking"))
    assert "10.00%" in line and "tightened x1.25" in line and "0.30%" in line and "30%" in line


def test_expected_hit_rates_are_over_all_events_as_in_force() -> None:
    cal = calibrate(_history(stack=(388, STACKING_AT_1), strong=(12, STACKING_UP_TO_2)), RuleConfig(), BUDGET)
    assert cal.expected_hit_rate()["loan_stacking"] == pytest.approx(12 / 8000)
    assert cal.expected_hit_rate()["overdue_escalation"] == 0.0


# --------------------------------------------------------------------------- through training and the artefact


@pytest.fixture(scope="module")
def history() -> list:
    from stream.core.contract import parse_document
    from stream.sim import SimConfig, generate

    events, _ = generate(SimConfig(users=300, days=20, seed=5))
    return [parse_document(e) for e in events]


HOT = RuleConfig(stacking_loans_24h=1, stacking_products_7d=1)  # every loan is a stacking hit


def test_training_calibrates_and_the_artefact_keeps_it(history, tmp_path) -> None:
    from models.model import load, save
    from models.train import train

    model = train(history, n_estimators=20, rules=HOT)
    cal = Calibration.from_meta(model.meta)
    assert cal.applied and cal.configured == HOT and _outcome(cal, "loan_stacking").action != KEPT
    # Users are counted over the last fortnight of the warm history (here all of it: 10 warm days).
    from models.training_rows import warm_start

    warm_from = warm_start([e.ts for e in history])
    last = max(e.ts for e in history)
    assert last - warm_from < 14 * 86400
    assert cal.active_users == len({e.user_id for e in history if e.ts >= warm_from})
    assert model.rules(RuleConfig()) == cal.effective != HOT
    save(model, tmp_path / "m", hmac_key="k3y")
    loaded = load(tmp_path / "m", hmac_key="k3y")
    assert Calibration.from_meta(loaded.meta) == cal
    assert loaded.rules(RuleConfig()) == cal.effective
    assert json.loads((tmp_path / "m" / "model.json").read_text())["meta"]["rules"] == cal.effective.as_dict()
    # The worker compares the configured rules with those the model was calibrated from, not with
    # the calibrated ones it keeps: the same rules_file is no change, another one is named.
    from stream.worker.app import warn_if_trained_with_other_rules

    assert warn_if_trained_with_other_rules(loaded, HOT) == []
    assert warn_if_trained_with_other_rules(loaded, RuleConfig()) == ["stacking_loans_24h", "stacking_products_7d"]


def test_the_rules_in_force_are_the_models_unless_calibration_was_off(history) -> None:
    from models.train import train

    calibrated = train(history, n_estimators=20, rules=HOT)
    raw = train(history, n_estimators=20, rules=HOT, calibrate_rules=False)
    other = RuleConfig(stacking_loans_24h=9)
    assert calibrated.rules(other) == calibrated.rules(HOT) == Calibration.from_meta(calibrated.meta).effective
    assert raw.rules(other) is other and raw.rules(HOT) is HOT
    assert raw.meta["rules"] == HOT.as_dict() and not raw.meta["rule_calibration"]["applied"]
    # The budget follows the rules in force: the raw model leaves the forest nothing on loans.
    assert raw.by_type["loan"].threshold > calibrated.by_type["loan"].threshold


def test_a_model_from_before_calibration_scores_with_the_configured_rules(history) -> None:
    from dataclasses import replace as dc_replace

    from models.train import train

    model = train(history, n_estimators=20)
    legacy = dc_replace(model, meta={k: v for k, v in model.meta.items() if k != "rule_calibration"})
    configured = RuleConfig(stacking_loans_24h=7)
    assert legacy.rules(configured) is configured
    assert Calibration.from_meta(legacy.meta) is None


def test_a_model_with_rules_this_code_cannot_read_is_refused_at_load(history, tmp_path) -> None:
    from models.artifact import load_model, save_model
    from models.model import from_artifact, load, save, to_artifact
    from models.train import train

    save(train(history, n_estimators=20, rules=HOT), tmp_path / "m")
    arrays, meta = load_model(tmp_path / "m")
    meta["rules"]["stacking_loans_48h"] = 3
    save_model(tmp_path / "bad", arrays, meta)
    with pytest.raises(ValueError, match="stacking_loans_48h"):
        load(tmp_path / "bad")
    assert from_artifact(*to_artifact(load(tmp_path / "m"))).calibrated_rules is not None


def test_training_counts_users_over_the_warm_historys_last_fortnight() -> None:
    from stream.core.contract import parse_document
    from stream.sim import SimConfig, generate
    from models.train import train

    events, _ = generate(SimConfig(users=150, days=45, seed=11))
    history = [parse_document(e) for e in events]
    cal = Calibration.from_meta(train(history, n_estimators=10).meta)
    last = max(e.ts for e in history)
    fortnight = {e.user_id for e in history if e.ts >= last - 14 * 86400}
    assert cal.active_users == len(fortnight) < len({e.user_id for e in history})


def test_a_rule_that_would_need_more_than_twice_its_thresholds_is_switched_off() -> None:
    # 2.5 % of the loans fire up to x2 and none at x3: the ladder stops at x2 (models.calibrate, "The ladder"),
    # so the rule is switched off rather than taken to x3, where it would fire on nothing of this history.
    cal = calibrate(_history(strong=(100, STACKING_UP_TO_2)), RuleConfig(), BUDGET)
    stacking = _outcome(cal, "loan_stacking")
    assert stacking.action == SWITCHED_OFF and "still" in stacking.why and "x2" in stacking.why
    assert cal.effective.disabled == ("loan_stacking",)
    assert stacking.after["loan"].hits == 0 and stacking.before["loan"].hits == 100
