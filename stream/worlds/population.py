"""Who the borrowers are: segment, limits, habits, devices and favourite merchants.

Every user gets a private random stream derived from (world, seed, user), so a
user's profile does not change when the population size or another user does.
Heterogeneity is deliberate: activity is gamma-distributed (many quiet users,
a few heavy ones), lateness is beta-distributed (most rarely late, a few
habitually), and each user has personal hours, channels and products, so that
"normal" is a wide cloud rather than one point.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .clock import DAY, SEGMENT_HOURS, Window, personal_hours
from .loans import RepayHabit
from .spec import SEGMENTS, WorldSpec, weights

#: Per-product limit as a multiple of the user's base limit (per_product worlds).
PRODUCT_LIMIT_FACTOR = {
    "credit_line": 0.5,
    "cash_loan": 0.6,
    "installment": 0.6,
    "merchant_loan": 1.0,
    "wealth_pledge": 1.2,
}
#: Base channel weights per product, before the world's and the user's bias.
PRODUCT_CHANNELS = {
    "cash_loan": {"app": 0.75, "web": 0.15, "partner": 0.10},
    "credit_line": {"app": 0.40, "merchant": 0.35, "partner": 0.25},
    "installment": {"merchant": 0.50, "app": 0.30, "partner": 0.20},
    "merchant_loan": {"app": 0.50, "web": 0.40, "partner": 0.10},
    "wealth_pledge": {"app": 0.80, "web": 0.20},
}


def user_rng(spec: WorldSpec, seed: int, idx: int, stream: str) -> random.Random:
    """An independent, reproducible random stream for one user and one purpose."""
    return random.Random(f"{spec.name}|{seed}|{idx}|{stream}")


def new_device(rng: random.Random, tag: str) -> str:
    """A fresh device id (40 random bits: collisions are negligible)."""
    return f"w{tag}-d{rng.getrandbits(40):010x}"


@dataclass
class UserProfile:
    """A borrower's stable traits; mutable lists (devices) evolve during simulation."""

    idx: int
    user_id: str
    segment: str
    score: int
    join_t: int
    base_limit: float
    product_limits: dict[str, float]
    habitual: dict[str, float]  # product -> weight of the products the user uses
    offered: tuple[str, ...]  # products the lender offers this user
    rate_per_day: float
    amount_scale: float
    cum_hours: list[float]
    channel_pref: dict[str, float]
    devices: list[str]
    web_device: str
    merchants: list[str]
    habit: RepayHabit


def merchant_id(spec: WorldSpec, index: int) -> str:
    return f"w{spec.tag}-m{index:06d}"


