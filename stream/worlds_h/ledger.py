"""One user's book: limit history, loans, repayments, and the balance they imply.

Why: ``credit_limit`` and ``outstanding`` must agree with the events around
them. Normal behaviour and typologies both write into the book; the book
answers "how much credit is available at t", drops ordinary loans a real
lender would have declined once a typology has used the credit, and finally
stamps each event with the limit and balance of its moment.
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Callable, Iterable

from .profiles import Profile
from .records import LOAN, Rec
from .timebase import Span

_NEG = -(1 << 62)


class UserBook:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.recs: list[Rec] = []
        self._limit_t: list[int] = [_NEG]
        self._limit_v: list[float] = [profile.limit]
        self._seq = 0
        self._loans = 0

    # --- limits -----------------------------------------------------------
    def limit_at(self, t: int) -> float:
        return self._limit_v[bisect_right(self._limit_t, t) - 1]

    def set_limit(self, t: int, value: float) -> None:
        """A limit decision effective from ``t`` (until the next decision)."""
        i = bisect_right(self._limit_t, t)
        if self._limit_t[i - 1] == t:
            self._limit_v[i - 1] = value
            return
        self._limit_t.insert(i, t)
        self._limit_v.insert(i, value)

    def scale_limits_from(self, t: int, factor: float, step: float = 100.0) -> float:
        """Raise/lower the limit from ``t`` on, carrying later decisions along. Returns the new limit at t."""
        new = max(step, round(self.limit_at(t) * factor / step) * step)
        self.set_limit(t, new)
        i = bisect_right(self._limit_t, t)
        for j in range(i, len(self._limit_t)):
            self._limit_v[j] = max(step, round(self._limit_v[j] * factor / step) * step)
        return new

    def limit_changes(self) -> list[tuple[int, float]]:
        return list(zip(self._limit_t[1:], self._limit_v[1:]))

    # --- records ----------------------------------------------------------
    def next_loan_n(self) -> int:
        self._loans += 1
        return self._loans

    def add(self, rec: Rec) -> Rec:
        rec.seq = self._seq
        self._seq += 1
        self.recs.append(rec)
        return rec

    def outstanding_at(self, t: int) -> float:
        bal = 0.0
        for r in self.recs:
            if r.t <= t:
                bal += r.amount if r.kind == LOAN else -r.principal
        return max(0.0, bal)

    def available_at(self, t: int) -> float:
        return max(0.0, self.limit_at(t) - self.outstanding_at(t))

    def loans(self, *, emitted: bool = True) -> list[Rec]:
        return [r for r in self.recs if r.kind == LOAN and (r.emit or not emitted)]

    def remove_loans(self, loan_ids: Iterable[str]) -> None:
        drop = set(loan_ids)
        if drop:
            self.recs = [r for r in self.recs if r.loan_id not in drop]

    def remove(self, recs: Iterable[Rec]) -> None:
        gone = {id(r) for r in recs}
        self.recs = [r for r in self.recs if id(r) not in gone]

    def sorted_recs(self) -> list[Rec]:
        return sorted(self.recs, key=lambda r: (r.t, r.seq))

    # --- consistency --------------------------------------------------------
    def reconcile(self) -> int:
        """Decline ordinary loans that no longer fit the limit. Returns how many were dropped."""
        bal = 0.0
        dropped: set[str] = set()
        for r in self.sorted_recs():
            if r.kind == LOAN:
                if (not r.pinned and r.emit and r.label == 0
                        and bal + r.amount > self.limit_at(r.t) + 0.005):
                    dropped.add(r.loan_id)
                    continue
                bal += r.amount
            elif r.loan_id not in dropped:
                bal -= r.principal
        self.remove_loans(dropped)
        return len(dropped)

    def finalize(self, span: Span, loan_id: Callable[[int], str]) -> list[Rec]:
        """Stamp limit and balance on every record; return the emitted ones in time order.

        Loan ids are re-issued in disbursal order (``loan_id(n)`` for the n-th
        loan), as a lender's sequence would, whatever order the simulation
        created them in.
        """
        bal = 0.0
        out: list[Rec] = []
        recs = self.sorted_recs()
        new_ids: dict[str, str] = {}
        for r in recs:
            if r.kind == LOAN:
                new_ids[r.loan_id] = loan_id(len(new_ids) + 1)
        for r in recs:
            r.loan_id = new_ids.get(r.loan_id, r.loan_id)
            if r.kind == LOAN:
                bal += r.amount
                r.limit = self.limit_at(r.t)
            else:
                bal -= r.principal
                r.outstanding = round(max(0.0, bal), 2)
            if r.emit and span.contains(r.t):
                out.append(r)
        return out
