"""payroll_bridge: salary advances through employers' HR platforms.

Unusual normal behaviour: every employer has its own payday rule (a fixed day
of month, the last working day, or every other Friday) and pay-run hour; the
workers draw advances in the ten days before their payday and the payroll
run takes them all back in one batch at 01:00-03:00 -- so thousands of
repayments share a handful of timestamps, and when an employer pays late
all its workers are "late" together.  Wages are paid early before the Spring
Festival, factories empty over the break, and a hiring wave after it brings
brand-new accounts that borrow within days (on the factory kiosk, one device
for many workers).
"""
from __future__ import annotations

import random

from ..ledger import Ctx
from ..model import Ev, User
from ..timeline import DAY, at, days_in_month, day_of_month, is_workday, weekday
from .base import World, hexid, poisson, round_to, small_hours


class PayrollBridge(World):
    name = "payroll_bridge"
    description = ("Employer-linked salary advances: per-employer paydays and 01:00-03:00 payroll batch "
                   "repayments, employer-wide delays, early festival wages and a post-festival hiring wave.")
    anomalous_share = 0.032
    typology_weights = {"loan_stacking": 1, "borrow_to_repay": 1.2, "account_takeover": 1,
                        "student_overborrowing": 0.6, "limit_jump_drain": 1, "overdue_escalation": 1,
                        "merchant_cashout_ring": 0.8, "synthetic_identity_farm": 1.2, "promo_loop_arbitrage": 1}
    products = {"cash_loan": 0.7, "credit_line": 0.3}
    channels = {"partner": 0.5, "app": 0.35, "merchant": 0.15}
    cash_term = (3, 30)
    rate = 0.0
    promo_steps = (100, 200, 300, 500)

    def event_id(self, n: int) -> str:
        return f"PB{n:08d}"

    def loan_id(self, n: int, user: User) -> str:
        return f"adv-{user.attrs.get('employer', 0):03d}-{n:07d}"

    def new_device(self, rng: random.Random) -> str:
        return "wx." + hexid(rng, 16)

    def new_merchant(self, rng: random.Random) -> str:
        return f"shop.{rng.randint(1, 9999):04d}"

    def device_for(self, user: User, channel: str, rng: random.Random) -> str | None:
        if channel == "partner":
            return f"kiosk-{user.attrs.get('employer', 0):03d}" if rng.random() < 0.3 else None
        if channel == "merchant":
            return None
        return user.devices[-1] if user.devices else None

    def merchant_for(self, user: User, product: str, rng: random.Random) -> str | None:
        return f"canteen-{user.attrs.get('employer', 0):03d}"

    def loan_hour(self, user: User, rng: random.Random) -> float:
        h = small_hours(rng, 0.04)               # night-shift workers
        if h is not None:
            return h
        return rng.uniform(12, 13.5) if rng.random() < 0.4 else rng.uniform(19, 23.5)

    def pay_hour(self, user: User, rng: random.Random) -> float:
        return user.attrs.get("run", 2.0)

    def fresh_account(self, ctx: Ctx, user: User, rng: random.Random, join_day: int) -> None:
        super().fresh_account(ctx, user, rng, join_day)
        user.limits = [(-1, 0.0)]
        ctx.set_limit(user, join_day * DAY, rng.choice((1500, 2000, 2500, 3000)))

    def stamp(self, ev: Ev, rng: random.Random) -> None:
        if ev.kind == "loan" and ev.channel == "partner":
            ev.with_ms = True
            ev.ms = rng.randint(0, 999)

    def presence(self, ev: Ev, rng: random.Random) -> None:
        ev.show_score = rng.random() < 0.3
        ev.show_purpose = rng.random() < 0.4

    # -- employers ---------------------------------------------------------
    def _paydays(self, rule: tuple, days: int, r: random.Random) -> list[int]:
        out = []
        for d in range(days + 45):
            kind = rule[0]
            if kind == "monthly" and day_of_month(d) == rule[1]:
                out.append(d)
            elif kind == "last_workday" and is_workday(d) and all(
                    not is_workday(x) for x in range(d + 1, d + 1 + days_in_month(d) - day_of_month(d))):
                out.append(d)
            elif kind == "biweekly" and weekday(d) == 4 and (d // 7) % 2 == rule[1]:
                out.append(d)
        early = r.randint(35, 39)            # wages and bonus before the factory empties
        return sorted({early if 35 <= p <= 52 else p for p in out})

    def population(self, ctx: Ctx) -> list[User]:
        g = self.np_rng(ctx)
        n = ctx.n_users
        n_emp = max(6, n // 50)
        er = ctx.rng("employers")
        rules = [er.choice((("monthly", er.choice((5, 10, 15, 20, 25))), ("last_workday",),
                            ("biweekly", er.randint(0, 1)))) for _ in range(n_emp)]
        self._emp = [{"paydays": self._paydays(rules[e], ctx.days, er), "run": er.uniform(1.0, 3.0),
                      "delay": er.random() < 0.15} for e in range(n_emp)]
        for e in self._emp:
            e["late"] = {p: (er.randint(1, 7) if e["delay"] and er.random() < 0.35 else 0) for p in e["paydays"]}
        emp = g.integers(0, n_emp, n)
        intern = g.random(n) < 0.05
        hire = g.random(n) < 0.25
        w = [4.0 if d >= 50 else 0.3 if 36 <= d < 50 else 1.0 for d in range(ctx.days)]
        out = []
        for i in range(n):
            r = ctx.rng("pop", i)
            e = int(emp[i])
            wage = r.uniform(4000, 9000) if not intern[i] else r.uniform(2500, 3500)
            jd = r.choices(range(ctx.days), weights=w)[0] if hire[i] else 0
            u = User(idx=i, uid=f"E{e:03d}W{i:05d}", segment="student" if intern[i] else "individual",
                     join_day=jd, score=int(r.gauss(610, 50)), devices=[self.new_device(r)],
                     attrs={"employer": e, "run": self._emp[e]["run"], "wage": wage,
                            "adv": r.gammavariate(1.5, 1.6), "canteen": r.uniform(2, 4.5) if r.random() < 0.65 else 0,
                            "home": r.random() < 0.3 and not hire[i], "means": wage})
            ctx.set_limit(u, -1, round_to(wage * 0.5, 100))
            out.append(u)
        return out

    def normal(self, ctx: Ctx, u: User) -> None:
        r = ctx.rng("n", u.idx)
        a, days = u.attrs, ctx.days
        emp = self._emp[a["employer"]]
        paydays = emp["paydays"]
        away = range(r.randint(34, 38), r.randint(50, 54)) if a["home"] else range(0)
        if a["home"] and days > 52:
            ctx.set_limit(u, at(52, 9), ctx.limit_at(u, 0) * r.uniform(1.05, 1.2))
        prev = -30
        for p in paydays:
            lo_d = max(prev + 1, u.join_day, 0)
            if lo_d < days and p > lo_d:
                delay = emp["late"][p]
                pt = at(p + delay, a["run"])
                cycle = max(1, p - prev)
                for _ in range(poisson(r, a["adv"] * min(cycle, 31) / 30)):
                    d = p - min(p - lo_d, int(r.triangular(1, 11, 1)))
                    if d >= days or d in away or d < lo_d:
                        continue
                    cap = max(300.0, min(ctx.limit_at(u, at(d, 12)), a["wage"] * 0.5 * min(1, (d - prev) / 30)))
                    ch = "partner" if r.random() < 0.6 else "app"
                    lo = ctx.loan(u, at(d, self.loan_hour(u, r)), round_to(r.uniform(200, cap), 100), "cash_loan",
                                  max(1, p - d), ch, r)
                    ctx.repay(u, lo, pt + r.randint(0, 240), lo.amount, lo.amount, delay)
                if a["canteen"]:
                    for d in range(lo_d, min(p, days)):
                        if not is_workday(d) or d in away:
                            continue
                        for _ in range(poisson(r, a["canteen"] / 5)):
                            lo = ctx.loan(u, at(d, r.choice((r.uniform(11, 12.5), r.uniform(17, 18.5)))),
                                          r.uniform(8, 40), "credit_line", max(1, p - d), "merchant", r,
                                          purpose="consumption")
                            ctx.repay(u, lo, pt + r.randint(0, 240), lo.amount, lo.amount, delay)
            prev = p
            if p >= days:
                break
