"""Shared engine of family M: users, loans, repayments, typology episodes, output."""
import hashlib
import random
from datetime import date, datetime, timedelta, timezone

DAY = 86400
TZ = timezone(timedelta(hours=8))
EPOCH = datetime(2026, 1, 5, tzinfo=TZ)  # a Monday
D0 = date(2026, 1, 5)
TYPOLOGIES = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
              "limit_jump_drain", "overdue_escalation", "straw_borrower", "repayment_kiting")
RATE = {"cash_loan": 0.02, "credit_line": 0.01, "installment": 0.03, "merchant_loan": 0.025,
        "wealth_pledge": 0.015}
SEGS = ("individual", "small_business", "student")


def iso(t):
    return (EPOCH + timedelta(seconds=t)).isoformat()


def money(x):
    return min(max(round(x, 2), 1.0), 10_000_000.0)


class Loan:
    __slots__ = ("id", "t", "amt", "prod", "term", "due", "lab", "rate", "left")

    def __init__(self, lid, t, amt, prod, term, lab):
        self.id, self.t, self.amt, self.prod, self.term, self.lab = lid, t, amt, prod, term, lab
        self.due = t // DAY + term
        self.rate = RATE[prod]
        self.left = amt


class User:
    def __init__(self, uid, seg):
        self.id, self.seg = uid, seg
        self.score = None
        self.limit = 1000.0
        self.dev = None          # current own device
        self.chw = {"app": 1.0}  # channel weights
        self.mer = None          # home merchant
        self.mdev = None         # merchant / agent / family device used at that merchant
        self.late_p, self.late_max, self.early_p = 0.05, 3, 0.1
        self.join, self.stop, self.grp = 0, None, 0
        self.anom = False
        self.prods = []          # list of (product, terms, purpose) this user uses
        self.x = {}              # world specific attributes


