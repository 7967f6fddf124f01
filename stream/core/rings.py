"""Time-bucketed ring counters: the bounded windows of a user's state (``stream.core.features``).

A ring keeps one bucket per time slice over its last ``slots`` slices and
forgets a bucket as it is reused, so a window's size never grows with the
user's history.  A late event still inside the ring is added to the bucket it
belongs to, so events a little out of order count as if they had been in order.
Values are small integers that round-trip through the state's bytes exactly
(``stream.core.state_layout.RingField``).
"""

from __future__ import annotations

U8_MAX = 0xFF
U32_MAX = 0xFFFFFFFF
#: A count-and-amount ring's bucket as stored: count (u8, saturating) and whole yuan (u32).
COUNT_AMOUNT = (("counts", "B"), ("amounts", "I"))

_ZEROS = (0,) * 256  # source for clearing ring buckets in place


def _clear_buckets(buckets: tuple[list[int], ...], head: int, k: int, slots: int) -> None:
    """Zero the buckets a ring moving from bucket ``head`` to ``k`` (> head) reuses: all of them
    when it was empty or the gap spans the ring.  In place: a cached state keeps its lists,
    so they are not re-promoted into the oldest GC generation (fewer, shorter full collections)."""
    if head < 0 or k - head >= slots:
        for values in buckets:
            values[:] = _ZEROS[:slots]
    else:
        for values in buckets:
            for j in range(head + 1, k + 1):
                values[j % slots] = 0


class _TimeBuckets:
    """The bucket clock every ring shares: ``slots`` buckets of ``width`` seconds, the newest
    at ``head``; subclasses hold the per-bucket lists (``_buckets``) and say how an event
    combines into its bucket."""

    __slots__ = ("slots", "width", "head")

    def __init__(self, slots: int, width: int) -> None:
        self.slots = slots
        self.width = width
        self.head = -1  # index of the newest bucket seen, -1 when empty

    def _buckets(self) -> tuple[list[int], ...]:
        raise NotImplementedError

    def advance(self, ts: float) -> None:
        """Move the ring forward to ``ts``'s bucket, clearing buckets that fall out."""
        k = int(ts // self.width)
        if k > self.head:
            _clear_buckets(self._buckets(), self.head, k, self.slots)
            self.head = k

    def _slot(self, ts: float) -> int | None:
        """Index of ``ts``'s bucket after advancing to it; None when it is too old for the ring."""
        self.advance(ts)
        k = int(ts // self.width)
        return k % self.slots if k > self.head - self.slots else None


class Ring(_TimeBuckets):
    """Count and amount (whole yuan) per time bucket over the last ``slots`` buckets.

    Amounts are kept as whole yuan in 32-bit slots, and counts saturate at 255
    per bucket (one byte: a user past 255 loans in ten minutes, an hour or a
    day is already as unusual as the features can say), so the state
    round-trips through bytes exactly: the stream (which serialises after every
    event) and the offline commands (which do not) compute identical features.
    """

    __slots__ = ("counts", "amounts")

    def __init__(self, slots: int, width: int) -> None:
        super().__init__(slots, width)
        self.counts = [0] * slots
        self.amounts = [0] * slots

    def _buckets(self) -> tuple[list[int], ...]:
        return self.counts, self.amounts

    def add(self, ts: float, amount: float) -> None:
        """Count one event; too old for the ring means not counted here."""
        i = self._slot(ts)
        if i is not None:
            self.counts[i] = min(self.counts[i] + 1, U8_MAX)
            self.amounts[i] = min(self.amounts[i] + round(amount), U32_MAX)

    def totals(self, last: int | None = None) -> tuple[int, int]:
        """Count and amount in the newest ``last`` buckets (all by default)."""
        if self.head < 0:
            return 0, 0
        if last is None or last >= self.slots:
            return sum(self.counts), sum(self.amounts)
        idx = [(self.head - j) % self.slots for j in range(last)]
        return sum(self.counts[i] for i in idx), sum(self.amounts[i] for i in idx)


class _BucketRing(_TimeBuckets):
    """One small integer per time bucket over the last ``slots`` buckets."""

    __slots__ = ("values",)

    def __init__(self, slots: int, width: int) -> None:
        super().__init__(slots, width)
        self.values = [0] * slots

    def _buckets(self) -> tuple[list[int], ...]:
        return (self.values,)


class MaxRing(_BucketRing):
    """The largest value per bucket, so "worst in 90 days" forgets exactly what ages out."""

    __slots__ = ()

    def add(self, ts: float, value: int) -> None:
        i = self._slot(ts)
        if i is not None:
            self.values[i] = max(self.values[i], value)

    def max(self) -> int:
        return max(self.values) if self.head >= 0 else 0


class CountRing(_BucketRing):
    """How many events per bucket (one byte each, saturating at 255): a window count of
    one kind of event, where ``Ring`` would also spend four bytes a bucket on amounts."""

    __slots__ = ()

    def add(self, ts: float, value: int = 1) -> None:
        i = self._slot(ts)
        if i is not None:
            self.values[i] = min(self.values[i] + value, U8_MAX)

    def total(self, ts: float) -> int:
        """The count in the window as of ``ts`` (the newest event time)."""
        self.advance(ts)
        return sum(self.values) if self.head >= 0 else 0
