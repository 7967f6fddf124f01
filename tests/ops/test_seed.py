"""``riskmon seed`` run again before any worker commits, against an in-memory Kafka (no broker):
the second seed replaces the first, what only the first history held included."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from models.model import save
from models.train import train
from stream.core.contract import parse_document
from stream.core.rescale import latest_states
from stream.ops import seed as ops_seed
from stream.settings import Settings
from stream.sim import SimConfig, generate

SETTINGS = Settings(app_id="app", input_topic="in", partitions=4)
USERS, DEVICES, MERCHANTS = ("app-user-state-changelog", "app-device-state-changelog",
                              "app-merchant-state-changelog")


class FakeKafka:
    """What ``stream.ops.seed`` asks of Kafka, kept in lists: topics of partitions of (key, value)."""

    def __init__(self) -> None:
        self.topics: dict[str, list[list[tuple[bytes | None, bytes | None]]]] = {}
        self.committed: dict[int, Any] = {}

    def ensure_topics(self, settings: Settings) -> None:
        self.topics.setdefault(settings.input_topic, [[] for _ in range(settings.partitions)])

    def partition_counts(self, settings: Settings, names: list[str]) -> dict[str, int | None]:
        return {n: len(self.topics[n]) if n in self.topics else None for n in names}

    def offsets(self, settings: Settings, topic: str, n: int):
        return {p: 0 for p in range(n)}, {p: len(self.topics[topic][p]) for p in range(n)}

    def offsets_after(self, settings: Settings, topic: str, n: int, ts: int):
        return {p: None for p in range(n)}

    def commits(self, settings: Settings, group: str, topic: str, n: int):
        return {p: self.committed.get(p) for p in range(n)}

    def group_members(self, settings: Settings, group: str) -> int:
        return 0

    def create_changelog(self, settings: Settings, topic: str, n: int) -> None:
        self.topics.setdefault(topic, [[] for _ in range(n)])

    def commit_offsets(self, settings: Settings, group: str, topic: str, offsets, metadata: str = "") -> None:
        self.committed.update({p: (o, metadata) for p, o in offsets.items()})

    def read_all(self, settings: Settings, topic: str):
        for p, log in enumerate(self.topics.get(topic, [])):
            for key, value in log:
                yield SimpleNamespace(partition=p, key=key, value=value)

    def Writer(self, settings: Settings) -> SimpleNamespace:  # noqa: N802 - stands in for ops.Writer
        return SimpleNamespace(send=lambda topic, p, key, value: self.topics[topic][p].append((key, value)),
                               flush=lambda: None, close=lambda: None)


@pytest.fixture
def kafka(monkeypatch) -> FakeKafka:
    fake = FakeKafka()
    monkeypatch.setattr(ops_seed, "ops", fake)
    monkeypatch.setattr(ops_seed, "ensure_topics", fake.ensure_topics)
    monkeypatch.setattr(ops_seed, "partition_counts", fake.partition_counts)
    monkeypatch.setattr(ops_seed, "entity_partitions", lambda settings: {"device": 4, "merchant": 4})
    monkeypatch.setattr(ops_seed, "read_marker", lambda settings: None)
    return fake


def _history(tmp_path: Path, name: str, seed: int) -> tuple[Path, list[dict]]:
    events, _ = generate(SimConfig(users=120, days=20, seed=seed, user_prefix=name))
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    return path, events


def _latest(kafka: FakeKafka, topic: str) -> set[bytes]:
    return set(latest_states(((p, k, v) for p, log in enumerate(kafka.topics[topic]) for k, v in log),
                             4, "murmur2").states)


def test_seeding_again_replaces_the_first_seed_whole(kafka: FakeKafka, tmp_path: Path) -> None:
    """An outside review's case: seeded from the wrong history, then from the right one, 132 of
    274 users (and 107 device views) of the wrong one stayed, to be restored as real pasts."""
    wrong, _ = _history(tmp_path, "wrong", 11)
    right, events = _history(tmp_path, "right", 12)
    save(train((parse_document(e) for e in events), n_estimators=20, seed=1), tmp_path / "model")
    ops_seed.seed(SETTINGS, tmp_path / "model", right, say=lambda line: None)
    alone = {topic: _latest(kafka, topic) for topic in (USERS, DEVICES, MERCHANTS)}
    kafka.topics.clear()
    kafka.committed.clear()
    ops_seed.seed(SETTINGS, tmp_path / "model", wrong, say=lambda line: None)
    assert _latest(kafka, USERS).isdisjoint(alone[USERS])
    said: list[str] = []
    ops_seed.seed(SETTINGS, tmp_path / "model", right, say=said.append)
    assert {topic: _latest(kafka, topic) for topic in alone} == alone
    assert alone[USERS] == {e["user_id"].encode() for e in events} and alone[DEVICES]
    assert any(line.startswith("deleted ") for line in said)
