"""The restart phase's pure part: the states it writes, where each goes, and what its numbers mean.

No broker and no process here (``stream.bench.restart`` runs those), so the
parts that decide whether the measurement is honest are unit-tested:

* the states are real ones: simulated users' events folded by the worker's own
  ``features.update`` and encoded by the encoder the worker's ``TableStore``
  uses, so a recovered table holds what a worker would have written;
* each state goes to the changelog partition the worker itself would write it
  to (the input partition of its user's key, ``stream.core.routing``), which is
  where recovery looks for it;
* a run whose worker recovered a different number of users than were written
  is reported as a problem, not as a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from stream.core.contract import parse_document
from stream.core.features import UserState, state_encoder, update
from stream.core.routing import partition_for
from stream.worker.state_table import load_states

#: Worker runs of the phase, in order: memory store (full changelog replay), RocksDB first start
#: (replays the changelog into RocksDB), RocksDB again with its local state kept (the restart).
RUNS = ("memory", "rocksdb_first", "rocksdb")
#: The store URL of each run (``Settings.table_store``).
STORES = {"memory": "memory://", "rocksdb_first": "rocksdb://", "rocksdb": "rocksdb://"}


def state_pool(events: Iterable[dict], size: int, write_version: int = 0) -> list[bytes]:
    """Encoded states of up to ``size`` simulated users, each with all its events folded in.

    Folding a million users' histories would take longer than the restart it
    prepares, so the phase cycles through this pool: every stored state is a
    real one (same bytes a worker writes for such a user), only repeated.
    """
    states: dict[str, UserState] = {}
    for doc in events:
        user = doc["user_id"]
        state = states.get(user)
        if state is None:
            if len(states) >= size:
                continue
            state = states[user] = UserState()
        update(state, parse_document(doc))
    encode = state_encoder(write_version)
    return [encode(s) for s in states.values()]


def user_key(i: int) -> bytes:
    """The table key of restart user ``i``: the user id's UTF-8 bytes, as the worker keys its table."""
    return f"restart-{i}".encode()


def changelog_records(users: int, pool: Sequence[bytes], partitions: int,
                      partitioner: str = "murmur2") -> Iterator[tuple[int, bytes, bytes]]:
    """``(partition, key, value)`` for ``users`` users, each on its key's partition, states from ``pool``."""
    if not pool:
        raise ValueError("an empty state pool: no simulated user had an event")
    for i in range(users):
        key = user_key(i)
        yield partition_for(key, partitions, partitioner), key, pool[i % len(pool)]


def decodable(records: dict[bytes, bytes]) -> int:
    """How many of ``records`` (key -> stored value) the worker's own read path (``load_states``) decodes."""
    return len(load_states(records, [k.decode() for k in records]))


@dataclass
class RestartResult:
    """What the phase measured; times are wall-clock seconds from starting a worker to ``/ready`` 200."""

    users: int  # states written to the changelog
    partitions: int
    changelog_bytes: int = 0  # key + value bytes written
    write_s: float = math.nan
    read_s: float = math.nan  # a bare aiokafka consumer reading the whole changelog once (the reference)
    sample_decoded: int = 0  # states read back from the topic that the worker's decode path accepts
    sample_read: int = 0
    ready_s: dict[str, float] = field(default_factory=dict)  # run (RUNS) -> seconds
    recovered: dict[str, int] = field(default_factory=dict)  # run -> users in the worker's table when ready
    stop_s: dict[str, float] = field(default_factory=dict)  # run -> seconds for a clean SIGTERM stop

    def problems(self) -> list[str]:
        """Why the numbers are not a restart of ``users`` real states (empty: they are)."""
        out = []
        if self.sample_decoded != self.sample_read or not self.sample_read:
            out.append(f"only {self.sample_decoded} of {self.sample_read} states read back from the changelog decode")
        for run in RUNS:
            if run not in self.ready_s:
                out.append(f"{run}: not measured")
                continue
            got = self.recovered.get(run)
            if got != self.users:
                out.append(f"{run}: the worker recovered {got} users, {self.users} were written")
        return out

    def over_read(self, run: str) -> float:
        """``run``'s ready time over the bare consumer's read of the same changelog (NaN if either is missing)."""
        ready = self.ready_s.get(run, math.nan)
        return ready / self.read_s if self.read_s and not math.isnan(self.read_s) else math.nan
