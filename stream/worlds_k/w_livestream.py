"""World: livestream e-commerce studios, their hosts and their viewers.

Unusual but legitimate: hosts are small businesses with no credit score that
borrow stock money a day or two before each evening stream from the studio's
shared devices (five to twenty hosts per studio, a handful of phones), and
repay in parts ten to fifteen days later when the platform settles; viewers
buy on the credit line at the studio's merchant id in bursts during the stream
(20:00-02:00) and return goods for early full repayments; this lender's
repayment feed carries no `outstanding`. Busy day inside the test window: the
platform's spring shopping festival, when every studio streams and stock loans
and viewer purchases jump several-fold.
"""
from __future__ import annotations

from .clock import DAY, profile
from .model import User
from .seeding import hex_id
from .world_base import Option, WorldBase

PREP = profile({(13, 18): 1.0, (23, 24): 0.6, (0, 2): 0.6}, 0.05)
SETTLE = profile({(10, 16): 1.0}, 0.0)
PAY = profile({(8, 11): 1.0, (21, 24): 0.6}, 0.05)


class LivestreamStudios(WorldBase):
    name = "livestream_studios"
    description = ("livestream studios: unscored hosts borrow stock money on shared studio phones, viewers "
                   "buy in stream bursts; spring shopping festival (busy day) in the test window")
    anomaly_rate = 0.035
    currency_mode = "omit"
    outstanding_mode = "never"
    hours = profile({(19, 24): 1.0, (0, 2): 0.8, (13, 18): 0.5}, 0.05)
    typology_weights = {
        "loan_stacking": 1.1, "borrow_to_repay": 1.0, "account_takeover": 1.1,
        "student_overborrowing": 1.0, "limit_jump_drain": 1.0, "overdue_escalation": 1.0,
        "nominee_borrowing": 1.0, "strategic_default_pact": 0.8,
    }

    def setup(self, rng):
        c = self.clock
        self.fest_day = c.test_day(6)
        self.sale_day = min(18, c.history_days - 4)
        self.studios = []
        for _ in range(max(10, self.n_users // 60)):
            self.studios.append({
                "mid": "mc-live" + hex_id(rng, 6),
                "devs": ["dv-" + hex_id(rng, 12) for _ in range(rng.randint(3, 6))],
                "wd": set(rng.sample(range(7), rng.randint(3, 4))),
                "start": rng.uniform(19.5, 21.0)})

    def sessions(self, st):
        c = self.clock
        out = []
        for d in range(c.days):
            big = 2 if d == self.fest_day else 1 if d == self.sale_day else 0
            if big or c.weekday(d) in st["wd"]:
                out.append((d, big))
        return out

    def marks(self):
        return {"busy_day": self.fest_day}

    def make_user(self, idx, uid, rng):
        r = rng.random()
        seg = "small_business" if r < 0.30 else "student" if r < 0.50 else "individual"
        u = User(idx, uid, seg)
        u.devices = [self.new_device(rng)]
        t0 = self.clock.start
        if seg == "small_business":
            u.attrs["studio"] = rng.choice(self.studios)
            u.attrs["scale"] = rng.uniform(3000, 40000)
            u.set_limit("total", t0, rng.choice((50000, 100000, 150000, 200000, 300000)))
        else:
            u.score = int(min(860, max(420, rng.gauss(620 if seg == "student" else 650, 50))))
            u.attrs["follows"] = rng.sample(self.studios, rng.randint(2, 5))
            lim = rng.choice((1000, 2000, 3000)) if seg == "student" else rng.choice((2000, 5000, 8000, 10000, 15000))
            u.set_limit("total", t0, lim)
            u.flags["web"] = rng.random() < 0.1
        return u

    def show_device(self, user, channel):
        return channel != "web"

    def options(self, user):
        if user.segment == "small_business":
            st = user.attrs["studio"]
            return [Option("merchant_loan", "app", (15, 30, 45), 3000, 40000),
                    Option("cash_loan", "app", (14, 30, 60), 2000, 20000),
                    Option("cash_loan", "web", (14, 30, 60), 2000, 20000, w=0.25)]
        mids = tuple(s["mid"] for s in user.attrs["follows"])
        return [Option("credit_line", "merchant", (30,), 39, 899, mids),
                Option("installment", "merchant", (90, 180), 500, 3000, mids),
                Option("cash_loan", "app", (14, 30, 60), 500, 5000, w=0.5),
                Option("credit_line", "web", (30,), 39, 899, w=0.25)]

    def quick(self, user):
        return Option("cash_loan", "app", (14, 30), 500, 5000)

    # behaviour -----------------------------------------------------------
    def simulate(self, user, rng):
        if user.segment == "small_business":
            self._host(user, rng)
        else:
            self._viewer(user, rng)

    def _host(self, user, rng):
        self._cash(user, rng, 0.15, 2000, 20000)
        c = self.clock
        st = user.attrs["studio"]
        mine = set(rng.sample(sorted(st["wd"]), rng.randint(1, min(3, len(st["wd"])))))
        lim = user.limit_at("total", c.start)
        for d, big in self.sessions(st):
            if not big and c.weekday(d) not in mine:
                continue
            if not big and rng.random() > 0.7:
                continue
            for _ in range(1 + (big == 2) * rng.randint(0, 2)):
                t = c.at(d - rng.uniform(1, 2), PREP.hour(rng))
                amt = user.attrs["scale"] * rng.uniform(0.6, 1.4)
                amt *= rng.uniform(2, 4) if big == 2 else rng.uniform(1.2, 2) if big else 1
                avail = lim - user.balance_at(t)
                if avail < 1000:
                    continue
                amt = min(amt, avail * 0.95)
                dev = rng.choice(st["devs"]) if rng.random() < 0.7 else user.devices[0]
                ln = self.draw(user, t, amt, "merchant_loan", rng.choice((15, 30, 45)), "app", rng, device=dev)
                s = c.at(d + rng.uniform(10, 15), SETTLE.hour(rng))
                user.pay(ln, s, ln.amount * rng.uniform(0.6, 0.8))
                user.pay_rest(ln, s + int(rng.uniform(2, 5) * DAY))

    def _cash(self, user, rng, p, lo, hi):
        c = self.clock
        if rng.random() < p:
            for _ in range(rng.randint(1, 2)):
                t = c.at(rng.uniform(0, c.days - 1), self.hours.hour(rng))
                ch = "web" if rng.random() < 0.2 else "app"
                ln = self.draw(user, t, rng.uniform(lo, hi), "cash_loan", rng.choice((14, 30, 60)), ch, rng)
                self.bullet(user, ln, rng, self.usual_offset(rng, 0.15, 0.15, 6), PAY)

    def _viewer(self, user, rng):
        self._cash(user, rng, 0.10, 500, 5000)
        c = self.clock
        lim = user.limit_at("total", c.start)
        late = 0.2 if user.segment == "student" else 0.1
        for st in user.attrs["follows"]:
            for d, big in self.sessions(st):
                p = (0.10, 0.3, 0.6)[big]
                if rng.random() > p:
                    continue
                n = rng.randint(1, 5 if big else 2)
                t = c.at(d, st["start"] + rng.uniform(0, 3 + big))
                for _ in range(n):
                    amt = round(rng.uniform(39, 1999 if big else 899), 2)
                    if amt > lim - user.balance_at(t):
                        break
                    ch = "web" if user.flags["web"] else "merchant"
                    if amt > 1000 and rng.random() < 0.3:
                        prod, term = "installment", rng.choice((90, 180))
                    else:
                        prod, term = "credit_line", 30
                    ln = self.draw(user, t, amt, prod, term, ch, rng, merchant=st["mid"])
                    if rng.random() < 0.12:
                        user.pay_rest(ln, ln.t + int(rng.uniform(3, 10) * DAY))
                    elif prod == "installment":
                        self.monthly(user, ln, rng, c.at(c.day_of(ln.t) + 30, PAY.hour(rng)), 30.0, 1.0)
                    else:
                        self.bullet(user, ln, rng, self.usual_offset(rng, 0.2, late, 6), PAY)
                    t += rng.randint(30, 900)
