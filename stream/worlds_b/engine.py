"""Per-user discrete-event simulation for worlds_b.

Each user is simulated alone, in time order, from a heap of pending actions
(normal borrowing intents, scheduled repayments, episode steps).  Decisions are
taken when an action fires, from the user's own state at that moment, so the
stream is causal.  The per-user streams are then merged and sorted by ts.
"""
import bisect
import heapq
import math
import random
import time
from datetime import datetime, timedelta, timezone

import orjson

from .worlds import WORLDS

DAY = 86400
HOUR = 3600
MIN = 60
TZ = timezone(timedelta(hours=8))
START = datetime(2026, 1, 5, tzinfo=TZ)
START_TS = "2026-01-05T00:00:00+08:00"

TYPOLOGIES = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
              "limit_jump_drain", "overdue_escalation", "bust_out", "merchant_cashout",
              "dormant_max_term")

# relative activity by hour of day (local time, +08:00)
HOUR_PROFILES = {
    "day": [1, .5, .3, .2, .2, .4, 1, 2, 4, 6, 7, 7, 8, 7, 6, 6, 6, 6, 7, 8, 9, 9, 7, 4],
    "evening": [5, 3, 1.5, .5, .3, .3, .5, 1, 1.5, 2, 2, 2, 3, 2, 2, 2, 3, 5, 7, 9, 10, 10, 9, 7],
    "night": [9, 9, 8, 7, 6, 4, 2, 1, .5, .3, .3, .5, 1, 1, .5, .5, .5, 1, 2, 3, 5, 7, 9, 10],
    "business": [.2, .1, .1, .1, .1, .2, .5, 2, 6, 9, 10, 9, 6, 7, 9, 9, 8, 6, 3, 2, 1.5, 1, .5, .3],
    "festival": [20, 14, 6, 2, 1, .5, .5, 1, 2, 3, 4, 4, 5, 4, 4, 4, 4, 5, 6, 8, 10, 12, 12, 14],
}


class WC:
    """Weighted choice over a dict {item: weight} (or list of pairs)."""
    __slots__ = ("items", "cum", "tot")

    def __init__(self, d):
        pairs = list(d.items()) if isinstance(d, dict) else list(d)
        pairs = [(k, v) for k, v in pairs if v > 0]
        self.items = [k for k, _ in pairs]
        c, self.cum = 0.0, []
        for _, v in pairs:
            c += v
            self.cum.append(c)
        self.tot = c

    def pick(self, rng):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.tot)]


