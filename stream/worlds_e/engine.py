"""The per-user ledger: one event-driven simulation per user.

A user's timeline is a heap of actions (limit changes, repayments, loan
requests). Requests are approved against the room left under the limit (total
or per product), a loan schedules its own repayments from the user's habits or
from an outcome forced by a risk episode, and callbacks let an episode react to
what actually happened (the next link of a spiral, the next probe...). Money is
kept in integer cents, so amounts, limits and `outstanding` are exact.
"""

from __future__ import annotations

import heapq
from bisect import bisect

from .clock import DAY, HOUR, MINUTE

LIMIT, REPAY, INTENT = 0, 1, 2
MAX_CENTS = 1_000_000_000  # 10,000,000 yuan


def money(cents: int) -> int | float:
    return cents // 100 if cents % 100 == 0 else cents / 100


class Loan:
    __slots__ = ("lid", "t", "cents", "balance", "product", "term", "label", "scenario", "due", "channel")

    def __init__(self, lid, t, cents, product, term, label, scenario, channel):
        self.lid, self.t, self.cents, self.balance = lid, t, cents, cents
        self.product, self.term, self.label, self.scenario = product, term, label, scenario
        self.due = t + term * DAY
        self.channel = channel


class Intent:
    """A loan request. `cents` or `amount_fn(sim, t, room)` gives the amount;
    `fit` shrinks it to the room left instead of being declined; `stale` uses the
    world's lagging partner check; `repay` is the outcome mode (see schedule)."""

    __slots__ = ("product", "cents", "term", "channel", "device", "merchant", "purpose", "label",
                 "scenario", "fit", "min_cents", "step", "repay", "amount_fn", "on_loan", "on_decline",
                 "stale", "force")

    def __init__(self, product, cents=0, term=30, channel="app", *, device=None, merchant=None,
                 purpose=None, label=0, scenario="normal", fit=False, min_cents=5000, step=100,
                 repay="habit", amount_fn=None, on_loan=None, on_decline=None, stale=False, force=False):
        self.product, self.cents, self.term, self.channel = product, cents, term, channel
        self.device, self.merchant, self.purpose = device, merchant, purpose
        self.label, self.scenario, self.fit, self.min_cents, self.step = label, scenario, fit, min_cents, step
        self.repay, self.amount_fn, self.on_loan, self.on_decline = repay, amount_fn, on_loan, on_decline
        self.stale, self.force = stale, force


