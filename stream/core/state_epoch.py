"""When the user state began, so that an account first seen early in it is not called new.

The entity views call an account *new* when its state was first written less than
``NEW_ACCOUNT_S`` before the loan.  That reads the lender's truth only where the
state reaches back further than that: a worker started on an empty changelog
(no ``riskmon seed``) first sees every established borrower as a new account on a
device new to them, and on a lender whose dock offices share phones among hundreds
it raised 1,519 entity alerts in 14 days where a seeded worker raised none
(docs/operations.md, "First deployment").  Training had the same blind spot at the start of its
history (``models.train.entities_from``).

So the pipeline keeps the **state epoch**: the earliest ``first_ts`` of any user
state it holds (the history's start for a seeded worker or a training run, the
first event for a cold one).  An account first seen within ``unknown_past_s`` of it
has an *unknown past*: until it is ``NEW_ACCOUNT_S`` old in the state, it counts
neither as a new account nor as borrowing on a new device.  The span is the lender's
own: how long its repeat borrowers take to come back (``models.unknown_past.unknown_past_span``,
kept in the model's entity thresholds; ``NEW_ACCOUNT_S`` at least).  A village lender
whose borrowers come once a month needs a month: with 14 days, the borrowers who had
not come back yet flooded agents' shared phones with 639 entity alerts in the
fortnight after.  Once the epoch lies ``unknown_past_s + NEW_ACCOUNT_S`` behind the
newest event, no sighting depends on it any more.

Nothing new is stored: every user state keeps its ``first_ts``, so a restarted
worker recovers the epoch from its table (``stream.worker.state_table``), and a
rescale, which moves the states, moves it with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from stream.core.entities import NEW_ACCOUNT_S


@dataclass
class StateEpoch:
    """The earliest account in the state, and the newest event time seen (for :meth:`settled`)."""

    start: int = 0  # whole seconds; 0 = no state yet
    newest: float = 0.0
    #: How long after the epoch an account first seen may still be an established one: the model's
    #: (``EntityThresholds.unknown_past_s``), set by whoever scores with it.
    unknown_past_s: float = NEW_ACCOUNT_S

    def scan(self, first_seen: Iterable[int]) -> None:
        """Fold stored states' ``first_ts`` values (0s, states without an event, are skipped) into the
        epoch, stopping at the first that settles it:
        an earlier epoch would change no judgement from there, so a long-running worker's restart reads
        a handful of states rather than its whole table.  Set ``newest`` first (nothing settles without it)."""
        settled_at = self.newest - self.unknown_past_s - NEW_ACCOUNT_S  # :meth:`settled`, solved for ``start``
        for first_ts in first_seen:
            if first_ts and (not self.start or first_ts < self.start):
                self.start = first_ts
                if first_ts <= settled_at:
                    return

    def see(self, first_ts: int, ts: float) -> None:
        """Account for a state with ``first_ts`` that has just folded an event at ``ts``."""
        if first_ts and (not self.start or first_ts < self.start):
            self.start = first_ts
        self.newest = max(self.newest, ts)

    def unknown_past(self, first_ts: int) -> bool:
        """Whether an account first seen at ``first_ts`` may have borrowed before the state began."""
        return first_ts - self.start < self.unknown_past_s

    def settled(self) -> bool:
        """Whether the epoch is too old to change any judgement: an account with an unknown past has
        been in the state ``NEW_ACCOUNT_S`` by now, and an earlier epoch would change nothing."""
        return bool(self.start) and self.newest - self.start >= self.unknown_past_s + NEW_ACCOUNT_S
