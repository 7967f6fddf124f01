"""The generation context: seeded randomness, loan/repayment constructors and
balance / limit look-ups shared by world and typology code.

Keeping construction here means every generator produces events the same way
(ids, default device/merchant/purpose from the world, score drift), so the
only differences between normal and anomalous events are behavioural.
"""
from __future__ import annotations

import bisect
import random
from typing import TYPE_CHECKING, Callable

from .contract import clip_score, clip_term, money
from .model import Ev, User
from .timeline import DAY

if TYPE_CHECKING:
    from .worlds.base import World

DEFAULT = object()


class Ctx:
    def __init__(self, world: "World", seed: int, n_users: int, history_days: int, test_days: int) -> None:
        self.world = world
        self.seed = seed
        self.n_users = n_users
        self.history_days = history_days
        self.test_days = test_days
        self.days = history_days + test_days
        self.h_end = history_days * DAY
        self.end = self.days * DAY
        self.users: list[User] = []
        self.shared: dict = {}          # state typology episodes share (e.g. a fraudster's phones)
        self._loans = 0

    # -- randomness -----------------------------------------------------
    def rng(self, *parts: object) -> random.Random:
        """An independent stream per purpose; str seeds hash with sha512, so runs are reproducible."""
        return random.Random(":".join(str(p) for p in (self.seed, self.world.name) + parts))

    # -- construction ---------------------------------------------------
    def next_loan_id(self, user: User) -> str:
        self._loans += 1
        return self.world.loan_id(self._loans, user)

    def _add(self, user: User, ev: Ev) -> Ev:
        user.events.append(ev)
        return ev

    def loan(self, user: User, t: int, amount: float, product: str, term: float, channel: str,
             rng: random.Random, *, device: object = DEFAULT, merchant: object = DEFAULT,
             purpose: object = DEFAULT, score: int | None = None, segment: str | None = None,
             label: int = 0, scenario: str = "normal", protected: bool | None = None) -> Ev:
        w = self.world
        user.seq += 1
        if channel == "merchant" and product in ("cash_loan", "wealth_pledge"):
            channel = "app" if user.devices else "web"      # cash is not drawn at a till
        if device is DEFAULT:
            device = w.device_for(user, channel, rng)
        if channel != "merchant":
            merchant = None
        elif merchant is DEFAULT:
            merchant = w.merchant_for(user, product, rng)
        if purpose is DEFAULT:
            purpose = w.purpose_for(user, product, rng)
        if score is None:
            score = clip_score(user.score + rng.gauss(0, 6))
        ev = Ev(t=int(t), kind="loan", user=user, loan_id=self.next_loan_id(user), amount=money(amount),
                seq=user.seq, product=product, term=clip_term(term), channel=channel, device=device,
                merchant=merchant, purpose=purpose, segment=segment or user.segment, score=score,
                label=label, scenario=scenario, protected=bool(label) if protected is None else protected)
        return self._add(user, ev)

    def book_loan(self, user: User, remaining: float, product: str) -> Ev:
        """A loan opened before the window: never written, but repayments point at it."""
        user.seq += 1
        ev = Ev(t=-1, kind="book", user=user, loan_id=self.next_loan_id(user), amount=money(remaining),
                seq=user.seq, product=product)
        return self._add(user, ev)

    def repay(self, user: User, loan: Ev, t: int, amount: float, principal: float, days_late: int,
              *, label: int = 0, scenario: str = "normal") -> Ev:
        user.seq += 1
        ev = Ev(t=int(t), kind="repayment", user=user, loan_id=loan.loan_id, amount=money(amount),
                seq=user.seq, principal=principal, days_late=max(0, int(days_late)),
                label=label, scenario=scenario)
        return self._add(user, ev)

    # -- schedules ------------------------------------------------------
    def pay_bullet(self, user: User, loan: Ev, due_day: int, late: int, hour: float, rng: random.Random,
                   *, parts: int = 1, rate: float = 0.0, early: int = 0, fraction: float = 1.0,
                   label: int = 0, scenario: str = "normal") -> list[Ev]:
        """Repay a loan on/around its due day, optionally in several partial payments.

        ``early`` pays that many days before the due day; ``late`` after it
        (days_late = late).  ``fraction`` < 1 leaves part of it unpaid.
        """
        out: list[Ev] = []
        principal = loan.amount * fraction
        held = max(1, due_day - loan.t // DAY)
        total = principal * (1 + rate * held / 365)
        pay_day = due_day - early + late
        for k in range(parts):
            share = 1.0 / parts
            d = pay_day + (k * rng.randint(1, 6) if k else 0)
            t = max(loan.t + 60 + k * 60, int(d * DAY + hour * 3600) + rng.randint(0, 1800))
            dl = max(0, (t // DAY) - due_day)
            out.append(self.repay(user, loan, t, total * share, principal * share, dl,
                                  label=label, scenario=scenario))
        return out

    def pay_instalments(self, user: User, loan: Ev, n: int, first_due: int, period: int,
                        late_fn: Callable[[int], int], hour_fn: Callable[[int], float],
                        *, rate: float = 0.0, stop_after: int | None = None,
                        label: int = 0, scenario: str = "normal") -> list[Ev]:
        """Equal instalments every ``period`` days, stopping at the window end or after ``stop_after``."""
        out: list[Ev] = []
        per_principal = loan.amount / n
        per_total = per_principal * (1 + rate * n * period / 365)
        for k in range(n):
            if stop_after is not None and k >= stop_after:
                break
            due = first_due + k * period
            if due * DAY >= self.end:
                break
            late = late_fn(k)
            t = max(loan.t + 60, int((due + late) * DAY + hour_fn(k) * 3600))
            out.append(self.repay(user, loan, t, per_total, per_principal, late,
                                  label=label, scenario=scenario))
        return out

    # -- look-ups -------------------------------------------------------
    def set_limit(self, user: User, t: int, value: float) -> None:
        """Record a limit change from time t on (replacing one at the same t)."""
        value = max(0.0, round(value))
        i = bisect.bisect_left(user.limits, (t, -1.0))
        if i < len(user.limits) and user.limits[i][0] == t:
            user.limits[i] = (t, value)
        else:
            user.limits.insert(i, (t, value))

    def limit_at(self, user: User, t: int) -> float:
        i = bisect.bisect_right(user.limits, (t, float("inf"))) - 1
        return user.limits[max(0, i)][1] if user.limits else 0.0

    def balance_at(self, user: User, t: int) -> float:
        """Outstanding principal just before time t."""
        b = 0.0
        for ev in user.events:
            if ev.t < t:
                if ev.kind == "repayment":
                    b -= ev.principal
                else:
                    b += ev.amount
        return max(0.0, b)

    def available_at(self, user: User, t: int) -> float:
        return max(0.0, self.limit_at(user, t) - self.balance_at(user, t))

    def loans_before(self, user: User, t: int) -> list[Ev]:
        return [e for e in user.events if e.kind == "loan" and e.t < t]
