"""Structured, quiet-by-default logging: one JSON object per line on stderr.

JSON lines are what log pipelines ingest without custom parsing; WARNING is the
default level so a healthy worker says nothing.  Nothing in this project logs a
user id, an event body or a secret: log what failed and what to do instead.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import orjson


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(doc).decode()


def configure_logging(level: str = "WARNING") -> None:
    """Route all logging (ours, Faust's, the Kafka clients') through one JSON handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The Kafka clients are chatty at INFO even when all is well.
    for noisy in ("kafka", "aiokafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
