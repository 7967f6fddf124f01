"""Dead-letter records: an invalid message with why it was refused and where it came from.

The original bytes are kept unchanged (base64) so a producer team can replay or
inspect exactly what they sent; the record is therefore as sensitive as the
input topic itself and should carry the same access controls.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone

import orjson

from stream.core.contract import CONTRACT_VERSION, InvalidEvent


#: Longest original kept whole: its base64 (4/3) plus the record must stay under
#: the producer's 1 MiB request limit, or the DLQ write itself would fail.
MAX_ORIGINAL_BYTES = 700 * 1024

#: DLQ reason for a valid event the monitor itself failed on (kept apart from the
#: contract's rejection codes: the producer did nothing wrong).
PROCESSING_ERROR = "processing_error"


def dlq_record(
    raw: bytes,
    key: bytes | None,
    error: InvalidEvent,
    topic: str,
    partition: int,
    offset: int,
    keep_bytes: int = MAX_ORIGINAL_BYTES,
) -> bytes:
    """JSON bytes of the dead-letter record for one rejected message.

    The original is kept unchanged, unless it is over ``keep_bytes``: then only
    its first ``keep_bytes`` are kept (with its size and sha256), since a base64
    copy of a message near the broker's limit would not fit in a DLQ message.
    """
    kept = raw if len(raw) <= keep_bytes else raw[:keep_bytes]
    return orjson.dumps(
        {
            "reason": error.code,
            "error": error.message,
            "original_b64": base64.b64encode(kept).decode(),
            "original_size": len(raw),
            "original_sha256": hashlib.sha256(raw).hexdigest(),
            "truncated": len(kept) < len(raw),
            "key_b64": None if key is None else base64.b64encode(key).decode(),
            "source": {"topic": topic, "partition": partition, "offset": offset},
            "contract_version": CONTRACT_VERSION,
            "rejected_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        }
    )
