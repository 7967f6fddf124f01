"""World: a payroll-partner lender in a coal-mining town with rotating crews.

Unusual but legitimate: crews work 14 days underground (almost silent) then
rest 7 days in town, so borrowing comes in crew-synchronised bursts with late
nights in karaoke bars and restaurants; everything is repaid on the first rest
morning when the rotation pay lands, so loans that fell due underground are
routinely paid 1-14 days late, and others very early; some miners borrow from a
shared bunkhouse phone. Change inside the test window: a safety inspection
suspends the North pit, its crews lose their rotation pay, stay in town every
day, borrow small sums in the daytime and stop or shrink their repayments.
"""
from __future__ import annotations

from .clock import DAY, profile
from .model import User
from .seeding import hex_id
from .world_base import Option, WorldBase

CYCLE, SHIFT = 21, 14
REST_NIGHT = profile({(19, 24): 1.0, (0, 3): 0.8, (11, 14): 0.5, (14, 19): 0.4}, 0.03)
PAYDAY = profile({(8, 12): 1.0}, 0.0)
DAYTIME = profile({(9, 17): 1.0, (17, 21): 0.5}, 0.02)
SHOP = profile({(7, 10): 0.8, (14, 17): 1.0, (22, 24): 0.5}, 0.05)


class MineRotation(WorldBase):
    name = "mine_rotation"
    description = ("mining-town payroll lender: crew-synchronised bursts every 21 days, pay-morning "
                   "repayments often late; North-pit suspension inside the test window")
    anomaly_rate = 0.035
    currency_mode = "user"
    outstanding_mode = "always"
    hours = REST_NIGHT
    typology_weights = {
        "loan_stacking": 1.0, "borrow_to_repay": 1.2, "account_takeover": 1.0,
        "student_overborrowing": 0.6, "limit_jump_drain": 0.9, "overdue_escalation": 1.1,
        "nominee_borrowing": 1.0, "strategic_default_pact": 1.0,
    }

    def setup(self, rng):
        self.shut_day = self.clock.test_day(3)
        self.merchants = ["mc-town" + hex_id(rng, 6) for _ in range(30)]
        self.dealers = ["mc-moto" + hex_id(rng, 6) for _ in range(4)]
        self.bunk = {}
        self.offsets = {("N", k): (k * 5 + rng.randint(0, 2)) % CYCLE for k in range(4)}
        self.offsets.update({("S", k): (k * 5 + 3 + rng.randint(0, 2)) % CYCLE for k in range(4)})

    def marks(self):
        return {"change_day": self.shut_day}

    def make_user(self, idx, uid, rng):
        r = rng.random()
        seg = "small_business" if r < 0.12 else "student" if r < 0.20 else "individual"
        u = User(idx, uid, seg)
        u.devices = [self.new_device(rng)]
        u.attrs["pit"] = "N" if rng.random() < 0.6 else "S"
        u.attrs["crew"] = rng.randrange(4)
        u.flags["currency"] = rng.random() < 0.5
        t0 = self.clock.start
        if seg == "small_business":
            u.score = int(min(860, max(480, rng.gauss(650, 50))))
            u.set_limit("total", t0, rng.choice((100000, 200000, 300000, 400000)))
        elif seg == "student":
            u.score = int(min(760, max(420, rng.gauss(590, 40))))
            u.set_limit("total", t0, rng.choice((3000, 4000, 5000)))
        else:
            u.score = int(min(880, max(450, rng.gauss(630, 55))))
            u.set_limit("total", t0, rng.choice((5000, 8000, 12000, 20000, 30000, 40000)))
            if rng.random() < 0.2:
                bunk = (u.attrs["pit"], u.attrs["crew"], rng.randrange(max(1, self.n_users // 40)))
                if bunk not in self.bunk:
                    self.bunk[bunk] = "dv-" + hex_id(rng, 12)
                u.devices.append(self.bunk[bunk])
        return u

    def show_device(self, user, channel):
        return channel != "merchant"

    def options(self, user):
        if user.segment == "small_business":
            return [Option("merchant_loan", "app", (30, 60, 90), 20000, 150000),
                    Option("cash_loan", "partner", (30, 60), 3000, 20000),
                    Option("merchant_loan", "web", (30, 60, 90), 20000, 150000, w=0.25)]
        return [Option("cash_loan", "partner", (14, 30, 60), 2000, 12000),
                Option("credit_line", "merchant", (30,), 200, 3000, tuple(self.merchants)),
                Option("installment", "merchant", (360,), 8000, 25000, tuple(self.dealers)),
                Option("cash_loan", "app", (30,), 1000, 5000)]

    def quick(self, user):
        return Option("cash_loan", "partner", (14, 30), 2000, 10000)

    # calendar ------------------------------------------------------------
    def _off(self, user):
        return self.offsets[(user.attrs["pit"], user.attrs["crew"])]

    def resting(self, user, day):
        return (day - self._off(user)) % CYCLE >= SHIFT

    def paydays(self, user):
        days, c = [], self.clock
        shut = self.shut_day if user.attrs["pit"] == "N" else c.days + 99
        for d in range(c.days):
            if (d - self._off(user)) % CYCLE == SHIFT and d < shut:
                days.append(d)
        return days

    # behaviour -----------------------------------------------------------
    def _repay(self, user, ln, rng, paydays, auto):
        c = self.clock
        due_day = c.day_of(ln.due)
        shut = self.shut_day if user.attrs["pit"] == "N" else c.days + 99
        if due_day >= shut and user.segment != "small_business":
            r = rng.random()
            if r < 0.45:
                for _ in range(rng.randint(1, 2)):
                    user.pay(ln, c.at(due_day + rng.randint(0, 12), DAYTIME.hour(rng)),
                             ln.amount * rng.uniform(0.1, 0.5))
            elif r < 0.65:
                self.bullet(user, ln, rng, rng.uniform(-1, 2), DAYTIME)
            return
        if auto:
            user.pay_rest(ln, c.at(due_day, 3 + rng.random() * 0.5))
            return
        for p in paydays:
            if p >= c.day_of(ln.t) + 2 and p >= due_day - 10:
                user.pay_rest(ln, c.at(p, PAYDAY.hour(rng)))
                return
        if due_day < c.days and rng.random() < 0.5:
            self.bullet(user, ln, rng, rng.uniform(0, 3), DAYTIME)

    def simulate(self, user, rng):
        if user.segment == "small_business":
            return self._shop(user, rng)
        c = self.clock
        lim = user.limit_at("total", c.start)
        paydays = self.paydays(user)
        auto = rng.random() < 0.15
        idle = user.attrs["pit"] == "N"
        small = user.segment == "student"
        for d in range(c.days):
            if idle and d >= self.shut_day:
                if rng.random() < 0.12:
                    t = c.at(d, DAYTIME.hour(rng))
                    amt = min(rng.uniform(800, 3000), max(lim - user.balance_at(t), 300))
                    ln = self.draw(user, t, amt, "cash_loan", 30, "app", rng)
                    self._repay(user, ln, rng, paydays, auto)
                continue
            rest = self.resting(user, d)
            if not rest and rng.random() > 0.01:
                continue
            if rest and rng.random() > (0.35 if small else 0.45):
                continue
            for _ in range(rng.choices((1, 2, 3), (5, 3, 1))[0]):
                t = c.at(d, REST_NIGHT.hour(rng) if rest else rng.uniform(20, 22))
                avail = lim - user.balance_at(t)
                r = rng.random()
                if r < 0.45:
                    amt = rng.uniform(1000, 12000 if not small else 2500)
                    prod, term, ch = "cash_loan", rng.choice((14, 30, 30, 60)), "partner"
                elif r < 0.97:
                    amt, prod, term, ch = rng.uniform(150, 3000), "credit_line", 30, "merchant"
                else:
                    amt, prod, term, ch = rng.uniform(8000, 25000), "installment", 360, "merchant"
                if amt > avail:
                    if avail < 200:
                        continue
                    amt = avail * rng.uniform(0.5, 0.95)
                m = rng.choice(self.dealers if prod == "installment" else self.merchants)
                ln = self.draw(user, t, amt, prod, term, ch, rng, merchant=m)
                if prod == "installment":
                    for i, p in enumerate(x for x in paydays if x > c.day_of(t)):
                        user.pay(ln, c.at(p, PAYDAY.hour(rng)), ln.amount / 12)
                    continue
                self._repay(user, ln, rng, paydays, auto)

    def _shop(self, user, rng):
        c = self.clock
        lim = user.limit_at("total", c.start)
        crew_wave = [(self.offsets[k] + SHIFT - 1) % CYCLE for k in self.offsets]
        for d in range(c.days):
            if d % CYCLE not in crew_wave or rng.random() > 0.25:
                continue
            t = c.at(d, SHOP.hour(rng))
            amt = min(lim * rng.uniform(0.1, 0.35), 150000)
            if amt > lim - user.balance_at(t):
                continue
            ch = "web" if rng.random() < 0.2 else "app"  # the shop PC
            ln = self.draw(user, t, amt, "merchant_loan", rng.choice((30, 60, 90)), ch, rng)
            delay = rng.uniform(5, 20)  # applies to payments after the suspension
            pt = t
            for _ in range(rng.randint(2, 4)):
                pt += int(rng.uniform(6, 8) * DAY)
                if pt > ln.due:
                    break
                late = delay if c.day_of(pt) >= self.shut_day else 0
                user.pay(ln, pt + int(late * DAY), ln.amount * rng.uniform(0.15, 0.35))
            off = rng.uniform(-3, 4)
            if c.day_of(ln.due) + off >= self.shut_day:
                off += delay
            self.bullet(user, ln, rng, off, SHOP)
