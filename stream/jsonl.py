"""JSONL files of contract events, for the offline commands (train, score, replay)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import orjson

from stream.contract import Event, InvalidEvent, parse_event

log = logging.getLogger(__name__)


@dataclass
class ReadReport:
    """Counts of what a reader saw; invalid lines are reported, never fatal."""

    valid: int = 0
    invalid: int = 0
    first_errors: list[str] | None = None

    def note_invalid(self, line_no: int, error: InvalidEvent) -> None:
        self.invalid += 1
        if self.first_errors is None:
            self.first_errors = []
        if len(self.first_errors) < 10:
            self.first_errors.append(f"line {line_no}: {error.message}")


def read_events(path: Path, report: ReadReport | None = None) -> Iterator[Event]:
    """Valid events of a JSONL file in file order; invalid lines are counted in ``report``."""
    report = ReadReport() if report is None else report
    with open(path, "rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                event = parse_event(line, max_bytes=1 << 30)
            except InvalidEvent as exc:
                report.note_invalid(line_no, exc)
                log.debug("skipping invalid line %d of %s: %s", line_no, path, exc.message)
                continue
            report.valid += 1
            yield event


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write one JSON object per line; returns the number written."""
    n = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for row in rows:
            fh.write(orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY))
            fh.write(b"\n")
            n += 1
    return n
