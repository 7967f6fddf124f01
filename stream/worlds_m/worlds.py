"""The seven lender worlds of family M (normal behaviour and test-window changes)."""
from .base import DAY, World


def clip(x, a, b):
    return max(a, min(b, x))


class Pawn(World):
    name, code = "pawn_gold_renewal", "P"
    desc = ("pawnshop lender: gold pledges renewed by repay+re-borrow the same day; "
            "gold-price spike day in the test window brings a crowd of large renewals")
    seg, out_p, score_p = (0.62, 0.33, 0.05), 0.25, 0.35
    prods = (("wealth_pledge", (30, 60, 90), None), ("cash_loan", (30, 60), "consumption"))

    def __init__(self, *a):
        super().__init__(*a)
        self.G = self.H + max(1, min(4, self.T // 3))
        self.br = [("PB%s%03d" % (self.code, i), [self.newdev("t") for _ in range(self.r.randint(1, 3))])
                   for i in range(max(4, self.N // 120))]

    def price(self, d):
        return 560 * (1 + 0.0015 * d) * (1.13 if d >= self.G else 1.0)

    def upd(self, u, d):
        u.limit = self.rlimit(u.x["g"] * self.price(d) * u.x["ltv"])

    def setup(self, u):
        r = self.r
        u.mer, u.x["tabs"] = r.choice(self.br)
        u.x["g"] = self.ln({"individual": 40, "small_business": 150, "student": 8}[u.seg], 0.6)
        u.x["ltv"], u.x["spiker"] = r.uniform(0.65, 0.85), r.random() < 0.55
        u.x["tk"] = r.choices((1, 2, 3), weights=(0.55, 0.3, 0.15))[0]  # pledge tickets held at once
        u.chw = {"merchant": 0.7, "app": 0.25, "web": 0.05}
        u.score = r.randint(430, 780)
        u.join = 0 if r.random() < 0.85 else r.randrange(self.D)
        self.upd(u, 0)

    def ctx(self, u, t):
        ch = self.pick(u.chw)
        if ch == "merchant":
            return ch, self.r.choice(u.x["tabs"]), u.mer  # shared counter tablets
        return ch, u.dev, None

    def normal(self, u, stop):
        for _ in range(u.x["tk"]):
            self.ticket(u, stop, u.x["tk"])

    def ticket(self, u, stop, tk):
        """One pledge ticket: pledge, then renew (repay + re-borrow same day) until redeemed."""
        r = self.r
        d = u.join + r.randint(0, 20)
        while d < stop:
            self.upd(u, d)
            p = self.prods[0] if r.random() < 0.8 else self.prods[1]
            L = self.loan(u, self.at(d, 9, 18), u.limit * r.uniform(0.55, 0.95) / tk, p[0], r.choice(p[1]),
                          purpose=p[2])
            d = self.D
            while L:
                rd = self.pay_day(u, L, L.due)
                spike = u.x["spiker"] and L.t // DAY < self.G <= rd
                rd = self.G if spike else rd
                tp = self.pay(u, L, self.at(rd, 9, 18))
                if tp is None or rd >= stop:
                    break
                if not spike and r.random() < 0.12:  # redeems the gold, comes back later
                    d = rd + r.randint(5, 30)
                    break
                if spike:
                    u.x["g"] *= r.uniform(1.5, 2.8)  # pledges more gold at the high price
                self.upd(u, rd)
                a = u.limit * r.uniform(0.8, 0.97) / tk if spike else min(u.limit, L.amt * r.uniform(1.0, 1.12))
                L = self.loan(u, tp + r.randint(120, 1800), a, L.prod, L.term, purpose=p[2])


class Remit(World):
    name, code = "remittance_bridge", "R"
    desc = ("families of overseas workers borrow against the next remittance and repay in bursts on "
            "landing days; a currency shock in the test window delays remittances (3-20 days late)")
    seg, out_p, score_p = (0.76, 0.08, 0.16), 0.9, 0.6
    prods = (("cash_loan", (7, 14, 21, 30), "consumption"), ("installment", (90, 180), "education"),
             ("credit_line", (30,), "consumption"))
    corr = ((5, 20), (8, 22), (1, 15, 28), (10, 25))

    def __init__(self, *a):
        super().__init__(*a)
        self.S = self.H + max(1, min(2, self.T // 5))
        self.E = min(self.D, self.S + max(3, self.T - 7))
        self.fam, self.famleft = None, 0

    def setup(self, u):
        r = self.r
        u.grp = r.choices(range(4), weights=(0.35, 0.3, 0.2, 0.15))[0]
        if self.famleft > 0:
            self.famleft -= 1
            u.dev, u.grp = self.fam
        elif r.random() < 0.3:  # a family tablet shared by 2-4 relatives
            self.fam, self.famleft = (u.dev, u.grp), r.randint(1, 3)
        u.x["rem"] = self.ln(4500 if u.seg != "small_business" else 9000, 0.45)
        u.limit = self.rlimit(u.x["rem"] * r.uniform(0.5, 1.3))
        u.chw = {"app": 0.6, "partner": 0.3, "web": 0.1}
        u.score = r.randint(420, 720)
        u.late_p, u.late_max = r.choice((0.0, 0.03, 0.1)), r.choice((1, 2))
        u.join = 0 if r.random() < 0.8 else r.randrange(self.H)

    def land(self, u, d):
        while self.dom(d) not in self.corr[u.grp]:
            d += 1
        return d

    def pay_day(self, u, L, due):
        r = self.r
        pd = due
        if L.prod == "installment":  # paid on the last landing day before the instalment is due
            pd = max([x for x in range(due - 20, due + 1) if self.dom(x) in self.corr[u.grp]] or [due])
        elif r.random() < u.late_p:
            pd = self.land(u, due + 1)
        if u.grp < 3 and self.S <= pd < self.E and r.random() < 0.85:  # currency shock wave
            pd = max(pd + 3, min(pd + r.randint(3, 20), self.E + r.randint(0, 2)))
        return pd

    def pay_time(self, u, d):
        return self.at(d, 8, 11) if self.r.random() < 0.6 else self.at(d, 19, 22.5)

    def normal(self, u, stop):
        r = self.r
        d = u.join + r.randint(0, 10)
        while d < stop:
            nxt = self.land(u, d + 3)
            for _ in range(1 + (r.random() < 0.3)):
                if r.random() < 0.12:
                    p, n = self.prods[1], r.choice((3, 6))
                    L = self.loan(u, self.at(d, 9, 21), u.x["rem"] * r.uniform(0.6, 1.5), p[0], 30 * n,
                                  purpose=p[2])
                else:
                    p, n = self.prods[0] if r.random() < 0.75 else self.prods[2], 1
                    L = self.loan(u, self.at(d, 7, 23), min(u.limit, u.x["rem"] * r.uniform(0.15, 0.7)),
                                  p[0], nxt - d, purpose=p[2])
                self.settle(u, L, n)
            d = nxt + r.randint(2, 12)


class Payroll(World):
    name, code = "payroll_outage", "Y"
    desc = ("salary-deduction lender for factory employers paid weekly/monthly; in the test window the "
            "largest employers' payroll fails: deductions late for days, then caught up together")
    seg, out_p, score_p = (0.86, 0.04, 0.10), 1.0, 0.9
    prods = (("cash_loan", (7, 14), "consumption"), ("installment", (60, 90, 120), "consumption"),
             ("credit_line", (30,), "consumption"))

    def __init__(self, *a):
        super().__init__(*a)
        self.emp = [(0.25, None), (0.17, None), (0.1, None)] + [
            (0.48 / 30, self.r.choice((10, 15, 25))) for _ in range(30)]
        self.dorm = [[self.newdev() for _ in range(8)] for _ in self.emp]
        o = self.H + 1
        while o % 7 != 4:
            o += 1
        self.O = o if o < self.D - 3 else self.H + 1
        self.C = min(self.D - 1, self.O + (10 if self.O + 12 <= self.D else 5))

    def payday(self, u, d, back=False):
        step = -1 if back else 1
        if self.emp[u.grp][1] is None:
            while d % 7 != 4:
                d += step
        else:
            while self.dom(d) != self.emp[u.grp][1]:
                d += step
        return d

    def setup(self, u):
        r = self.r
        u.grp = r.choices(range(len(self.emp)), weights=[e[0] for e in self.emp])[0]
        u.x["ded"] = r.random() < 0.85  # repays by payroll deduction
        u.x["fail"] = u.grp < 2
        if r.random() < 0.2:
            u.dev = r.choice(self.dorm[u.grp])  # dormitory phone shared by workmates
        u.x["sw"] = r.randrange(self.D) if r.random() < 0.15 else self.D
        sal = self.ln(5200 if u.seg != "student" else 2500, 0.3)
        u.limit = self.rlimit(sal * r.uniform(0.5, 1.6))
        u.score = r.randint(480, 760)
        u.chw = {"app": 0.75, "partner": 0.2, "web": 0.05}
        u.x["night"] = r.random() < 0.2
        u.join = 0 if r.random() < 0.85 else r.randrange(self.D)

    def pay_day(self, u, L, due):
        if not u.x["ded"]:
            return World.pay_day(self, u, L, due)
        pd = self.payday(u, due, back=True) if L.prod == "installment" else due
        if u.x["fail"] and self.O <= pd < self.C:
            return self.C
        return pd

    def pay_time(self, u, d):
        if u.x["ded"]:
            return self.at(d, 2, 4.5) if d != self.C else self.at(d, 10, 12)
        return self.at(d, 8, 23)

    def borrow(self, u, d, bridge=False):
        r = self.r
        if d >= u.x["sw"]:
            u.dev, u.x["sw"] = self.newdev(), self.D  # changed phone
        t = self.at(d, 22, 27.5) if u.x["night"] and r.random() < 0.6 else self.at(d, 8, 22)
        pd = self.payday(u, max(t // DAY + 1, self.C + 1 if bridge else 0))
        p = self.prods[0] if bridge else self.r.choices(self.prods, weights=(0.6, 0.2, 0.2))[0]
        if p[0] == "installment":
            n = r.choice((2, 3, 4))
            L = self.loan(u, t, u.limit * r.uniform(0.3, 0.9), p[0], 30 * n, purpose=p[2])
        else:
            n = 1
            a = r.uniform(500, 3000) if bridge else u.limit * r.uniform(0.1, 0.6)
            L = self.loan(u, t, a, p[0], max(1, pd - t // DAY), purpose=p[2])
        self.settle(u, L, n)
        return pd

    def normal(self, u, stop):
        d = u.join + self.r.randint(0, 10)
        while d < stop:
            pd = self.borrow(u, d)
            d = pd + self.r.randint(0, 14)

    def extras(self):
        for u in self.users:
            if u.x["fail"] and not u.anom and u.join < self.O and self.r.random() < 0.25:
                self.borrow(u, self.r.randint(self.O, max(self.O, self.C - 1)), bridge=True)


class Promo(World):
    name, code = "zero_rate_promo_week", "Z"
    desc = ("appliance-store instalment lender; a zero-rate promotion week in the test window brings "
            "brand-new customers on store tablets and purchases split into several instalments")
    seg, out_p, score_p = (0.78, 0.1, 0.12), 0.7, 0.8
    prods = (("installment", (90, 180, 360), "consumption"), ("credit_line", (30,), "consumption"),
             ("cash_loan", (30, 90), "consumption"))

    def __init__(self, *a):
        super().__init__(*a)
        r = self.r
        self.st = [("ST%s%04d" % (self.code, i), [self.newdev("t") for _ in range(r.randint(1, 3))],
                    [self.newdev("t") for _ in range(r.randint(1, 2))]) for i in range(max(5, self.N // 80))]
        self.P0 = self.H + max(1, min(2, self.T // 5))
        self.P1 = min(self.D, self.P0 + 7)

    def setup(self, u):
        r = self.r
        u.mer, u.x["tabs"], u.x["ptabs"] = r.choice(self.st)
        u.x["new"] = r.random() < 0.22
        if u.x["new"]:  # promo newcomers, many on the opening day
            u.join = self.P0 if r.random() < 0.4 else r.randrange(self.P0, self.P1)
        else:
            u.join = 0 if r.random() < 0.8 else r.randrange(self.H)
        u.x["promo"] = r.random() < 0.35
        u.chw = {"merchant": 0.55, "partner": 0.3, "app": 0.15}
        u.limit = self.rlimit(self.ln(8000 if u.seg != "student" else 3000, 0.5))
        u.score = r.randint(450, 800)

    def ctx(self, u, t):
        ch = self.pick(u.chw)
        if ch == "merchant":
            promo = self.P0 <= t // DAY < self.P1
            return ch, self.r.choice(u.x["ptabs"] if promo and self.r.random() < 0.7 else u.x["tabs"]), u.mer
        return ch, (u.dev if ch == "app" or self.r.random() < 0.5 else None), None

    def purchase(self, u, d, split):
        r = self.r
        promo = self.P0 <= d < self.P1
        t = self.at(d, 10, 21.5)
        ch, dev, mer = self.ctx(u, t) if split == 1 else ("merchant", r.choice(
            u.x["ptabs"] if promo else u.x["tabs"]), u.mer)
        total = min(u.limit * 1.2, self.ln(u.limit * 0.35, 0.5))
        for _ in range(split):
            p = self.prods[0] if split > 1 or r.random() < 0.7 else r.choice(self.prods[1:])
            term = r.choice(p[1])
            L = self.loan(u, t, total / split * r.uniform(0.6, 1.4), p[0], term, ch, dev, mer, p[2])
            if L and promo:
                L.rate = 0.0
            self.settle(u, L, max(1, term // 30))
            t += r.randint(60, 420)

    def normal(self, u, stop):
        r = self.r
        d = u.join if u.x["new"] else u.join + r.randint(0, 20)
        pd = r.randrange(self.P0, self.P1) if u.x["promo"] and not u.x["new"] and self.P1 > self.P0 else -1
        while d < stop or self.P0 <= pd < stop:
            if self.P0 <= pd <= d or d >= stop:
                self.purchase(u, pd, r.randint(2, 6))
                pd = -1
                continue
            self.purchase(u, d, r.randint(2, 3) if r.random() < 0.15 else 1)
            d += r.randint(5, 25)
            if r.random() < 0.5:
                d += (5 - d % 7) % 7  # shopping on Saturday


class Rescale(World):
    name, code = "score_rescale", "S"
    desc = ("consumer lender whose score provider changes scale inside the test window (scores shift and "
            "stretch, limits re-set up or down); scores missing for weeks of history for many users")
    seg, out_p, score_p = (0.68, 0.14, 0.18), 0.8, 1.0
    prods = (("credit_line", (30,), "consumption"), ("cash_loan", (30, 60, 90), "consumption"),
             ("installment", (90, 180), "consumption"))

    def __init__(self, *a):
        super().__init__(*a)
        self.R = self.H + max(1, min(3, self.T // 4))
        self.G0 = max(1, self.H // 4)
        self.G1 = self.G0 + min(18, max(1, self.H // 2))

    def setup(self, u):
        r = self.r
        u.x["s"] = clip(int(r.gauss(620, 70)), 380, 840)
        u.x["ns"] = clip(round(350 + (u.x["s"] - 380) * 1.35 + 40 + r.gauss(0, 12)), 350, 950)
        u.limit = self.rlimit(self.ln(6000, 0.5) * (u.x["s"] / 620) ** 3)
        u.x["nl"] = self.rlimit(u.limit * 2 ** ((u.x["ns"] - 700) / 80 + r.gauss(0, 0.3)))
        u.x["miss"] = r.random() < 0.55
        u.chw = {"app": 0.6, "partner": 0.3, "web": 0.1}
        u.x["stmt"] = r.randint(1, 28)
        u.join = 0 if r.random() < 0.85 else r.randrange(self.D)

    def normal(self, u, stop):
        r = self.r
        d = u.join + r.randint(0, 10)
        while d < stop:
            if d >= self.R:
                u.limit = u.x["nl"]
            sc = u.x["ns"] if d >= self.R else u.x["s"] + r.randint(-6, 6)
            u.score = None if (self.G0 <= d < self.G1 and u.x["miss"]) else sc
            p = r.choices(self.prods, weights=(0.55, 0.3, 0.15))[0]
            if p[0] == "credit_line":  # a few checkout draws, all billed on the statement day
                due = d + 1
                while self.dom(due) != u.x["stmt"]:
                    due += 1
                for _ in range(r.randint(1, 4)):
                    t = self.at(d, 9, 23.5)
                    L = self.loan(u, t, u.limit * r.uniform(0.03, 0.25), p[0], due + 20 - d, purpose=p[2])
                    self.settle(u, L)
                    d += r.randint(0, 2)
            else:
                term = r.choice(p[1])
                L = self.loan(u, self.at(d, 9, 22), u.limit * r.uniform(0.2, 0.7), p[0], term, purpose=p[2])
                self.settle(u, L, term // 30)
            d += r.randint(2, 14)


class Village(World):
    name, code = "village_agent_phones", "V"
    desc = ("rural lender whose field agents enter loans and repayments on their own phones on market "
            "days; an agent reassignment in the test window moves whole villages to new phones")
    seg, out_p, score_p = (0.45, 0.45, 0.10), 0.5, 0.3
    prods = (("merchant_loan", (90, 180), "business"), ("cash_loan", (14, 21, 30, 60), "consumption"),
             ("installment", (180, 360), "business"))
    limit_round = 1000

    def __init__(self, *a):
        super().__init__(*a)
        self.R = self.H + max(1, min(4, self.T // 3))
        self.vil, self.left, self.ag = [], 0, None

    def agent(self):
        return {"dev": self.newdev("ag"), "h0": self.r.uniform(7, 10), "n": self.r.randint(2, 4)}

    def setup(self, u):
        r = self.r
        if self.left <= 0:
            if self.ag is None or self.ag["n"] <= 0:
                self.ag = self.agent()
            self.ag["n"] -= 1
            moved = r.random() < 0.4
            self.vil.append({"off": r.randrange(5), "shop": "VS%s%04d" % (self.code, len(self.vil)),
                             "a": self.ag, "b": self.agent() if moved else self.ag})
            self.left = r.randint(25, 70)
        self.left -= 1
        u.x["v"] = self.vil[-1]
        u.mer = u.x["v"]["shop"]
        if u.seg == "student":
            u.prods = [("cash_loan", (90, 180), "education")]
        elif u.seg == "individual":
            u.prods = [self.prods[1], self.prods[2]]
        u.limit = self.rlimit(self.ln({"individual": 8000, "small_business": 20000, "student": 4000}[u.seg], 0.4))
        u.score = r.randint(400, 700)
        u.chw = {"partner": 0.75, "merchant": 0.25}
        u.late_p, u.late_max = r.choice((0.05, 0.15, 0.3)), r.choice((5, 10, 15))
        u.early_p = 0.0
        u.join = 0 if r.random() < 0.9 else r.randrange(self.D)

    def cur(self, u, d):
        v = u.x["v"]
        return v["b"] if d >= self.R else v["a"]

    def ctx(self, u, t):
        ag = self.cur(u, t // DAY)
        if self.r.random() < u.chw["merchant"]:
            return "merchant", ag["dev"] if self.r.random() < 0.6 else u.dev, u.x["v"]["shop"]
        return "partner", ag["dev"], None

    def market(self, u, d):
        return d + (u.x["v"]["off"] - d) % 5

    def pay_day(self, u, L, due):
        if self.r.random() < 0.6:
            return self.market(u, due - 4)
        return self.market(u, World.pay_day(self, u, L, due))

    def pay_time(self, u, d):
        h = self.cur(u, d)["h0"]
        return self.at(d, h, h + 5)

    def normal(self, u, stop):
        r = self.r
        d = self.market(u, u.join + r.randint(0, 10))
        while d < stop:
            p = self.prod(u)
            term = r.choice(p[1])
            L = self.loan(u, self.pay_time(u, d), u.limit * r.uniform(0.3, 0.9), p[0], term, purpose=p[2])
            self.settle(u, L, max(1, term // 30) if p[0] != "merchant_loan" else 1)
            d = self.market(u, d + r.randint(10, 60))


class AppOut(World):
    name, code = "app_outage_fallback", "A"
    desc = ("app-first cash/credit-line lender; a two-day app outage in the test window pushes customers to "
            "web/partner on unseen devices, then a new app version gives many new device ids")
    seg, out_p, score_p = (0.74, 0.06, 0.20), 1.0, 0.95
    prods = (("cash_loan", (7, 14, 30, 60, 90), "consumption"), ("credit_line", (30,), "consumption"))

    def __init__(self, *a):
        super().__init__(*a)
        self.O = self.H + max(1, min(3, self.T // 4))

    def setup(self, u):
        r = self.r
        u.chw = {"app": 0.93, "web": 0.04, "partner": 0.03}
        u.x["d2"] = self.newdev() if r.random() < 0.06 else None
        u.x["chg"] = (r.randrange(self.D), self.newdev()) if r.random() < 0.08 else (self.D, None)
        u.x["upg"] = self.newdev() if r.random() < 0.55 else None
        u.x["br"], u.x["pa"], u.x["wb"] = self.newdev("br"), self.newdev("pa"), self.newdev("br")
        u.x["night"] = r.random() < 0.35
        u.limit = self.rlimit(self.ln(5000 if u.seg != "student" else 2000, 0.6))
        u.score = r.randint(450, 820)
        u.join = 0 if r.random() < 0.8 else r.randrange(self.D)

    def ctx(self, u, t):
        d = t // DAY
        if self.O <= d < self.O + 2:  # app down: fallback on never-seen browsers / partner apps
            return ("web", u.x["br"], None) if self.r.random() < 0.65 else ("partner", u.x["pa"], None)
        ch = self.pick(u.chw)
        if ch == "web":
            return ch, u.x["wb"], None
        if ch == "partner":
            return ch, None, None
        if d >= self.O + 2 and u.x["upg"]:
            return ch, u.x["upg"], None
        if d >= u.x["chg"][0]:
            return ch, u.x["chg"][1], None
        return ch, (u.x["d2"] if u.x["d2"] and self.r.random() < 0.3 else u.dev), None

    def fix(self, u, t, ch, dev, mer):
        if ch == "app" and self.O <= t // DAY < self.O + 2:
            return self.ctx(u, t)
        return ch, dev, mer

    def pay_day(self, u, L, due):
        pd = World.pay_day(self, u, L, due)
        if self.O <= pd < self.O + 2 and self.r.random() < 0.6:
            return self.O + 2
        return pd

    def normal(self, u, stop):
        r = self.r
        d = u.join + r.randint(0, 8)
        while d < stop:
            t = self.at(d, 22, 26) if u.x["night"] and r.random() < 0.7 else self.at(d, 7, 22)
            p = r.choices(self.prods, weights=(0.6, 0.4))[0]
            term = r.choice(p[1])
            L = self.loan(u, t, u.limit * r.uniform(0.1, 0.8), p[0], term, purpose=p[2])
            self.settle(u, L, max(1, term // 30))
            d += r.randint(1, 15) + (2 if d % 7 in (0, 1) else 0)


WORLDS = {c.name: c for c in (Pawn, Remit, Payroll, Promo, Rescale, Village, AppOut)}
