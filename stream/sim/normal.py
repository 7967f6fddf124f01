"""Normal borrowing: what every user does when nothing is wrong.

Each user borrows as a Poisson process whose rate is their personal habit,
scaled up on weekends a little and on the shopping festival a lot (festival
borrowing is seasonal demand, not risk, and is labelled 0). A loan's size is a
Beta-distributed share of the credit limit that depends on the product (a
checkout on the credit line is small, a merchant loan is large) and the
platform declines a loan that the remaining limit cannot cover. Repayments
fall on the due dates; lateness comes from a fixed per-user propensity.
"""

from __future__ import annotations

import heapq

import numpy as np

from stream.sim.config import CHANNELS, DAY, PRODUCTS, SimConfig
from stream.sim.drafts import MIN_LOAN_CENTS, Borrower, Draft, due_schedule, loan_times, to_cents

FESTIVAL_LOAN_FACTOR = 2.6
FESTIVAL_AMOUNT_FACTOR = 1.3
WEEKEND_LOAN_FACTOR = 1.1
#: Beta(a, b) of a loan's share of the credit limit, per product (PRODUCTS order).
AMOUNT_SHARE_A = np.array([2.0, 1.5, 2.0, 2.5, 2.5])
AMOUNT_SHARE_B = np.array([6.0, 12.0, 9.0, 5.0, 5.0])
OTHER_CHANNEL_P = 0.08
SECOND_DEVICE_P = 0.15


def simulated_days(config: SimConfig) -> np.ndarray:
    """Day indices from the first warm-up day (negative) to the last day of the window."""
    return np.arange(-config.warmup_days, config.days)


def day_factors(config: SimConfig) -> np.ndarray:
    """Relative borrowing intensity of each simulated day (aligned with ``simulated_days``)."""
    days = simulated_days(config)
    weekday = (config.start.weekday() + days) % 7
    factors = np.where(weekday >= 5, WEEKEND_LOAN_FACTOR, 1.0)
    factors[days == config.festival_day] = FESTIVAL_LOAN_FACTOR
    return factors


def normal_lateness(b: Borrower) -> int:
    """Days late of one payment: mostly 0, sometimes 1-5, rarely 10-30."""
    rng = b.rng
    if rng.random() >= b.user.late_prob:
        return 0
    if rng.random() < 0.9:
        return int(rng.integers(1, 6))
    return int(rng.integers(10, 31))


def normal_history(b: Borrower, factors: np.ndarray) -> list[Draft]:
    """All normal loans (warm-up included) and their repayments that fall before the horizon."""
    user, rng, config = b.user, b.rng, b.config
    counts = rng.poisson(user.loans_per_month / 30 * factors)
    n = int(counts.sum())
    times = np.sort(loan_times(rng, np.repeat(simulated_days(config), counts)))
    products = rng.choice(len(PRODUCTS), size=n, p=user.product_weights)
    shares = rng.beta(AMOUNT_SHARE_A[products], AMOUNT_SHARE_B[products])
    channel_u, device_u = rng.random((2, n))

    drafts: list[Draft] = []
    due: list[tuple[int, int]] = []  # heap of (time, cents) of scheduled repayments
    outstanding = 0
    for i in range(n):
        t = int(times[i])
        while due and due[0][0] <= t:
            outstanding -= heapq.heappop(due)[1]
        limit = b.limit_at(t)
        product = PRODUCTS[products[i]]
        boost = FESTIVAL_AMOUNT_FACTOR if t // DAY == config.festival_day else 1.0
        cents = to_cents(shares[i] * limit * boost, product)
        available = limit * 100 - outstanding
        if available < MIN_LOAN_CENTS:
            continue  # declined: the limit is used up
        loan = b.loan(t, product, min(cents, available), credit_limit=limit,
                      channel=_channel(user.channel, channel_u[i]),
                      device_id=_device(user.devices, device_u[i]))
        outstanding += loan.cents
        drafts.append(loan)
        for due_day, part in due_schedule(loan):
            if due_day >= config.days:
                break
            repayment = b.repayment(loan, due_day, part, normal_lateness(b))
            drafts.append(repayment)
            heapq.heappush(due, (repayment.t, part))
    return drafts


def _channel(preferred: str, u: float) -> str:
    """The preferred channel, and now and then another one."""
    if u >= OTHER_CHANNEL_P:
        return preferred
    others = [c for c in CHANNELS if c != preferred]
    return others[int(u / OTHER_CHANNEL_P * len(others))]


def _device(devices: tuple[str, ...], u: float) -> str:
    """The main device, and the second one (if any) now and then."""
    return devices[1] if len(devices) > 1 and u < SECOND_DEVICE_P else devices[0]
