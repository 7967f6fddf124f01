"""Building blocks: repayment plans add up, the ledger keeps loans within limits,
stamps are exact."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from hypothesis import given, settings, strategies as st

from stream.worlds_o.book import Book
from stream.worlds_o.clock import DAY, Clock
from stream.worlds_o.model import Event, Loan
from stream.worlds_o.schedule import dues, resolve_plan

START = datetime.fromisoformat("2026-01-05T00:00:00+08:00")


@given(st.sampled_from(["bullet", "monthly", "weekly", "daily", "mixed"]), st.integers(1, 720),
       st.integers(1, 10 ** 9), st.floats(0, 0.5))
def test_plan_parts_add_up_to_the_principal(plan: str, term: int, principal: int, fee: float) -> None:
    parts = dues(resolve_plan(plan, term), 0, term, principal, fee)
    assert sum(p for _, p, _ in parts) == principal
    assert all(d >= 1 for d, _, _ in parts) and parts[-1][0] <= term + 1


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 30 * DAY), st.floats(0, 1.2)), min_size=1, max_size=12),
       st.integers(0, 10 ** 6))
def test_loans_sized_by_headroom_never_break_the_limit(requests, seed: int) -> None:
    rng = random.Random(seed)
    book = Book(1_000_000)
    owner = object()
    for i, (t, frac) in enumerate(requests):
        room = book.headroom(t)
        amount = int(room * min(frac, 1.0))
        if amount <= 0:
            continue
        loan = Loan(owner, "cash_loan", amount, t, 30)
        book.add(Event(t, "loan", loan, amount, amount, 2 * i))
        if rng.random() < 0.5:
            paid = amount // 2
            book.add(Event(t + rng.randrange(1, 20 * DAY), "repayment", loan, paid, -paid, 2 * i + 1))
    for ev in book.ordered():
        assert book.outstanding_at(ev.t) <= book.limit_at(ev.t)


def test_raised_limits_stay_in_force() -> None:
    book = Book(100)
    book.raise_limit(10, 300)
    book.raise_limit(5, 200)
    assert [book.limit_at(t) for t in (0, 5, 10, 99)] == [100, 200, 300, 300]


@given(st.integers(0, 104 * DAY - 1))
def test_stamps_are_exact(t: int) -> None:
    stamp = Clock(90, 14).stamp(t)
    assert datetime.fromisoformat(stamp) == START + timedelta(seconds=t)
