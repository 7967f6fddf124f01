"""World: wedding-industry instalments for couples, their guests and venues.

Unusual but legitimate: couples borrow five or six large sums within a few
weeks (hall deposit, photos, jewellery, cash, final banquet bill), often
splitting one bill across both spouses' limits from one phone; each product has
its own limit and `credit_limit` reports that product's limit, so balances far
exceed it; a few days after the wedding gift money clears cash loans and often
whole instalment plans in one go; guests take small cash loans for gift money
before auspicious dates. Busy day inside the test window: a doubly auspicious
date with many times the usual weddings, banquet bills and guest loans.
"""
from __future__ import annotations

from .clock import DAY, profile
from .model import User
from .seeding import hex_id, rng_for
from .world_base import Option, WorldBase

LUCKY = {6, 8, 9, 16, 18, 19, 26, 28, 29}
SHOPPING = profile({(10, 18): 1.0, (18, 21): 0.6}, 0.02)
EVENING = profile({(19, 23): 1.0, (12, 14): 0.4}, 0.03)
STATEMENT = profile({(10, 12): 1.0}, 0.0)


class WeddingBanquets(WorldBase):
    name = "wedding_banquets"
    description = ("wedding instalments: couples stack big per-product loans, split bills on one "
                   "phone, repay from gift money; doubly auspicious date (busy day) in the test window")
    anomaly_rate = 0.03
    currency_mode = "omit"
    outstanding_mode = "always"
    hours = profile({(10, 18): 0.8, (19, 23): 1.0, (7, 10): 0.3}, 0.03)
    typology_weights = {
        "loan_stacking": 1.1, "borrow_to_repay": 1.0, "account_takeover": 1.1,
        "student_overborrowing": 0.0, "limit_jump_drain": 1.0, "overdue_escalation": 1.0,
        "nominee_borrowing": 1.0, "strategic_default_pact": 0.7,
    }

    def setup(self, rng):
        c = self.clock
        self.busy_day = c.test_day(5)
        self.halls = ["mc-hall" + hex_id(rng, 6) for _ in range(20)]
        self.studios = ["mc-photo" + hex_id(rng, 6) for _ in range(20)]
        self.jewellers = ["mc-gold" + hex_id(rng, 6) for _ in range(15)]
        days, weights = [], []
        for d in range(10, c.days + 20):
            w = (1.0 if c.dom(d) in LUCKY else 0.0) + (1.0 if c.weekday(d) >= 5 else 0.0)
            if d == self.busy_day:
                w = 14.0
            if w > 0:
                days.append(d)
                weights.append(w)
        self.wdays, self.wweights = days, weights
        self.role: dict = {}
        idxs = list(range(self.n_users))
        rng.shuffle(idxs)
        n_biz = int(0.12 * self.n_users)
        n_single = int(0.28 * self.n_users)
        for i in idxs[:n_biz]:
            self.role[i] = ("biz", None)
        for i in idxs[n_biz:n_biz + n_single]:
            self.role[i] = ("guest", None)
        rest = idxs[n_biz + n_single:]
        self.couples = []
        for k in range(0, len(rest) - 1, 2):
            a, b = rest[k], rest[k + 1]
            cp = {"id": len(self.couples), "a": a, "b": b,
                  "W": rng.choices(days, weights=weights)[0],
                  "hall": rng.choice(self.halls), "studio": rng.choice(self.studios),
                  "gold": rng.choice(self.jewellers),
                  "dev_a": "dv-" + hex_id(rng, 12), "dev_b": "dv-" + hex_id(rng, 12)}
            self.couples.append(cp)
            self.role[a] = ("a", cp)
            self.role[b] = ("b", cp)
        if len(rest) % 2:
            self.role[rest[-1]] = ("guest", None)
        # how many weddings each day: guests' invitations follow it
        count: dict = {}
        for cp in self.couples:
            count[cp["W"]] = count.get(cp["W"], 0) + 1
        self.wed_count = sorted(count.items())
        self.top_days = [d for d, _ in sorted(count.items(), key=lambda x: -x[1])[:8]]

    def marks(self):
        return {"busy_day": self.busy_day}

    def make_user(self, idx, uid, rng):
        role, cp = self.role[idx]
        u = User(idx, uid, "small_business" if role == "biz" else "individual")
        u.attrs["role"], u.attrs["couple"] = role, cp
        if cp is not None:
            u.devices = [cp["dev_a"] if role == "a" else cp["dev_b"]]
        else:
            u.devices = [self.new_device(rng)]
        u.score = int(min(900, max(450, rng.gauss(650, 60))))
        t0 = self.clock.start
        if role == "biz":
            u.set_limit("biz", t0, rng.choice((100000, 200000, 300000, 500000)))
            u.set_limit("cash", t0, rng.choice((10000, 20000, 30000)))
        else:
            u.set_limit("cash", t0, rng.choice((5000, 10000, 15000, 20000, 30000)))
            u.set_limit("inst", t0, rng.choice((50000, 80000, 100000, 120000, 150000)))
        u.attrs["statement"] = rng.randint(1, 28)
        return u

    def lkey(self, user, product):
        return {"installment": "inst", "merchant_loan": "biz", "credit_line": "inst"}.get(product, "cash")

    def purpose(self, user, product, rng):
        return "business" if user.segment == "small_business" else "consumption"

    def show_score(self, user, product, channel):
        return channel != "merchant"

    def options(self, user):
        if user.segment == "small_business":
            return [Option("merchant_loan", "app", (60, 90), 30000, 200000),
                    Option("cash_loan", "app", (30, 90), 3000, 20000),
                    Option("cash_loan", "web", (14, 30, 60), 3000, 15000, w=0.25)]
        return [Option("installment", "merchant", (180, 360), 5000, 40000, tuple(self.halls + self.jewellers)),
                Option("cash_loan", "app", (14, 30, 90), 2000, 15000),
                Option("cash_loan", "web", (14, 30, 60), 2000, 10000, w=0.25)]

    def quick(self, user):
        return Option("cash_loan", "app", (14, 30), 2000, 10000)

    # behaviour -----------------------------------------------------------
    def simulate(self, user, rng):
        role = user.attrs["role"]
        if role == "biz":
            self._venue(user, rng)
        elif role == "guest":
            self._guest(user, rng)
        else:
            self._spouse(user, rng)

    def _spouse(self, user, rng):
        c, cp, me = self.clock, user.attrs["couple"], user.attrs["role"]
        crng = rng_for(self.seed, self.name, "couple", cp["id"])  # same plan for both spouses
        W = cp["W"]
        gift = c.at(W + crng.uniform(1, 6), EVENING.hour(crng))
        payoff = crng.random() < 0.45
        payoff_t = c.at(W + crng.uniform(1, 10), SHOPPING.hour(crng))
        ilim = user.limit_at("inst", c.start)
        plan = [("hall", crng.uniform(30, 50), crng.uniform(5000, 15000), False),
                ("studio", crng.uniform(15, 35), crng.uniform(6000, 20000), crng.random() < 0.5),
                ("gold", crng.uniform(7, 25), crng.uniform(8000, 40000), crng.random() < 0.4),
                ("final", 0, crng.uniform(20000, 80000), crng.random() < 0.4)]
        steps = []
        for shop, before, amount, split in plan:  # draw every couple-level value first
            if shop == "final":
                t = c.at(W, crng.choice((crng.uniform(13, 16), crng.uniform(19, 21))))
            else:
                t = c.at(W - before, SHOPPING.hour(crng))
            steps.append((shop, t, amount, split, crng.choice((180, 360)), crng.randint(1, 4)))
        cash_p = {"a": crng.random() < 0.6, "b": crng.random() < 0.4}
        for shop, t, amount, split, term, jitter in steps:
            merchant = cp["hall"] if shop in ("hall", "final") else cp[shop]
            if split:
                amount /= 2
            elif me == "b":
                continue
            if me == "b":
                t += 60 * jitter
            amount = min(amount, ilim * 0.9)
            ln = self.draw(user, t, amount, "installment", term, "merchant", rng,
                           device=cp["dev_a"], merchant=merchant)
            if payoff:
                user.pay_rest(ln, payoff_t + rng.randint(0, 600))
            else:
                self._statement(user, ln, rng)
        if cash_p[me]:
            t = c.at(W - rng.uniform(1, 6), EVENING.hour(rng))
            amt = min(rng.uniform(5000, 20000), user.limit_at("cash", t) * 0.95)
            ch = "web" if rng.random() < 0.1 else "app"
            ln = self.draw(user, t, amt, "cash_loan", rng.choice((30, 90)), ch, rng)
            user.pay_rest(ln, gift + rng.randint(0, 900))

    def _statement(self, user, ln, rng):
        c, dom = self.clock, user.attrs["statement"]
        d = c.day_of(ln.t) + 20
        while c.dom(d) != dom:
            d += 1
        self.monthly(user, ln, rng, c.at(d, STATEMENT.hour(rng)), 30.4, 0.5)

    def _guest(self, user, rng):
        c = self.clock
        days = [d for d, _ in self.wed_count]
        weights = [n for _, n in self.wed_count]
        for _ in range(rng.choices(range(5), (2, 3, 3, 1, 1))[0]):
            W = rng.choices(days, weights=weights)[0]
            if rng.random() > 0.4:
                continue
            t = c.at(W - rng.uniform(1, 3), EVENING.hour(rng))
            amt = min(rng.uniform(800, 5000), user.limit_at("cash", t) * 0.9)
            ch = "web" if rng.random() < 0.1 else "app"
            ln = self.draw(user, t, amt, "cash_loan", rng.choice((14, 30, 60)), ch, rng)
            if rng.random() < 0.6:  # payday on the 15th
                d = c.day_of(t) + 3
                while c.dom(d) != 15:
                    d += 1
                pd = min(d, c.day_of(ln.due))
                user.pay_rest(ln, c.at(pd, EVENING.hour(rng)))
            else:
                self.bullet(user, ln, rng, self.usual_offset(rng, 0.1, 0.12, 6), EVENING)

    def _venue(self, user, rng):
        c = self.clock
        lim = user.limit_at("biz", c.start)
        anchors = list(self.top_days)
        if self.busy_day not in anchors:
            anchors.append(self.busy_day)
        for _ in range(rng.randint(1, 4)):
            A = self.busy_day if rng.random() < 0.4 else rng.choice(anchors)
            t = c.at(A - rng.uniform(3, 10), SHOPPING.hour(rng))
            amt = min(lim * rng.uniform(0.1, 0.45), 300000)
            if amt > lim - user.balance_at(t):
                continue
            ln = self.draw(user, t, amt, "merchant_loan", rng.choice((60, 90)), "app", rng)
            pt = c.at(A + 1, SHOPPING.hour(rng))
            for _ in range(rng.randint(2, 5)):
                user.pay(ln, pt, ln.amount * rng.uniform(0.15, 0.35))
                pt += int(rng.uniform(6, 8) * DAY)
            self.bullet(user, ln, rng, rng.uniform(-6, 3), SHOPPING)
