"""The bench's restart phase, its pure part (``stream.bench.restart_states``) and its report keys: no broker.

The phase is only honest if the states it writes are the ones a worker would
have written, on the partitions a worker would have written them to, and if a
worker that recovered fewer users than were written is reported as a failure.
"""

from __future__ import annotations

import json
import math

import pytest

from stream.bench import data
from stream.bench.report import _lookup, json_line, restart_keys
from stream.bench.restart_states import (
    RUNS, RestartResult, changelog_records, decodable, state_pool, user_key,
)
from stream.core.contract import parse_document
from stream.core.features import COMPACT_STATE_BYTES, STATE_BYTES, STATE_VERSION, UserState, update
from stream.core.routing import partition_for


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return data.bench_events(600, 80)


def test_the_pool_holds_each_users_state_as_the_worker_folds_and_encodes_it(events: list[dict]) -> None:
    pool = state_pool(events, 10)
    assert len(pool) == 10 and all(len(b) in (COMPACT_STATE_BYTES, STATE_BYTES) and b[0] == STATE_VERSION for b in pool)
    first_users: list[str] = []
    for e in events:
        if e["user_id"] not in first_users and len(first_users) < 10:
            first_users.append(e["user_id"])
    for user, stored in zip(first_users, pool):
        state = UserState()
        for e in events:
            if e["user_id"] == user:
                update(state, parse_document(e))
        assert stored == state.to_bytes(), user
    assert state_pool(events, 10_000) and len(state_pool(events, 10_000)) == len({e["user_id"] for e in events})


def test_each_state_goes_to_its_keys_partition_once_and_the_pool_is_cycled() -> None:
    pool = [b"a", b"b", b"c"]
    records = list(changelog_records(1_000, pool, 4))
    assert len(records) == 1_000 and len({key for _, key, _ in records}) == 1_000
    for i, (partition, key, value) in enumerate(records):
        assert key == user_key(i) == f"restart-{i}".encode()
        assert partition == partition_for(key, 4, "murmur2")
        assert value == pool[i % 3]
    assert {p for p, _, _ in records} == {0, 1, 2, 3}
    crc = list(changelog_records(50, pool, 4, "crc32"))
    assert [p for p, _, _ in crc] == [partition_for(k, 4, "crc32") for _, k, _ in crc]
    with pytest.raises(ValueError):
        list(changelog_records(1, [], 4))


def test_the_worker_read_path_counts_only_states_it_can_decode(events: list[dict]) -> None:
    good = state_pool(events, 2)
    assert decodable({b"u1": good[0], b"u2": good[1]}) == 2
    assert decodable({b"u1": good[0], b"u2": b"\xff" + good[1][1:], b"u3": b"short"}) == 1


def _measured(**changes: object) -> RestartResult:
    r = RestartResult(users=1_000, partitions=4, read_s=2.0, sample_read=20, sample_decoded=20)
    r.ready_s = {"memory": 10.0, "rocksdb_first": 12.0, "rocksdb": 5.0}
    r.recovered = dict.fromkeys(RUNS, 1_000)
    for name, value in changes.items():
        setattr(r, name, value)
    return r


def test_a_restart_that_lost_users_or_a_run_is_a_problem_not_a_time() -> None:
    assert _measured().problems() == []
    lost = _measured(recovered={"memory": 1_000, "rocksdb_first": 1_000, "rocksdb": 999})
    assert lost.problems() == ["rocksdb: the worker recovered 999 users, 1000 were written"]
    missing = _measured(ready_s={"memory": 10.0})
    assert missing.problems() == ["rocksdb_first: not measured", "rocksdb: not measured"]
    assert _measured(sample_decoded=19).problems()[0].startswith("only 19 of 20 states")
    assert _measured(sample_read=0, sample_decoded=0).problems()  # nothing read back proves nothing


def test_ready_times_are_reported_per_store_with_the_bare_read_as_reference() -> None:
    r = _measured()
    assert r.over_read("memory") == pytest.approx(5.0) and r.over_read("rocksdb") == pytest.approx(2.5)
    assert math.isnan(_measured(read_s=math.nan).over_read("memory"))
    keys = restart_keys(r)
    assert keys["restart_ready_s"] == {"memory": 10.0, "rocksdb": 5.0}
    assert keys["restart_rocksdb_first_ready_s"] == 12.0 and keys["restart_users"] == 1_000
    assert keys["restart_recovered_users"]["rocksdb"] == 1_000
    assert _lookup(keys, "restart_ready_s.rocksdb") == 5.0 and math.isnan(_lookup(keys, "restart_ready_s.nope"))
    skipped = json.loads(json_line(restart_keys(None)))
    assert skipped["restart_ready_s"] == {"memory": None, "rocksdb": None} and skipped["restart_users"] == 0
