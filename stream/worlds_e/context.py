"""One run's shared state: calendar factors, merchants, outage, id helpers."""

from __future__ import annotations

import random
from bisect import bisect
from datetime import date
from itertools import accumulate

from .clock import DAY, HOUR, Calendar, cny_factor, mix_seed
from .spec import World


class Ctx:
    def __init__(self, world: World, seed: int, users: int, history_days: int, test_days: int) -> None:
        self.world, self.seed, self.n_users = world, seed, users
        self.hist_days, self.test_days = history_days, test_days
        self.days = history_days + test_days
        self.end = self.days * DAY
        self.test_t = history_days * DAY
        self.cal = Calendar(self.days)
        self.products = world.products
        self.rng = random.Random(mix_seed("E", world.code, seed, "ctx"))
        self._factors()
        self._merchants()
        self._outage()

    # ---- calendar -----------------------------------------------------------
    def _window_days(self, win) -> range:
        if isinstance(win.start, date):
            return range(max(0, self.cal.day_of(win.start)), min(self.days, self.cal.day_of(win.end)))
        s = self.hist_days + win.start
        if win.weekday is not None:
            while self.cal.weekday[s] != win.weekday:
                s += 1
        return range(s, min(self.days, s + (win.end - win.start)))

    def _factors(self) -> None:
        w, cal = self.world, self.cal
        before, after, depth, pre_f, pre_d, post_f, post_d = w.cny
        cny_day = cal.day_of(date(2026, 2, 17))
        base = []
        for d in range(self.days):
            f = w.weekdays[cal.weekday[d]] * cny_factor(cal.dates[d], before, after, depth)
            k = d - cny_day
            if -before - 1 - pre_d <= k < -before - 1:
                f *= pre_f
            if 3 + after < k <= 3 + after + post_d:
                f *= post_f
            base.append(f)
        self.seg_factor = {s: list(base) for s in w.segments}
        self.boost: list = [None] * self.days  # per day: (product boosts, channel boosts, basket)
        self.events: list = []  # (label, first day, last day) of platform-wide / calendar windows
        for win in w.windows:
            days = self._window_days(win)
            if len(days) and win.label:
                self.events.append((win.label, days[0], days[-1]))
            for d in days:
                for s in (win.segments or tuple(w.segments)):
                    if s in self.seg_factor:
                        self.seg_factor[s][d] *= win.factor
                if win.products or win.channels or win.basket != 1.0:
                    pb, cb, bk = self.boost[d] or ({}, {}, 1.0)
                    pb = dict(pb)
                    cb = dict(cb)
                    for k, v in win.products:
                        pb[k] = pb.get(k, 1.0) * v
                    for k, v in win.channels:
                        cb[k] = cb.get(k, 1.0) * v
                    self.boost[d] = (pb, cb, bk * win.basket)

    def _outage(self) -> None:
        self.out_lo = self.out_hi = -1
        if self.world.outage:
            off, wd, hour, hours = self.world.outage
            d = self.hist_days + off
            while self.cal.weekday[d] != wd:
                d += 1
            if d < self.days:
                self.out_lo = d * DAY + hour * HOUR
                self.out_hi = self.out_lo + hours * HOUR
                self.events.append(("outage", d, d))

    def shift(self, t: int) -> int:
        """Requests and payments during an outage go through after it (catch-up)."""
        if self.out_lo <= t < self.out_hi:
            return self.out_hi + (t * 2654435761) % 5400
        return t

    def snap(self, t: int, due: int, user, r: random.Random) -> int:
        """Move an early repayment to the world's habitual pay day, if before due."""
        mode = self.world.habits.snap
        if not mode or r.random() < 0.3:
            return t
        d = t // DAY
        for k in range(0, 32):
            dd = d + k
            if dd * DAY >= due or dd >= len(self.cal.dates):
                return t
            if ((mode == "fri_sat" and self.cal.weekday[dd] in (4, 5))
                    or (mode == "allowance" and self.cal.dom[dd] <= 5)
                    or (mode == "payday" and self.cal.dom[dd] in (10, 15))):
                if k == 0:
                    return t
                t2 = dd * DAY + bisect(user.hour_cum, r.random() * user.hour_cum[-1]) * HOUR + r.randrange(HOUR)
                return t2 if t2 < due else t
        return t

    # ---- merchants and devices ---------------------------------------------------
    def _merchants(self) -> None:
        w, r = self.world, self.rng
        n = max(20, int(self.n_users * w.merchants_per_user))
        self.merchants = self.unique_ids("m", n)
        self.merchant_set = set(self.merchants)
        self.merchant_cum = list(accumulate(1.0 / (i + 1) ** w.merchant_zipf for i in range(n)))
        self.terminals: dict[str, tuple] = {}

    def unique_ids(self, prefix: str, n: int, bits: int = 36) -> list[str]:
        seen: set = set()
        out = []
        while len(out) < n:
            x = f"{prefix}-{self.rng.getrandbits(bits):09x}"
            if x not in seen:
                seen.add(x)
                out.append(x)
        return out

    def fresh_merchant(self, r: random.Random) -> str:
        """A merchant id never used before, in the same format as the others."""
        while True:
            x = f"m-{r.getrandbits(36):09x}"
            if x not in self.merchant_set:
                self.merchant_set.add(x)
                return x

    def new_id(self, prefix: str, r: random.Random) -> str:
        return f"{prefix}-{r.getrandbits(44):011x}"

    def popular_merchant(self, r: random.Random) -> str:
        return self.merchants[bisect(self.merchant_cum, r.random() * self.merchant_cum[-1])]

    def pick_merchant(self, user, r: random.Random) -> str:
        if user.favs and r.random() < 0.75:
            return r.choice(user.favs)
        return self.popular_merchant(r)

    def terminal(self, merchant: str, r: random.Random) -> str:
        """Shop terminals: one or two devices per shop, shared by its customers."""
        tt = self.terminals.get(merchant)
        if tt is None:
            rr = random.Random(mix_seed(self.seed, self.world.code, merchant))
            tt = tuple(f"t-{rr.getrandbits(40):010x}" for _ in range(rr.choice((1, 1, 2))))
            self.terminals[merchant] = tt
        return tt[0] if len(tt) == 1 or r.random() < 0.7 else tt[1]

    # ---- amounts and purposes ---------------------------------------------------
    def round_amount(self, p, yuan: float) -> int:
        yuan = min(max(yuan, p.lo), p.hi)
        if p.cents:
            return max(100, int(round(yuan * 100)))
        step = p.step
        return max(step, int(round(yuan / step)) * step) * 100

    def purpose(self, product: str, user, r: random.Random):
        pp = self.products[product].purposes
        if not pp:
            return None
        names = [k for k, _ in pp]
        ws = []
        for k, v in pp:
            if user.segment == "small_business" and k == "business":
                v *= 4
            elif user.segment == "student" and k == "education":
                v *= 2
            elif user.segment != "small_business" and k == "business":
                v *= 0.3
            ws.append(v)
        return r.choices(names, ws)[0]
