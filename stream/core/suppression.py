"""Suppression: one alert per episode, not one per event.

A user's alert repeats their previous one when it has the same sources (model
and rule ids) within ``window_s`` of event time, at no higher severity.  One
misbehaving user then produces one alert per episode (plus escalations), so
on-call and downstream queues are not flooded.  Event time (not wall time)
keeps the decision identical in the stream and in an offline replay.

The decision (``repeats_last_alert``) reads the user's state; remembering a sent
alert (``remember_alert``) is a separate, explicit write.
"""

from __future__ import annotations

from typing import Any

from stream.core.features import UserState, id_hash
from stream.core.scoring import SEVERITIES


def _fingerprint(alert: dict[str, Any]) -> tuple[int, int]:
    return id_hash(",".join(alert["fired_by"])), SEVERITIES.index(alert["severity"])


def repeats_last_alert(state: UserState, alert: dict[str, Any], event_ts: float, window_s: float) -> bool:
    """Whether ``alert`` repeats the last alert remembered in ``state`` (and so is counted, not sent)."""
    key, rank = _fingerprint(alert)
    return (
        window_s > 0
        and key == state.alert_key
        and 0 <= event_ts - state.alert_ts < window_s
        and rank <= state.alert_rank
    )


def remember_alert(state: UserState, alert: dict[str, Any], event_ts: float) -> None:
    """Make ``alert`` the one later alerts of the user are compared with."""
    state.alert_key, state.alert_rank = _fingerprint(alert)
    state.alert_ts = event_ts
