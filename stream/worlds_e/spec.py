"""The shape of a family-E world: products, segments, habits, calendar windows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

Weights = tuple  # ((name, weight), ...)


@dataclass(frozen=True)
class Product:
    median: float  # typical amount in yuan for a user of scale 1
    sigma: float  # lognormal spread of one loan around the user's typical amount
    lo: float
    hi: float
    terms: Weights  # ((term_days, weight), ...)
    channels: Weights  # ((channel, weight), ...)
    purposes: Weights = ()  # ((purpose, weight), ...); empty -> field omitted
    monthly: bool = False  # terms >= 60 days are repaid in monthly instalments
    cents: bool = False  # checkout purchases keep their cents
    step: int = 100  # otherwise amounts are rounded to this many yuan


@dataclass(frozen=True)
class Segment:
    share: float
    products: Weights  # ((product, weight), ...)
    limit: float  # median total approved limit in yuan
    limit_sigma: float
    rate: float  # mean loan requests per user per day (gamma-distributed across users)
    score: int  # mean credit score
    night: float  # share of night owls
    scale_sigma: float = 0.45  # spread of users' typical amounts


@dataclass(frozen=True)
class Window:
    """A calendar multiplier. `start`/`end` are dates, or ints = days from the
    start of the test window (platform events). `end` is exclusive."""

    start: date | int
    end: date | int
    factor: float = 1.0
    segments: tuple = ()  # empty = every segment
    products: Weights = ()  # product-mix boosts on these days
    channels: Weights = ()  # channel-mix boosts on these days
    basket: float = 1.0  # amount multiplier on these days
    weekday: int | None = None  # relative windows: move start forward to this weekday
    label: str = ""


@dataclass(frozen=True)
class Habits:
    late_share: float  # users who are routinely late
    late_days: int  # how late they usually are (max days)
    early_p: float  # mean chance a loan is repaid early
    refi_share: float  # users who borrow again right after repaying
    burst_p: float  # mean chance an active day has 2-3 loans
    new_phone: float  # users who switch to a new phone during the window
    big_share: float  # users with one big one-off purchase/loan
    bad_base: float  # per-loan chance an ordinary punctual user goes bad
    bad_late: float  # per-loan chance a routinely late user goes bad
    raise_p: float  # chance a limit raise follows a clean payoff
    raise_mul: tuple = (1.1, 1.5)
    cut_days: int = 0  # a repayment this late (or later) halves the limit; 0 = never
    minpay_share: float = 0.0  # credit-line revolvers paying a minimum at the bill date
    autodebit: float = 0.0  # users whose on-time repayments are auto-debited at 06:xx
    snap: str = ""  # early repayments move to: "fri_sat", "allowance" (1st-5th), "payday" (10th/15th)


@dataclass(frozen=True)
class World:
    name: str
    code: str  # short id prefix
    desc: str
    typologies: tuple
    segments: dict  # name -> Segment
    products: dict  # name -> Product
    habits: Habits
    hours: tuple  # 24 relative weights for loan request hours
    weekdays: tuple  # 7 factors, Monday first
    cny: tuple  # (days before, days after, depth, pre-CNY factor, pre days, post factor, post days)
    windows: tuple = ()  # Window, calendar or relative (platform events)
    limit_mode: str = "total"  # or "per_product" (credit_limit = that product's limit)
    product_split: Weights = ()  # per_product: share of the total limit per product
    episode_bad: float = 0.7  # chance a risk episode goes bad
    bad_mix: tuple = (0.35, 0.4, 0.25)  # very late, never, partial
    anomalous: float = 0.04
    p_test: float = 0.45  # share of episodes started in the test window
    typo_weights: dict = field(default_factory=dict)
    new_users: float = 0.1  # users who join during the window
    merchants_per_user: float = 0.3
    merchant_zipf: float = 0.9
    households: tuple = (0.0, 2, 2)  # (share of users, min size, max size) sharing a phone
    shop_terminals: bool = False  # merchant-channel loans carry the shop terminal's device id
    partner_device: bool = False  # partner-channel loans carry a device id
    partner_sync_h: int = 0  # partner loans are checked against an outstanding this many hours old
    outstanding: bool = True  # repayments carry `outstanding`
    score_p: float = 0.9  # share of users whose loans carry `credit_score`
    currency: bool = False  # write the optional currency field
    short_product: str = "cash_loan"  # product for spirals and escalations
    max_limit: float = 5_000_000
    outage: tuple | None = None  # (day offset in test window, weekday, start hour, hours)
    campaign: tuple | None = None  # (day offset, share of users, min mul, max mul, uptake, uptake days)
