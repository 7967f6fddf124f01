"""The partition contract: the input topic and the state changelog have the same partition count.

A user's state lives in changelog partition p because their events arrive on
input partition p (Faust writes each state to the partition of the event that
changed it).  Add input partitions and a user's key hashes elsewhere: their new
events land on a partition whose state does not hold them, and Faust cannot
even write a changelog partition that does not exist (every event there fails).
Kafka Streams documents this contract; Faust checks nothing.  The worker checks
it at start-up and while running (``stream.worker.app``), and on a mismatch it
stops consuming, reports not ready and not healthy, and says what to do: a
silent half-processed stream is the failure it exists to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PartitionContract:
    """Partition counts as the broker reports them (None: the topic does not exist yet)."""

    input_topic: str
    input_partitions: int | None
    changelog_topic: str
    changelog_partitions: int | None

    @property
    def broken(self) -> bool:
        return (
            self.input_partitions is not None
            and self.changelog_partitions is not None
            and self.input_partitions != self.changelog_partitions
        )

    def problem(self) -> str:
        """The one error line for the log: what happened and what to do."""
        return (
            f"partition contract broken: input topic {self.input_topic} has {self.input_partitions} partitions, "
            f"the state changelog {self.changelog_topic} has {self.changelog_partitions}; users' events and their "
            "states would be on different partitions, so the worker has stopped consuming (nothing is committed "
            "or dead-lettered meanwhile). Partition counts cannot shrink: stop the workers, move the state to the "
            f"new count with `riskmon rescale --partitions {max(self.input_partitions or 0, self.changelog_partitions or 0)}` "
            "(docs/operations.md, 'Changing the partition count'), then start the workers"
        )
