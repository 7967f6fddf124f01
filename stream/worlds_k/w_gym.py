"""World: prepaid gym and fitness-studio memberships turned into instalments.

Unusual but legitimate: a New-Year-resolution rush of sign-ups in the first
two weeks of January; many members sign on the branch's front-desk tablet (one
device, hundreds of members); a personal-training package follows weeks later
at the same branch; memberships are merchant-guaranteed and sit outside the
consumer limit that `credit_limit` reports, so balances exceed it; instalments
are auto-debited at 06:00 on the sign-up day of the month. Change inside the
test window: the largest chain shuts its doors overnight, the lender freezes
its members' debits while disputes run, many members pay the plan off to be
done with it or sign up at another gym with the old plan still open, and the
chain's franchisees stop repaying their equipment loans.
"""
from __future__ import annotations

from .clock import DAY, profile
from .model import User
from .seeding import hex_id
from .world_base import Option, WorldBase

SIGNUP = profile({(18, 21): 1.0, (10, 18): 0.5, (7, 9): 0.4}, 0.01)
DEBIT = profile({6: 1.0}, 0.0)
DAYTIME = profile({(9, 13): 1.0, (13, 22): 0.7}, 0.02)


class GymPrepaid(WorldBase):
    name = "gym_prepaid"
    description = ("gym memberships as instalments: January rush, front-desk tablets, balances above the "
                   "reported limit; the biggest chain closes inside the test window")
    anomaly_rate = 0.03
    currency_mode = "always"
    outstanding_mode = "always"
    hours = profile({(18, 22): 1.0, (7, 9): 0.5, (9, 18): 0.5}, 0.03)
    typology_weights = {
        "loan_stacking": 1.0, "borrow_to_repay": 1.0, "account_takeover": 1.1,
        "student_overborrowing": 1.0, "limit_jump_drain": 1.0, "overdue_escalation": 1.1,
        "nominee_borrowing": 0.8, "strategic_default_pact": 0.9,
    }

    def setup(self, rng):
        c = self.clock
        self.close_day = c.test_day(3)
        self.chains = []
        for size, n_br in ((0.25, 20), (0.15, 12), (0.10, 8), (0.08, 6), (0.07, 6)):
            self.chains.append({"w": size, "branches": [
                {"mid": "mc-gym" + hex_id(rng, 6),
                 "tabs": ["dv-desk" + hex_id(rng, 8) for _ in range(rng.randint(1, 2))]}
                for _ in range(n_br)]})
        self.indep = {"w": 0.35, "branches": [
            {"mid": "mc-fit" + hex_id(rng, 6), "tabs": ["dv-desk" + hex_id(rng, 8)]} for _ in range(30)]}
        self.shops = ["mc-sport" + hex_id(rng, 6) for _ in range(12)]
        self.signup_days = list(range(c.days))
        self.signup_w = [3.0 if d < 14 else 1.0 for d in self.signup_days]

    def marks(self):
        return {"change_day": self.close_day,
                "closed_merchants": sorted(b["mid"] for b in self.chains[0]["branches"])}

    def make_user(self, idx, uid, rng):
        r = rng.random()
        seg = "small_business" if r < 0.08 else "student" if r < 0.22 else "individual"
        u = User(idx, uid, seg)
        u.devices = [self.new_device(rng)]
        t0 = self.clock.start
        groups = self.chains + [self.indep]
        g = rng.choices(range(len(groups)), weights=[x["w"] for x in groups])[0]
        u.attrs["chain"] = g
        u.attrs["branch"] = rng.choice(groups[g]["branches"])
        if seg == "small_business":
            u.score = int(min(860, max(480, rng.gauss(640, 50))))
            u.set_limit("total", t0, rng.choice((100000, 200000, 300000)))
        elif seg == "student":
            u.score = int(min(800, max(420, rng.gauss(600, 45))))
            u.set_limit("total", t0, rng.choice((2000, 4000, 6000, 8000)))
        else:
            u.score = int(min(880, max(450, rng.gauss(660, 55))))
            u.set_limit("total", t0, rng.choice((5000, 10000, 20000, 30000, 40000)))
        return u

    def show_score(self, user, product, channel):
        return channel != "merchant"

    def options(self, user):
        mids = tuple(b["mid"] for b in self.chains[1]["branches"] + self.indep["branches"][:10])
        opts = [Option("cash_loan", "app", (14, 30, 60), 1000, 6000),
                Option("cash_loan", "web", (14, 30, 60), 1000, 6000, w=0.25),
                Option("installment", "merchant", (180, 365), 2000, 9000, mids),
                Option("credit_line", "merchant", (30,), 100, 800, tuple(self.shops))]
        if user.segment == "small_business":
            opts.append(Option("merchant_loan", "app", (180, 360), 50000, 300000))
        return opts

    def quick(self, user):
        return Option("cash_loan", "app", (14, 30), 1000, 5000)

    # behaviour -----------------------------------------------------------
    def _debits(self, user, ln, rng, closed_at=None):
        c = self.clock
        dom = min(c.dom(c.day_of(ln.t)), 28)
        d = c.day_of(ln.t) + 20
        while c.dom(d) != dom:
            d += 1
        n = max(1, round(ln.term / 30.4))
        inst = round(ln.amount / n, 2)
        for i in range(n):
            if d >= c.days:
                break
            t = c.at(d, DEBIT.hour(rng) * 1.0 + rng.random() * 0.5)
            if rng.random() < 0.04:
                t += 3 * DAY  # failed debit, retried three days later
            if closed_at is not None and t >= closed_at:
                break
            user.pay(ln, t, inst if i < n - 1 else ln.amount)
            d += 28
            while c.dom(d) != dom:
                d += 1
        if rng.random() < 0.03:
            user.pay_rest(ln, ln.t + int(rng.uniform(20, 50) * DAY))

    def simulate(self, user, rng):
        c = self.clock
        close_t = c.at(self.close_day, 0)
        closed = user.attrs["chain"] == 0
        if user.segment == "small_business":
            self._operator(user, rng, close_t if closed else None)
            return
        br = user.attrs["branch"]
        if rng.random() < 0.85:
            d = rng.choices(self.signup_days, weights=self.signup_w)[0]
            if closed and d >= self.close_day:
                d = rng.randrange(self.close_day)
            t = c.at(d, SIGNUP.hour(rng))
            amt = rng.uniform(1200, 4000) if user.segment == "student" else rng.uniform(2400, 12000)
            dev = rng.choice(br["tabs"]) if rng.random() < 0.45 else None
            mem = self.draw(user, t, amt, "installment", rng.choice((365, 365, 180)), "merchant", rng,
                            device=dev, merchant=br["mid"])
            plans = [mem]
            if rng.random() < 0.35:
                pt = t + int(rng.uniform(14, 56) * DAY)
                if not (closed and pt >= close_t):
                    plans.append(self.draw(user, c.at(c.day_of(pt), SIGNUP.hour(rng)), rng.uniform(2000, 9000),
                                           "installment", 180, "merchant", rng, device=dev, merchant=br["mid"]))
            for ln in plans:
                self._debits(user, ln, rng, close_t if closed else None)
            if closed:
                r = rng.random()
                if r < 0.15:  # pay the dead plan off to be done with it
                    pt = c.at(self.close_day + rng.uniform(1, max(2, c.test_days - 3)), DAYTIME.hour(rng))
                    for ln in plans:
                        user.pay_rest(ln, pt + rng.randint(30, 300))
                if r < 0.55 and rng.random() < 0.75:  # sign up elsewhere, old plan still open
                    g = self.chains[rng.randrange(1, len(self.chains))] if rng.random() < 0.5 else self.indep
                    nb = rng.choice(g["branches"])
                    nt = c.at(self.close_day + rng.uniform(0.5, max(1.0, c.test_days - 3.5)), SIGNUP.hour(rng))
                    new = self.draw(user, nt, rng.uniform(1200, 9000), "installment", rng.choice((180, 365)),
                                    "merchant", rng, device=rng.choice(nb["tabs"]) if rng.random() < 0.45 else None,
                                    merchant=nb["mid"])
                    self._debits(user, new, rng)
        lim = user.limit_at("total", c.start)
        n_cash = rng.randint(1, 2) if rng.random() < 0.3 else 0
        for _ in range(n_cash):
            t = c.at(rng.uniform(0, c.days - 1), self.hours.hour(rng))
            amt = min(rng.uniform(1000, 6000), lim * 0.6)
            ch = "web" if rng.random() < 0.2 else "app"
            ln = self.draw(user, t, amt, "cash_loan", rng.choice((14, 30, 60)), ch, rng)
            self.bullet(user, ln, rng, self.usual_offset(rng, 0.2, 0.15, 5), DAYTIME)
        if user.segment == "student":
            for _ in range(rng.randint(0, 3)):
                t = c.at(rng.uniform(0, c.days - 1), self.hours.hour(rng))
                ln = self.draw(user, t, rng.uniform(100, 800), "credit_line", 30, "merchant", rng,
                               merchant=rng.choice(self.shops))
                self.bullet(user, ln, rng, self.usual_offset(rng, 0.1, 0.25, 8), DAYTIME)

    def _operator(self, user, rng, closed_at):
        c = self.clock
        lim = user.limit_at("total", c.start)
        for _ in range(rng.randint(1, 3)):
            t = c.at(rng.uniform(0, c.days - 2), DAYTIME.hour(rng))
            amt = min(lim * rng.uniform(0.15, 0.5), 300000)
            if amt > lim - user.balance_at(t):
                continue
            ln = self.draw(user, t, amt, "merchant_loan", rng.choice((180, 360)), "app", rng)
            self._debits(user, ln, rng, closed_at)
