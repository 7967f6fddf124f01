"""Dead-letter records: an invalid message with why it was refused and where it came from.

The original bytes are kept unchanged (base64) so a producer team can replay or
inspect exactly what they sent; the record is therefore as sensitive as the
input topic itself and should carry the same access controls.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import orjson

from stream.contract import CONTRACT_VERSION, InvalidEvent


def dlq_record(
    raw: bytes, key: bytes | None, error: InvalidEvent, topic: str, partition: int, offset: int
) -> bytes:
    """JSON bytes of the dead-letter record for one rejected message."""
    return orjson.dumps(
        {
            "reason": error.code,
            "error": error.message,
            "original_b64": base64.b64encode(raw).decode(),
            "key_b64": None if key is None else base64.b64encode(key).decode(),
            "source": {"topic": topic, "partition": partition, "offset": offset},
            "contract_version": CONTRACT_VERSION,
            "rejected_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        }
    )
