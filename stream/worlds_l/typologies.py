"""Misbehaviour (typologies) of family L and the planner that places episodes in a world.

Every episode draws an intensity x in [0, 1): x near 0 is subtle (looks close to the world's normal
customers), x near 1 is blatant.  All mechanics are interpolated from x plus independent noise.
Labels: the loans that ARE the misbehaviour and the repayments made on them carry the typology tag
(label 1); a bust-out's grooming loans and an account-takeover victim's own activity stay label 0,
but every event of a user carrying an episode has user_anomalous = true.
"""
from __future__ import annotations

from .core import (DAY, HOUR, MINUTE, MISSING, clamp, lerp, lognorm, messy_amount, payoff, pick, round_c,
                   sample_tod, schedule, yuan)

TYPOLOGIES = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
              "limit_jump_drain", "overdue_escalation", "bust_out", "merchant_collusion")

CASH_ONLY = ("cash_loan", "wealth_pledge", "merchant_loan")


class Episode:
    def __init__(self, idx, typology, hist, x, size=1):
        self.idx = idx
        self.typology = typology
        self.hist = hist
        self.x = x
        self.size = size
        self.users = []
        self.detail = {}


class Hosts:
    """Hands out distinct users of the world, in a seeded random order."""

    def __init__(self, w, rng):
        self.w = w
        self.order = list(range(len(w.users)))
        rng.shuffle(self.order)
        self.used = [False] * len(w.users)

    def take(self, pred=None):
        for i in self.order:
            if not self.used[i] and (pred is None or pred(self.w.users[i])):
                self.used[i] = True
                return self.w.users[i]
        if pred is not None:
            return self.take(None)
        return None


def start_day(ctx, rng, hist, lo=2):
    if hist:
        return rng.randint(max(0, min(lo, ctx.H - 1)), ctx.H - 1)
    return rng.randint(ctx.H, ctx.D - 1)


def troubled(w, u, L, rng, *, p_none, late0=(0, 4), growth=0.0, max_pay=None, share=None):
    """repayments of a misbehaving loan: later and later, partial, stopping early (or none at all)"""
    if rng.random() < p_none:
        return
    n, period = w.installments(L)
    n_pay = n if max_pay is None else min(n, max_pay)
    seq = [rng.randint(*late0) + int(round(growth * k)) for k in range(n_pay)]
    shares = None
    if share is not None:
        shares = [min(1.0, share / (n - k) if n - k > 1 else share) for k in range(n_pay)]
    schedule(w, rng, L, n, period, u.habit, late_seq=seq, shares=shares)


def _other_channel(w, u, rng, product):
    exclude = ("merchant",) if product in CASH_ONLY else ()
    usual = u.main_channel()
    opts = [c for c, _ in u.chan if c != usual and c not in exclude]
    if not opts:
        return w.episode_channel(u, rng, product)
    return rng.choice(opts)


# ---------------------------------------------------------------------------------------------
def g_loan_stacking(w, ep, rng, hosts):
    ctx, x = w.ctx, ep.x
    d = start_day(ctx, rng, ep.hist, 3)
    u = hosts.take(lambda u: u.segment != "student" or rng.random() < .4)
    t0 = w.at(rng, d, u=u)
    w.truncate_normal(u, t0)
    n = 3 + int(round(x * 5 + rng.random() * 2))                   # 3..10 loans
    span = int(lerp(96, 3, x) * HOUR * rng.uniform(.5, 1.2))        # days apart .. within hours
    times = [t0] + sorted(t0 + rng.randint(120, max(240, span)) for _ in range(n - 1))
    lim = max(w.eff_limit(u, t0), yuan(2000))
    total = lim * lerp(.6, 2.2, x) * rng.uniform(.85, 1.15)         # may go beyond the limit
    wts = [rng.uniform(.5, 1.5) for _ in times]
    sw = sum(wts)
    first = pick(rng, w.cash_products(u))
    drop = 0
    for k, t in enumerate(times):
        prod = pick(rng, w.all_products(u)) if rng.random() < .3 + .6 * x else first
        ch = _other_channel(w, u, rng, prod) if rng.random() < .5 * x else None
        amt = round_c(int(total * wts[k] / sw), rng.choice((1, 10, 100)))
        L = w.episode_loan(u, rng, t, amt, ep, product=prod, channel=ch)
        drop += rng.randint(1, 3 + int(9 * x))                      # bureau enquiries pull the score down
        L.score_adj = -drop
        troubled(w, u, L, rng, p_none=lerp(.15, .8, x), late0=(0, 2 + int(10 * x)), growth=lerp(1, 8, x),
                 max_pay=rng.randint(1, 3))
    ep.users.append(u)
    ep.detail = {"loans": n, "span_hours": round(span / HOUR, 1)}


