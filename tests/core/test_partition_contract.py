"""The partition contract (stream.core.partition_contract) and how health reports a broken one."""

from __future__ import annotations

from stream.core.partition_contract import PartitionContract
from stream.worker.health import Health


def test_equal_or_unknown_counts_hold() -> None:
    assert not PartitionContract("in", 4, "cl", 4).broken
    assert not PartitionContract("in", 4, "cl", None).broken  # no changelog yet: Faust creates it alike


def test_different_counts_break_it_and_say_what_to_do() -> None:
    contract = PartitionContract("loan-events", 8, "app-user-state-changelog", 4)
    assert contract.broken
    problem = contract.problem()
    assert "loan-events has 8 partitions" in problem and "has 4" in problem
    assert "stopped consuming" in problem and "docs/operations.md" in problem


def test_a_broken_contract_is_neither_ready_nor_healthy_until_it_holds_again() -> None:
    health = Health(stall_timeout_s=60)
    health.set_ready(True)
    assert health.ready and not health.is_stalled()
    health.observe_contract("partition contract broken: ...")
    assert not health.ready and health.is_stalled()
    health.set_ready(True)  # the worker's own readiness does not override it
    assert not health.ready
    health.observe_contract(None)
    health.set_ready(True)
    assert health.ready and not health.is_stalled()
