"""Logging: JSON lines, quiet by default, and kafka-python's watchdog kept out of the default output."""

from __future__ import annotations

import logging
import logging.config

import orjson
import pytest

from stream.logs import logging_dict


@pytest.fixture
def restore_logging():
    """dictConfig changes process-wide loggers: put the levels and handlers back afterwards."""
    names = ("", "kafka", "kafka.net.selector", "aiokafka", "stream")
    saved = {n: (logging.getLogger(n).level, list(logging.getLogger(n).handlers)) for n in names}
    yield
    for n, (level, handlers) in saved.items():
        logger = logging.getLogger(n)
        logger.setLevel(level)
        logger.handlers[:] = handlers


def _emit(level: str, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    logging.config.dictConfig(logging_dict(level))
    logging.getLogger("kafka.net.selector").warning("Task ran for 0.347s (>0.100s threshold). It is blocking the event loop")
    logging.getLogger("kafka.producer").warning("a real producer problem")
    logging.getLogger("stream.worker").warning("ours")
    logging.getLogger("stream.worker").info("detail")
    return [orjson.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def test_default_level_keeps_warnings_but_not_the_io_watchdog(restore_logging, capsys) -> None:
    docs = _emit("WARNING", capsys)
    assert [(d["logger"], d["level"]) for d in docs] == [("kafka.producer", "warning"), ("stream.worker", "warning")]
    assert all({"ts", "level", "logger", "msg"} <= d.keys() for d in docs)


def test_debug_shows_the_io_watchdog(restore_logging, capsys) -> None:
    loggers = [d["logger"] for d in _emit("DEBUG", capsys)]
    assert "kafka.net.selector" in loggers and loggers.count("stream.worker") == 2
