"""Event-time policy: which event times the monitor believes.

An event's ``ts`` moves its user's clock: the rolling windows advance to it and
never move back.  One loan dated 2200 would push a user's windows two centuries
ahead and blind the monitor to everything the user does afterwards; one dated
1990 opens a loan "overdue for 36 years".  Both are valid under the contract, so
the monitor judges each event's time against the stream's own time and refuses
(dead-letters, with the reason and original bytes) what lies far outside it:

* ``future_ts``: more than ``future_tolerance_s`` ahead of stream time.  Nothing
  can happen after the moment it is published; the tolerance absorbs clock skew
  between the lending system and the Kafka producer (1 h by default, like Kafka
  4's broker limit on record timestamps, ``log.message.timestamp.after.max.ms``).
* ``stale_ts``: more than ``stale_tolerance_s`` behind stream time.  The default,
  90 days, is the longest feature window: an older event can no longer be
  counted in any window, yet it would still open a long-overdue loan or make a
  new account look old.  0 turns the check off (for deliberate backfills).

*Stream time* is, in the worker, the Kafka record's timestamp (the producer's
CreateTime, i.e. when the event was sent, or the broker's LogAppendTime), and
the wall clock for a record without one.  Offline (``riskmon score`` and
``riskmon train``) it is the replay's own time: the span of the file's event
times, leaving out a few outliers at either end (at most 0.1 % of the events,
or one in a file of fewer than 1,000, and only those more than a week away
from all the rest: the last event of a three-event file eight days after the
others is left out, as a future_ts), so a handful of
skewed events cannot stretch it while an ordinary file loses nothing, in any
order (by time or by user).  On a stream whose producers send events as they
happen the two agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from stream.core.contract import Event

#: Reason codes of refused event times (dead-letter ``reason`` and metric label).
FUTURE_TS = "future_ts"
STALE_TS = "stale_ts"

#: At most this share of a replayed file's times may be outliers at either end ...
REPLAY_TRIM = 0.001
#: ... and only those further than this from the rest of the file's times.
REPLAY_GAP_S = 7 * 86400.0


@dataclass(frozen=True, slots=True)
class TimePolicy:
    """Tolerances around stream time; 0 disables a side."""

    future_tolerance_s: float = 3600.0
    stale_tolerance_s: float = 90 * 86400.0

    def verdict(self, ts: float, earliest: float, latest: float) -> tuple[str, str] | None:
        """None when ``ts`` is believable against a stream time between ``earliest`` and ``latest``,
        else (reason code, message for the dead-letter record)."""
        if self.future_tolerance_s > 0 and ts > latest + self.future_tolerance_s:
            ahead = (ts - latest) / 3600.0
            return FUTURE_TS, (
                f"field 'ts': {ahead:,.1f} h ahead of stream time (tolerance {self.future_tolerance_s / 3600:g} h); "
                "check the producer's clock and time zone"
            )
        if self.stale_tolerance_s > 0 and ts < earliest - self.stale_tolerance_s:
            behind = (earliest - ts) / 86400.0
            return STALE_TS, (
                f"field 'ts': {behind:,.1f} days behind stream time (tolerance {self.stale_tolerance_s / 86400:g} days); "
                "replay old history offline (riskmon train/score) or raise stale_tolerance_s"
            )
        return None


def replay_span(times: Sequence[float], trim: float = REPLAY_TRIM, gap_s: float = REPLAY_GAP_S) -> tuple[float, float]:
    """Stream time of an offline replay: (earliest, latest) of its event times without its outliers.

    An outlier is among the ``trim`` share of times at either end and lies
    beyond a gap of more than ``gap_s`` with no event in it: a loan dated 2200
    in a file of 2026, not the last quiet night of a sparse file.
    """
    if not times:
        return 0.0, 0.0
    t = sorted(times)
    n = len(t)
    cut = max(1, math.floor(n * trim))
    lo, hi = 0, n - 1
    for j in range(min(cut, n - 1)):  # the lowest times: keep the highest gap among them
        if t[j + 1] - t[j] > gap_s:
            lo = j + 1
    for j in range(n - 1, max(0, n - 1 - cut), -1):  # the highest times: keep the lowest gap among them
        if t[j] - t[j - 1] > gap_s:
            hi = j - 1
    return t[lo], t[max(lo, hi)]


def admit_replay(events: Sequence[Event], policy: TimePolicy) -> tuple[list[Event], list[tuple[Event, str, str]]]:
    """Split an offline replay's events into (believed, refused as (event, reason, message)), in order."""
    earliest, latest = replay_span([e.ts for e in events])
    believed: list[Event] = []
    refused: list[tuple[Event, str, str]] = []
    for event in events:
        verdict = policy.verdict(event.ts, earliest, latest)
        if verdict is None:
            believed.append(event)
        else:
            refused.append((event, *verdict))
    return believed, refused
