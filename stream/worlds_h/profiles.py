"""Customers: who each user is and what their habits are.

Why: realistic variety in normal behaviour comes from per-user habits (one
borrows weekly on Fridays, another once; one is late now and then, another
repays early; some change phones). Sampling them up front also lets a
typology reshape an account (e.g. a brand-new synthetic identity) before the
normal behaviour is simulated.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from random import Random
from typing import Optional

from . import ids
from .context import Ctx
from .habits import lognormal, pick, round_to
from .spec import Habits
from .timebase import DAY, date_of_day


@dataclass
class Profile:
    idx: int
    user_id: str
    segment: str
    hab: Habits
    seed: int
    limit: float
    score: int
    has_score: bool
    mode: str
    rate: float
    draw_frac: float
    heavy: bool
    main_product: str
    main_channel: str
    hour_style: str
    fav_weekday: int
    fav_mday: int
    bill_day: int
    late_prop: float
    late_scale: float
    early_prop: float
    full_pay: float
    auto_debit: bool
    purpose: str
    devices: list[tuple[int, str]] = field(default_factory=list)
    merchants: list[str] = field(default_factory=list)
    score_steps: tuple[int, int, int] = (0, 0, 0)
    start_day: int = 0
    normal_enabled: bool = True
    opening_enabled: bool = True
    min_history_loans: int = 0
    anomalous: bool = False
    typology: Optional[str] = None

    def device_at(self, t: int) -> str:
        times = [d[0] for d in self.devices]
        return self.devices[max(0, bisect_right(times, t) - 1)][1]

    def score_at(self, t: int) -> int:
        """Bureau scores refresh monthly: January, February, March."""
        month = date_of_day(t // DAY).month if t >= 0 else 1
        step = self.score_steps[min(2, max(0, month - 1))]
        return int(min(950, max(350, self.score + step)))

    def pick_product(self, rng: Random) -> str:
        return self.main_product if rng.random() < 0.72 else pick(rng, self.hab.products)

    def pick_channel(self, rng: Random) -> str:
        return self.main_channel if rng.random() < 0.8 else pick(rng, self.hab.channels)


def sample_profile(idx: int, ctx: Ctx, rng: Random) -> Profile:
    """Draw one customer of this lender."""
    spec = ctx.spec
    seg = pick(rng, spec.segments)
    h = spec.habits[seg]
    limit_step = 100.0 if h.limit.median < 100_000 else 1000.0
    limit = round_to(lognormal(rng, h.limit), limit_step)
    heavy = rng.random() < h.heavy_share
    draw_frac = rng.uniform(0.7, 0.95) if heavy else lognormal(rng, h.draw_frac)
    late_user = rng.random() < h.late_share
    early_user = rng.random() < h.early_share
    score = int(lognormal(rng, h.score))
    s1 = int(rng.gauss(0, 8))
    s2 = s1 + int(rng.gauss(0, 8))
    prof = Profile(
        idx=idx,
        user_id=ids.user_id(spec.id_styles["user"], idx),
        segment=seg,
        hab=h,
        seed=rng.getrandbits(64),
        limit=limit,
        score=score,
        has_score=rng.random() < h.has_score,
        mode=pick(rng, h.modes),
        rate=lognormal(rng, h.rate),
        draw_frac=draw_frac,
        heavy=heavy,
        main_product=pick(rng, h.products),
        main_channel=pick(rng, h.channels),
        hour_style=pick(rng, h.hours),
        fav_weekday=rng.choices(range(7), weights=spec.weekday)[0],
        fav_mday=rng.randint(1, 28),
        bill_day=rng.randint(1, 28),
        late_prop=min(0.95, h.late_prob * rng.uniform(0.5, 1.5)) if late_user else 0.01,
        late_scale=rng.uniform(1.0, 3.5),
        early_prop=rng.uniform(0.5, 0.95) if early_user else rng.uniform(0.0, 0.1),
        full_pay=min(0.98, max(0.05, h.full_pay + rng.gauss(0, 0.2))),
        auto_debit=rng.random() < spec.auto_debit,
        purpose=pick(rng, h.purposes),
        score_steps=(0, s1, s2),
    )
    _devices(prof, ctx, rng)
    _merchants(prof, ctx, rng)
    return prof


def _devices(prof: Profile, ctx: Ctx, rng: Random) -> None:
    """One phone, sometimes a new one mid-stream, and the lender's app migration if any."""
    spec = ctx.spec
    devs = [(-(1 << 62), ids.device_id(spec.device_style, rng))]
    if rng.random() < spec.device_change:
        t = rng.randrange(DAY, ctx.span.end)
        devs.append((t, ids.device_id(ctx.device_style_at(t), rng)))
    win = ctx.migration_window()
    if win and spec.migration:
        t = rng.randrange(win[0], win[1])
        devs = [d for d in devs if d[0] < t] + [(t, ids.device_id(spec.migration[0], rng))]
    prof.devices = sorted(devs)


def _merchants(prof: Profile, ctx: Ctx, rng: Random) -> None:
    if ctx.spec.merchant_mode == "own":
        prof.merchants = [ctx.new_merchant_id()]
    elif ctx.merchant_pool:
        k = rng.choice((1, 1, 2, 2, 3, 4))
        prof.merchants = list(dict.fromkeys(ctx.pick_merchant(rng) for _ in range(k)))
