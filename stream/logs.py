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
#: kafka-python's IO-thread watchdog: it warns whenever one of its own tasks
#: held that thread over 0.1 s ("... is blocking the event loop").  On a host
#: whose cores are busy (the bench loads all of them) that is the scheduler,
#: not a fault of ours or of the broker, and nothing an operator can act on;
#: it is shown at DEBUG only.
_WATCHDOG = ("kafka.net.selector",)


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
        "loggers": {
            **{name: {"level": logging.getLevelName(quiet)} for name in _NOISY},
            **{name: {"level": level if level == "DEBUG" else "ERROR"} for name in _WATCHDOG},
        },
    }


def configure_logging(level: str = "WARNING") -> None:
    logging.config.dictConfig(logging_dict(level))
