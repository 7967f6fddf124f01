"""The borrowers: static attributes drawn once per user, vectorised over the population.

Segments differ in the ways a risk team actually sees them: students are young,
have thin credit files and small limits and use checkout credit; small
businesses carry the largest limits and borrow for working capital (merchant
loans); individuals sit in between, and only the older, better-scored ones hold
wealth products that they can pledge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stream.sim.config import CHANNELS, PRODUCTS, SEGMENTS, SimConfig

SEGMENT_SHARE = {"individual": 0.80, "small_business": 0.12, "student": 0.08}

#: (mean, sd) of the credit score by segment: students have thin files.
SCORE = {"individual": (680, 60), "small_business": (690, 55), "student": (610, 45)}

#: Median limit (yuan) at score 650; it grows by e per +100 points of score.
LIMIT_AT_650 = {"individual": 15_000, "small_business": 60_000, "student": 2_500}
LIMIT_SIGMA = 0.45
LIMIT_RANGE = (500, 1_000_000)

#: Mean loans per month; each user's own rate scatters around it (gamma, shape 2).
LOANS_PER_MONTH = {"individual": 2.5, "small_business": 3.0, "student": 2.0}

#: Base product mix per segment, in PRODUCTS order; wealth_pledge is added for wealth holders.
PRODUCT_MIX = {
    "individual": (0.25, 0.45, 0.28, 0.02, 0.0),
    "small_business": (0.20, 0.20, 0.10, 0.50, 0.0),
    "student": (0.10, 0.60, 0.30, 0.0, 0.0),
}
WEALTH_PLEDGE_WEIGHT = 0.15

#: Preferred channel per segment, in CHANNELS order (app, web, merchant, partner).
CHANNEL_MIX = {
    "individual": (0.75, 0.15, 0.0, 0.10),
    "small_business": (0.30, 0.20, 0.50, 0.0),
    "student": (0.85, 0.05, 0.0, 0.10),
}

AGE_RANGE = {"individual": (22, 66), "small_business": (25, 61), "student": (18, 26)}


@dataclass(slots=True)
class User:
    """One borrower; ``credit_limit`` is the limit at the start of the window."""

    index: int
    user_id: str
    segment: str
    age: int
    credit_score: int
    credit_limit: int
    loans_per_month: float
    product_weights: tuple[float, ...]
    channel: str
    devices: tuple[str, ...]
    late_prob: float
    include_currency: bool


def new_device_id(rng: np.random.Generator) -> str:
    """A fresh device fingerprint, 48 random bits so collisions are negligible."""
    return f"d-{int(rng.integers(0, 1 << 48)):012x}"


def draw_population(config: SimConfig, rng: np.random.Generator) -> list[User]:
    """Draw every user's static profile."""
    n = config.users
    segment_idx = rng.choice(len(SEGMENTS), size=n, p=[SEGMENT_SHARE[s] for s in SEGMENTS])
    noise = rng.standard_normal((n, 2))
    uniforms = rng.random((n, 4))
    rates = rng.gamma(2.0, 0.5, size=n)
    late_probs = rng.beta(1.2, 14.0, size=n)
    users = []
    for i in range(n):
        segment = SEGMENTS[segment_idx[i]]
        age = _age(segment, uniforms[i, 0])
        score = _credit_score(segment, noise[i, 0])
        wealthy = segment == "individual" and age >= 40 and score >= 700 and uniforms[i, 1] < 0.5
        users.append(
            User(
                index=i,
                user_id=f"{config.user_prefix}-{i + 1}",
                segment=segment,
                age=age,
                credit_score=score,
                credit_limit=_credit_limit(segment, score, noise[i, 1]),
                loans_per_month=LOANS_PER_MONTH[segment] * float(rates[i]),
                product_weights=_product_weights(segment, wealthy, rng),
                channel=CHANNELS[int(rng.choice(len(CHANNELS), p=CHANNEL_MIX[segment]))],
                devices=tuple(new_device_id(rng) for _ in range(1 + (uniforms[i, 2] < 0.3))),
                late_prob=float(late_probs[i]),
                include_currency=bool(uniforms[i, 3] < 0.7),
            )
        )
    return users


def _age(segment: str, u: float) -> int:
    low, high = AGE_RANGE[segment]
    return int(low + u * (high - low))


def _credit_score(segment: str, z: float) -> int:
    mean, sd = SCORE[segment]
    return int(np.clip(round(mean + sd * z), 350, 950))


def _credit_limit(segment: str, score: int, z: float) -> int:
    """Lognormal around a score-dependent median, rounded to 100 yuan like real approvals."""
    median = LIMIT_AT_650[segment] * np.exp((score - 650) / 100)
    limit = round(median * np.exp(LIMIT_SIGMA * z), -2)
    return int(np.clip(limit, *LIMIT_RANGE))


def _product_weights(segment: str, wealthy: bool, rng: np.random.Generator) -> tuple[float, ...]:
    """The segment's product mix, perturbed per user (Dirichlet) so users have habits."""
    base = np.array(PRODUCT_MIX[segment])
    if wealthy:
        base[PRODUCTS.index("wealth_pledge")] = WEALTH_PLEDGE_WEIGHT
    used = base > 0
    weights = np.zeros_like(base)
    weights[used] = rng.dirichlet(8.0 * base[used] / base[used].sum())
    return tuple(float(w) for w in weights)