class World:
    name = desc = code = ""
    seg = (0.8, 0.15, 0.05)
    out_p = 1.0        # how often repayments carry `outstanding`
    score_p = 1.0      # how often loans carry `credit_score`
    prods = ()         # (product, terms, purpose) offered by the lender
    limit_round = 100

    def __init__(self, seed, users, hist, test):
        h = hashlib.sha256(f"M|{self.name}|{seed}|{users}|{hist}|{test}".encode()).digest()
        self.r = random.Random(int.from_bytes(h[:8], "big"))
        self.N, self.H, self.T, self.D = users, hist, test, hist + test
        self.end = self.D * DAY
        self.ev, self.nl, self.nq, self.lids = [], 0, 0, set()
        self.users = []

    # ---------- small helpers ----------
    def u01(self, a, b):
        return self.r.uniform(a, b)

    def ln(self, med, sig):
        return med * self.r.lognormvariate(0, sig)

    def pick(self, w):
        return self.r.choices(list(w), weights=list(w.values()))[0]

    def newdev(self, p="d"):
        return "%s-%010x" % (p, self.r.getrandbits(40))

    def at(self, d, h0=8, h1=21):
        return int(d * DAY + self.r.uniform(h0, h1) * 3600)

    def wd(self, d):
        return d % 7

    def dom(self, d):
        return (D0 + timedelta(days=d)).day

    def rlimit(self, x):
        return float(max(self.limit_round, round(x / self.limit_round) * self.limit_round))

    # ---------- events ----------
    def _add(self, e, u, t, lab):
        self.nq += 1
        e.update(_t=t, _q=self.nq, _u=u, _l=lab, user_id=u.id)
        self.ev.append(e)

    def loan(self, u, t, amt, prod, term, ch=None, dev=None, mer=None, purpose=None, lab=None,
             limit=None, score=-1):
        t = int(t)
        if t < 0 or t >= self.end or amt <= 0:
            return None
        if ch is None:
            ch, dev, mer = self.ctx(u, t)
        ch, dev, mer = self.fix(u, t, ch, dev, mer)
        self.nl += 1
        lim = u.limit if limit is None else limit
        lid = "L%s-%010x" % (self.code, self.r.getrandbits(40))
        while lid in self.lids:
            lid = "L%s-%010x" % (self.code, self.r.getrandbits(40))
        self.lids.add(lid)
        L = Loan(lid, t, money(amt), prod, max(1, min(3650, int(term))), lab)
        e = {"event_type": "loan", "amount": L.amt, "loan_id": L.id, "product": prod,
             "term_days": L.term, "credit_limit": money(lim) if lim > 0 else 0,
             "segment": u.seg, "channel": ch}
        sc = u.score if score == -1 else score
        if sc is not None and self.r.random() < self.score_p:
            e["credit_score"] = max(350, min(950, int(sc)))
        if purpose:
            e["purpose"] = purpose
        if dev:
            e["device_id"] = dev
        if ch == "merchant" and mer:
            e["merchant_id"] = mer
        self._add(e, u, t, lab)
        return L

    def pay(self, u, L, t, amt=None, due=None, lab=None):
        """Repay into loan L at time t; days_late from `due` (a day index, default L.due)."""
        if L is None:
            return None
        t = max(int(t), L.t + 60 + self.r.randrange(600))
        if t >= self.end:
            return None
        if amt is None:
            amt = L.left * (1 + L.rate * max(1, L.term / 30))
        amt = money(amt)
        L.left = max(0.0, L.left - amt)
        due = L.due if due is None else due
        e = {"event_type": "repayment", "amount": amt, "loan_id": L.id,
             "days_late": max(0, t // DAY - due), "_o": self.r.random() < self.out_p}
        self._add(e, u, t, lab if lab is not None else L.lab)
        return t

    # ---------- defaults worlds may override ----------
    def ctx(self, u, t):
        ch = self.pick(u.chw)
        if ch == "merchant":
            return ch, u.mdev or u.dev, u.mer or "M%s0001" % self.code
        if ch == "partner":
            return ch, (u.dev if self.r.random() < 0.5 else None), None
        return ch, u.dev, None

    def fix(self, u, t, ch, dev, mer):
        """World-wide constraints on an explicitly chosen channel (e.g. an app outage)."""
        return ch, dev, mer

    def prod(self, u):
        return self.r.choice(u.prods or list(self.prods))

    def amount(self, u, prod):
        return min(u.limit, self.ln(u.limit * 0.35, 0.5))

    def pay_day(self, u, L, due):
        """Day a normal customer pays an instalment due on `due`."""
        if self.r.random() < u.late_p:
            return due + self.r.randint(1, u.late_max)
        return due - (self.r.randint(1, 3) if self.r.random() < 0.25 else 0)

    def pay_time(self, u, d):
        return self.at(d, 7, 23)

    def settle(self, u, L, n=1, lab=None):
        """Schedule normal repayment of L in n instalments; return last pay time."""
        if L is None:
            return None
        start = L.t // DAY
        if self.r.random() < u.early_p:   # early full payoff
            d = self.r.randint(start + 1, max(start + 1, L.due - 1))
            return self.pay(u, L, self.pay_time(u, d), lab=lab)
        last = L.t
        per = L.amt * (1 + L.rate * max(1, L.term / 30)) / n
        for k in range(1, n + 1):
            due = start + round(L.term * k / n)
            d = max(start + 1, self.pay_day(u, L, due))
            tp = self.pay(u, L, max(self.pay_time(u, d), last + 60), amt=per, due=due, lab=lab)
            if tp is None:
                break
            last = tp
        return last

    def base_user(self, i, seg=None):
        u = User("u%s%05d" % (self.code, i + 1), seg or self.r.choices(SEGS, weights=self.seg)[0])
        u.dev = self.newdev()
        u.late_p = self.r.choice((0.01, 0.03, 0.08, 0.2, 0.45))
        u.late_max = self.r.choice((1, 2, 3, 5, 10))
        u.early_p = self.r.choice((0.0, 0.05, 0.15, 0.4))
        return u

    def setup(self, u):
        pass

    def normal(self, u, stop):
        pass

    def extras(self):
        pass

    # ---------- run ----------
    def run(self):
        for i in range(self.N):
            u = self.base_user(i)
            self.setup(u)
            self.users.append(u)
        plan = self.plan_episodes()
        for u in self.users:
            self.normal(u, self.D if u.stop is None else u.stop)
        self.extras()
        for typ, us, s, x in plan:
            EPISODES[typ](self, us, s, x, typ)
        return self.finish()

    def plan_episodes(self):
        r = self.r
        budget = max(1, round(self.N * r.uniform(0.028, 0.042)))
        free = list(self.users)
        r.shuffle(free)
        typs = list(TYPOLOGIES)
        r.shuffle(typs)
        plan, used, k = [], 0, 0
        while used < budget and free:
            typ = typs[k % len(typs)]
            k += 1
            if typ == "student_overborrowing":
                st = [u for u in free if u.seg == "student"] or free
                u = st[0]
                free.remove(u)
                if u.seg != "student":
                    u.seg = "student"
                    self.setup_student(u)
                us = [u]
            elif typ == "straw_borrower":
                us = [free.pop() for _ in range(min(len(free), r.randint(3, 5)))]
            else:
                us = [free.pop()]
            hist = r.random() < 0.3
            sd = r.randint(3, self.H - 4) if hist and self.H > 8 else r.randint(self.H, max(self.H, self.D - 4))
            s = self.at(sd, 7, 22)
            for j, u in enumerate(us):
                u.anom = True
                if typ == "straw_borrower" and j > 0 and r.random() < 0.5:
                    u.join = sd  # brand-new recruit, no history
                    u.stop = sd
                elif typ not in ("account_takeover", "straw_borrower"):
                    u.stop = sd
                u.join = min(u.join, sd)
            plan.append((typ, us, s, r.random()))
            used += len(us)
        return plan

    def setup_student(self, u):
        u.limit = self.rlimit(min(u.limit, self.ln(3000, 0.4)))

    def finish(self):
        self.ev.sort(key=lambda e: (e["_t"], e["_q"]))
        tot, left = {}, {}
        events, labels = [], []
        for i, e in enumerate(self.ev):
            u = e["_u"]
            eid = "e%s-%07d" % (self.code, i + 1)
            o = {"event_id": eid, "event_type": e["event_type"], "user_id": u.id, "ts": iso(e["_t"])}
            for k, v in e.items():
                if k[0] != "_" and k not in o:
                    o[k] = v
            lid = e["loan_id"]
            if e["event_type"] == "loan":
                left[lid] = e["amount"]
                tot[u.id] = tot.get(u.id, 0.0) + e["amount"]
            else:
                p = min(e["amount"], left[lid])
                left[lid] -= p
                tot[u.id] -= p
                if e["_o"]:
                    o["outstanding"] = max(0.0, round(tot[u.id], 2))
            events.append(o)
            labels.append({"event_id": eid, "label": 1 if e["_l"] else 0,
                           "scenario": e["_l"] or "normal", "user_anomalous": u.anom})
        return events, labels


# ---------------- typology episodes ----------------
def _other_ctx(w, u, x):
    """A channel/device that is not the user's usual one (used more as intensity grows)."""
    if w.r.random() < 0.3 + 0.6 * x:
        ch = w.r.choice(("app", "web", "partner"))
        return ch, w.newdev({"app": "d", "web": "br", "partner": "pa"}[ch]), None
    return None, None, None


def _cashish(w):
    for p in w.prods:
        if p[0] in ("cash_loan", "credit_line"):
            return p
    return w.prods[0]


def ep_loan_stacking(w, us, s, x, sc):
    u, r = us[0], w.r
    n = 3 + int(x * 5 + r.random() * 2)
    span = DAY * (4 - 3.9 * x) * r.uniform(0.5, 1.0)
    t, loans = s, []
    for _ in range(n):
        p = r.choice(w.prods) if r.random() < 0.3 + 0.6 * x else w.prod(u)
        ch, dev, mer = _other_ctx(w, u, x * 0.6)
        a = u.limit * r.uniform(0.2, 0.5 + 0.5 * x)
        loans.append(w.loan(u, t, a, p[0], r.choice(p[1]), ch, dev, mer, p[2], lab=sc))
        t += int(span / n * r.uniform(0.3, 1.7)) + 120
    for i, L in enumerate(loans):
        if L and r.random() < 0.7 - 0.6 * x:
            late = int(i * r.uniform(1, 4 + 8 * x))
            w.pay(u, L, w.at(L.due + late), amt=L.amt * r.uniform(0.2, 1.0), lab=sc)


def ep_borrow_to_repay(w, us, s, x, sc):
    u, r = us[0], w.r
    p = w.prod(u)
    L = w.loan(u, s, w.amount(u, p[0]) * r.uniform(0.7, 1.2), p[0], r.choice((7, 14, 21, 30)), None, None, None,
               p[2], lab=sc)
    for _ in range(3 + int(x * 4)):
        if L is None:
            return
        lead = r.uniform(0, 5 * (1 - x) + 0.3) * DAY
        tn = max(L.t + 3600, L.due * DAY + 12 * 3600 - lead)
        q = _cashish(w) if r.random() < 0.5 + 0.5 * x else w.prod(u)
        owed = L.left * (1 + L.rate)
        Ln = w.loan(u, tn, owed * r.uniform(1.02, 1.1 + 0.3 * x), q[0], r.choice((7, 14, 21, 30)), None, None, None,
                    q[2], lab=sc)
        if Ln is None:
            return
        w.pay(u, L, tn + r.uniform(60, 3600 + 20 * 3600 * (1 - x)), amt=owed, lab=sc)
        L = Ln
    if L and r.random() < 0.4 * (1 - x):
        w.pay(u, L, w.at(L.due + r.randint(3, 20)), amt=L.amt * r.uniform(0.1, 0.4), lab=sc)


def ep_account_takeover(w, us, s, x, sc):
    u, r = us[0], w.r
    ch = "app" if r.random() < 0.6 - 0.3 * x else r.choice(("web", "partner"))
    dev = w.newdev({"app": "d", "web": "br", "partner": "pa"}[ch])
    t = s if r.random() > x else int(s // DAY * DAY + r.uniform(0.5, 5) * 3600)
    n = 1 + int(x * 3.5)
    p = _cashish(w)
    for _ in range(n):
        a = u.limit * r.uniform(0.3 + 0.4 * x, 0.6 + 0.4 * x) / (1 + (n - 1) * (1 - x) * 0.5)
        w.loan(u, t, a, p[0], r.choice(p[1]), ch, dev, None, p[2], lab=sc)
        t += int(r.uniform(300, 300 + 8 * 3600 * (1 - x)))


def ep_student_overborrowing(w, us, s, x, sc):
    u, r = us[0], w.r
    n = 5 + int(x * 15)
    span = r.uniform(7, 21) * DAY
    tgt = u.limit * r.uniform(0.8, 1.0 + 1.0 * x)
    loans, t = [], s
    for i in range(n):
        p = r.choice(w.prods) if r.random() < 0.5 else w.prod(u)
        L = w.loan(u, t, tgt / n * r.uniform(0.5, 1.5), p[0], min(r.choice(p[1]), 90), None, None, None,
                   r.choice(("consumption", "education")), lab=sc)
        loans.append(L)
        t += int(span / n * r.uniform(0.2, 1.8))
    for i, L in enumerate(loans):
        if L is None:
            continue
        if i < n * (0.6 - 0.4 * x) * r.uniform(0.5, 1.2):
            w.pay(u, L, w.at(L.due + int(i * r.uniform(0, 1.5 + 2 * x))), amt=L.amt * r.uniform(0.1, 0.6),
                  lab=sc)


def ep_limit_jump_drain(w, us, s, x, sc):
    u, r = us[0], w.r
    u.limit = w.rlimit(u.limit * r.uniform(1.5, 2 + 2.5 * x))
    n = 1 + int(x * 3 + r.random())
    total = u.limit * r.uniform(0.65, 0.8 + 0.2 * x)
    t = s
    for _ in range(n):
        p = _cashish(w) if r.random() < 0.5 + 0.5 * x else w.prod(u)
        L = w.loan(u, t, total / n * r.uniform(0.8, 1.2), p[0], r.choice(p[1]), None, None, None, p[2], lab=sc)
        if L and r.random() < 0.5 - 0.4 * x:
            w.pay(u, L, w.at(L.due + r.randint(0, 15)), amt=L.amt * r.uniform(0.05, 0.3), lab=sc)
        t += int(r.uniform(600, 600 + 4 * DAY * (1 - x)))


def ep_overdue_escalation(w, us, s, x, sc):
    u, r = us[0], w.r
    k = 3 + int(x * 3 + r.random() * 2)
    base, g = r.uniform(1, 3), r.uniform(1.4, 1.6 + 1.2 * x)
    t = s
    for i in range(k):
        p = w.prod(u)
        L = w.loan(u, t, w.amount(u, p[0]), p[0], r.choice((7, 14, 21)), None, None, None, p[2], lab=sc)
        if L is None:
            return
        if i >= k - 1 - (r.random() < x):
            break  # stops paying
        late = int(base * g ** i) if i > 0 or r.random() < 0.5 else 0
        tp = w.pay(u, L, w.at(L.due + late), lab=sc)
        if tp is None:
            return
        t = tp + int(r.uniform(0.2, 3) * DAY)


def ep_straw_borrower(w, us, s, x, sc):
    org, recruits, r = us[0], us[1:], w.r
    mer, odev = org.mer, org.dev  # worlds without merchants: only the organiser's phone
    spread = DAY * 3 * (1 - x) + 1800
    p = _cashish(w)
    if r.random() < 0.5:
        w.loan(org, s, org.limit * r.uniform(0.3, 0.8), p[0], r.choice(p[1]), None, None, None, p[2], lab=sc)
    for ru in recruits:
        for _ in range(1 + (r.random() < 0.4)):
            t = s + int(r.uniform(0, spread))
            if r.random() < 0.4 + 0.6 * x:
                ch, dev, m = ("app", odev, None) if r.random() < 0.6 or not mer else ("merchant", org.mdev or odev, mer)
            else:
                ch, dev, m = (None, None, None)
            L = w.loan(ru, t, ru.limit * r.uniform(0.5, 1.0), p[0], r.choice(p[1]), ch, dev, m, p[2], lab=sc)
            if L and r.random() < 0.35 * (1 - x) + 0.05:
                w.pay(ru, L, w.at(L.due + r.randint(0, 10)), amt=L.amt * r.uniform(0.05, 0.3), lab=sc)


def ep_repayment_kiting(w, us, s, x, sc):
    u, r = us[0], w.r
    ps = list(w.prods)
    open_, t = [], s
    for i in range(2 + (r.random() < x)):
        p = r.choice(ps)
        L = w.loan(u, t, w.amount(u, p[0]) * r.uniform(0.6, 1.0), p[0], r.choice((14, 21, 30)), None, None, None,
                   p[2], lab=sc)
        if L:
            open_.append(L)
        t += int(r.uniform(1, 6) * DAY)
    for _ in range(3 + int(x * 5)):
        if not open_:
            return
        open_.sort(key=lambda L: L.due)
        L = open_.pop(0)
        tj = L.due * DAY + int(r.uniform(18, 23.8 - 4 * (1 - x)) * 3600)  # just in time
        if tj >= w.end:
            return
        owed = L.left * (1 + L.rate)
        q = r.choice([p for p in ps if p[0] != L.prod] or ps)
        Ln = w.loan(u, tj - int(r.uniform(120, 3600)), owed * r.uniform(1.03, 1.08 + 0.2 * x), q[0],
                    r.choice((14, 21, 30)), None, None, None, q[2], lab=sc)
        w.pay(u, L, tj, amt=owed, lab=sc)
        if Ln:
            open_.append(Ln)
    # chain breaks: everything left goes unpaid


EPISODES = {n: globals()["ep_" + n] for n in TYPOLOGIES}
