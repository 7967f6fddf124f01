"""When a shared entity alerts (stream.core.entity_alerts), what it says, and how training sets thresholds."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.entities import DAY, LATE_DAYS, EntityState, Sighting
from stream.core.entity_alerts import (
    ENTITY_SCORE_THRESHOLD, EntityThresholds, calibrate_entities, entity_score, observe, severity,
)
from tests.support import alert_validator

T0 = 1_780_000_000 // DAY * DAY
THRESHOLDS = EntityThresholds({"device": 4.0, "merchant": 5.0}, {"device": 1.0, "merchant": 2.0})


def _s(user: int, hours: float, new: bool = True, entity: str = "d-1", kind: str = "device") -> Sighting:
    return Sighting(kind, entity, f"e-{entity}-{user}-{hours}", f"u-{user}", T0 + hours * 3600, new, False)


def test_a_device_alerts_when_new_accounts_reach_the_threshold() -> None:
    state = EntityState()
    outcomes = [observe(state, _s(u, u), THRESHOLDS, "m1") for u in range(5)]
    assert [o.alert is not None for o in outcomes] == [False, False, False, True, True]
    alert = outcomes[3].alert
    assert alert["entity_type"] == "device" and alert["entity_id"] == "d-1"
    assert set(alert["users"]) == {f"u-{u}" for u in range(4)}
    assert alert["severity"] == "medium" and alert["suspicious_borrowers"] == 4 and alert["count_threshold"] == 4
    assert alert["score"] == 0.5 == alert["threshold"]  # the shared contract's score, in [0, 1]: at the threshold
    assert alert["user_id"] == "u-3" and alert["event_id"] == "e-d-1-3-3"  # what fired: the fourth new account
    assert "4 of the 4 accounts that borrowed from this device in 7 days were new accounts" in alert["reasons"][0]["text"]
    assert "normal p99 is 1" in alert["reasons"][0]["text"]
    member = outcomes[4].alert  # the standing alert holds; the fifth new account is named on its own
    assert member["member_of"] == alert["alert_id"] and member["users"] == ["u-4"] and not outcomes[4].suppressed
    again = observe(state, _s(4, 6), THRESHOLDS, "m1")  # nothing new: a repeat, counted, not sent
    assert again.suppressed and "member_of" not in again.alert


def test_established_borrowers_keep_a_busy_entity_quiet() -> None:
    """The share gate: suspicious borrowers must be at least half of the entity's borrowers."""
    state = EntityState()
    for u in range(20):
        observe(state, _s(100 + u, u * 0.1, new=False), THRESHOLDS, "m1")
    outcomes = [observe(state, _s(u, 3 + u, new=True), THRESHOLDS, "m1") for u in range(8)]
    assert not any(o.alert for o in outcomes)


def test_severity_rises_and_an_escalation_is_sent() -> None:
    state = EntityState()
    outcomes = [observe(state, _s(u, u * 0.5), THRESHOLDS, "m1") for u in range(12)]
    sent = [o.alert["severity"] for o in outcomes if o.alert and not o.suppressed and "member_of" not in o.alert]
    assert sent == ["medium", "high", "critical"]  # at 4, 8 and 12 new accounts


def test_alert_ids_do_not_depend_on_which_sighting_tipped_the_entity() -> None:
    """The stream meets a ring's sightings interleaved across partitions; a replay in file order."""
    a, b = EntityState(), EntityState()
    first = [observe(a, _s(u, u), THRESHOLDS, "m1").alert for u in range(4)][-1]
    second = [observe(b, _s(u, u), THRESHOLDS, "m2").alert for u in (3, 1, 0, 2)][-1]
    assert first["event_id"] != second["event_id"]
    assert first["alert_id"] == second["alert_id"]


def test_nothing_fires_before_active_from() -> None:
    late = EntityThresholds(THRESHOLDS.threshold, THRESHOLDS.normal_p99, active_from=T0 + 100 * 3600)
    c = EntityState()
    assert not any(observe(c, _s(u, u), late, "m1").alert for u in range(6))


