"""Simulation engine shared by the worlds_d lenders.

Times are integer seconds since the stream start (2026-01-05T00:00:00+08:00).
Each user is simulated on its own ``random.Random`` seeded from
(world, seed, user index), so the output is deterministic and independent of
dict ordering or hash randomisation.
"""
from __future__ import annotations

import bisect
import datetime as _dt
import json
import math
import random

DAY = 86400
HOUR = 3600
TZ = _dt.timezone(_dt.timedelta(hours=8))
START = _dt.datetime(2026, 1, 5, tzinfo=TZ)
PRODUCTS = ("cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge")
HEX = "0123456789abcdef"


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def wchoice(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def r2(x: float) -> float:
    return round(float(x), 2)


def hexid(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(HEX) for _ in range(n))


def cal(day: int) -> _dt.date:
    return (START + _dt.timedelta(days=day)).date()


# Spring Festival 2026 (official holiday Feb 15 - Feb 23)
HOLIDAY = (_dt.date(2026, 2, 15), _dt.date(2026, 2, 23))
PRE_HOLIDAY = (_dt.date(2026, 2, 2), _dt.date(2026, 2, 14))
POST_HOLIDAY = (_dt.date(2026, 2, 24), _dt.date(2026, 2, 27))


def holiday_factor(day: int, lull=0.45, pre=1.25, post=1.35) -> float:
    d = cal(day)
    if HOLIDAY[0] <= d <= HOLIDAY[1]:
        return lull
    if PRE_HOLIDAY[0] <= d <= PRE_HOLIDAY[1]:
        return pre
    if POST_HOLIDAY[0] <= d <= POST_HOLIDAY[1]:
        return post
    return 1.0


class Loan:
    __slots__ = ("lid", "t", "amount", "product", "term", "total", "schedule", "reps", "ev")

    def __init__(self, lid, t, amount, product, term, total, schedule):
        self.lid = lid
        self.t = t
        self.amount = amount
        self.product = product
        self.term = term
        self.total = total
        self.schedule = schedule  # list of (due_t, amount_due)
        self.reps = []  # repayment events
        self.ev = None

    def due(self):
        return self.schedule[-1][0]

    def paid_by(self, t):
        return sum(e.amount for e in self.reps if e.t <= t)


class Ev:
    __slots__ = ("t", "kind", "amount", "loan", "fields", "label", "scen", "due_t", "seq")

    def __init__(self, t, kind, amount, loan, fields=None, label=0, scen="normal", due_t=None):
        self.t = int(t)
        self.kind = kind
        self.amount = amount
        self.loan = loan
        self.fields = fields
        self.label = label
        self.scen = scen
        self.due_t = due_t
        self.seq = 0


class User:
    def __init__(self, ctx, idx):
        self.ctx = ctx
        self.idx = idx
        self.rng = random.Random(f"{ctx.world.name}|{ctx.seed}|{idx}")
        self.uid = ctx.world.user_id(idx, self.rng)
        self.loans: list[Loan] = []
        self.events: list[Ev] = []
        self.limit_tl = {None: [(-10 ** 9, 0.0)]}  # product (None = total) -> timeline
        self.device_tl = [(-10 ** 9, None)]
        self.anomalous = False
        self.typology = None
        self.join = 0
        self.stop = 10 ** 12
        self.habit = "on_time"
        self.segment = "individual"
        self.score = 650
        self.nloan = 0
        self.extra = {}

    # ---- limits -------------------------------------------------------
    def set_limit(self, t, value, product=None):
        tl = self.limit_tl.setdefault(product, [(-10 ** 9, 0.0)])
        i = bisect.bisect_right([x[0] for x in tl], t)
        tl.insert(i, (t, float(value)))

    def set_limit_shown(self, t, value, product=None):
        """Set the limit so that the value shown on loan events at ``t`` is ``value``."""
        f = self.ctx.world.limit_factor(self, t) or 1.0
        key = product if self.ctx.world.per_product else None
        self.set_limit(t, value / f, key)

    def limit_at(self, t, product=None):
        key = product if (self.ctx.world.per_product and product in self.limit_tl) else None
        tl = self.limit_tl[key]
        i = bisect.bisect_right([x[0] for x in tl], t) - 1
        return round(tl[max(i, 0)][1] * self.ctx.world.limit_factor(self, t), 0)

    def outstanding_at(self, t, product=None):
        per = self.ctx.world.per_product and product is not None
        tot = 0.0
        for ln in self.loans:
            if ln.t <= t and (not per or ln.product == product):
                tot += ln.amount * (1.0 - min(1.0, ln.paid_by(t) / ln.total))
        return tot

    def avail(self, t, product=None):
        return self.limit_at(t, product) - self.outstanding_at(t, product)

    # ---- devices ------------------------------------------------------
    def set_device(self, t, dev):
        tl = self.device_tl
        i = bisect.bisect_right([x[0] for x in tl], t)
        tl.insert(i, (t, dev))

    def device_at(self, t):
        tl = self.device_tl
        i = bisect.bisect_right([x[0] for x in tl], t) - 1
        return tl[max(i, 0)][1]

    # ---- events -------------------------------------------------------
    def add_loan(self, t, amount, product, term, channel=None, device="auto", purpose="auto",
                 label=0, scen="normal", plan="habit", merchant=None, limit=None, schedule=None):
        ctx, w, rng = self.ctx, self.ctx.world, self.rng
        t = int(t)
        spec = w.products[product]
        apr = spec.get("apr", 0.18)
        # The contract caps every amount at 10,000,000, repayments included: a loan is capped
        # so that its total with interest (a bullet loan's one repayment) stays within it.
        cap = math.floor(10_000_000 / (1 + apr * term / 365.0) * 100) / 100
        amount = min(max(w.min_amount(product), r2(amount)), cap)
        total = r2(amount * (1 + apr * term / 365.0))
        if schedule is None:
            schedule = make_schedule(spec.get("sched", "bullet"), t, amount, total, term)
        self.nloan += 1
        lid = w.loan_id(self, self.nloan)
        ln = Loan(lid, t, amount, product, term, total, schedule)
        if channel is None:
            channel = wchoice(rng, self.extra.get("chan", {}).get(product) or spec["channels"])
        if device == "auto":
            device = self.device_at(t)
            if channel in ("partner", "merchant") and rng.random() < w.device_missing_partner:
                device = None
        if purpose == "auto":
            purpose = w.purpose_for(self, product)
        if limit is None:
            limit = self.limit_at(t, product)
        f = {"product": product, "term_days": int(term), "credit_limit": max(0.0, float(limit))}
        if rng.random() < w.score_p:
            f["credit_score"] = int(min(950, max(350, self.score + rng.randint(-6, 6))))
        f["segment"] = self.segment
        if purpose is not None and rng.random() < w.purpose_p:
            f["purpose"] = purpose
        f["channel"] = channel
        if device:
            f["device_id"] = device
        if channel == "merchant" and rng.random() < w.merchant_id_p:
            f["merchant_id"] = merchant or w.pick_merchant(self, product)
        ev = Ev(t, "loan", amount, ln, f, label, scen)
        ln.ev = ev
        self.loans.append(ln)
        self.events.append(ev)
        if plan == "habit":
            plan_repayments(self, ln, self.habit)
        elif plan == "bad":
            plan_repayments(self, ln, "bad")
        elif plan in ("early", "on_time", "late_few", "partial", "never"):
            plan_repayments(self, ln, plan)
        return ln

    def add_rep(self, ln: Loan, t, amount, due_t, label=0, scen="normal"):
        t = max(int(t), ln.t + 60)
        remaining = r2(ln.total - sum(e.amount for e in ln.reps))
        amount = r2(min(amount, remaining))
        if amount <= 0.005:
            return None
        ev = Ev(t, "rep", amount, ln, None, label, scen, due_t)
        ln.reps.append(ev)
        self.events.append(ev)
        return ev

    def drop_reps_after(self, ln: Loan, t):
        keep = [e for e in ln.reps if e.t <= t]
        gone = set(id(e) for e in ln.reps if e.t > t)
        ln.reps = keep
        if gone:
            self.events = [e for e in self.events if id(e) not in gone]


def make_schedule(kind, t, amount, total, term):
    end = t + term * DAY
    if kind == "bullet" or term < 45:
        return [(end, total)]
    n = max(1, int(round(term / 30.0)))
    if kind == "monthly":
        each = r2(total / n)
        sch = [(t + 30 * DAY * (i + 1), each) for i in range(n - 1)]
        sch.append((end, r2(total - each * (n - 1))))
        return sch
    if kind == "interest_monthly":
        interest = r2((total - amount) / n)
        sch = [(t + 30 * DAY * (i + 1), max(interest, 1.0)) for i in range(n - 1)]
        sch.append((end, r2(total - sum(a for _, a in sch))))
        return sch
    raise ValueError(kind)


def pay_time(u: User, due_t, days_off, floor_t):
    """A payment time on the day ``days_off`` days from the due date."""
    w, rng = u.ctx.world, u.rng
    base = due_t - (due_t % DAY) + int(days_off) * DAY
    if days_off <= 0 and rng.random() < w.autodebit_p:
        t = base + w.autodebit_hour * HOUR + rng.randint(0, 1800)
    else:
        t = base + w.sample_sec(rng, w.rep_hours)
    if days_off == 0 and t < due_t - DAY:
        t = due_t - rng.randint(60, 6 * HOUR)
    return max(t, floor_t + rng.randint(600, 4 * HOUR))


def plan_repayments(u: User, ln: Loan, habit: str, label=0, scen="normal"):
    rng = u.rng
    if habit == "never":
        return
    if habit == "early" and rng.random() < 0.35:
        # prepays the whole loan somewhere before the first due date
        first_due = ln.schedule[0][0]
        span = max(HOUR, first_due - ln.t)
        t = ln.t + int(span * rng.uniform(0.15, 0.9))
        u.add_rep(ln, t, ln.total, first_due, label, scen)
        return
    last_t = ln.t
    for due_t, amt in ln.schedule:
        late = habit_late(u, habit)
        if late is None:
            return  # stops paying
        t = pay_time(u, due_t, late, last_t)
        if habit == "partial" and rng.random() < 0.6:
            part = r2(amt * rng.uniform(0.3, 0.8))
            u.add_rep(ln, t, part, due_t, label, scen)
            t2 = t + rng.randint(2, 18) * DAY + rng.randint(-HOUR, HOUR)
            u.add_rep(ln, t2, amt - part, due_t, label, scen)
            last_t = t2
        else:
            u.add_rep(ln, t, amt, due_t, label, scen)
            last_t = t


def habit_late(u: User, habit: str):
    rng = u.rng
    slip = u.ctx.world.slip_p
    if habit == "early":
        return -rng.randint(1, 6) if rng.random() > slip else rng.randint(1, 2)
    if habit == "on_time":
        if rng.random() < slip:
            return rng.randint(1, 4)
        return -rng.choice((0, 0, 0, 1, 2))
    if habit == "late_few":
        m = u.extra.get("late_mean", 3)
        return max(0, int(round(rng.gauss(m, 1.3))))
    if habit == "partial":
        return rng.choice((0, 0, 1, 2, 3))
    if habit == "bad":
        r = rng.random()
        if r < 0.5:
            return None
        return rng.randint(12, 70)
    raise ValueError(habit)


class Ctx:
    def __init__(self, world, seed, users, hist_days, test_days):
        self.world = world
        self.seed = seed
        self.n_users = users
        self.H = hist_days
        self.T = test_days
        self.test_start = hist_days * DAY
        self.end = (hist_days + test_days) * DAY
        self.ndays = hist_days + test_days
        self.rng = random.Random(f"{world.name}|{seed}|global")
        self.users: list[User] = []


def ts_string(day_strs, t):
    d, s = divmod(t, DAY)
    h, s = divmod(s, HOUR)
    m, s = divmod(s, 60)
    return f"{day_strs[d]}T{h:02d}:{m:02d}:{s:02d}+08:00"


def finalize(ctx: Ctx):
    """Sort, compute days_late/outstanding, assign ids; return (events, labels)."""
    w = ctx.world
    allev = []
    for u in ctx.users:
        evs = [e for e in u.events if 0 <= e.t]
        for e in evs:
            e.t = w.time_shift(ctx, e.t)
        # repayments strictly after their loan
        for e in evs:
            if e.kind == "rep" and e.t <= e.loan.ev.t:
                e.t = e.loan.ev.t + 60
        evs = [e for e in evs if e.t < ctx.end]
        loan_ok = set(id(e.loan) for e in evs if e.kind == "loan")
        evs = [e for e in evs if e.kind == "loan" or id(e.loan) in loan_ok]
        evs.sort(key=lambda e: (e.t, 0 if e.kind == "loan" else 1))
        out = 0.0
        for i, e in enumerate(evs):
            e.seq = i
            if e.kind == "loan":
                out += e.loan.total
            else:
                out -= e.amount
                e.fields = {"days_late": max(0, (e.t - e.due_t) // DAY), "outstanding": r2(max(0.0, out))}
        u.events = evs
        allev.extend((e.t, u.idx, e.seq, u, e) for e in evs)
    allev.sort(key=lambda x: (x[0], x[1], x[2]))
    day_strs = [cal(d).isoformat() for d in range(ctx.ndays + 2)]
    grng = random.Random(f"{w.name}|{ctx.seed}|ids")
    lines, labels = [], []
    for n, (t, _, _, u, e) in enumerate(allev):
        eid = w.event_id(n, grng)
        if e.kind == "loan":
            d = {"event_id": eid, "event_type": "loan", "user_id": u.uid, "ts": ts_string(day_strs, t),
                 "amount": e.amount}
            if w.currency_p and grng.random() < w.currency_p:
                d["currency"] = "CNY"
            d["loan_id"] = e.loan.lid
            d.update(e.fields)
        else:
            d = {"event_id": eid, "event_type": "repayment", "user_id": u.uid, "ts": ts_string(day_strs, t),
                 "amount": e.amount}
            if w.currency_p and grng.random() < w.currency_p:
                d["currency"] = "CNY"
            d["loan_id"] = e.loan.lid
            d["days_late"] = int(e.fields["days_late"])
            if grng.random() < w.outstanding_p:
                d["outstanding"] = e.fields["outstanding"]
        lines.append(json.dumps(d, separators=(",", ":")))
        labels.append(json.dumps({"event_id": eid, "label": int(e.label), "scenario": e.scen if e.label else "normal",
                                  "user_anomalous": bool(u.anomalous)}, separators=(", ", ": ")))
    return lines, labels
