"""Structured, quiet-by-default logging: one JSON object per line on stderr.

JSON lines are what log pipelines ingest without custom parsing; WARNING is the
default level so a healthy worker says nothing.  Nothing in this project logs a
user id, an event body or a secret: log what failed and what to do instead.
"""

from __future__ import annotations

import logging
import logging.config
from datetime import datetime, timezone
from typing import Any

import orjson

#: Loggers that are chatty at INFO even when all is well.
_NOISY = ("kafka", "aiokafka")


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


def logging_dict(level: str = "WARNING") -> dict[str, Any]:
    """A ``dictConfig`` for ours, Faust's and the Kafka clients' loggers alike.

    Also handed to the Faust worker, which would otherwise install its own
    coloured text handler over ours.
    """
    level = level.upper()
    quiet = max(logging.WARNING, logging.getLevelName(level))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["default"]},
        "loggers": {name: {"level": logging.getLevelName(quiet)} for name in _NOISY},
    }


def configure_logging(level: str = "WARNING") -> None:
    logging.config.dictConfig(logging_dict(level))
