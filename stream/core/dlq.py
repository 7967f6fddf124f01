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
#: Longest key kept whole, in the record and as the record's own key: the original's key is
#: bounded only by the input's message size, and a dead letter that does not fit stops the
#: worker at every restart (docs/reliability.md, finding 22).
MAX_KEY_BYTES = 4 * 1024

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
    So is its key, beyond ``MAX_KEY_BYTES`` (``key_truncated``, ``key_size``).
    """
    kept = raw if len(raw) <= keep_bytes else raw[:keep_bytes]
    short_key = dlq_key(key)
    return orjson.dumps(
        {
            "reason": error.code,
            "error": error.message,
            "original_b64": base64.b64encode(kept).decode(),
            "original_size": len(raw),
            "original_sha256": hashlib.sha256(raw).hexdigest(),
            "truncated": len(kept) < len(raw),
            "key_b64": None if short_key is None else base64.b64encode(short_key).decode(),
            "key_truncated": key is not None and len(key) > MAX_KEY_BYTES,
            "key_size": None if key is None else len(key),
            "source": {"topic": topic, "partition": partition, "offset": offset},
            "contract_version": CONTRACT_VERSION,
            "rejected_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        }
    )


def dlq_key(key: bytes | None) -> bytes | None:
    """The key a dead letter is sent with and keeps: the original's, cut to ``MAX_KEY_BYTES``."""
    return None if key is None else key[:MAX_KEY_BYTES]
