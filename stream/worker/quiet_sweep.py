"""Which stored users a batch sweeps for loans left unpaid by borrowers who went quiet.

The delayed-label watch (``stream.core.outcome_watch``) realises a loan at its
repayment or at its borrower's next event.  A borrower who defaults often sends
nothing more, so the worker also looks, with every batch, at a few stored users
that are not in it (``quiet_sweep_users``), in turns over the whole table: a
tagged loan still open ``late_days`` after its next due date, by the batch's
event time on the user's partition, is realised bad then
(``stream.core.pipeline.sweep_quiet``).

Only users whose partition has events in the batch are swept: the batch's own
writes prove this worker owns the partition now, and the swept state goes to
the changelog with them, under the same delivery guarantee.  A user skipped
for that reason comes round again on the next turn.  A turn starts with a
snapshot of the table's keys: with ``memory://`` a list of references (8 bytes
a user), with ``rocksdb://`` the keys read out of the store (the user id's
bytes and an object each, about 60 bytes a user); a snapshot, not a live
iterator, since the in-memory table changes size as users arrive.  Then about
20 µs per swept user (``bench/quiet_sweep_cost.py``: 0.019 of a 500-event
batch's pipeline time at 50); a worker with a million users completes a turn
every 20,000 batches.
"""

from __future__ import annotations

from typing import Callable, Iterable


class QuietSweep:
    """A cursor over the stored users' ids: ``take`` gives the next ``per_batch``, starting a new turn
    (a fresh snapshot of the keys) when one ends."""

    def __init__(self, keys: Callable[[], Iterable[bytes]], per_batch: int) -> None:
        self.keys = keys
        self.per_batch = per_batch
        self.turns = 0  # completed turns over the table
        self._snapshot: list[bytes] = []
        self._at = 0

    def take(self) -> list[str]:
        """The next user ids, at most ``per_batch`` (fewer at the end of a turn, or when the table is smaller)."""
        if self._at >= len(self._snapshot):
            if self._snapshot:
                self.turns += 1
            self._snapshot, self._at = list(self.keys()), 0
        chunk = self._snapshot[self._at:self._at + self.per_batch]
        self._at += len(chunk)
        return [key.decode() for key in chunk]