def test_entity_alert_matches_the_published_schema() -> None:
    state = EntityState()
    alert = [observe(state, _s(u, u), THRESHOLDS, "m1").alert for u in range(4)][-1]
    alert_validator().validate(alert)
    for bad in ("garbage", "2026-13-01T00:00:00+00:00", "2026-06-01 09:00:00"):  # date-time formats are read
        assert not alert_validator().is_valid({**alert, "emitted_at": bad}), bad


def test_calibration_keeps_the_history_within_the_entity_budget() -> None:
    """200 shared devices of 2-3 borrowers (4 of them with 3 new accounts) and 2 farms of 6 new
    accounts: a 1 % budget (2 of 202 entities) puts the threshold above the 4 devices, below the farms."""
    history: list[tuple[Sighting, bool]] = []
    for d in range(200):
        for u in range(2 + d % 2):
            history.append((_s(1000 * d + u, u * 5, new=d % 50 == 1, entity=f"d-{d}"), True))
    for farm in range(2):
        history += [(_s(90000 + 10 * farm + u, u, entity=f"farm-{farm}"), True) for u in range(6)]
    found = calibrate_entities(sorted(history, key=lambda x: x[0].ts), active_from=T0)
    assert found.threshold["device"] == 4.0  # 3 would flag the 4 devices too: 6 > 2
    assert found.active_from == T0
    for farm in range(2, 6):  # six farms: more than MIN_ALLOWED (3) may not all alert at a budget of 0
        history += [(_s(90000 + 10 * farm + u, u, entity=f"farm-{farm}"), True) for u in range(6)]
    tight = calibrate_entities(sorted(history, key=lambda x: x[0].ts), budget=0.0)
    assert tight.threshold["device"] == 7.0  # above the farms' 6
    assert EntityThresholds.from_meta(found.to_meta()) == found


def test_the_normal_an_alert_quotes_is_the_count_its_share_gate_lets_through() -> None:
    """200 devices of two established borrowers, and an agent's tablet where 12 of 30 borrowers are new
    accounts (40 %, under the device's 50 % gate): it never could alert, so its dozen new accounts are
    not what is normal for a device that does; an alert on a farm of 4 then says normal p99 is 0."""
    history: list[tuple[Sighting, bool]] = []
    for d in range(200):
        history += [(_s(1000 * d + u, u * 5, new=False, entity=f"d-{d}"), True) for u in range(2)]
    history += [(_s(500_000 + u, u * 0.5, new=u % 5 >= 3, entity="agent"), True) for u in range(30)]
    found = calibrate_entities(sorted(history, key=lambda x: x[0].ts))
    assert found.normal_p99["device"] == 0.0  # read ungated (as before), the agent's sightings put it at 10
    state = EntityState()
    farm = [observe(state, _s(u, u), found, "m1") for u in range(4)]
    assert farm[-1].alert and "normal p99 is 0" in farm[-1].alert["reasons"][0]["text"]


def test_the_normal_an_alert_quotes_is_over_entities_not_over_a_rings_many_sightings() -> None:
    """An outside review's case: three ring devices in the history, each of 15 new accounts, made 7 %
    of the sightings; counted per sighting, the p99 "normal" was 14 and an alert at 4 read as below it."""
    history: list[tuple[Sighting, bool]] = []
    for d in range(300):
        history += [(_s(1000 * d + u, u * 5, new=False, entity=f"d-{d}"), True) for u in range(2)]
    for r in range(3):
        history += [(_s(900_000 + 100 * r + u, u * 0.2, entity=f"ring-{r}"), True) for u in range(15)]
    found = calibrate_entities(sorted(history, key=lambda x: x[0].ts))
    assert found.threshold["device"] == 4.0 and found.normal_p99["device"] == 0.0
    state = EntityState()
    farm = [observe(state, _s(u, u), found, "m1") for u in range(4)]
    assert farm[-1].alert and "4 of the 4 accounts" in farm[-1].alert["reasons"][0]["text"]
    assert "normal p99 is 0" in farm[-1].alert["reasons"][0]["text"]


def test_an_earlier_sighting_arriving_after_the_alert_does_not_repeat_it() -> None:
    state = EntityState()
    sent = [observe(state, _s(u, 10 + u), THRESHOLDS, "m1") for u in range(4)]
    late = observe(state, _s(0, 1), THRESHOLDS, "m1")  # u-0 again, earlier than the alert: nothing new
    assert sent[-1].alert and not sent[-1].suppressed
    assert late.alert and late.suppressed and late.alert["alert_id"] == sent[-1].alert["alert_id"]


