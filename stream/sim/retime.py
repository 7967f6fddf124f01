"""Move a simulated history to the present, as a live producer fleet would send it.

The worker judges each event's time against the Kafka record's timestamp (see
``stream.core.event_time``): a producer sends an event when it happens, so its
``ts`` and the record's CreateTime are close.  The simulator's calendar is fixed
(reproducible quality numbers), so anything that publishes simulated events to
Kafka first shifts them so the newest is just before now.  The shift is whole
weeks, which keeps every event's local hour, weekday and UTC day bucket, hence
its features.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Iterable, Iterator, Sequence

WEEK_S = 7 * 86_400


def weeks_until_now(newest: float, now: float | None = None) -> int:
    """Whole weeks to add so that ``newest`` (Unix time) falls at most a week before ``now`` (wall clock)."""
    now = time.time() if now is None else now
    return int((now - newest) // WEEK_S)


def shift(events: Iterable[dict], weeks: int) -> Iterator[dict]:
    """Copies of ``events`` moved ``weeks`` later; every other field is unchanged (lazy, for live publishing)."""
    delta = timedelta(weeks=weeks)
    for event in events:
        yield {**event, "ts": (datetime.fromisoformat(event["ts"]) + delta).isoformat()}


def retime(events: Sequence[dict], now: float | None = None) -> list[dict]:
    """Copies of ``events`` moved so the newest is within the week before ``now``."""
    if not events:
        return []
    newest = max(datetime.fromisoformat(e["ts"]).timestamp() for e in events)
    return list(shift(events, weeks_until_now(newest, now)))
