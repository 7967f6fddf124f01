"""A user's ledger: limit history, loans and the events on them.

Loans are planned with their future repayments at once, so the ledger can answer
"how much could this user still borrow at time t" honestly: the room is the smallest
gap between limit and balance from t onwards, which keeps every generated loan
within the limit no matter in which order the generator creates events.
"""
from __future__ import annotations

import bisect

from .model import Event, Loan

PAST = -(10 ** 12)


class Book:
    """Events and limits of one user, with balance queries."""

    __slots__ = ("events", "loans", "_limit_t", "_limit_v", "_dirty")

    def __init__(self, limit: int) -> None:
        self.events: list[Event] = []
        self.loans: list[Loan] = []
        self._limit_t: list[int] = [PAST]
        self._limit_v: list[int] = [limit]
        self._dirty = False

    # --- limits -----------------------------------------------------------------
    def limit_at(self, t: int) -> int:
        return self._limit_v[bisect.bisect_right(self._limit_t, t) - 1]

    @property
    def limit(self) -> int:
        """The limit before any change (the one a user was created with)."""
        return self._limit_v[0]

    def reset_limit(self, value: int) -> None:
        self._limit_t, self._limit_v = [PAST], [value]

    def raise_limit(self, t: int, value: int) -> None:
        """From t on the limit is at least `value` (later raises stay in force)."""
        i = bisect.bisect_right(self._limit_t, t)
        self._limit_t.insert(i, t)
        self._limit_v.insert(i, value)
        for j in range(i + 1, len(self._limit_v)):
            self._limit_v[j] = max(self._limit_v[j], value)

    # --- events -----------------------------------------------------------------
    def add(self, ev: Event) -> None:
        self.events.append(ev)
        if ev.kind == "loan":
            self.loans.append(ev.loan)
        else:
            ev.loan.repayments.append(ev)
        self._dirty = True

    def discard(self, ev: Event) -> None:
        self.events.remove(ev)
        ev.loan.repayments.remove(ev)

    def moved(self) -> None:
        """Call after changing an event's time."""
        self._dirty = True

    def ordered(self) -> list[Event]:
        if self._dirty:
            self.events.sort(key=lambda e: (e.t, e.seq))
            self._dirty = False
        return self.events

    # --- balances ---------------------------------------------------------------
    def outstanding_at(self, t: int) -> int:
        return sum(e.delta for e in self.events if e.t <= t)

    def remaining(self, loan: Loan, t: int) -> int:
        """Principal of `loan` still owed just before time t."""
        return loan.principal - sum(-r.delta for r in loan.repayments if r.t < t)

    def open_loans(self, t: int, floor: int = 1) -> list[tuple[Loan, int]]:
        """(loan, remaining) for loans opened by t that still owe at least `floor`."""
        out = []
        for loan in self.loans:
            if loan.open_t <= t:
                rest = self.remaining(loan, t)
                if rest >= floor:
                    out.append((loan, rest))
        return out

    def headroom(self, t: int, product: str | None = None, share: float = 1.0) -> int:
        """Largest amount borrowable at t without breaking a limit at any later time.

        With `product` and a share below one, the product's own slice of the limit
        (per-product limit semantics) must hold too.  Limits only ever rise, so the
        binding moments are t itself and every later loan.
        """
        per_product = product is not None and share < 1.0
        events = self.ordered()
        total = part = 0
        i = 0
        while i < len(events) and events[i].t <= t:
            total += events[i].delta
            if per_product and events[i].loan.product == product:
                part += events[i].delta
            i += 1
        room = self._room(t, total, part, per_product, share)
        for ev in events[i:]:
            total += ev.delta
            if per_product and ev.loan.product == product:
                part += ev.delta
            if ev.delta > 0:
                room = min(room, self._room(ev.t, total, part, per_product, share))
        return max(0, room)

    def _room(self, t: int, total: int, part: int, per_product: bool, share: float) -> int:
        limit = self.limit_at(t)
        room = limit - total
        if per_product:
            room = min(room, int(limit * share) - part)
        return room