def schedule(product, term_days):
    """Due offsets in seconds from the loan ts: monthly (30 days) for instalment-like
    products (installment; merchant_loan of 60+ days), else one bullet at term_days."""
    if product == "installment" or (product == "merchant_loan" and term_days >= 60):
        n = max(1, term_days // 30)
        return [30 * DAY * k for k in range(1, n)] + [term_days * DAY]
    return [term_days * DAY]


def split(principal, n):
    """Instalment amounts in cents: equal parts, remainder on the last one."""
    base = principal // n
    return [base] * (n - 1) + [principal - base * (n - 1)]


def days_late(loan_ts, product, term_days, principal, paid_before, pay_ts):
    """days_late of a payment: whole days past the due date of the earliest instalment
    not yet fully paid (0 if on time or early)."""
    dues = schedule(product, term_days)
    amts = split(principal, len(dues))
    cum, k = 0, 0
    for k, a in enumerate(amts):
        cum += a
        if cum > paid_before:
            break
    return max(0, (pay_ts - (loan_ts + dues[k])) // DAY)


def lognorm(rng, sigma):
    return math.exp(rng.gauss(-0.5 * sigma * sigma, sigma))


class Loan:
    __slots__ = ("lid", "t", "product", "term", "principal", "remaining", "paid", "dues", "cum", "plan")

    def __init__(self, lid, t, product, term, principal):
        self.lid, self.t, self.product, self.term = lid, t, product, term
        self.principal = self.remaining = principal
        self.paid = 0
        self.dues = schedule(product, term)
        c, self.cum = 0, []
        for a in split(principal, len(self.dues)):
            c += a
            self.cum.append(c)
        self.plan = 0


class User:
    __slots__ = ("idx", "uid", "rng", "seg", "arch", "limit", "score", "has_score", "devices", "hours",
                 "style", "late_days", "web", "prods", "rate", "amt", "join_t", "gap", "frailty", "nl",
                 "out_total", "out_prod", "risky_since", "typ", "group", "events", "supp", "shopper",
                 "favs", "own_merchant", "ep", "heap", "hs", "seq", "main_channel", "anomalous")


class Sim:
    def __init__(self, world, seed=1, users=3000, history_days=45, test_days=14):
        if world not in WORLDS:
            raise KeyError(world)
        self.name, self.w = world, WORLDS[world]
        self.seed, self.U, self.H, self.T = seed, users, history_days, test_days
        self.HS, self.END = history_days * DAY, (history_days + test_days) * DAY
        self.ndays = history_days + test_days
        self.rng = random.Random(f"worlds_b|{world}|{seed}|world")
        w = self.w
        self.dates = [(START + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(self.ndays + 1)]
        self.mult = [self._day_mult(d) for d in range(self.ndays)]
        self.mmax = max(self.mult) if self.mult else 1.0
        self.fest_days = []
        for where, frac in w["festivals"]:
            if where == "history" and history_days >= 4:
                self.fest_days.append(min(history_days - 1, max(1, int(history_days * frac))))
            elif where == "test" and test_days >= 1:
                self.fest_days.append(history_days + min(test_days - 1, int(test_days * frac)))
        self.hours = {k: WC(list(enumerate(v))) for k, v in HOUR_PROFILES.items()}
        self.terms = {p: WC(d) for p, d in w["terms"].items()}
        self.chans = {p: WC(d) for p, d in w["channels"].items()}
        self.styles = WC(w["styles"])
        self.bad_kinds = WC(w["bad_kinds"])
        self.fest_prods = WC(w["festival"]["prods"])
        self.segments = WC(w["segments"])
        self.arch = {s: WC([(a, a["w"]) for a in lst]) for s, lst in w["archetypes"].items()}
        prods = set()
        for lst in w["archetypes"].values():
            for a in lst:
                prods.update(p for p, v in a["prods"].items() if v > 0)
        self.wprods = sorted(prods)
        self.risky_bad = w["base_bad"] + w["link"] * (0.7 - w["base_bad"])
        nm = max(30, users // 12)
        self.merchants = [f"m-{self.rng.getrandbits(36):09x}" for _ in range(nm)]
        self.merch_wc = WC([(m, 1.0 / (i + 1) ** 0.9) for i, m in enumerate(self.merchants)])
        self.device_pool = []
        self._plan_anomalies()

    # ------------------------------------------------------------------ calendar
    def _day_mult(self, d):
        w = self.w
        date = START + timedelta(days=d)
        m = 1.0
        if date.weekday() >= 5:
            m *= w["weekend"]
        if w["market_day"] is not None and date.weekday() == w["market_day"]:
            m *= 1.6
        to_pay = (w["payday"] - date.day) % 30
        if 1 <= to_pay <= 6:
            m *= w["pre_payday"]
        elif (date.day - w["payday"]) % 30 <= 2:
            m *= w["post_payday"]
        return m

    def fmt(self, t):
        d, r = divmod(t, DAY)
        h, r = divmod(r, HOUR)
        mi, s = divmod(r, MIN)
        return f"{self.dates[d]}T{h:02d}:{mi:02d}:{s:02d}+08:00"

    def at_hour(self, u, day_start, prof=None):
        hour = (self.hours[prof] if prof else u.hours).pick(u.rng)
        return day_start + hour * HOUR + u.rng.randrange(HOUR)

    # ------------------------------------------------------------------ anomalies
    def _plan_anomalies(self):
        r = self.rng
        n_test = max(1, round(self.U * 0.0035))
        n_hist = max(1, round(self.U * 0.0022)) if self.H >= 10 else 0
        per = n_test + n_hist
        while per * len(TYPOLOGIES) > max(1, self.U // 3) and per > 1:
            if n_hist > 0:
                n_hist -= 1
            else:
                n_test -= 1
            per = n_test + n_hist
        total = min(self.U, per * len(TYPOLOGIES))
        chosen = r.sample(range(self.U), total)
        self.assign = {}
        self.rings = []
        it = iter(chosen)
        for typ in TYPOLOGIES:
            for group, n in (("test", n_test), ("hist", n_hist)):
                ids = []
                for _ in range(n):
                    try:
                        ids.append(next(it))
                    except StopIteration:
                        break
                if typ == "merchant_cashout":
                    i = 0
                    while i < len(ids):
                        size = min(len(ids) - i, r.randint(2, 5))
                        if len(ids) - i - size == 1:
                            size += 1
                        ring = self._new_ring(group)
                        for j in ids[i:i + size]:
                            self.assign[j] = (typ, group, ring)
                        i += size
                else:
                    for j in ids:
                        self.assign[j] = (typ, group, None)

    def _new_ring(self, group):
        r = self.rng
        lo, hi = self.window(group, 4 * DAY)
        return {"merchant": (self.merchants[-1 - r.randrange(len(self.merchants) // 2)]
                             if r.random() < 0.4 else f"m-{r.getrandbits(36):09x}"),
                "t0": r.uniform(lo, hi), "span": r.uniform(0.2, 4.0) * DAY,
                "product": r.choice([p for p in ("credit_line", "installment") if p in self.wprods]
                                    or ["credit_line"]),
                "round": r.choice((1000, 500, "under")),
                "device": f"d-{r.getrandbits(40):010x}" if r.random() < 0.5 else None,
                "hour_lo": r.randint(9, 14)}

    def window(self, group, tail=0.6 * DAY):
        """Range for the start of a short episode in 'test' or 'hist'."""
        if group == "test":
            lo, hi = self.HS + HOUR, self.END - tail
            if hi <= lo:
                hi = lo + 1
        else:
            lo = max(2 * DAY, 0.12 * self.HS)
            hi = min(self.HS - max(tail, 1.5 * DAY), 0.75 * self.HS)
            if hi <= lo:
                lo, hi = 0.2 * self.HS, 0.6 * self.HS
        return lo, hi

    # ------------------------------------------------------------------ users
    def new_user(self, idx):
        w = self.w
        u = User()
        u.idx = idx
        u.uid = f"u-{idx:06d}"
        u.rng = rng = random.Random(f"worlds_b|{self.name}|{self.seed}|{idx}")
        u.seg = self.segments.pick(rng)
        u.typ, u.group, ring = self.assign.get(idx, (None, None, None))
        u.anomalous = u.typ is not None
        if u.typ == "student_overborrowing":
            u.seg = "student"
        self._init_profile(u)
        u.nl = 0
        u.out_total = 0
        u.out_prod = dict.fromkeys(self.wprods + ["cash_loan", "credit_line", "installment",
                                                  "merchant_loan", "wealth_pledge"], 0)
        u.risky_since = None
        u.events, u.supp, u.heap, u.ep = [], [], [], {}
        u.hs = u.seq = 0
        # ordinary life: new accounts, dormancy, device changes, limit reviews
        u.join_t = 0
        u.gap = None
        if rng.random() < w["p_new_account"]:
            u.join_t = int(rng.uniform(0.03, 0.9) * self.END)
        elif rng.random() < w["p_dormant"]:
            g0 = rng.uniform(0.05, 0.5) * self.END
            u.gap = (g0, min(self.END, g0 + rng.uniform(14, 40) * DAY))
        if u.anomalous:
            u.join_t, u.gap = 0, None
            if u.typ not in ("account_takeover", "merchant_cashout"):
                # latent financial stress of people who later borrow riskily (a trait, not the future)
                u.frailty *= 1 + 2.5 * w["link"]
            if u.typ in ("account_takeover", "limit_jump_drain", "overdue_escalation", "borrow_to_repay"):
                u.rate = max(u.rate, rng.uniform(0.04, 0.12))
            from .episodes import SETUP
            SETUP[u.typ](self, u, u.group, ring)
        if rng.random() < w["p_device_change"]:
            self.call(u, int(rng.uniform(u.join_t, self.END)), _device_change)
        if rng.random() < w["p_limit_review"]:
            self.call(u, int(rng.uniform(u.join_t, self.END)), _limit_review)
        self._gen_intents(u)
        return u

    def _init_profile(self, u):
        w, rng = self.w, u.rng
        if u.seg not in self.arch:
            u.seg = next(iter(self.arch))
        a = self.arch[u.seg].pick(rng)
        u.arch = a["name"]
        med, sig = w["limits"][u.seg]
        u.limit = max(500, int(med * lognorm(rng, sig) / 100) * 100) * 100  # cents
        mu, sd = w["score"][u.seg]
        u.score = int(min(950, max(350, rng.gauss(mu, sd))))
        u.has_score = rng.random() < w["p_score"]
        u.hours = self.hours[WC(a["hours"]).pick(rng)]
        u.style = WC(a["styles"]).pick(rng) if a["styles"] else self.styles.pick(rng)
        u.late_days = rng.randint(1, 5)
        u.web = a["web"] * rng.uniform(0, 2)
        u.prods = WC({p: v * rng.uniform(0.4, 1.6) for p, v in a["prods"].items()})
        u.rate = a["rate"] * lognorm(rng, 0.5)
        u.amt = a["amt"] * lognorm(rng, 0.35)
        u.frailty = min(8.0, lognorm(rng, 0.9))
        nd = 1 + (rng.random() < w["p_extra_device"]) + (rng.random() < w["p_extra_device"] / 3)
        u.devices = [f"d-{rng.getrandbits(40):010x}" for _ in range(nd)]
        if self.device_pool and rng.random() < w["p_shared_device"]:
            u.devices.append(self.device_pool[rng.randrange(len(self.device_pool))])
        self.device_pool.append(u.devices[0])
        if len(self.device_pool) > 200:
            self.device_pool.pop(0)
        u.shopper = rng.random() < w["festival"]["shopper"]
        u.favs = [self.merch_wc.pick(rng) for _ in range(rng.randint(1, 3))]
        u.own_merchant = f"m-{rng.getrandbits(36):09x}" if u.seg == "small_business" else None
        u.main_channel = None

    def _gen_intents(self, u):
        rng, rate = u.rng, u.rate
        if rate > 0:
            lam = rate * self.mmax
            t = float(u.join_t)
            while True:
                t += rng.expovariate(lam) * DAY
                if t >= self.END:
                    break
                d = int(t // DAY)
                if rng.random() * self.mmax >= self.mult[d]:
                    continue
                tt = self.at_hour(u, d * DAY)
                if tt < u.join_t or (u.gap and u.gap[0] <= tt < u.gap[1]):
                    continue
                self.push(u, tt, 0, False)
        if u.shopper and u.rate > 0:
            extra = self.w["festival"]["extra"]
            for d in self.fest_days:
                if d * DAY < u.join_t:
                    continue
                n = _poisson(rng, min(3.0, max(0.25, u.rate * extra)))
                for _ in range(n):
                    self.push(u, self.at_hour(u, d * DAY, "festival"), 0, True)

    # ------------------------------------------------------------------ heap
    def push(self, u, t, kind, payload):
        heapq.heappush(u.heap, (int(t), u.hs, kind, payload))
        u.hs += 1

    def call(self, u, t, fn, *args):
        self.push(u, t, 2, (fn, args))

    def push_loan(self, u, t, **kw):
        self.push(u, t, 3, kw)

    def run_user(self, u):
        h, END = u.heap, self.END
        while h:
            t, _, kind, a = heapq.heappop(h)
            if t >= END:
                break
            if kind == 0:
                self.on_intent(u, t, a)
            elif kind == 1:
                self.on_pay(u, t, *a)
            elif kind == 2:
                a[0](self, u, t, *a[1])
            else:
                self.make_loan(u, t, **a)
        u.heap = None

    # ------------------------------------------------------------------ lending
    def avail(self, u, product):
        if self.w["limit_mode"] == "total":
            return u.limit - u.out_total
        f = self.w["product_limit"].get(product, 1.0)
        return int(u.limit * f) - u.out_prod[product]

    def avail_total(self, u):
        if self.w["limit_mode"] == "total":
            return u.limit - u.out_total
        return sum(max(0, self.avail(u, p)) for p in self.wprods)

    def round_amount(self, rng, product, cents):
        cents = int(cents)
        if product == "cash_loan":
            unit = 10000 if rng.random() < 0.75 else 1000
        elif product in ("credit_line", "installment"):
            unit = 1 if rng.random() < 0.7 else 100
        elif product == "merchant_loan":
            unit = 100000 if rng.random() < 0.7 else 10000
        else:
            unit = 1000000 if rng.random() < 0.6 else 100000
        if cents >= unit:
            return cents // unit * unit
        return cents if cents >= 100 else 0

    def is_suppressed(self, u, t):
        for a, b in u.supp:
            if a <= t < b:
                return True
        return False

    def on_intent(self, u, t, fest):
        if u.supp and self.is_suppressed(u, t):
            return
        w, rng = self.w, u.rng
        product = self.fest_prods.pick(rng) if fest else u.prods.pick(rng)
        term = self.terms[product].pick(rng)
        desired = u.limit * u.amt * w["amount_factor"][product] * lognorm(rng, 0.6)
        if fest:
            desired *= 1.2
        av = self.avail(u, product)
        if desired > av:
            if rng.random() < 0.5 or av < 5000:
                return
            desired = av * rng.uniform(0.4, 0.95)
        cents = self.round_amount(rng, product, desired)
        if cents < 5000:
            return
        channel = None
        if fest:
            channel = "partner" if rng.random() < 0.6 else "merchant"
        self.make_loan(u, t, product, cents, term, channel=channel)

    def pick_channel(self, u, product):
        rng = u.rng
        if rng.random() < u.web:
            return "web"
        return self.chans[product].pick(rng)

    def pick_device(self, u, channel):
        w, rng = self.w, u.rng
        p = w["p_device_app"] if channel == "app" else w["p_device_web"] if channel == "web" else w["p_device_other"]
        if rng.random() >= p:
            return None
        if len(u.devices) == 1 or rng.random() < 0.8:
            return u.devices[0]
        return u.devices[1 + rng.randrange(len(u.devices) - 1)]

    def pick_purpose(self, u, product):
        rng = u.rng
        if product == "merchant_loan":
            return "business"
        if product == "wealth_pledge":
            return "consumption" if rng.random() < 0.6 else "business"
        if u.seg == "student":
            return "education" if rng.random() < 0.35 else "consumption"
        if u.seg == "small_business":
            return "business" if rng.random() < 0.6 else "consumption"
        x = rng.random()
        return "consumption" if x < 0.9 else "business" if x < 0.95 else "education"

    def make_loan(self, u, t, product, cents, term, channel=None, device="auto", label=0, scen="normal",
                  merchant="auto", outcome=None, style=None, plan=True, purpose="auto", score="auto",
                  cap=None, floor=10000):
        """Disburse a loan now.  cap ("soft"/"hard"): in total-limit worlds keep the draw
        within the available limit (soft: fall back to `floor` cents; hard: skip)."""
        w, rng = self.w, u.rng
        if cap and w["limit_mode"] == "total":
            av = self.avail(u, product)
            if cents > av:
                if av >= floor:
                    cents = self.round_amount(rng, product, av) or av
                elif cap == "hard":
                    return None
                else:
                    cents = floor
        cents = max(100, min(int(cents), 1_000_000_000))
        u.nl += 1
        loan = Loan(f"l-{u.idx:06d}-{u.nl}", t, product, term, cents)
        if channel is None:
            channel = self.pick_channel(u, product)
        if device == "auto":
            device = self.pick_device(u, channel)
        rec = {"event_type": "loan", "user_id": u.uid, "ts": self.fmt(t), "amount": cents / 100,
               "loan_id": loan.lid, "product": product, "term_days": term, "credit_limit": u.limit // 100}
        if score == "auto":
            score = (min(950, max(350, u.score + rng.randint(-6, 6)))
                     if u.has_score and rng.random() < 0.97 else None)
        if score is not None:
            rec["credit_score"] = score
        rec["segment"] = u.seg
        if purpose == "auto":
            purpose = self.pick_purpose(u, product) if rng.random() < w["p_purpose"] else None
        if purpose is not None:
            rec["purpose"] = purpose
        rec["channel"] = channel
        if device is not None:
            rec["device_id"] = device
        if channel == "merchant":
            if merchant == "auto":
                if product == "merchant_loan" and u.own_merchant:
                    merchant = u.own_merchant
                else:
                    merchant = u.favs[0] if rng.random() < 0.5 else (
                        rng.choice(u.favs) if rng.random() < 0.5 else self.merch_wc.pick(rng))
                if rng.random() >= w["p_merchant_id"]:
                    merchant = None
            if merchant is not None:
                rec["merchant_id"] = merchant
        self.emit(u, t, rec, label, scen)
        u.out_total += cents
        u.out_prod[product] += cents
        if plan:
            self.plan(u, loan, outcome or self.sample_outcome(u, t), style or u.style)
        return loan

    def emit(self, u, t, rec, label, scen):
        u.events.append((t, u.idx, u.seq, rec, label, scen))
        u.seq += 1

    def sample_outcome(self, u, t, p=None):
        rng = u.rng
        if p is None:
            p = self.w["base_bad"] * u.frailty
            if u.risky_since is not None and u.risky_since <= t:
                p = max(p, self.risky_bad)
        if rng.random() < p:
            return self.bad_kinds.pick(rng)
        return "good"

    def plan(self, u, loan, outcome, style, label=0, scen="normal"):
        """Schedule the repayments of a loan (decided now, from the user's habits and state)."""
        rng, END = u.rng, self.END
        loan.plan += 1
        pid = loan.plan
        t0 = loan.t
        amts = split(loan.principal, len(loan.dues))
        pays = []
        if outcome == "good" and style == "prepay" and rng.random() < 0.7:
            horizon = min(20.0, loan.dues[0] / DAY * 0.8)
            pays.append((t0 + rng.uniform(0.1, max(0.3, horizon)) * DAY, loan.principal))
        elif outcome in ("good", "late15"):
            k0 = rng.randrange(len(amts)) if outcome == "late15" else len(amts)
            for k, (d, a) in enumerate(zip(loan.dues, amts)):
                due = t0 + d
                if due > END + 50 * DAY:
                    break
                ds = due // DAY * DAY
                if k >= k0:
                    pays.append((self.at_hour(u, ds + rng.randint(15, 45) * DAY), a))
                    continue
                st = style if style != "prepay" else "early"
                if st == "autodebit":
                    pays.append((ds + self.w["autodebit_hour"] * HOUR + rng.randrange(900), a))
                elif st == "ontime":
                    pays.append((self.at_hour(u, ds - (DAY if rng.random() < 0.3 else 0)), a))
                elif st == "early":
                    span = max(2, min(12, (d - (loan.dues[k - 1] if k else 0)) // DAY - 1))
                    pays.append((self.at_hour(u, ds - rng.randint(1, span) * DAY), a))
                elif st == "late":
                    dl = max(0, min(6, u.late_days + rng.randint(-1, 1)))
                    pays.append((self.at_hour(u, ds + dl * DAY), a))
                else:  # partial: two or three part-payments around the due date
                    parts = 2 if rng.random() < 0.75 else 3
                    rem = a
                    for j in range(parts):
                        c = rem if j == parts - 1 else int(rem * rng.uniform(0.3, 0.7))
                        rem -= c
                        off = rng.randint(-3, -1) if j == 0 else rng.randint(0, 4)
                        if c > 0:
                            pays.append((self.at_hour(u, ds + off * DAY), c))
        elif outcome == "partial":
            frac = rng.uniform(0.1, 0.45)
            c = int(loan.principal * frac)
            due = t0 + loan.dues[0]
            ds = due // DAY * DAY
            n = 1 if rng.random() < 0.6 else 2
            for j in range(n):
                if c // n > 0:
                    pays.append((self.at_hour(u, ds + rng.randint(-1, 10) * DAY), c // n))
        # outcome "never": nothing
        self.push_pays(u, loan, pid, pays, label, scen)

    def push_pays(self, u, loan, pid, pays, label=0, scen="normal"):
        last = loan.t + 600
        for t, c in pays:
            t = int(t)
            if t <= last:
                t = last + u.rng.randint(60, 3600)
            last = t
            if t >= self.END:
                break
            self.push(u, t, 1, (loan, pid, c, label, scen))

    def on_pay(self, u, t, loan, pid, cents, label, scen):
        if loan.plan != pid or loan.remaining <= 0:
            return
        c = min(cents, loan.remaining)
        if c <= 0:
            return
        k = bisect.bisect_right(loan.cum, loan.paid)
        dl = max(0, (t - (loan.t + loan.dues[k])) // DAY)
        loan.paid += c
        loan.remaining -= c
        u.out_total -= c
        u.out_prod[loan.product] -= c
        rec = {"event_type": "repayment", "user_id": u.uid, "ts": self.fmt(t), "amount": c / 100,
               "loan_id": loan.lid, "days_late": dl}
        if u.rng.random() < self.w["p_outstanding"]:
            rec["outstanding"] = u.out_total / 100
        self.emit(u, t, rec, label, scen)

    # ------------------------------------------------------------------ run
    def run(self):
        events = []
        for idx in range(self.U):
            u = self.new_user(idx)
            self.run_user(u)
            an = u.anomalous and any(e[4] for e in u.events)
            for e in u.events:
                events.append(e + (an,))
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        return events


def _poisson(rng, lam):
    L, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


def _device_change(sim, u, t):
    """An ordinary new phone: becomes the main device from now on."""
    u.devices.insert(0, f"d-{u.rng.getrandbits(40):010x}")


def _limit_review(sim, u, t):
    """An ordinary limit increase; the user borrows a little more afterwards."""
    rng = u.rng
    u.limit = int(u.limit * rng.uniform(1.2, 2.0) / 10000) * 10000
    u.amt *= rng.uniform(1.0, 1.35)


def generate(world, seed=1, users=3000, history_days=45, test_days=14):
    """Return (events_bytes, labels_bytes, stats)."""
    t0 = time.perf_counter()
    sim = Sim(world, seed, users, history_days, test_days)
    events = sim.run()
    ev, lb = bytearray(), bytearray()  # (orjson's per-call buffers are large: append, don't keep)
    pos = 0
    anom_users, seen = set(), set()
    dumps = orjson.dumps
    for i, (t, idx, seq, rec, label, scen, an) in enumerate(events):
        eid = f"e-{i + 1:08d}"
        ev += dumps({"event_id": eid, **rec})
        ev += b"\n"
        lb += dumps({"event_id": eid, "label": label, "scenario": scen, "user_anomalous": an})
        lb += b"\n"
        pos += label
        seen.add(idx)
        if an:
            anom_users.add(idx)
    ev, lb = bytes(ev), bytes(lb)
    stats = {"world": world, "events": len(events), "users": len(seen), "positives": pos,
             "anomalous_users": len(anom_users), "seconds": round(time.perf_counter() - t0, 2)}
    return ev, lb, stats
