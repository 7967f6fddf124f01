"""Suppression (stream.core.suppression): a repeat of the user's last alert is counted, not sent."""

from __future__ import annotations

from stream.core.features import UserState
from stream.core.suppression import remember_alert, repeats_last_alert

WINDOW = 6 * 3600.0


def alert(severity: str = "medium", *sources: str) -> dict:
    return {"fired_by": list(sources or ("model",)), "severity": severity}


def test_the_decision_does_not_change_the_state() -> None:
    state = UserState()
    before = state.to_bytes()
    assert not repeats_last_alert(state, alert(), 1000.0, WINDOW)
    assert state.to_bytes() == before


def test_same_sources_within_the_window_at_no_higher_severity_repeat() -> None:
    state = UserState()
    remember_alert(state, alert("high"), 1000.0)
    assert repeats_last_alert(state, alert("high"), 1000.0 + WINDOW - 1, WINDOW)
    assert repeats_last_alert(state, alert("medium"), 2000.0, WINDOW)


def test_an_escalation_other_sources_or_a_later_episode_do_not_repeat() -> None:
    state = UserState()
    remember_alert(state, alert("medium"), 1000.0)
    assert not repeats_last_alert(state, alert("high"), 1500.0, WINDOW)  # escalation
    assert not repeats_last_alert(state, alert("medium", "model", "loan_stacking"), 1500.0, WINDOW)  # new evidence
    assert not repeats_last_alert(state, alert("medium"), 1000.0 + WINDOW, WINDOW)  # window over
    assert not repeats_last_alert(state, alert("medium"), 999.0, WINDOW)  # an earlier event (out of order)
    assert not repeats_last_alert(state, alert("medium"), 1500.0, 0.0)  # suppression off


def test_remembering_survives_the_state_codec() -> None:
    state = UserState()
    remember_alert(state, alert("critical", "model", "account_takeover"), 1234.0)
    again = UserState.from_bytes(state.to_bytes())
    assert repeats_last_alert(again, alert("critical", "model", "account_takeover"), 1300.0, WINDOW)
