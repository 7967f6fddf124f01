"""The quiet sweep's cursor (stream.worker.quiet_sweep) and its place in the batch protocol
(stream.worker.batch): fake topics and store, no Faust, no broker."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import pytest

from stream.core.admission import Admission
from stream.core.event_time import TimePolicy
from stream.core.outcome_watch import bucket_of
from stream.core.routing import partition_for
from stream.core.rules import RuleConfig
from stream.worker import metrics
from stream.worker.batch import BatchHandler, Sinks
from stream.worker.quiet_sweep import QuietSweep
from tests.core.stub_model import EarlyWarningModel
from tests.support import loan_doc
from tests.worker.test_batch import PARTITIONS, FakeSink, FakeStore, Log, _message

T0 = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=8)))


def test_the_cursor_takes_every_stored_user_once_a_turn_and_sees_new_ones_next_turn() -> None:
    stored = [b"a", b"b", b"c", b"d", b"e"]
    sweep = QuietSweep(lambda: list(stored), per_batch=2)
    assert [sweep.take() for _ in range(3)] == [["a", "b"], ["c", "d"], ["e"]]
    assert sweep.turns == 0
    stored.append(b"f")
    assert [sweep.take() for _ in range(3)] == [["a", "b"], ["c", "d"], ["e", "f"]]
    assert sweep.turns == 1
    empty = QuietSweep(lambda: [], per_batch=2)
    assert [empty.take(), empty.take(), empty.turns] == [[], [], 0]


def _doc(i: int, user: str, day: float, amount: float) -> dict:
    return loan_doc(user, i, T0 + timedelta(days=day), amount, 14)


def _neighbour(user: str, other: bool = False) -> str:
    """Another user id on ``user``'s partition (``other``: on another one)."""
    home = partition_for(user.encode(), PARTITIONS)
    return next(u for i in range(1000)
                if (u := f"n{i}") != user and (partition_for(u.encode(), PARTITIONS) == home) != other)


def _handler(quiet: bool, store: FakeStore, log: Log) -> BatchHandler:
    admission = Admission(TimePolicy(stale_tolerance_s=0), 64 * 1024, PARTITIONS, "murmur2")
    return BatchHandler(Sinks(FakeSink("alerts", log), FakeSink("dlq", log), FakeSink("input", log)), store,
                        model=EarlyWarningModel, rules=RuleConfig(), admission=lambda: admission, suppress_window_s=0.0,
                        resend_delay_s=0.0,
                        quiet=QuietSweep(lambda: [u.encode() for u in store.stored], 50) if quiet else None)


def _bad(probability: float) -> float:
    return metrics.EARLY_WARNING_REALISED.labels(bucket_of(probability), "no_alert", "bad")._value.get()


@pytest.mark.parametrize("quiet", [True, False])
def test_a_quiet_borrowers_unpaid_loan_is_realised_by_a_later_batch_of_its_partition(quiet: bool) -> None:
    """Borrower q takes a loan (probability 0.7, due on day 14) and never comes back; x, on another
    partition, the same at 0.6.  A batch on day 29 with an event of q's partition realises q's loan
    bad (written with the batch, counted once); x's waits for a batch of its own partition."""
    log = Log()
    store = FakeStore(log)
    handler = _handler(quiet, store, log)
    q, x = "q", _neighbour("q", other=True)
    asyncio.run(handler.handle([_message(_doc(1, q, 0, 700), 0), _message(_doc(2, x, 0, 600), 1)]))
    before_q, before_x, stored_q = _bad(0.7), _bad(0.6), store.stored[q]
    asyncio.run(handler.handle([_message(_doc(3, _neighbour(q), 29, 100), 2)]))
    assert _bad(0.7) - before_q == (1 if quiet else 0)
    assert _bad(0.6) == before_x, "x's partition had no event in the batch: x is not swept"
    assert (store.stored[q] != stored_q) == quiet
    assert log[-1] == ("write", sorted([q, _neighbour(q)] if quiet else [_neighbour(q)]))
    asyncio.run(handler.handle([_message(_doc(4, _neighbour(x), 30, 100), 3),
                                _message(_doc(5, _neighbour(q), 31, 100), 4)]))
    assert (_bad(0.6) - before_x, _bad(0.7) - before_q) == ((1, 1) if quiet else (0, 0)), "each loan realised once"


def test_a_failing_sweep_costs_only_the_sweep_never_the_batch(caplog: pytest.LogCaptureFixture) -> None:
    log = Log()
    store = FakeStore(log)
    handler = _handler(True, store, log)

    def broken() -> list[bytes]:
        raise OSError("store unreadable")

    handler.quiet = QuietSweep(broken, 50)
    with caplog.at_level(logging.ERROR):
        for i in range(2):
            asyncio.run(handler.handle([_message(_doc(i, "q", i, 700), i)]))
    assert "q" in store.stored and handler.next_offset == {partition_for(b"q", PARTITIONS): 2}
    assert [r.message for r in caplog.records].count(
        "the quiet sweep of the early warning's outcomes failed (OSError: store unreadable); batches go on without "
        "it, so realised outcomes of borrowers who went quiet are missing") == 1