class UserSim:
    def __init__(self, ctx, user) -> None:
        self.ctx, self.w, self.u, self.rng = ctx, ctx.world, user, user.rng
        self.heap: list = []
        self.seq = 0
        self.n_loans = 0
        self.out = 0
        self.out_p: dict[str, int] = {}
        self.limit = user.limit
        self.limits = dict(user.limits) if user.limits else None
        self.recent: list = []
        self.score = user.score
        self.events: list = []  # (t, seq, event dict, label, scenario)
        self.last_raise = -30 * DAY
        self.max_cents = int(self.w.max_limit * 100)

    # ---- scheduling -------------------------------------------------------
    def _push(self, t, kind, obj) -> None:
        t = self.ctx.shift(int(t))
        self.seq += 1
        heapq.heappush(self.heap, (t, kind, self.seq, obj))

    def intent(self, t, it: Intent) -> None:
        self._push(t, INTENT, it)

    def repay_at(self, t, loan: Loan, cents=None, due=None, label=None, scenario=None) -> None:
        t = max(int(t), loan.t + MINUTE)
        self._push(t, REPAY, (loan, cents, loan.due if due is None else due,
                              loan.label if label is None else label,
                              loan.scenario if scenario is None else scenario))

    def limit_at(self, t, mul=None, value=None, product=None) -> None:
        self._push(t, LIMIT, (mul, value, product))

    # ---- helpers for typologies ------------------------------------------
    def lim(self, product: str) -> int:
        return self.limits[product] if self.limits is not None else self.limit

    def room(self, product: str) -> int:
        used = self.out_p.get(product, 0) if self.limits is not None else self.out
        return self.lim(product) - used

    def hour_time(self, day: int, odd: bool = False) -> int:
        r = self.rng
        h = r.choice((0, 1, 2, 3, 4, 5)) if odd else bisect(self.u.hour_cum, r.random() * self.u.hour_cum[-1])
        return day * DAY + min(h, 23) * HOUR + r.randrange(HOUR)

    def typical(self, product: str) -> int:
        p = self.ctx.products[product]
        return int(p.median * self.u.scale * 100)

    # ---- run --------------------------------------------------------------
    def run(self) -> None:
        end, h, pop = self.ctx.end, self.heap, heapq.heappop
        while h:
            t, kind, _, obj = pop(h)
            if t >= end:
                break
            if t < 0:
                continue
            if kind == INTENT:
                self._intent(t, obj)
            elif kind == REPAY:
                self._repay(t, *obj)
            else:
                self._limit(t, *obj)

    def _limit(self, t, mul, value, product) -> None:
        def new(old):
            v = value if value is not None else int(old * mul)
            v = max(0, min(self.max_cents, v - v % 10000))
            return v
        if self.limits is None:
            self.limit = new(self.limit)
        elif product is None:
            for p in self.limits:
                self.limits[p] = new(self.limits[p])
        elif product in self.limits:
            self.limits[product] = new(self.limits[product])

    def _device(self, channel, merchant, t):
        u, ctx = self.u, self.ctx
        if channel == "partner":
            return u.partner_dev if self.w.partner_device else None
        if channel == "web":
            return u.web_dev
        if channel == "merchant" and self.w.shop_terminals:
            return ctx.terminal(merchant, self.rng)
        if u.household_dev and self.rng.random() < 0.8:
            return u.household_dev
        return u.phone2 if t >= u.switch_t else u.phone

    def _intent(self, t, it: Intent) -> None:
        p = it.product
        room = self.room(p)
        if it.stale and self.w.partner_sync_h:
            cut = t - self.w.partner_sync_h * HOUR
            room += sum(c for tt, c in self.recent if tt > cut)
        cents = it.amount_fn(self, t, room) if it.amount_fn else it.cents
        cents = int(cents or 0)
        if cents > room and not it.force:
            if it.fit and room >= it.min_cents:
                step = it.step * 100
                cents = room - room % step if room - room % step >= it.min_cents else room
            else:
                cents = 0
        cents = min(cents, MAX_CENTS)
        if cents < 100:
            if it.on_decline:
                it.on_decline(self, t)
            return
        self.n_loans += 1
        ch = it.channel
        loan = Loan(f"{self.u.uid}-L{self.n_loans}", t, cents, p, it.term, it.label, it.scenario, ch)
        self.out += cents
        self.out_p[p] = self.out_p.get(p, 0) + cents
        if self.w.partner_sync_h:
            cut = t - self.w.partner_sync_h * HOUR
            self.recent = [x for x in self.recent if x[0] > cut]
            self.recent.append((t, cents))
        ev = {"event_id": None, "event_type": "loan", "user_id": self.u.uid, "ts": self.ctx.cal.ts(t),
              "amount": money(cents)}
        if self.w.currency:
            ev["currency"] = "CNY"
        ev["loan_id"] = loan.lid
        ev["product"] = p
        ev["term_days"] = it.term
        ev["credit_limit"] = money(max(0, self.lim(p)))
        if self.u.has_score:
            ev["credit_score"] = max(350, min(950, int(self.score)))
        ev["segment"] = self.u.segment
        if it.purpose:
            ev["purpose"] = it.purpose
        ev["channel"] = ch
        merchant = None
        if ch == "merchant":
            merchant = it.merchant or self.ctx.pick_merchant(self.u, self.rng)
        dev = it.device if it.device is not None else self._device(ch, merchant, t)
        if dev and dev != "-":
            ev["device_id"] = dev
        if merchant:
            ev["merchant_id"] = merchant
        self.seq += 1
        self.events.append((t, self.seq, ev, it.label, it.scenario))
        if it.repay != "none":
            self.schedule(loan, it.repay)
        if it.on_loan:
            it.on_loan(self, loan)

    def _repay(self, t, loan: Loan, cents, due, label, scenario) -> None:
        bal = loan.balance
        if bal <= 0:
            return
        c = bal if cents is None else min(int(cents), bal)
        if c <= 0:
            return
        late = max(0, (t - due) // DAY)
        late = min(late, (t - loan.t) // DAY)
        loan.balance -= c
        self.out -= c
        self.out_p[loan.product] -= c
        ev = {"event_id": None, "event_type": "repayment", "user_id": self.u.uid, "ts": self.ctx.cal.ts(t),
              "amount": money(c)}
        if self.w.currency:
            ev["currency"] = "CNY"
        ev["loan_id"] = loan.lid
        ev["days_late"] = int(late)
        if self.w.outstanding:
            ev["outstanding"] = money(max(0, self.out))
        self.seq += 1
        self.events.append((t, self.seq, ev, label, scenario))
        r = self.rng
        if late:
            self.score -= min(40, 3 + 2 * late)
            cut = self.w.habits.cut_days
            if cut and late >= cut:
                self.limit_at(t + HOUR, mul=0.5, product=loan.product)
        elif r.random() < 0.3:
            self.score += r.randint(1, 4)
        if loan.balance == 0 and loan.label == 0 and scenario == "normal":
            self._closed(t, loan, late)

    def _closed(self, t, loan: Loan, late: int) -> None:
        r, hb = self.rng, self.w.habits
        if not late and t - self.last_raise >= 21 * DAY and r.random() < hb.raise_p:
            self.last_raise = t
            self.limit_at(t + r.randint(HOUR, 3 * DAY), mul=r.uniform(*hb.raise_mul), product=loan.product)
        if r.random() < self.u.refi_p:
            p = self.ctx.products[loan.product]
            cents = self.ctx.round_amount(p, loan.cents / 100 * r.uniform(0.8, 1.3))
            dt = int(min(2 * DAY, r.lognormvariate(7.5, 1.1)))  # ~30 min median
            self.intent(t + 60 + dt, Intent(loan.product, cents, loan.term, loan.channel,
                                            purpose=self.ctx.purpose(loan.product, self.u, r),
                                            fit=r.random() < 0.5, min_cents=int(p.lo * 100)))

    # ---- repayment plans ---------------------------------------------------
    def _pay_time(self, t0, due, late_days=None, early=False) -> int:
        """A repayment time: `late_days` late, early (before due), or on time."""
        r, u = self.rng, self.u
        dday = due // DAY
        if late_days:
            t = (dday + late_days) * DAY + (bisect(u.hour_cum, r.random() * u.hour_cum[-1])) * HOUR
            t += r.randrange(HOUR)
            return max(t, due + late_days * DAY)
        if early:
            t = t0 + int((due - t0) * r.uniform(0.03, 0.95))
            t = self.ctx.snap(t, due, u, r)
            return max(t, t0 + 10 * MINUTE)
        if u.autodebit and r.random() < 0.9:
            t = dday * DAY + 6 * HOUR + r.randrange(HOUR)
        else:
            t = self.hour_time(dday - r.choice((0, 0, 0, 1, 1, 2)))
        if t >= due + DAY:
            t = due + r.randrange(HOUR)
        return max(t, t0 + HOUR)

    def schedule(self, loan: Loan, mode) -> None:
        """Schedule a loan's repayments. Modes: "habit" (the user's habits, with
        their small chance of going bad), "good" (habits without lateness or
        default), "episode" (bad with the world's episode_bad chance), "bad",
        "quick" (paid off within hours), ("late", days), ("early", seconds)."""
        r, u, w = self.rng, self.u, self.w
        if mode == "episode":
            mode = "bad" if r.random() < w.episode_bad else "habit"
        if mode == "habit" and r.random() < u.bad_p:
            mode = "bad"
        t0, term = loan.t, loan.term
        if mode == "quick":
            self.repay_at(t0 + r.randint(2 * MINUTE, 8 * HOUR), loan)
            return
        if isinstance(mode, tuple):
            kind, v = mode
            if kind == "late":
                self.repay_at(self._pay_time(t0, loan.due, late_days=v), loan)
            else:
                self.repay_at(t0 + v, loan)
            return
        prod = self.ctx.products[loan.product]
        n = term // 30 if prod.monthly and term >= 60 else 1
        step = (term // n) * DAY
        dues = [t0 + (i + 1) * step for i in range(n - 1)] + [loan.due]
        horizon = self.ctx.end + 40 * DAY
        per = loan.cents // n
        if mode == "bad":
            self._bad(loan, dues, per)
            return
        if n == 1 and u.minpay and loan.product == "credit_line" and r.random() < 0.6:
            first = max(100, loan.cents * r.randint(10, 20) // 100)
            self.repay_at(self._pay_time(t0, loan.due), loan, first)
            rest = loan.due + r.randint(3, 28) * DAY + r.randrange(DAY)
            self.repay_at(rest, loan, None, due=loan.due + 30 * DAY)
            return
        clean = mode == "good"
        for i, due in enumerate(dues):
            if due - step > horizon:
                break
            last = i == n - 1
            if (n == 1 or r.random() < 0.08) and r.random() < u.early_p:
                self.repay_at(self._pay_time(t0 if i == 0 else dues[i - 1], due, early=True), loan, None, due)
                return
            late = 0
            if not clean and r.random() < u.late_p:
                late = r.randint(1, u.late_max)
            self.repay_at(self._pay_time(t0, due, late_days=late), loan, None if last else per, due)

    def _bad(self, loan: Loan, dues, per) -> None:
        r, w = self.rng, self.w
        kind = r.choices(("very_late", "never", "partial"), w.bad_mix)[0]
        if loan.product == "wealth_pledge" and r.random() < 0.85:
            # collateral is sold: repaid in full, a few days late
            self.repay_at(self._pay_time(loan.t, loan.due, late_days=r.randint(1, 6)), loan)
            return
        paid = r.randint(0, min(2, len(dues) - 1)) if len(dues) > 1 else 0
        for i in range(paid):
            self.repay_at(self._pay_time(loan.t, dues[i]), loan, per, dues[i])
        if paid >= len(dues):
            return
        due = dues[paid]
        if kind == "very_late":
            cents = None if len(dues) == 1 else per * r.randint(1, 3)
            self.repay_at(self._pay_time(loan.t, due, late_days=r.randint(20, 60)), loan, cents, due)
        elif kind == "partial":
            base = loan.cents if len(dues) == 1 else per
            cents = max(100, int(base * r.uniform(0.1, 0.6)))
            self.repay_at(self._pay_time(loan.t, due, late_days=r.randint(0, 15)), loan, cents, due)
