"""``riskmon score --history``: the input scored as the continuation of a history, as the stream would."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.evaluate import read_jsonl
from models.model import save
from models.train import train
from stream.core.contract import parse_document
from stream.offline.jsonl import write_jsonl
from stream.offline.score import ScoreCounts, score_file
from stream.settings import Settings
from stream.sim import SimConfig, generate
from tests.support import alert_validator, with_device_farm


def _write(path: Path, docs: list[dict]) -> Path:
    write_jsonl(path, docs)
    return path


def _lines(path: Path) -> list[dict]:
    return list(read_jsonl(path))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict], int]:
    """A model, and a stream whose first 60 % is the history (a device farm among its users)."""
    root = tmp_path_factory.mktemp("score")
    docs, labels = generate(SimConfig(users=600, days=21, seed=8, anomaly_rate=0.1, anomaly_start_day=5,
                                      user_prefix="sh"))
    docs, _ = with_device_farm(docs, labels)
    cut = len(docs) * 3 // 5
    save(train((parse_document(d) for d in docs[:cut]), n_estimators=30, seed=3), root / "model")
    return root, docs, cut


def test_the_input_after_its_history_is_scored_as_in_the_whole_file(files) -> None:
    root, docs, cut = files
    _, whole_counts, no_history = score_file(Settings(), root / "model", _write(root / "all.jsonl", docs),
                                             root / "all.scores")
    _, counts, history_report = score_file(Settings(), root / "model", _write(root / "test.jsonl", docs[cut:]),
                                           root / "test.scores", _write(root / "history.jsonl", docs[:cut]))
    whole = _lines(root / "all.scores")
    first = next(i for i, d in enumerate(whole) if d.get("event_id") == docs[cut]["event_id"] and "alert" in d)
    assert _lines(root / "test.scores") == whole[first:]
    assert no_history is None and history_report is not None and history_report.valid == cut
    assert (counts.history_events, counts.events, counts.in_history) == (cut, len(docs) - cut, 0)
    assert counts.alerts > 0 and whole_counts.alerts > counts.alerts
    # Without its history the same input reads every user as new: another scoring altogether.
    score_file(Settings(), root / "model", root / "test.jsonl", root / "cold.scores")
    assert _lines(root / "cold.scores") != _lines(root / "test.scores")


def test_input_events_already_in_the_history_are_skipped_and_counted(files) -> None:
    root, docs, cut = files
    _, counts, _ = score_file(Settings(), root / "model", _write(root / "overlap.jsonl", docs[cut - 40:]),
                              root / "overlap.scores", _write(root / "history2.jsonl", docs[:cut]))
    _, clean, _ = score_file(Settings(), root / "model", _write(root / "rest.jsonl", docs[cut:]),
                             root / "rest.scores", root / "history2.jsonl")
    assert counts.in_history == 40 and counts.events == clean.events == len(docs) - cut
    assert _lines(root / "overlap.scores") == _lines(root / "rest.scores")
    # An input wholly inside its history scores nothing: said, not an empty file and exit 0 (an outside review).
    with pytest.raises(ValueError, match="all 40 input events are already in the history"):
        score_file(Settings(), root / "model", _write(root / "inside.jsonl", docs[cut - 40:cut]),
                   root / "inside.scores", root / "history2.jsonl")


def test_an_output_that_is_an_input_is_refused_before_it_is_emptied(files) -> None:
    """An outside review's case: ``--output`` the same file as ``--input`` left it empty with exit
    code 0.  The same file by another path, or the history, is refused too; nothing is touched."""
    root, docs, cut = files
    source = _write(root / "same.jsonl", docs[cut:cut + 50])
    before = source.read_bytes()
    for output, history in ((source, None), (root / "." / "same.jsonl", None), (root / "history3.jsonl", root / "history3.jsonl")):
        _write(root / "history3.jsonl", docs[:10])
        with pytest.raises(ValueError, match="is also"):
            score_file(Settings(), root / "model", source, output, history)
    assert source.read_bytes() == before and len((root / "history3.jsonl").read_text().splitlines()) == 10


def test_the_alerts_file_holds_the_documents_the_worker_would_send(files) -> None:
    """An outside review's case: the scores file is one row per event, not the alert contract, so a
    consumer team had nothing offline to test against or to match the topic with by ``alert_id``."""
    root, docs, cut = files
    _, counts, _ = score_file(Settings(), root / "model", _write(root / "sent.jsonl", docs[cut:]),
                              root / "sent.scores", _write(root / "history4.jsonl", docs[:cut]), root / "sent.alerts")
    sent = _lines(root / "sent.alerts")
    validator = alert_validator()
    for alert in sent:
        validator.validate(alert)
    users = [a for a in sent if a["entity_type"] == "user"]
    assert len(users) == counts.alerts > 0 and len(sent) - len(users) == counts.entity_alerts > 0
    assert len({a["alert_id"] for a in sent}) == len(sent)
    rows = {r["event_id"]: r for r in _lines(root / "sent.scores") if "alert" in r}
    assert all(rows[a["event_id"]]["alert"] and not rows[a["event_id"]]["suppressed"] for a in users)
    assert sum(r["alert"] and not r["suppressed"] for r in rows.values()) == len(users)
    with pytest.raises(ValueError, match="is also"):
        score_file(Settings(), root / "model", root / "sent.jsonl", root / "other.scores", None, root / "sent.jsonl")


def test_the_summary_line_says_what_came_first() -> None:
    assert ScoreCounts(5, 1, 0).line() == "scored 5 events: 1 alerts, 0 entity alerts"
    assert ScoreCounts(5, 1, 0, 9).line() == "after 9 history events, scored 5 events: 1 alerts, 0 entity alerts"
    assert ScoreCounts(5, 1, 0, 9, 2).line() == (
        "after 9 history events (2 input events already in it, skipped), scored 5 events: 1 alerts, 0 entity alerts")
    assert ScoreCounts(5, 1, 0, suppressed=3).line() == "scored 5 events: 1 alerts (3 repeats suppressed), 0 entity alerts"