def test_two_different_alerts_sent_never_share_an_id_when_earlier_sightings_come_late() -> None:
    """An outside review's case: an alert, then a ring's sightings of six days before met late (a lagging
    partition) alerting higher, then one more sighting in the first alert's week. The late alert moved the
    suppression window back, and the last sighting alerted again under the first alert's id, with another
    body: a consumer deduplicating on ``alert_id`` dropped the borrower it named."""
    from stream.core.entity_alerts import SUPPRESS_S

    week = (T0 // SUPPRESS_S + 1) * SUPPRESS_S + 2 * DAY
    state = EntityState()
    sent: dict[str, dict[str, Any]] = {}
    hours = [h / 60 for h in range(4)] + [-144 + h / 60 for h in range(4)] + [26.4]  # minutes apart
    for u, h in enumerate(hours):
        s = Sighting("device", "d-X", f"ev-{u}", f"u-{u}", week + h * 3600, True, False)
        outcome = observe(state, s, THRESHOLDS, "m1")
        if outcome.alert is not None and not outcome.suppressed:
            alert = outcome.alert
            assert sent.setdefault(alert["alert_id"], alert) is alert, f"{alert['alert_id']} sent twice"
    assert sorted(a["severity"] for a in sent.values() if "member_of" not in a) == ["high", "medium"]


def test_each_suspicious_member_is_named_once_whatever_the_order() -> None:
    """The stream meets a farm's accounts interleaved; the replay in file order.  The alerts differ in
    which sighting tipped the device, but name the same accounts, and the standing alert keeps its id."""
    def named(order: list[int]) -> tuple[set[str], list[str], set[str]]:
        state = EntityState()
        alerts = [o.alert for o in (observe(state, _s(u, u), THRESHOLDS, "m") for u in order) if o.alert]
        users = [u for a in alerts for u in a["users"]]
        return set(users), users, {a["alert_id"] for a in alerts if "member_of" not in a}
    forward, backward = named(list(range(7))), named([6, 2, 5, 0, 3, 1, 4])
    assert forward[0] == backward[0] == {f"u-{u}" for u in range(7)}
    assert sorted(forward[1]) == sorted(backward[1])  # each named once
    assert forward[2] == backward[2]


def _drew(user: int, day: float, merchant: str = "m-1") -> Sighting:
    return Sighting("merchant", merchant, f"e-{merchant}-{user}", f"u-{user}", T0 + day * DAY, False, False)


def _late(user: int, day: float, merchant: str = "m-1") -> Sighting:
    return Sighting("merchant", merchant, f"r-{merchant}-{user}", f"u-{user}", T0 + day * DAY, False, False,
                    late_days=LATE_DAYS + 10)


LATE_THRESHOLDS = EntityThresholds({"device": 4.0, "merchant": 5.0, "merchant_late": 3.0},
                                   {"device": 1.0, "merchant": 2.0, "merchant_late": 1.0})


def test_a_merchant_whose_borrowers_go_late_alerts_on_their_lateness() -> None:
    """Six ordinary-looking draws (no heavy, no new accounts: the draw criterion stays quiet), then
    three of the six borrowers 15+ days late on what they drew there weeks later."""
    state = EntityState()
    assert not any(observe(state, _drew(u, u * 0.5), LATE_THRESHOLDS, "m1").alert for u in range(6))
    outcomes = [observe(state, _late(u, 45 + u), LATE_THRESHOLDS, "m1") for u in range(3)]
    assert [o.alert is not None for o in outcomes] == [False, False, True]
    alert = outcomes[2].alert
    assert alert["fired_by"] == ["merchant_lateness"] and alert["suspicious_borrowers"] == 3
    assert alert["late_borrowers"] == 3 and alert["score"] == 0.5
    assert alert["event_id"] == "r-m-1-2" and alert["user_id"] == "u-2"
    assert alert["reasons"][0]["text"].startswith(
        f"3 of the 6 accounts that borrowed at this merchant in 14 weeks went {LATE_DAYS}+ days late")
    alert_validator().validate(alert)
    # A busy merchant with the same three late borrowers among thirty: under the share gate.
    busy = EntityState()
    for u in range(30):
        observe(busy, _drew(u, u * 0.2, "m-2"), LATE_THRESHOLDS, "m1")
    assert not any(observe(busy, _late(u, 45 + u, "m-2"), LATE_THRESHOLDS, "m1").alert for u in range(3))


def test_a_model_trained_before_the_lateness_view_never_alerts_on_it() -> None:
    old = EntityThresholds.from_meta({"threshold": {"device": 4, "merchant": 5}, "normal_p99": {"device": 1, "merchant": 2},
                                      "min_share": {"device": 0.5, "merchant": 0.3}, "suppress_s": 7 * DAY})
    state = EntityState()
    for u in range(4):
        observe(state, _drew(u, u), old, "m0")
    assert not any(observe(state, _late(u, 40 + u), old, "m0").alert for u in range(4))


def test_calibration_sets_the_lateness_threshold_from_the_history() -> None:
    """300 merchants with one late borrower of three, 3 with three late of four: the 1 % budget
    (3 of 303, MIN_ALLOWED 3) lets those three alert at the minimum of 3."""
    history: list[tuple[Sighting, bool]] = []
    for m in range(303):
        merchant = f"m-{m}"
        borrowers = 4 if m >= 300 else 3
        late = 3 if m >= 300 else 1
        history += [(_drew(1000 * m + u, u * 0.1, merchant), True) for u in range(borrowers)]
        history += [(_late(1000 * m + u, 50 + u, merchant), True) for u in range(late)]
    found = calibrate_entities(sorted(history, key=lambda x: x[0].ts))
    assert found.threshold["merchant_late"] == 3.0 and found.min_share["merchant_late"] == 0.3
    history += [(_late(1000 * m + 1, 52, f"m-{m}"), True) for m in range(4)]  # four more at 2 late: still under 3
    history += [(_late(1000 * m + 2, 53, f"m-{m}"), True) for m in range(4)]  # now 3 late of 3: 7 would alert
    found = calibrate_entities(sorted(history, key=lambda x: x[0].ts))
    assert found.threshold["merchant_late"] == 4.0


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 11), st.floats(0, 24 * 12), st.booleans()),
                   min_size=1, max_size=60),
    threshold=st.sampled_from([1.0, 2.0, 4.0, 6.0, 15.0, 17.0, 40.0]),
)
def test_skipping_the_sketches_below_the_threshold_changes_nothing(steps, threshold) -> None:
    """``cannot_fire`` lets a device sighting skip ``view`` when its loans in the window cannot reach the
    threshold: every outcome, alert and state must be what reading the sketches gives (the brute force)."""
    thresholds = EntityThresholds({"device": threshold, "merchant": 5.0}, {"device": 1.0, "merchant": 2.0})
    stream = [_s(user, hours, new=new, entity=f"d-{entity}") for entity, user, hours, new in steps]
    now = datetime(2026, 12, 2, tzinfo=timezone.utc)

    def run() -> tuple[list[Any], dict[str, bytes]]:
        states: dict[str, EntityState] = {}
        out = []
        for s in stream:
            o = observe(states.setdefault(s.entity_id, EntityState()), s, thresholds, "m", now)
            out.append((o.duplicate, o.alert, o.suppressed))
        return out, {k: v.to_bytes() for k, v in states.items()}

    fast = run()
    with patch("stream.core.entity_alerts.cannot_fire", return_value=False):
        assert run() == fast


@given(st.floats(0, 1e4), st.floats(0, 1e4), st.floats(1, 100))
def test_an_entity_alerts_score_ranks_its_count_in_the_contracts_range(a: float, b: float, threshold: float) -> None:
    """The shared contract's ``score`` in [0, 1], as user alerts': ordered as the counts, 0.5 exactly
    at the criterion's threshold (``threshold`` of the alert), and each severity a score band."""
    low, high = sorted((a, b))
    assert 0.0 <= entity_score(low, threshold) <= entity_score(high, threshold) < 1.0
    assert entity_score(threshold, threshold) == ENTITY_SCORE_THRESHOLD
    level, score = severity(high, threshold), entity_score(high, threshold)
    if level is not None:
        assert score >= ENTITY_SCORE_THRESHOLD
    if level in ("high", "critical"):
        assert score >= 2 / 3 - 1e-12
