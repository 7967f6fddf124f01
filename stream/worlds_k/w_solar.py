"""World: rooftop-solar instalments sold door to door by installer crews.

Unusual but legitimate: an installer's field tablet signs 5-15 households of a
village in one afternoon (one device, dozens of users, large loans equal to the
project limit); the `credit_limit` on a project loan is that project's own
limit; repayments are grid-settlement auto-debits at 02:00-03:30 on the 25th.
Change inside the test window: a battery-storage subsidy starts, installers
revisit villages and many established households take a second big project.
"""
from __future__ import annotations

import math

from .clock import DAY, HOUR, SPRING_FESTIVAL_DAY, profile
from .model import User
from .seeding import hex_id
from .world_base import Option, WorldBase

EVENING = profile({(18, 22): 1.0, (7, 9): 0.3}, 0.02)
BATCH = profile({2: 1.0, 3: 0.6}, 0.0)
SHOP = profile({(8, 12): 1.0, (14, 18): 0.8}, 0.02)
MORNING = profile({(6, 9): 1.0, (19, 21): 0.4}, 0.02)


class SolarInstallers(WorldBase):
    name = "solar_installers"
    description = ("rooftop-solar instalments signed in village batches on shared installer "
                   "tablets, 25th-of-month grid debits; battery add-on wave inside the test window")
    anomaly_rate = 0.03
    currency_mode = "always"
    outstanding_mode = "always"
    hours = profile({(6, 9): 0.7, (9, 12): 1.0, (12, 14): 0.6, (14, 18): 1.0, (18, 22): 0.8}, 0.03)
    typology_weights = {
        "loan_stacking": 1.0, "borrow_to_repay": 0.9, "account_takeover": 1.0,
        "student_overborrowing": 0.25, "limit_jump_drain": 0.9, "overdue_escalation": 1.2,
        "nominee_borrowing": 1.4, "strategic_default_pact": 0.8,
    }

    # setup ---------------------------------------------------------------
    def setup(self, rng):
        c = self.clock
        n_inst = max(4, self.n_users // 75)
        self.installers = []
        for _ in range(n_inst):
            days, d = [], rng.randint(0, 4)
            while d < c.days:
                if not (SPRING_FESTIVAL_DAY - 3 <= d <= SPRING_FESTIVAL_DAY + 4):
                    days.append(d)
                d += rng.randint(2, 6)
            self.installers.append({
                "mid": "mc-pv" + hex_id(rng, 7),
                "tabs": ["dv-tab" + hex_id(rng, 9) for _ in range(rng.randint(1, 3))],
                "days": days, "w": rng.paretovariate(1.4)})
        self.wave_day = c.test_day(2)
        self.segment = []
        for _ in range(self.n_users):
            r = rng.random()
            self.segment.append("small_business" if r < 0.10 else "student" if r < 0.12 else "individual")
        weights = [i["w"] for i in self.installers]
        visits: dict = {}
        self.project: dict = {}
        self.addon: dict = {}
        for idx, seg in enumerate(self.segment):
            if seg != "individual" or rng.random() > 0.75:
                continue
            k = rng.choices(range(n_inst), weights=weights)[0]
            day = rng.choice(self.installers[k]["days"])
            visits.setdefault((k, day), []).append(("p", idx))
            if day < self.wave_day and rng.random() < 0.35:
                later = [d for d in self.installers[k]["days"] if d >= self.wave_day]
                if later:
                    visits.setdefault((k, rng.choice(later)), []).append(("a", idx))
        for (k, day), members in sorted(visits.items()):
            inst = self.installers[k]
            t = c.at(day, rng.uniform(9.0, 14.0))
            tab = rng.choice(inst["tabs"])
            rng.shuffle(members)
            for kind, idx in members:
                t += int(rng.uniform(0.25, 0.7) * HOUR)
                (self.project if kind == "p" else self.addon)[idx] = (t, inst["mid"], tab)
        self.shops = ["mc-shop" + hex_id(rng, 6) for _ in range(25)]
        self.debit_days = [d for d in range(c.days) if c.dom(d) == 25]

    # users ---------------------------------------------------------------
    def marks(self):
        return {"change_day": self.wave_day}

    def make_user(self, idx, uid, rng):
        u = User(idx, uid, self.segment[idx])
        u.devices = [self.new_device(rng)]
        u.score = int(min(900, max(420, rng.gauss(660, 55))))
        t0 = self.clock.start
        u.set_limit("cash", t0, rng.choice([3000, 5000, 8000, 10000, 15000, 20000]))
        if u.segment == "small_business":
            u.set_limit("biz", t0, rng.choice([100000, 200000, 300000, 500000, 600000]))
        if u.segment == "student":
            u.set_limit("cash", t0, rng.choice([2000, 3000, 4000]))
        return u

    def lkey(self, user, product):
        return {"merchant_loan": "biz", "installment": "proj"}.get(product, "cash")

    def purpose(self, user, product, rng):
        if product == "installment":
            return None
        return super().purpose(user, product, rng)

    def show_device(self, user, channel):
        return channel != "partner"

    def options(self, user):
        opts = [Option("cash_loan", "app", (14, 30, 60, 90), 1000, 8000),
                Option("cash_loan", "web", (14, 30, 30, 60, 90), 1000, 6000, w=0.25),
                Option("credit_line", "merchant", (30,), 300, 3000, tuple(self.shops)),
                ]
        if user.segment == "individual":
            opts.append(Option("installment", "merchant", (1095, 1825), 10000, 40000,
                               tuple(i["mid"] for i in self.installers[:6]), w=0.5))
        if user.segment == "small_business":
            opts.append(Option("merchant_loan", "partner", (60, 90, 120), 30000, 200000))
        return opts

    def quick(self, user):
        return Option("cash_loan", "app", (14, 30), 1000, 6000)

    # behaviour -----------------------------------------------------------
    def _project(self, user, rng, t, mid, tab, amount, terms):
        term = rng.choices(terms[0], weights=terms[1])[0]
        limit = math.ceil(amount / 1000.0) * 1000 + rng.choice([0, 0, 1000, 2000, 5000])
        user.set_limit("proj", t, limit)
        ln = self.draw(user, t, amount, "installment", term, "merchant", rng,
                       device=tab, merchant=mid, limit=limit)
        months = max(1, round(term / 30.42))
        inst = round(ln.amount / months, 2)
        debit_days = [d for d in self.debit_days if self.clock.at(d) >= t + 15 * DAY]
        for d in debit_days:
            if rng.random() < 0.05:  # snow on the panels: debit fails, paid by hand
                pt = self.clock.at(d + rng.randint(1, 6), EVENING.hour(rng))
            else:
                pt = self.clock.at(d, BATCH.hour(rng))
            user.pay(ln, pt, inst)
        if rng.random() < 0.08:
            user.pay(ln, t + int(rng.uniform(5, 50) * DAY) + int(rng.uniform(0, 8) * HOUR),
                     rng.choice([2000, 3000, 5000, 8000, 10000]))
        elif rng.random() < 0.02:
            user.pay_rest(ln, t + int(rng.uniform(10, 55) * DAY))
        return ln

    def simulate(self, user, rng):
        c = self.clock
        if user.idx in self.project:
            t, mid, tab = self.project[user.idx]
            kw = rng.uniform(6, 25)
            amount = kw * rng.uniform(3200, 3800)
            if c.day_of(t) >= self.wave_day:
                amount += rng.uniform(15000, 30000)
            self._project(user, rng, t, mid, tab, amount, ((1095, 1825, 2555, 3650), (2, 4, 2, 2)))
        if user.idx in self.addon:
            t, mid, tab = self.addon[user.idx]
            self._project(user, rng, t, mid, tab, rng.uniform(12000, 32000), ((1095, 1825), (1, 1)))
        seg = user.segment
        if seg == "small_business":
            self._business(user, rng)
        n_cash = 0
        if seg == "individual" and rng.random() < 0.25:
            n_cash = rng.randint(1, 3)
        elif seg == "student":
            n_cash = rng.randint(1, 2)
        elif seg == "small_business" and rng.random() < 0.2:
            n_cash = 1
        lim = user.limit_at("cash", c.start)
        for _ in range(n_cash):
            t = c.at(rng.uniform(0, c.days - 1), self.hours.hour(rng))
            amt = min(lim * rng.uniform(0.2, 0.8), rng.uniform(1000, 8000))
            ch = "web" if rng.random() < 0.2 else "app"  # village service-point PC
            ln = self.draw(user, t, amt, "cash_loan", rng.choice((14, 30, 30, 60, 90)), ch, rng)
            late = 0.20 if seg == "student" else 0.15
            self.bullet(user, ln, rng, self.usual_offset(rng, 0.25, late, 12), EVENING)

        if seg == "individual" and rng.random() < 0.3:  # county appliance and farm-supply shops
            for _ in range(rng.randint(1, 4)):
                t = c.at(rng.uniform(0, c.days - 1), SHOP.hour(rng))
                amt = min(lim * rng.uniform(0.05, 0.4), rng.uniform(300, 3000))
                ln = self.draw(user, t, amt, "credit_line", 30, "merchant", rng, merchant=rng.choice(self.shops))
                self.bullet(user, ln, rng, self.usual_offset(rng, 0.1, 0.1, 6), MORNING)

    def _business(self, user, rng):
        c = self.clock
        lim = user.limit_at("biz", c.start)
        for _ in range(rng.randint(1, 4)):
            t = c.at(rng.uniform(0, c.days - 2), rng.uniform(9, 17))
            amt = min(lim * rng.uniform(0.15, 0.6), 250000)
            ln = self.draw(user, t, amt, "merchant_loan", rng.choice((60, 90, 120)), "partner", rng)
            lumps = rng.randint(2, 4)
            pt = t
            for i in range(lumps - 1):
                pt += int(rng.uniform(10, 20) * DAY)
                if pt >= ln.due:
                    break
                user.pay(ln, c.at(c.day_of(pt), rng.uniform(9, 17)), ln.amount * rng.uniform(0.2, 0.4))
            self.bullet(user, ln, rng, rng.uniform(-5, 8), self.hours)
