"""Injected anomaly typologies: labelled episodes of risky borrowing.

Each builder takes a user's context and the day the episode starts and returns
the episode's events, all labelled with the scenario name. The shapes follow
what lending risk teams describe for each pattern; the docstrings say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from stream.sim.config import ALL_SCENARIOS, DAY, HOUR, SimConfig
from stream.sim.drafts import Borrower, Draft, due_schedule, loan_time, loan_times, to_cents
from stream.sim.population import User, new_device_id

#: Channels a remote borrower (or fraudster) can use; ``merchant`` needs a physical till.
REMOTE_CHANNELS = ("app", "web", "partner")


def loan_stacking(b: Borrower, day: int) -> list[Draft]:
    """5-10 loans within a few hours across products and channels, together near or over the limit.

    Stacking exploits the lag between a disbursement and the limit check of
    the next product or partner channel: the borrower fires applications in
    parallel before exposure is consolidated. It is typically the prelude of a
    bust-out, so none of the loans is repaid in the window.
    """
    rng, user = b.rng, b.user
    n = int(rng.integers(5, 11))
    start = day * DAY + int(rng.integers(9 * HOUR, 21 * HOUR))
    times = start + np.sort(rng.integers(0, int(rng.uniform(1, 4) * HOUR), n))
    limit = b.limit_at(start)
    products = ["cash_loan", "credit_line", "installment"]
    if user.segment == "small_business":
        products.append("merchant_loan")
    channels = sorted({user.channel, *REMOTE_CHANNELS})
    amounts = rng.dirichlet(np.full(n, 2.0)) * limit * rng.uniform(0.9, 1.4)
    return [
        b.loan(int(t), product, to_cents(amount, product), credit_limit=limit, channel=channel,
               device_id=user.devices[0], scenario="loan_stacking")
        for t, product, channel, amount in zip(
            times, _spread(rng, products, n), _spread(rng, channels, n), amounts)
    ]


def borrow_to_repay(b: Borrower, day: int) -> list[Draft]:
    """A debt spiral: each loan is repaid on time with a bigger loan taken 0-3 days before it falls due.

    The repayment record looks spotless (0 days late) while the debt grows by
    25-45% a cycle; the spiral runs 3-5 cycles and the last loan is paid late.
    """
    rng, user = b.rng, b.user
    cycles = int(rng.integers(3, 6))
    term = 14 if b.config.days - day >= 14 * cycles + 7 else 7
    amount = b.limit_at(day * DAY) * rng.uniform(0.08, 0.15)
    growth = rng.uniform(1.25, 1.45)
    channels = (user.channel, "partner") if user.channel != "partner" else ("partner", "app")

    def take(t: int, k: int) -> Draft:
        return b.loan(t, "cash_loan", to_cents(amount * growth**k, "cash_loan"), credit_limit=b.limit_at(t),
                      channel=channels[k % 2], device_id=user.devices[0],
                      scenario="borrow_to_repay", term_days=term)

    loan = take(loan_time(rng, day), 0)
    drafts = [loan]
    for k in range(1, cycles + 1):
        due_day = loan.t // DAY + term
        rollover = take(loan_time(rng, due_day - int(rng.integers(0, 4))), k)
        paid = b.repayment(loan, due_day, loan.cents, 0, after=rollover.t + int(rng.integers(600, 3 * HOUR)))
        drafts += [rollover, paid]
        loan = rollover
    drafts.append(b.repayment(loan, loan.t // DAY + term, loan.cents, int(rng.integers(3, 16))))
    return drafts


def account_takeover(b: Borrower, day: int) -> list[Draft]:
    """A fraudster on a new device, often a new channel, cashes out the limit at night.

    2-4 cash loans within one or two hours between 0:00 and 6:00 while the
    owner sleeps; each takes most of what is left of the limit, so together
    they drain it. Fraud loans are never repaid; the real owner keeps
    borrowing as usual, which is why this episode does not replace normal
    behaviour.
    """
    rng, user = b.rng, b.user
    n = int(rng.integers(2, 5))
    start = day * DAY + int(rng.integers(0, 4 * HOUR))
    times = start + np.sort(rng.integers(0, int(rng.uniform(0.5, 2) * HOUR), n))
    limit = b.limit_at(start)
    device = new_device_id(rng)
    channel = user.channel
    if rng.random() < 0.7:
        channel = str(rng.choice([c for c in REMOTE_CHANNELS if c != user.channel]))
    available = limit * rng.uniform(0.9, 1.0)
    drafts = []
    for k, t in enumerate(times):
        take = available * (rng.uniform(0.9, 1.0) if k == n - 1 else rng.uniform(0.6, 0.9))
        cents = to_cents(take, "cash_loan")
        available -= cents / 100
        drafts.append(b.loan(int(t), "cash_loan", cents, credit_limit=limit, channel=channel,
                             device_id=device, scenario="account_takeover",
                             term_days=int(rng.choice([30, 60, 90]))))
    return drafts


def student_overborrowing(b: Borrower, day: int) -> list[Draft]:
    """A student borrows far beyond peers: 8-16 loans in 1-2 weeks, each 30-80% of a small limit.

    Spread over checkout credit, instalments and short cash loans (the latter
    to cover the former), exposure reaches several times the limit; the
    repayments that fall due come ever later as the student runs out of money.
    """
    rng, user = b.rng, b.user
    n = int(rng.integers(8, 17))
    days = day + np.sort(rng.integers(0, int(rng.integers(7, 15)), n))
    products = _spread(rng, ("credit_line", "installment", "cash_loan"), n)
    loans = []
    for t, product in zip(loan_times(rng, days), products):
        limit = b.limit_at(int(t))
        loans.append(b.loan(int(t), product, to_cents(limit * rng.uniform(0.3, 0.8), product),
                            credit_limit=limit, channel=user.channel, device_id=user.devices[0],
                            scenario="student_overborrowing",
                            term_days=int(rng.choice([7, 14])) if product == "cash_loan" else None))
    step = rng.uniform(1.5, 3.0)
    dues = sorted((due_day, loan.loan_no, loan, cents)
                  for loan in loans for due_day, cents in due_schedule(loan))
    repayments = [b.repayment(loan, due_day, cents, round(k * step) + int(rng.integers(0, 2)))
                  for k, (due_day, _, loan, cents) in enumerate(dues)]
    return loans + repayments


def limit_jump_drain(b: Borrower, day: int) -> list[Draft]:
    """The limit jumps 3-10x, then 1-3 big loans within hours use 80-98% of the new limit.

    Typical of a manipulated limit review or a synthetic identity "cashing
    out" after building history; the raise itself is only visible in the
    ``credit_limit`` of the loans. Nothing is repaid.
    """
    rng, user = b.rng, b.user
    start = loan_time(rng, day)
    old = b.limit_at(start)
    limit = int(min(round(old * rng.uniform(3, 10), -2), 10_000_000))
    n = int(rng.integers(1, 4))
    times = start + np.sort(rng.integers(0, int(rng.uniform(1, 4) * HOUR), n))
    products = ["cash_loan", "merchant_loan"] if user.segment == "small_business" else ["cash_loan"]
    amounts = rng.dirichlet(np.full(n, 3.0)) * limit * rng.uniform(0.8, 0.98)
    return [
        b.loan(int(t), product, to_cents(amount, product), credit_limit=limit,
               channel=user.channel, device_id=user.devices[0], scenario="limit_jump_drain")
        for t, product, amount in zip(times, _spread(rng, products, n), amounts)
    ]


def overdue_escalation(b: Borrower, day: int) -> list[Draft]:
    """Repayments come ever later (lateness roughly doubling: 2, 4, 8, 15, 30 days) as borrowing goes on.

    The classic road to default: a borrower in trouble keeps drawing short
    cash loans every few days yet repays each one later than the last. Short
    terms make the escalation visible within a month-long window.
    """
    rng, user = b.rng, b.user
    days = []
    d = day
    while d < b.config.days:
        days.append(d)
        d += int(rng.integers(2, 5))
    loans = []
    for t in loan_times(rng, np.array(days)):
        product = "cash_loan" if rng.random() < 0.8 else "credit_line"
        limit = b.limit_at(int(t))
        loans.append(b.loan(int(t), product, to_cents(limit * rng.beta(2, 10), product), credit_limit=limit,
                            channel=user.channel, device_id=user.devices[0], scenario="overdue_escalation",
                            term_days=int(rng.choice([7, 14])) if product == "cash_loan" else None))
    first_late, ratio = rng.uniform(1.5, 3), rng.uniform(1.7, 2.1)
    dues = sorted((loan.t // DAY + loan.term_days, loan.loan_no, loan) for loan in loans)
    repayments = [b.repayment(loan, due_day, loan.cents, round(first_late * ratio**k))
                  for k, (due_day, _, loan) in enumerate(dues)]
    return loans + repayments


def _spread(rng: np.random.Generator, options: Sequence[str], n: int) -> list[str]:
    """n picks that cycle through every option (as far as n allows) in random order."""
    picks = [options[k % len(options)] for k in range(n)]
    return [picks[i] for i in rng.permutation(n)]


def anyone(user: User) -> bool:
    """Eligibility of typologies that any user can run."""
    return True


@dataclass(frozen=True)
class Typology:
    """A scenario: how to build it, how many days it needs, who can run it.

    ``takes_over``: from the episode's start the user's own normal borrowing
    stops (the episode *is* their behaviour now); false when the user is a
    victim who carries on as usual.
    """

    build: Callable[[Borrower, int], list[Draft]]
    days_needed: int
    takes_over: bool = True
    eligible: Callable[[User], bool] = anyone


TYPOLOGIES: dict[str, Typology] = {
    "loan_stacking": Typology(loan_stacking, 1),
    "borrow_to_repay": Typology(borrow_to_repay, 28),
    "account_takeover": Typology(account_takeover, 1, takes_over=False),
    "student_overborrowing": Typology(student_overborrowing, 21,
                                      eligible=lambda user: user.segment == "student"),
    "limit_jump_drain": Typology(limit_jump_drain, 1),
    "overdue_escalation": Typology(overdue_escalation, 21),
}


def assign_scenarios(users: Sequence[User], config: SimConfig, rng: np.random.Generator) -> dict[int, str]:
    """Pick round(anomaly_rate * users) users and deal the selected scenarios out evenly.

    Returns user index -> scenario. Scenarios with an eligibility rule pick
    first so the rarer segment (students) is not used up by the others; if a
    segment is too small its scenario simply gets fewer users.
    """
    names = [s for s in ALL_SCENARIOS if s in config.scenarios]
    n_anomalous = round(config.anomaly_rate * len(users))
    if not names or n_anomalous == 0:
        return {}
    quota = {s: n_anomalous // len(names) + (k < n_anomalous % len(names)) for k, s in enumerate(names)}
    assigned: dict[int, str] = {}
    for name in sorted(names, key=lambda s: TYPOLOGIES[s].eligible is anyone):
        pool = [u.index for u in users if u.index not in assigned and TYPOLOGIES[name].eligible(u)]
        for index in rng.choice(pool, size=min(quota[name], len(pool)), replace=False):
            assigned[int(index)] = name
    return assigned


def episode_start_day(config: SimConfig, typology: Typology, rng: np.random.Generator) -> int:
    """A start day on or after ``anomaly_start_day`` that leaves the episode room to unfold if possible."""
    low = config.anomaly_start_day
    high = max(low, config.days - typology.days_needed)
    return int(rng.integers(low, high + 1))