def merchant_pool(spec: WorldSpec, users: int) -> list[str]:
    """The world's established merchants; a few are much more popular than the rest.

    Merchants outside the pool (same id format, higher numbers) are shops new
    to the platform, which is what episodes use for a never-seen merchant.
    """
    return [merchant_id(spec, i) for i in range(max(40, users // 8))]


def new_merchant(rng: random.Random, spec: WorldSpec, pool: int) -> str:
    """A merchant id beyond the established pool of size ``pool``: a shop new to the platform."""
    return merchant_id(spec, pool + rng.randrange(10 * pool))


def _beta_with_mean(rng: random.Random, mean: float, concentration: float = 1.2) -> float:
    """A beta draw with the given mean; low concentration = a few users far above the mean."""
    mean = min(max(mean, 1e-4), 0.95)
    if mean < 0.5:
        return rng.betavariate(concentration, concentration * (1 - mean) / mean)
    return rng.betavariate(concentration * mean / (1 - mean), concentration)


def _pick_products(rng: random.Random, mix: dict[str, float], k: int) -> dict[str, float]:
    """k distinct products drawn by weight, each with a personal usage weight."""
    pool = dict(mix)
    chosen: dict[str, float] = {}
    while pool and len(chosen) < k:
        product = rng.choices(list(pool), weights=list(pool.values()))[0]
        chosen[product] = pool.pop(product) * rng.uniform(0.4, 1.6)
    return chosen


def make_user(spec: WorldSpec, seed: int, idx: int, window: Window, merchants: list[str]) -> UserProfile:
    """Draw one user's profile from the world's knobs."""
    rng = user_rng(spec, seed, idx, "profile")
    segment = rng.choices(SEGMENTS, weights=spec.segment_shares)[0]
    seg_i = SEGMENTS.index(segment)
    score_mean, score_sd = {"individual": (665, 70), "small_business": (645, 80), "student": (600, 45)}[segment]
    score = int(min(950, max(350, rng.gauss(score_mean, score_sd))))

    step = 100.0 if segment == "student" else 500.0
    base = spec.limit_medians[seg_i] * rng.lognormvariate(0, 0.55) * (1.0 + (score - 650) / 400)
    base_limit = max(step * 5, round(base / step) * step)

    mix = weights(spec.product_mix[seg_i])
    wealthy = segment != "student" and rng.random() < 0.12
    if not wealthy:
        mix.pop("wealth_pledge", None)
    offered = tuple(mix)
    lo, hi = spec.products_per_user
    habitual = _pick_products(rng, mix, rng.randint(lo, min(hi, len(mix))))
    product_limits = {
        p: max(500.0, round(base_limit * PRODUCT_LIMIT_FACTOR[p] * rng.uniform(0.7, 1.3) / 100) * 100)
        for p in offered
    }

    activity = rng.gammavariate(spec.activity_shape, 1.0 / spec.activity_shape)
    rate_per_day = spec.loans_per_month[seg_i] / 30.0 * activity

    hours = SEGMENT_HOURS[segment]
    peaked = [w * w for w in hours]  # personal peaks cluster in the busy hours
    peak = rng.choices(range(24), weights=peaked)[0] + rng.uniform(-0.5, 0.5)
    cum_hours = personal_hours(segment, peak, spec.night_share)
    pay_peak = rng.choices(range(24), weights=peaked)[0]
    pay_hours = personal_hours(segment, pay_peak, spec.night_share / 2)

    channel_pref = {c: w * rng.lognormvariate(0, 0.5) for c, w in weights(spec.channel_bias).items()}
    n_phones = 1 if rng.random() >= spec.multi_device_share else (2 if rng.random() < 0.85 else 3)
    devices = [new_device(rng, spec.tag) for _ in range(n_phones)]
    popular = max(1, len(merchants) // 10)
    favourites = [
        merchants[rng.randrange(popular)] if rng.random() < 0.6 else rng.choice(merchants)
        for _ in range(rng.randint(1, 4))
    ]

    p_late = _beta_with_mean(rng, spec.late_share)
    habit = RepayHabit(
        p_late=p_late,
        grace_share=min(1.0, max(0.0, rng.gauss(spec.late_grace_share, 0.1))),
        late_mean=spec.late_mean_days * rng.uniform(0.6, 1.5),
        p_early=_beta_with_mean(rng, spec.early_share, 2.0),
        p_partial=spec.partial_share * rng.uniform(0.3, 2.0),
        p_default=min(0.3, spec.default_share * (0.4 + 6 * p_late)),
        autodebit=rng.random() < spec.autodebit_share,
        pay_hours=pay_hours,
    )

    new_user = rng.random() < spec.new_user_share
    join_t = int(rng.uniform(0, max(DAY, window.end - 2 * DAY))) if new_user else window.warmup_start
    return UserProfile(
        idx=idx,
        user_id=f"w{spec.tag}-{idx:06d}",
        segment=segment,
        score=score,
        join_t=join_t,
        base_limit=base_limit,
        product_limits=product_limits,
        habitual=habitual,
        offered=offered,
        rate_per_day=rate_per_day,
        amount_scale=rng.lognormvariate(0, 0.35),
        cum_hours=cum_hours,
        channel_pref=channel_pref,
        devices=devices,
        web_device=new_device(rng, spec.tag),
        merchants=favourites,
        habit=habit,
    )


def build_population(spec: WorldSpec, seed: int, users: int, window: Window) -> list[UserProfile]:
    """All users of a world run."""
    merchants = merchant_pool(spec, users)
    return [make_user(spec, seed, i, window, merchants) for i in range(users)]
