"""The lending desk: the one place where loans and repayments are created.

Normal behaviour, the lenders' test-window changes and the misbehaviour typologies all
go through the desk, so balances, repayment plans and event bookkeeping follow one set
of rules.  Pre-stream parts of a plan are folded into one hidden repayment (time -1)
so that balances are right without materialising years of history.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from .clock import DAY, Clock, day_of
from .model import Event, Loan, User
from .schedule import dues, pay_time, resolve_plan
from .spec import WorldSpec


@dataclass(slots=True)
class Draft:
    """What a loan will look like before it is booked."""

    product: str
    amount: int
    term_days: int
    channel: str
    device: str | None = None
    merchant: str | None = None
    purpose: str | None = None
    plan: str | None = None
    fee: float | None = None
    auto: bool | None = None


class Desk:
    """Books loans and repayments into users' ledgers."""

    def __init__(self, spec: WorldSpec, clock: Clock) -> None:
        self.spec = spec
        self.clock = clock
        self.horizon = clock.days + 3
        self._seq = 0

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    # --- loans ------------------------------------------------------------------
    def lend(self, user: User, t: int, draft: Draft, rng: random.Random, *, label: int = 0,
             scenario: str = "normal", repay: bool = True) -> Loan:
        """Disburse a loan at t and (unless repay=False) plan how it will be repaid."""
        loan = Loan(user, draft.product, draft.amount, t, draft.term_days)
        score = None
        if rng.random() < self.spec.score_p:
            score = min(950, max(350, int(rng.gauss(user.score, 8))))
        ev = Event(t, "loan", loan, draft.amount, draft.amount, self._next(), label=label,
                   scenario=scenario, channel=draft.channel, device=draft.device,
                   merchant=draft.merchant, purpose=draft.purpose, score=score)
        loan.opening = ev
        user.book.add(ev)
        if repay:
            self.plan_repayments(loan, rng, draft.plan, draft.fee, draft.auto)
        return loan

    def plan_repayments(self, loan: Loan, rng: random.Random, plan: str | None = None,
                        fee: float | None = None, auto: bool | None = None) -> None:
        """Book the repayments of a loan as its product and its customer make them;
        plan, fee and autopay default to the product's and the customer's own."""
        user, product = loan.user, self.spec.product(loan.product)
        plan = resolve_plan(plan or product.plan, loan.term_days)
        fee = product.fee if fee is None else fee
        auto = plan in ("weekly", "daily") or (user.autopay if auto is None else auto)
        loan.plan = plan
        window = (*self.spec.auto_hours, self.spec.auto_fail) if auto else None
        hidden = 0
        for due, principal, fee_part in dues(plan, day_of(loan.open_t), loan.term_days, loan.principal, fee):
            if due > self.horizon:
                break
            t = -1 if due < -7 else pay_time(rng, user, due, window, loan.open_t + 600)
            if t < 0:
                hidden += principal
                continue
            self.repay(loan, t, principal, principal + fee_part, due)
        if hidden:
            self.repay(loan, -1, hidden, hidden, 0)
        if plan in ("monthly", "weekly") and rng.random() < product.prepay:
            when = loan.open_t + int(loan.term_days * DAY * rng.uniform(0.15, 0.8))
            self.payoff(loan, when)

    # --- repayments -------------------------------------------------------------
    def repay(self, loan: Loan, t: int, principal: int, amount: int, due_day: int, *,
              label: int = 0, scenario: str = "normal") -> Event:
        ev = Event(t, "repayment", loan, amount, -principal, self._next(), due_day=due_day,
                   label=label, scenario=scenario)
        loan.user.book.add(ev)
        return ev

    def payoff(self, loan: Loan, t: int, *, label: int = 0, scenario: str = "normal",
               since: int | None = None, due_day: int | None = None) -> Event | None:
        """Repay everything still owed on `loan` at t.

        Planned (unlabelled) repayments from `since` (default t) on are cancelled: the
        customer settles instead of paying them.  due_day defaults to the payment day,
        i.e. an early or on-time settlement.
        """
        self.cancel(loan, t if since is None else min(since, t))
        rest = loan.user.book.remaining(loan, t)
        if rest <= 0:
            return None
        fee = int(rest * self.spec.product(loan.product).fee * 10 / 365)
        return self.repay(loan, t, rest, rest + fee, day_of(t) if due_day is None else due_day,
                          label=label, scenario=scenario)

    def cancel(self, loan: Loan, since: int) -> None:
        """Drop the loan's planned (unlabelled) repayments from `since` on."""
        book = loan.user.book
        for ev in [r for r in loan.repayments if r.t >= since and r.label == 0]:
            book.discard(ev)

    def move(self, ev: Event, t: int) -> None:
        """Reschedule an event (a repayment paid later than planned)."""
        ev.t = t
        ev.loan.user.book.moved()

    def drop(self, ev: Event) -> None:
        """Remove a planned repayment that will not be made."""
        ev.loan.user.book.discard(ev)
