"""``read_events`` with the event-time policy: read twice from a file, held from a pipe, and
in both the events, order and counts of a replay that holds every event (``admit_replay``)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import orjson
import pytest

from stream.core.contract import parse_document
from stream.core.event_time import FUTURE_TS, STALE_TS, TimePolicy, admit_replay
from stream.offline.jsonl import ReadReport, read_events
from stream.sim import SimConfig, generate


def _lines() -> list[bytes]:
    docs, _ = generate(SimConfig(users=60, days=20, seed=3))
    skewed = [{**docs[5], "event_id": "far-future", "ts": "2200-01-01T00:00:00+08:00"},
              {**docs[9], "event_id": "long-ago", "ts": "1990-01-01T00:00:00+08:00"}]
    lines = [orjson.dumps(d) for d in docs[:40] + skewed[:1] + docs[40:] + skewed[1:]]
    return lines[:7] + [b"{not json", b""] + lines[7:] + [b'{"event_type": "loan"}']


def _expected(lines: list[bytes]) -> tuple[list[str], dict[str, int]]:
    valid = []
    for line in lines:
        try:
            valid.append(parse_document(orjson.loads(line)))
        except Exception:  # noqa: BLE001  the reader counts these as invalid
            continue
    believed, refused = admit_replay(valid, TimePolicy())
    counts: dict[str, int] = {}
    for _, reason, _ in refused:
        counts[reason] = counts.get(reason, 0) + 1
    return [e.event_id for e in believed], counts


def _check(path: Path, lines: list[bytes]) -> None:
    report = ReadReport()
    got = [e.event_id for e in read_events(path, report, TimePolicy())]
    ids, refused = _expected(lines)
    assert got == ids and refused == {FUTURE_TS: 1, STALE_TS: 1}
    assert report.refused_time == refused
    assert report.valid == len(ids) and report.invalid == 2  # counted once, though a file is read twice


def test_a_file_is_read_twice_and_gives_what_holding_every_event_gives(tmp_path: Path) -> None:
    lines = _lines()
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    _check(path, lines)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
def test_a_pipe_is_read_once_and_gives_the_same(tmp_path: Path) -> None:
    lines = _lines()
    path = tmp_path / "events.pipe"
    os.mkfifo(path)
    writer = threading.Thread(target=lambda: path.write_bytes(b"\n".join(lines) + b"\n"))
    writer.start()
    try:
        _check(path, lines)
    finally:
        writer.join(timeout=10)


def test_a_gzip_file_or_one_led_by_a_bom_reads_as_the_plain_file(tmp_path: Path) -> None:
    """An outside audit's cases: a history exported as .jsonl.gz read as 62 invalid lines and no
    event, and a file from a tool that marks UTF-8 with a BOM lost its first, valid event."""
    import gzip

    lines = _lines()
    plain = b"\n".join(lines) + b"\n"
    (tmp_path / "events.jsonl.gz").write_bytes(gzip.compress(plain))
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + plain)
    _check(tmp_path / "events.jsonl.gz", lines)
    _check(tmp_path / "bom.jsonl", lines)


def test_an_invalid_line_is_reported_by_reason_and_field_not_by_what_it_sent(tmp_path: Path) -> None:
    """An outside review's case: a name sent as the user id was printed to stderr at every log level."""
    path = tmp_path / "events.jsonl"
    doc = orjson.loads(_lines()[0])
    path.write_bytes(orjson.dumps({**doc, "user_id": "ALICE SMITH 13800138000"}) + b"\n")
    report = ReadReport()
    assert list(read_events(path, report)) == []
    assert report.first_errors == ["line 1: bad_format (field 'user_id')"]
