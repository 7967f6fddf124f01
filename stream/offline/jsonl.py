"""JSONL files of contract events, for the offline commands (train, score, replay)."""

from __future__ import annotations

import gzip
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Iterator

import orjson

from stream.core.contract import Event, InvalidEvent, parse_event
from stream.core.event_time import TimePolicy, replay_span

log = logging.getLogger(__name__)


@dataclass
class ReadReport:
    """Counts of what a reader saw; invalid lines are reported, never fatal."""

    valid: int = 0
    invalid: int = 0
    first_errors: list[str] | None = None
    refused_time: dict[str, int] | None = None  # valid events refused by the event-time policy, by reason

    def note_invalid(self, line_no: int, error: InvalidEvent) -> None:
        self.invalid += 1
        if self.first_errors is None:
            self.first_errors = []
        if len(self.first_errors) < 10:
            self.first_errors.append(f"line {line_no}: {error.summary}")


def read_events(path: Path, report: ReadReport | None = None, policy: TimePolicy | None = None) -> Iterator[Event]:
    """Valid events of a JSONL file in file order; invalid lines are counted in ``report``.

    With a ``policy``, events whose time lies far outside the file's own time
    span are left out and counted, as the worker dead-letters them
    (``stream.core.event_time``); that needs every event's time first.  A
    regular file is read twice: once for the times, then again for the
    events, so a history is never held in memory as parsed events (about
    0.45 KB each, a fifth of ``riskmon train``'s peak).  A pipe can be read
    only once, so its events are held.
    """
    report = ReadReport() if report is None else report
    if policy is None:
        yield from _read_valid(path, report)
        return
    if Path(path).is_file():
        span = replay_span([event.ts for event in _read_valid(path, report)])
        events: Iterable[Event] = _read_valid(path, ReadReport())  # counted on the first read
    else:
        events = list(_read_valid(path, report))
        span = replay_span([event.ts for event in events])
    report.refused_time = {}
    for event in events:
        verdict = policy.verdict(event.ts, *span)
        if verdict is None:
            yield event
            continue
        reason, message = verdict
        report.refused_time[reason] = report.refused_time.get(reason, 0) + 1
        report.valid -= 1
        log.debug("leaving out event %s of %s: %s", event.event_id, path, message)


_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


@contextmanager
def _open(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes, gunzipped when it is gzip (a history exported as .jsonl.gz would
    otherwise read as a file of invalid lines)."""
    with open(path, "rb") as fh:
        if fh.peek(2)[:2] != _GZIP_MAGIC:
            yield fh
            return
        with gzip.GzipFile(fileobj=fh) as unzipped:
            yield unzipped  # type: ignore[misc]


def _read_valid(path: Path, report: ReadReport) -> Iterator[Event]:
    with _open(path) as fh:
        for line_no, line in enumerate(fh, start=1):
            line = line.strip()
            if line_no == 1 and line.startswith(_BOM):  # written by a tool that marks UTF-8 files
                line = line[len(_BOM):]
            if not line:
                continue
            try:
                event = parse_event(line, max_bytes=1 << 30)
            except InvalidEvent as exc:
                report.note_invalid(line_no, exc)
                log.debug("skipping invalid line %d of %s: %s", line_no, path, exc.summary)
                continue
            report.valid += 1
            yield event


def refuse_overwriting(output: Path, *inputs: Path | None) -> None:
    """ValueError when ``output`` is one of ``inputs``: it is opened for writing, emptied, before
    they are read, and the command would end with nothing and no input."""
    for source in inputs:
        if source is not None and (output.resolve() == source.resolve()
                                   or (output.exists() and source.exists() and output.samefile(source))):
            raise ValueError(f"the output {output} is also {source}, which writing it would empty first; "
                             "give another output path")


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
