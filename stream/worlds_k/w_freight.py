"""World: fuel-and-toll credit for long-haul truck owner-operators and small fleets.

Unusual but legitimate: borrowing at any hour, most of it between 22:00 and
05:00 at fuel stations; every truck has its own credit line and `credit_limit`
reports the line of the truck that drew, so a fleet's balance is many times
it; purpose is "business" even for individuals; a trip's loans are repaid
together minutes apart when the waybill settles, often a few days late; relief
drivers share a cab tablet. Change inside the test window: the freight
platform moves waybill settlement from about T+7 to about T+30, so its drivers
keep borrowing for fuel while their repayments slip two to three weeks late.
"""
from __future__ import annotations

from .clock import DAY, SPRING_FESTIVAL_DAY, profile
from .model import User
from .seeding import hex_id
from .world_base import Option, WorldBase

ROAD = profile({(22, 24): 1.0, (0, 5): 1.0, (5, 9): 0.6, (9, 22): 0.45}, 0.4)
OFFICE = profile({(10, 17): 1.0}, 0.0)


class FreightTruckers(WorldBase):
    name = "freight_truckers"
    description = ("truckers' fuel credit: night draws, per-truck limits, trip loans repaid together at "
                   "waybill settlement; platform moves settlement T+7 to T+30 inside the test window")
    anomaly_rate = 0.035
    currency_mode = "user"
    outstanding_mode = "user"
    hours = ROAD
    typology_weights = {
        "loan_stacking": 1.1, "borrow_to_repay": 1.3, "account_takeover": 1.0,
        "student_overborrowing": 0.0, "limit_jump_drain": 0.9, "overdue_escalation": 1.0,
        "nominee_borrowing": 1.0, "strategic_default_pact": 0.9,
    }

    def setup(self, rng):
        self.change_day = self.clock.test_day(2)
        self.fuel = ["mc-fuel" + hex_id(rng, 6) for _ in range(6)]
        self.repair = ["mc-rep" + hex_id(rng, 6) for _ in range(40)]
        self.tablets = {}

    def marks(self):
        return {"change_day": self.change_day}

    def make_user(self, idx, uid, rng):
        seg = "small_business" if rng.random() < 0.22 else "individual"
        u = User(idx, uid, seg)
        u.devices = [self.new_device(rng)]
        if seg == "individual":
            n = 2 if rng.random() < 0.15 else 1
            u.flags["platform"] = rng.random() < 0.6
            if rng.random() < 0.10:
                k = rng.randrange(max(1, self.n_users // 25))
                if k not in self.tablets:
                    self.tablets[k] = "dv-cab" + hex_id(rng, 9)
                u.devices.append(self.tablets[k])
        else:
            n = rng.randint(2, 5)
            u.flags["platform"] = rng.random() < 0.7
        u.flags["currency"] = u.flags["outstanding"] = u.flags["platform"]
        u.attrs["trucks"] = n
        u.attrs["office_pc"] = self.new_device(rng)
        u.score = int(min(880, max(450, rng.gauss(635, 55))))
        for i in range(n):
            u.set_limit("truck%d" % i, self.clock.start, rng.choice((30000, 50000, 60000, 80000, 100000, 120000)))
        u.attrs["pays_partial"] = rng.random() < 0.10
        u.attrs["savings"] = rng.random() < 0.5
        return u

    def lkey(self, user, product):
        return "truck0"

    def purpose(self, user, product, rng):
        return "business"

    def show_device(self, user, channel):
        return channel != "merchant"

    def options(self, user):
        return [Option("cash_loan", "partner", (15, 30), 600, 4500),
                Option("cash_loan", "merchant", (15, 30), 600, 4500, tuple(self.fuel)),
                Option("installment", "merchant", (90, 180), 5000, 30000, tuple(self.repair)),
                Option("cash_loan", "app", (30,), 2000, 10000),
                Option("cash_loan", "web", (30,), 2000, 10000, w=0.25)]

    def quick(self, user):
        return Option("cash_loan", "partner" if user.flags["platform"] else "merchant", (15,), 600, 4500,
                      tuple(self.fuel))

    # behaviour -----------------------------------------------------------
    def simulate(self, user, rng):
        for i in range(user.attrs["trucks"]):
            self._truck(user, "truck%d" % i, rng)
        c = self.clock
        if rng.random() < 0.12:  # a larger cash loan on the lender's own app: tyres, fines, family
            for _ in range(rng.randint(1, 2)):
                t = c.at(rng.uniform(0, c.days - 1), ROAD.hour(rng))
                ln = self.draw(user, t, rng.uniform(2000, 10000), "cash_loan", rng.choice((14, 30)), "app", rng)
                self.bullet(user, ln, rng, self.usual_offset(rng, 0.1, 0.3, 8), OFFICE)

    def _truck(self, user, key, rng):
        c = self.clock
        plat = user.flags["platform"]
        home = rng.random() < 0.85
        change_t = c.at(self.change_day)
        t = c.start + int(rng.uniform(0, 2) * DAY)
        while t < c.end:
            d = c.day_of(t)
            if home and SPRING_FESTIVAL_DAY - 4 <= d <= SPRING_FESTIVAL_DAY + 3:
                t = c.at(SPRING_FESTIVAL_DAY + 4 + rng.uniform(0, 3), ROAD.hour(rng))
                continue
            length = rng.uniform(2, 5) * DAY
            trip_end = t + int(length)
            loans = []
            if rng.random() < 0.8:
                for _ in range(rng.choices((1, 2, 3), (5, 3, 1))[0]):
                    lt = t + int(rng.random() * length)
                    lt = c.at(c.day_of(lt), ROAD.hour(rng))
                    lim = user.limit_at(key, lt)
                    amt = rng.uniform(600, 4500)
                    if amt > lim - user.balance_at(lt, key):
                        continue
                    if user.segment == "small_business" and rng.random() < 0.3:
                        ln = self.draw(user, lt, amt, "cash_loan", rng.choice((15, 15, 30)), "web", rng, lkey=key,
                                       device=user.attrs["office_pc"])
                    elif plat:
                        ln = self.draw(user, lt, amt, "cash_loan", rng.choice((15, 15, 30)), "partner", rng, lkey=key)
                    else:
                        ln = self.draw(user, lt, amt, "cash_loan", rng.choice((15, 15, 30)), "merchant", rng,
                                       merchant=rng.choice(self.fuel), lkey=key)
                    loans.append(ln)
            lag = rng.uniform(8, 16) if plat else rng.uniform(3, 10)
            settle = c.at(c.day_of(trip_end + int(lag * DAY)), OFFICE.hour(rng))
            moved = plat and settle >= change_t  # every waybill still pending moves to T+30
            if moved:
                settle = c.at(c.day_of(trip_end + int(rng.uniform(28, 35) * DAY)), OFFICE.hour(rng))
            for k, ln in enumerate(sorted(loans, key=lambda x: x.t)):
                if settle > ln.due + 2 * DAY and user.attrs["pays_partial"]:
                    user.pay(ln, ln.due + int(rng.uniform(1, 3) * DAY), ln.amount * rng.uniform(0.3, 0.6))
                elif settle > ln.due + 5 * DAY and moved and user.attrs["savings"]:
                    # waiting for T+30: pay from savings, late, sometimes only part
                    user.pay(ln, c.at(c.day_of(ln.due) + rng.uniform(2, 10), OFFICE.hour(rng)),
                             ln.amount * rng.choice((1.0, 1.0, rng.uniform(0.5, 0.9))))
                user.pay_rest(ln, settle + k * rng.randint(20, 90))
            if rng.random() < 0.025:
                rt = c.at(c.day_of(trip_end), OFFICE.hour(rng))
                ln = self.draw(user, rt, rng.uniform(5000, 30000), "installment", rng.choice((90, 180)),
                               "merchant", rng, merchant=rng.choice(self.repair), lkey=key)
                self.monthly(user, ln, rng, ln.t + 30 * DAY, 30.0, 6.0)
            t = trip_end + int(rng.uniform(0.3, 2) * DAY)
