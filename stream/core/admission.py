"""What the worker does with one Kafka message before any state is touched.

Pure: a message's key, value, headers and record timestamp in, one verdict out.

* ``Refused``: it goes to the dead-letter topic with the reason (an undecodable
  record batch, a null value, a contract violation, or an event time far from
  stream time, see ``stream.core.event_time``).
* ``Rekey``: a valid event without a key, keyed by something else, or on
  another partition than its key's; it is sent on to its user's partition and
  scored there (``stream.core.routing``).
* ``Admitted``: a valid event on its user's partition, to be scored.

The order of the checks matters: a mis-keyed event is re-keyed before its time
is judged, because its copy is judged on arrival (with the original record
timestamp), and judging twice would count a refusal twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from stream.core.contract import Event, InvalidEvent, parse_event
from stream.core.event_time import TimePolicy
from stream.core.routing import header_items, rekey_reason

#: Header of the placeholder record that stands for a record batch the client
#: could not decode (``stream.worker.faust_fixes``, fix 7).
UNDECODABLE_HEADER = "riskmon-undecodable-batch"


@dataclass(frozen=True, slots=True)
class Admitted:
    event: Event


@dataclass(frozen=True, slots=True)
class Refused:
    error: InvalidEvent


@dataclass(frozen=True, slots=True)
class Rekey:
    event: Event
    reason: str


Verdict = Union[Admitted, Refused, Rekey]


def undecodable_batch(headers: Any) -> str | None:
    """The error text of an undecodable-batch placeholder record, None for an ordinary record."""
    for name, value in header_items(headers):
        if name == UNDECODABLE_HEADER:
            return bytes(value or b"").decode("utf-8", "replace")  # a header's value may be null
    return None


@dataclass(frozen=True, slots=True)
class Admission:
    """What the verdicts depend on besides the message itself."""

    policy: TimePolicy
    max_bytes: int
    partitions: int  # of the input topic
    partitioner: str  # the producers' hash for keyed messages (stream.core.routing)


def admit(
    key: bytes | None,
    value: bytes | None,
    headers: Any,
    partition: int,
    record_ts: float | None,
    now: float,
    admission: Admission,
) -> Verdict:
    """The verdict on one message found on ``partition``; ``record_ts`` is its Kafka timestamp
    in seconds (None or <= 0: unknown)."""
    broken = undecodable_batch(headers)
    if broken is not None:
        return Refused(InvalidEvent(
            "undecodable_batch",
            f"a record batch the monitor could not decode ({broken}); its messages are still in the topic, "
            "read them with a client that has the codec",
        ))
    if value is None:
        return Refused(InvalidEvent("null_value", "message value is null (a tombstone): the input topic takes events only"))
    try:
        event = parse_event(value, max_bytes=admission.max_bytes)
    except InvalidEvent as exc:
        return Refused(exc)
    reason = rekey_reason(key, event.user_id, partition, admission.partitions, admission.partitioner)
    if reason is not None:
        return Rekey(event, reason)
    stream_time = record_ts if record_ts is not None and record_ts > 0 else now
    verdict = admission.policy.verdict(event.ts, stream_time, stream_time)
    if verdict is not None:
        return Refused(InvalidEvent(*verdict))
    return Admitted(event)