def g_borrow_to_repay(w, ep, rng, hosts):
    ctx, x = w.ctx, ep.x
    d = start_day(ctx, rng, ep.hist, 2)
    u = hosts.take(lambda u: u.segment != "small_business" or rng.random() < .5)
    t0 = w.at(rng, d, u=u)
    w.truncate_normal(u, t0)
    cycles = 2 + int(round(x * 3 + rng.random()))                  # 2..6 refinancings
    period = lerp(28, 8, x) * rng.uniform(.85, 1.15)
    period = max(3.0, min(period, (ctx.D - d - 1) / 1.6))
    lim = max(w.eff_limit(u, t0), yuan(2000))
    prods = w.cash_products(u)
    prod = pick(rng, prods)
    L = w.episode_loan(u, rng, t0, lim * rng.uniform(.15, .45), ep, product=prod, term=int(period))
    done = 0
    for _ in range(cycles):
        due_day = L.ts // DAY + L.term
        pay_point = L.ts // DAY + min(L.term, int(round(period * rng.uniform(.85, 1.15))))
        lead = int(rng.uniform(0, lerp(3, .3, x)) * DAY)
        tn = max(L.ts + HOUR, pay_point * DAY + sample_tod(rng, u.tod) - lead)
        if tn >= ctx.end:
            break
        owe = L.remaining_at(tn)
        grow = 1 + rng.uniform(.01, .06) + .3 * x * rng.random()
        p2 = pick(rng, prods) if rng.random() < .3 + .5 * x else L.product
        N = w.episode_loan(u, rng, tn, owe * grow, ep, product=p2, term=int(period * rng.uniform(.8, 1.2)))
        pay_ts = tn + int(lerp(36 * HOUR, 3 * MINUTE, x) * rng.uniform(.3, 1.0)) + 60
        payoff(w, rng, L, pay_ts, late=max(0, pay_ts // DAY - due_day))
        L = N
        done += 1
    troubled(w, u, L, rng, p_none=lerp(.2, .7, x), late0=(0, 3 + int(8 * x)), growth=2, max_pay=1)
    ep.users.append(u)
    ep.detail = {"cycles_planned": cycles, "period_days": round(period, 1)}


def g_account_takeover(w, ep, rng, hosts):
    ctx, x = w.ctx, ep.x
    d = start_day(ctx, rng, ep.hist, 6)
    night = rng.random() < .25 + .55 * x
    t0 = d * DAY + sample_tod(rng, "smallhours" if night else "evening")
    u = hosts.take(lambda u: any(L.tag is None and L.ts < t0 - DAY for L in u.loans))
    ring = w.__dict__.setdefault("_ato_ring", [])
    if ring and rng.random() < .5 * x:
        dev = rng.choice(ring)           # the same fraud handset works several victims
    else:
        dev = w.new_device(rng)
        ring.append(dev)
    usual = u.main_channel()
    if rng.random() < .3 + .6 * x:
        ch = rng.choice([c for c in ("web", "partner", "app") if c != usual])
    else:
        ch = "app"
    device = dev if (ch != "web" or w.web_device) else None
    lim = w.eff_limit(u, t0)
    avail = max(w.available(u, t0), int(lim * .25), yuan(1000))
    total = avail * lerp(.35, .98, x)
    t = t0
    if rng.random() < .5:                # a small probe first
        probe = yuan(rng.choice((50, 100, 100, 200, 300)))
        w.episode_loan(u, rng, t, probe, ep, product=pick(rng, w.cash_products(u)), channel=ch, device=device)
        t += rng.randint(2 * MINUTE, 40 * MINUTE)
    n = 1 + int(round(x * 3 * rng.random() + x))                    # 1..5 cash-outs
    gap = lerp(20 * HOUR, 2 * MINUTE, x)
    for _ in range(n):
        prod = pick(rng, w.cash_products(u))
        opts = w.term_options[prod]
        term = max(opts) if rng.random() < .3 + .5 * x else rng.choice(opts)
        amt = round_c(int(total / n * rng.uniform(.8, 1.2)), rng.choice((1, 100)))
        w.episode_loan(u, rng, t, amt, ep, product=prod, channel=ch, device=device, term=term)
        t += int(gap * rng.uniform(.3, 1.5)) + 30
    ep.users.append(u)
    ep.detail = {"channel": ch, "night": night, "cashouts": n}


def g_student_overborrowing(w, ep, rng, hosts):
    ctx, x = w.ctx, ep.x
    d = start_day(ctx, rng, ep.hist, 2)
    u = hosts.take(lambda u: u.segment == "student")
    u.segment = "student"
    t0 = w.at(rng, d, u=u)
    w.truncate_normal(u, t0)
    n = 5 + int(round(x * 13 + rng.random() * 3))                  # 5..21 small loans
    span = lerp(24, 5, x) * rng.uniform(.7, 1.2) * DAY
    span = int(min(span, max(2 * DAY, (ctx.D - d) * DAY * 1.2)))
    lim = max(w.eff_limit(u, t0), yuan(1500))
    if rng.random() < .35:                                          # a limit increase gets granted mid-way
        u.limit_events.append((t0 + int(span * rng.uniform(.3, .6)), rng.uniform(1.3, 2.0)))
    target = lim * lerp(.8, 1.4, x)
    night = .4 + .5 * x
    times = [t0]
    for _ in range(n - 1):
        t = t0 + rng.randint(HOUR, span)
        if rng.random() < night:
            t = (t // DAY) * DAY + sample_tod(rng, "night")
        times.append(max(t, t0 + 60))
    times.sort()
    wts = [lognorm(rng, 1.0, .6) for _ in times]
    sw = sum(wts)
    for k, t in enumerate(times):
        prod = w.usable(pick(rng, w.student_products(u)), u, rng)
        if rng.random() < .3 * x:
            ch = "partner"
        elif prod != "cash_loan" and rng.random() < .2:
            ch = "merchant"
        else:
            ch = "app"
        amt = messy_amount(rng, max(yuan(50), target * wts[k] / sw))
        purpose = "education" if rng.random() < .15 else "consumption"
        L = w.episode_loan(u, rng, t, amt, ep, product=prod, channel=ch, purpose=purpose)
        troubled(w, u, L, rng, p_none=lerp(.15, .65, x), late0=(1, 4 + int(20 * x)), growth=lerp(1, 6, x),
                 share=lerp(.8, .2, x), max_pay=rng.randint(1, 3))
    ep.users.append(u)
    ep.detail = {"loans": n, "span_days": round(span / DAY, 1)}


def g_limit_jump_drain(w, ep, rng, hosts):
    ctx, x = w.ctx, ep.x
    d = start_day(ctx, rng, ep.hist, 5)
    u = hosts.take(lambda u: any(L.tag is None and L.ts < d * DAY for L in u.loans))
    t0 = w.at(rng, d, u=u)
    gap = int(lerp(7 * DAY, 20 * MINUTE, x) * rng.uniform(.3, 1.0)) + 60
    f = 1.3 + 3.7 * x * rng.uniform(.6, 1.0)                        # x1.3 .. x5
    # the raise is relative to the limit the lender last reported for this user (and survives any
    # collective change between the raise and the drain)
    before = [L for L in u.loans if L.tag is None and L.ts < t0 - gap]
    lim_now = max(1, w.eff_limit(u, t0))
    seen = max(w.report_limit(u, before[-1]) if before else 0, lim_now)
    u.limit_events.append((t0 - gap, f * seen / lim_now))
    w.truncate_normal(u, t0)
    n = 1 + int(round(3 * x * rng.random() + x))                    # 1..5 draws
    span = int(lerp(5 * DAY, 30 * MINUTE, x) * rng.uniform(.5, 1.0))
    lim = w.eff_limit(u, t0)
    avail = w.available(u, t0)
    total = max(avail, int(lim * .3)) * lerp(.6, 1.0, x) * rng.uniform(.9, 1.0)
    times = [t0] + sorted(t0 + rng.randint(60, max(120, span)) for _ in range(n - 1))
    for t in times:
        prod = pick(rng, w.cash_products(u))
        ch = _other_channel(w, u, rng, prod) if rng.random() < .3 * x else None
        L = w.episode_loan(u, rng, t, round_c(int(total / n * rng.uniform(.85, 1.15)), rng.choice((1, 100))), ep,
                           product=prod, channel=ch)
        troubled(w, u, L, rng, p_none=lerp(.45, .9, x), late0=(0, 5), max_pay=1, share=.3)
    ep.users.append(u)
    ep.detail = {"limit_factor": round(f, 2), "raise_to_drain_hours": round(gap / HOUR, 2), "draws": n}


def g_overdue_escalation(w, ep, rng, hosts):
    ctx, x = w.ctx, ep.x
    d = start_day(ctx, rng, ep.hist, 2)
    u = hosts.take(lambda u: u.segment != "student" or rng.random() < .5)
    t0 = w.at(rng, d, u=u)
    w.truncate_normal(u, t0)
    left = ctx.D - d
    lim = max(w.eff_limit(u, t0), yuan(2000))
    L = w.episode_loan(u, rng, t0, lim * rng.uniform(.2, .6), ep, product=pick(rng, w.cash_products(u)))
    period = rng.choice([p for p in (7, 14, 30) if p * 3 <= left and p < L.term] or [7])
    ninst = max(2, min(12, L.term // period))
    g = lerp(1.5, 9, x) * rng.uniform(.8, 1.2)
    m = max(2, int(round(lerp(6, 2, x) + rng.random())))           # payments before it stops
    seq, prev = [], -1
    s0 = rng.randint(0, 2)
    for k in range(m):
        v = s0 + int(g * (k ** 1.3) * rng.uniform(.85, 1.15))
        v = max(v, prev + 1) if k else v
        seq.append(v)
        prev = v
    shares = [min(1.0, lerp(1.0, .35, x * k / max(1, m - 1)) / max(1, ninst - k)) for k in range(m)]
    schedule(w, rng, L, ninst, period, u.habit, late_seq=seq, shares=shares)
    # the borrower's older loans slide the same way
    pend = sorted(((r.ts, i, L2, r) for i, L2 in enumerate(u.loans) if L2.tag is None
                   for r in L2.reps if r.ts >= t0), key=lambda e: (e[0], e[1]))
    for k, (_, _, L2, r) in enumerate(pend):
        if k >= m:
            L2.reps.remove(r)
            continue
        r.ts += seq[k] * DAY
        r.late += seq[k]
        r.tag = ep.typology
        r.ep = ep.idx
        if r.ts >= ctx.end:
            L2.reps.remove(r)
    ep.users.append(u)
    ep.detail = {"period_days": period, "lateness_plan": seq}


def g_bust_out(w, ep, rng, hosts):
    ctx, x = w.ctx, ep.x
    d = start_day(ctx, rng, ep.hist, min(ctx.H - 1, 12))
    u = hosts.take(lambda u: u.segment != "small_business" or rng.random() < .4)
    w.wipe_normal(u)
    B = min(d, int(lerp(40, 14, x) * rng.uniform(.8, 1.2)))          # grooming period, days
    b0 = d - B
    farm = w.__dict__.setdefault("_farm", [])
    if farm and rng.random() < .5 * x:
        dev = rng.choice(farm)           # identities farmed on one handset
    else:
        dev = w.new_device(rng)
        farm.append(dev)
    u.dev_timeline = [(b0 * DAY - DAY, dev)]
    u.shared_dev = None
    u.score0 = rng.randint(590, 690)
    u.score_events = []
    u.base_limit = round_c(yuan(rng.uniform(1500, 4000) * (5 if u.segment == "small_business" else 1)), 500)
    t0 = w.at(rng, d, u=u)
    # grooming: small loans repaid early, limit raised
    m = max(1, int(round(lerp(7, 2, x) * rng.uniform(.8, 1.2)))) if B >= 3 else 0
    tb = sorted(b0 * DAY + rng.randint(0, max(1, int(B * .75 * DAY))) for _ in range(m))
    for t in tb:
        t = (t // DAY) * DAY + sample_tod(rng, u.tod)
        if t >= t0 - 2 * HOUR:
            continue
        prod = w.usable(pick(rng, (("credit_line", .5), ("cash_loan", .3), ("installment", .2))), u, rng)
        amt = w.shape_amount(w.eff_limit(u, t) * rng.uniform(.05, .25), prod, rng)
        ch = w.episode_channel(u, rng, prod)
        G = w.make_loan(u, t, amt, prod, rng.choice(w.term_options[prod]), ch, device=dev if ch != "web" else None,
                        rng=rng)
        room = (t0 - t) / DAY - .5
        pay_day = t // DAY + max(1, int(min(G.term, room) * rng.uniform(.3, .9)))
        payoff(w, rng, G, pay_day * DAY + sample_tod(rng, u.tod))
    for _ in range(1 + int(2 * x * rng.random() + .5) if B >= 3 else 0):
        tr = b0 * DAY + int(B * DAY * rng.uniform(.3, .95))
        u.limit_events.append((tr, rng.uniform(1.5, 2.5)))
        u.score_events.append((tr, rng.randint(5, 15)))
    # the bust: everything, across products and channels, never repaid
    n = 3 + int(round(6 * x * rng.random() + x))                    # 3..10 draws
    span = int(lerp(3 * DAY, 40 * MINUTE, x) * rng.uniform(.5, 1.0))
    final = max(w.eff_limit(u, t0), yuan(1000))
    total = final * lerp(.85, 1.45, x)
    times = [t0] + sorted(t0 + rng.randint(60, max(120, span)) for _ in range(n - 1))
    prods = w.all_products(u)
    for t in times:
        prod = pick(rng, prods)
        if prod not in CASH_ONLY and rng.random() < .4:
            ch, merchant = "merchant", None
        else:
            ch, merchant = w.episode_channel(u, rng, prod), None
        device = dev if (ch in ("app", "partner") or (ch == "web" and w.web_device)) else MISSING
        w.episode_loan(u, rng, t, round_c(int(total / n * rng.uniform(.7, 1.3)), rng.choice((1, 100))), ep,
                       product=prod, channel=ch, device=device, merchant=merchant)
    ep.users.append(u)
    ep.detail = {"grooming_days": B, "grooming_loans": m, "bust_draws": n}


def g_merchant_collusion(w, ep, rng, hosts):
    ctx, x = w.ctx, ep.x
    d = start_day(ctx, rng, ep.hist, 3)
    t0 = d * DAY + sample_tod(rng, "shop")
    if w.merchants and rng.random() < .5:
        merchant = rng.choice(w.merchants)     # a merchant that also has genuine customers
    else:
        merchant = w.new_merchant(rng)
    span = int(lerp(18 * DAY, 5 * HOUR, x) * rng.uniform(.6, 1.0))
    terminal = w.new_device(rng) if rng.random() < .3 + .6 * x else None
    p_round = .35 + .6 * x
    p_never = lerp(.4, .9, x)
    first = True
    recruits = 0
    for _ in range(ep.size):
        recruit = rng.random() < .3 + .5 * x
        u = hosts.take(None if recruit else (lambda u: any(L.tag is None for L in u.loans)))
        if recruit:
            w.wipe_normal(u)
            recruits += 1
        nl = 1 + int(rng.random() * (1 + 2 * x))
        never = rng.random() < p_never
        for _ in range(nl):
            if first:
                t, first = t0, False
            else:
                t = t0 + rng.randint(0, max(1, span))
                t = (t // DAY) * DAY + sample_tod(rng, "shop")
                if t <= t0:
                    t = t0 + rng.randint(60, HOUR)
            lim = max(w.eff_limit(u, t), yuan(3000))
            base = lim * rng.uniform(.5, 1.0) / nl
            if rng.random() < p_round:
                amt = round_c(int(base), rng.choice((500, 1000, 1000, 2000)))
            else:
                amt = messy_amount(rng, base)
            prod = pick(rng, w.consumer_products(u))
            L = w.episode_loan(u, rng, t, amt, ep, product=prod, channel="merchant", merchant=merchant,
                               device=terminal if terminal else MISSING, shape=False)
            if not never:
                troubled(w, u, L, rng, p_none=0, late0=(0, 6), growth=3, max_pay=rng.randint(1, 2))
        ep.users.append(u)
    ep.detail = {"merchant_id": merchant, "ring_size": ep.size, "recruited": recruits,
                 "shared_terminal": terminal is not None}


GENERATORS = {
    "loan_stacking": g_loan_stacking,
    "borrow_to_repay": g_borrow_to_repay,
    "account_takeover": g_account_takeover,
    "student_overborrowing": g_student_overborrowing,
    "limit_jump_drain": g_limit_jump_drain,
    "overdue_escalation": g_overdue_escalation,
    "bust_out": g_bust_out,
    "merchant_collusion": g_merchant_collusion,
}


def plan(w, rng):
    """[(typology, n_users)], about 2.6-4.2 % of users; every typology first, then weighted draws"""
    n = len(w.users)
    budget = max(1, int(round(rng.uniform(.026, .042) * n)))
    stu = sum(1 for u in w.users if u.segment == "student") / max(1, n)
    p_keep = {"student_overborrowing": clamp(stu / .15, .3, 1.0), "merchant_collusion": .45}
    out, used, rounds = [], 0, 0
    while used < budget and rounds < 1000:
        order = list(TYPOLOGIES)
        rng.shuffle(order)
        for typ in order:            # balanced rounds; the first round keeps every typology
            if used >= budget:
                break
            if rounds and rng.random() > p_keep.get(typ, 1.0):
                continue
            size = 1
            if typ == "merchant_collusion":
                if budget - used < 3:
                    continue
                size = min(rng.randint(3, 6), budget - used)
            out.append((typ, size))
            used += size
        rounds += 1
    return out


def inject(w):
    ctx = w.ctx
    rng = ctx.rng("episodes")
    p = plan(w, rng)
    n_hist = int(round(len(p) * rng.uniform(.27, .33)))
    hist = set(rng.sample(range(len(p)), n_hist))
    hosts = Hosts(w, rng)
    episodes = []
    for k, (typ, size) in enumerate(p):
        ep = Episode(k, typ, k in hist, rng.random(), size)
        GENERATORS[typ](w, ep, ctx.rng("episode", k, typ), hosts)
        for u in ep.users:
            u.tags.append(typ)
        episodes.append(ep)
    return episodes
