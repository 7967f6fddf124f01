"""Ordinary borrowing: one user's book of loans, grown day by day from their habits.

``UserBook`` is the per-user state both normal behaviour and anomalous
episodes write into.  Normal borrowing is a thinned Poisson process (weekday
rhythm, festival surges) starting in a warm-up period before the window, so
the monitor is switched on over a live portfolio.  Each would-be loan is sized
from the user's limit and habits and checked against what is still available,
which is what keeps balances under a *total* limit, and lets them exceed a
*per-product* one.  An episode runs between two ``advance`` calls and uses the
same book, so limits, balances and devices stay consistent around it.
"""

from __future__ import annotations

import random

from .clock import DAY, Window, time_on_day
from .loans import MIN_AMOUNT, Loan, RepayHabit, round_amount, schedule
from .population import PRODUCT_CHANNELS, UserProfile, new_device, new_merchant, user_rng
from .spec import WorldSpec, weights

FESTIVAL_PRODUCTS = {"credit_line": 3.0, "installment": 2.5}


class UserBook:
    """Everything one user has done so far: loans, limit changes, devices."""

    def __init__(self, profile: UserProfile, spec: WorldSpec, window: Window, seed: int, merchants: list[str]):
        self.profile = profile
        self.spec = spec
        self.window = window
        self.merchants = merchants
        self.rng = user_rng(spec, seed, profile.idx, "normal")
        self.habit: RepayHabit = profile.habit
        self.loans: list[Loan] = []
        self.limit_changes: list[tuple[int, str | None, float]] = []  # (t, product or None=total, new limit)
        self.device_changes: list[tuple[int, str]] = []  # (t, new primary phone)
        self.score_changes: list[tuple[int, int]] = []  # (t, delta)
        #: Loans the normal process opens inside this span belong to an episode.
        self.label_span: tuple[int, int, str] | None = None
        #: Late payments due from this time on belong to an episode (overdue escalation).
        self.late_label: tuple[int, str] | None = None
        self._shares = weights(spec.amount_share)
        self._festival_days = {window.history_days + d for d in spec.festival_days}
        self._arrivals = self._draw_arrivals()
        self._limit_ups = self._draw_poisson(spec.limit_increase_per_month / 30.0)
        self._phone_changes = self._draw_poisson(spec.phone_change_per_month / 30.0)
        self._next = 0

    # ------------------------------------------------------------ state queries
    @property
    def per_product(self) -> bool:
        return self.spec.limit_mode == "per_product"

    def limit(self, t: int, product: str | None = None) -> float:
        """The approved limit at ``t``: the total one, or ``product``'s in per-product worlds."""
        key = product if self.per_product else None
        if key is None:
            value = self.profile.base_limit
        else:
            value = self.profile.product_limits.get(key, self.profile.base_limit * 0.5)
        for when, which, new in self.limit_changes:
            if when <= t and which == key:
                value = new
        return value

    def outstanding(self, t: int, product: str | None = None) -> float:
        """Principal owed just after ``t`` (all products, or one)."""
        total = 0.0
        for loan in self.loans:
            if loan.t <= t and (product is None or loan.product == product):
                total += loan.remaining(t)
        return total

    def available(self, t: int, product: str) -> float:
        """Headroom left under the limit that governs ``product``."""
        if self.per_product:
            return self.limit(t, product) - self.outstanding(t, product)
        return self.limit(t) - self.outstanding(t)

    def phone(self, t: int) -> str:
        """The user's main phone at ``t`` (the latest one after a phone change)."""
        current = self.profile.devices[0]
        for when, device in self.device_changes:
            if when <= t:
                current = device
        return current

    def score(self, t: int) -> int:
        """Credit score at ``t``: the profile's plus bureau drift (episodes can push it down)."""
        delta = sum(d for when, d in self.score_changes if when <= t)
        wobble = ((t // (30 * DAY)) * 7919 + self.profile.idx) % 21 - 10  # monthly refresh noise
        return int(min(950, max(350, self.profile.score + delta + wobble)))

    def loans_before(self, t: int) -> list[Loan]:
        return [loan for loan in self.loans if loan.t < t]

    # ------------------------------------------------------------ field choices
    def pick_term(self, rng: random.Random, product: str, short: bool = False) -> int:
        options = self.spec.term_options(product)
        if short:
            shorter = [(t, w) for t, w in options if t <= 31]
            options = tuple(shorter) or options
        return rng.choices([t for t, _ in options], weights=[w for _, w in options])[0]

    def pick_channel(self, rng: random.Random, product: str) -> str:
        base = PRODUCT_CHANNELS[product]
        names = list(base)
        w = [base[c] * self.profile.channel_pref.get(c, 1.0) for c in names]
        return rng.choices(names, weights=w)[0]

    def pick_device(self, rng: random.Random, t: int, channel: str) -> str | None:
        """The device a loan is taken on; partners and tills often don't pass one."""
        if rng.random() < self.spec.device_missing_share:
            return None
        if channel == "web":
            return self.profile.web_device
        if channel == "partner" and rng.random() < 0.5:
            return None
        if channel == "merchant" and rng.random() < 0.3:
            return None
        others = self.profile.devices[1:]
        if others and rng.random() < 0.2:
            return rng.choice(others)
        return self.phone(t)

    def pick_merchant(self, rng: random.Random) -> str:
        """Mostly a favourite shop, sometimes any, now and then one new to the platform."""
        x = rng.random()
        if x < 0.78:
            return rng.choice(self.profile.merchants)
        if x < 0.98:
            return rng.choice(self.merchants)
        return new_merchant(rng, self.spec, len(self.merchants))

    def pick_purpose(self, rng: random.Random, product: str) -> str | None:
        if rng.random() >= self.spec.purpose_share:
            return None
        segment = self.profile.segment
        if product == "merchant_loan" or (segment == "small_business" and rng.random() < 0.55):
            return "business"
        if segment == "student" and product == "installment" and rng.random() < 0.3:
            return "education"
        return "consumption"

    def typical_amount(self, product: str, t: int) -> float:
        """The user's median loan size for a product (before noise)."""
        ref = self.limit(t, product) if self.per_product else self.limit(t)
        return self._shares.get(product, 0.15) * ref * self.profile.amount_scale

    # ------------------------------------------------------------ writing loans
    def new_loan_id(self) -> str:
        return f"w{self.spec.tag}-L{self.profile.idx:06d}-{len(self.loans):03d}"

    def add_loan(
        self,
        rng: random.Random,
        t: int,
        amount: float,
        product: str,
        term_days: int,
        channel: str,
        *,
        device_id: str | None = None,
        merchant_id: str | None = None,
        purpose: str | None = None,
        label: int = 0,
        scenario: str = "normal",
        habit: RepayHabit | None = None,
        default_after: int | None = None,
        allow_early: bool = True,
        credit_limit: float | None = None,
    ) -> Loan:
        """Record a loan (with its repayment schedule) and return it."""
        if channel == "merchant" and merchant_id is None:
            merchant_id = self.pick_merchant(rng)
        if channel != "merchant":
            merchant_id = None
        reported = self.limit(t, product) if credit_limit is None else credit_limit
        loan = Loan(
            loan_id=self.new_loan_id(),
            t=t,
            amount=round_amount(product, amount),
            product=product,
            term_days=int(term_days),
            channel=channel,
            credit_limit=round(max(0.0, reported), 2),
            credit_score=self.score(t) if rng.random() < self.spec.credit_score_share else None,
            device_id=device_id,
            merchant_id=merchant_id,
            purpose=purpose,
            label=label,
            scenario=scenario,
        )
        schedule(loan, rng, habit or self.habit, default_after=default_after, allow_early=allow_early)
        self.loans.append(loan)
        return loan

    def set_limit(self, t: int, new_limit: float, product: str | None = None) -> None:
        """A limit change from ``t`` on (``product`` only matters in per-product worlds)."""
        self.limit_changes.append((t, product if self.per_product else None, new_limit))
        self.limit_changes.sort(key=lambda c: c[0])

    # ------------------------------------------------------------ normal process
    def _draw_poisson(self, rate_per_day: float) -> list[int]:
        """Event times of a homogeneous Poisson process over the simulated span."""
        times: list[int] = []
        if rate_per_day <= 0:
            return times
        t = float(max(self.profile.join_t, self.window.warmup_start))
        while True:
            t += self.rng.expovariate(rate_per_day) * DAY
            if t >= self.window.end:
                return times
            times.append(int(t))

    def _day_rate(self, day: int) -> float:
        mult = self.spec.weekday_mult[self.window.weekday(day * DAY)]
        if day in self._festival_days:
            mult *= self.spec.festival_mult
        elif day + 1 in self._festival_days:
            mult *= 1 + (self.spec.festival_mult - 1) * 0.2  # the eve warms up
        return mult

    def _draw_arrivals(self) -> list[int]:
        """Would-be loan times: a thinned Poisson process with weekday and festival rhythm."""
        peak = max(self.spec.weekday_mult) * max(1.0, self.spec.festival_mult)
        rate = self.profile.rate_per_day * peak
        times: list[int] = []
        if rate <= 0:
            return times
        x = float(max(self.profile.join_t, self.window.warmup_start)) / DAY
        end = self.window.end / DAY
        first_day = int(x)
        while True:
            x += self.rng.expovariate(rate)
            if x >= end:
                break
            day = int(x // 1)
            if self.rng.random() * peak < self._day_rate(day):
                t = time_on_day(self.rng, day, self.profile.cum_hours)
                if day > first_day or t >= self.profile.join_t:
                    times.append(max(t, self.profile.join_t))
        if self.profile.join_t >= 0 and (not times or times[0] > self.profile.join_t + 3 * DAY):
            times.insert(0, self.profile.join_t + self.rng.randrange(DAY))  # a new account borrows soon
        times.sort()
        return times

    def _limit_up(self, t: int) -> None:
        """A routine limit raise for a user in good standing."""
        if self.profile.score < 600 or self.habit.p_late > 0.2:
            return
        lo, hi = self.spec.limit_increase_factor
        product = self.rng.choice(list(self.profile.habitual)) if self.per_product else None
        old = self.limit(t, product)
        step = 100.0 if self.profile.segment == "student" else 500.0
        self.set_limit(t, round(old * self.rng.uniform(lo, hi) / step) * step, product)

    def _normal_loan(self, t: int) -> None:
        rng = self.rng
        festival = t // DAY in self._festival_days
        mix = dict(self.profile.habitual)
        if rng.random() < 0.04:  # now and then a user tries another product on offer
            mix = {p: 1.0 for p in self.profile.offered}
        if festival:
            for product, boost in FESTIVAL_PRODUCTS.items():
                if product in self.profile.offered:
                    mix[product] = mix.get(product, 0.3) * boost
        product = rng.choices(list(mix), weights=list(mix.values()))[0]
        amount = self.typical_amount(product, t) * rng.lognormvariate(0, 0.6) * (1.4 if festival else 1.0)
        available = self.available(t, product)
        if amount > available:
            if rng.random() < 0.01 and not self.per_product:
                pass  # a rare promotional overdraw just past the limit
            elif available >= MIN_AMOUNT[product] and rng.random() < 0.6:
                amount = available * rng.uniform(0.4, 0.95)
            else:
                return
        if amount < MIN_AMOUNT[product]:
            if available < MIN_AMOUNT[product]:
                return
            amount = MIN_AMOUNT[product] * rng.uniform(1.0, 2.0)
        channel = self.pick_channel(rng, product)
        label, scenario = 0, "normal"
        if self.label_span and self.label_span[0] <= t < self.label_span[1]:
            label, scenario = 1, self.label_span[2]
        self.add_loan(
            rng,
            t,
            amount,
            product,
            self.pick_term(rng, product),
            channel,
            device_id=self.pick_device(rng, t, channel),
            purpose=self.pick_purpose(rng, product),
            label=label,
            scenario=scenario,
        )

    def advance(self, until: int) -> None:
        """Run the normal process for every would-be event before ``until``."""
        arrivals = self._arrivals
        while self._next < len(arrivals) and arrivals[self._next] < until:
            t = arrivals[self._next]
            self._next += 1
            while self._limit_ups and self._limit_ups[0] <= t:
                self._limit_up(self._limit_ups.pop(0))
            while self._phone_changes and self._phone_changes[0] <= t:
                when = self._phone_changes.pop(0)
                self.device_changes.append((when, new_device(self.rng, self.spec.tag)))
            self._normal_loan(t)
