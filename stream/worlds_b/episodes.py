"""Anomalous episodes.  Each typology has a setup (called when the user is created;
chooses timing and a variant) and step callbacks that run at event time from the
user's state at that moment.  Events that ARE the anomalous behaviour get label 1."""
from .engine import DAY, HOUR, MIN, lognorm

SHORT_MAX = 45  # days


def _short_product(sim, u):
    rng = u.rng
    cands = [p for p in ("cash_loan", "credit_line", "merchant_loan")
             if p in sim.wprods and min(sim.w["terms"][p]) <= SHORT_MAX]
    if not cands:
        cands = ["cash_loan"]
    if len(cands) > 1 and rng.random() < 0.5:
        return rng.choice(cands)
    best = max(cands, key=lambda p: sum(v for k, v in zip(u.prods.items, _weights(u.prods)) if k == p))
    return best


def _weights(wc):
    out, prev = [], 0.0
    for c in wc.cum:
        out.append(c - prev)
        prev = c
    return out


def _short_term(sim, u, product, max_days=SHORT_MAX):
    terms = [t for t in sim.w["terms"][product] if t <= max_days]
    if not terms:
        return min(sim.w["terms"][product])
    return u.rng.choice(terms)


def _fresh_device(u):
    return f"d-{u.rng.getrandbits(40):010x}"


def _other_channel(sim, rng, product, prev):
    """A different channel among those this lender offers for the product (or web)."""
    opts = sorted(set(sim.w["channels"][product]) | {"web"})
    return rng.choice([c for c in opts if c != prev] or opts)


def _typical(sim, u, product):
    return max(20000, u.limit * u.amt * sim.w["amount_factor"][product] * lognorm(u.rng, 0.3))


def _amount(sim, u, product, cents):
    c = sim.round_amount(u.rng, product, cents)
    return c if c >= 10000 else max(10000, int(cents) // 100 * 100)


def _bad_p(sim, boost=0.0):
    """Chance that an episode loan is simply never repaid (world dependent)."""
    return min(0.95, boost + 0.65 * sim.w["link"])


def _outcome(sim, u, t, never_p):
    if u.rng.random() < never_p:
        return "never"
    return sim.sample_outcome(u, t)


# --------------------------------------------------------------------- loan_stacking
def setup_stacking(sim, u, group, ring):
    lo, hi = sim.window(group, 2.5 * DAY if group == "hist" else 0.6 * DAY)
    t0 = int(u.rng.uniform(lo, hi))
    u.supp.append((t0 - 2 * DAY, t0 + 4 * DAY))
    sim.call(u, t0, stacking)


def stacking(sim, u, t):
    rng = u.rng
    u.risky_since = t
    mode = rng.choice(("burst", "burst", "hours", "days"))
    k = rng.randint(3, 7)
    gap = {"burst": (1 * MIN, 25 * MIN), "hours": (20 * MIN, 4 * HOUR), "days": (2 * HOUR, 14 * HOUR)}[mode]
    if rng.random() < 0.65 and len(sim.wprods) > 1:
        ps = list(sim.wprods)
        rng.shuffle(ps)
        prods = [ps[i % len(ps)] for i in range(k)]
    else:
        prods = [u.prods.pick(rng)] * k
    race = sim.w["limit_mode"] != "total" or rng.random() < 0.3  # concurrent requests beat the limit check
    if race:
        target = max(sim.avail_total(u) * rng.uniform(0.9, 1.4), u.limit * rng.uniform(0.6, 1.0))
    else:
        target = max(sim.avail_total(u), u.limit * 0.3) * rng.uniform(0.85, 1.0)
    shares = [rng.uniform(0.5, 1.5) for _ in range(k)]
    s = sum(shares)
    ch = None
    two_dev = len(u.devices) > 1 and rng.random() < 0.5
    tt = t
    for i, p in enumerate(prods):
        if ch is None or rng.random() < 0.5:
            ch = sim.chans[p].pick(rng) if ch is None or rng.random() < 0.5 else _other_channel(sim, rng, p, ch)
        dev = u.devices[i % 2] if two_dev else sim.pick_device(u, ch)
        sim.push_loan(u, tt, product=p, cents=_amount(sim, u, p, target * shares[i] / s),
                      term=sim.terms[p].pick(rng), channel=ch, device=dev, label=1, scen="loan_stacking",
                      cap=None if race else ("soft" if i == 0 else "hard"))
        tt += rng.uniform(*gap)


# --------------------------------------------------------------------- borrow_to_repay
def setup_b2r(sim, u, group, ring):
    rng = u.rng
    lo, hi = sim.window(group, 1.0 * DAY if group == "test" else 3 * DAY)
    ts1 = rng.uniform(lo, hi)
    p = _short_product(sim, u)
    term = _short_term(sim, u, p, max(7, (ts1 - DAY) // DAY))
    if term * DAY > ts1 - 0.3 * DAY:  # not enough room before ts1: the shortest product/term
        p = min(sim.wprods, key=lambda q: min(sim.w["terms"][q]))
        term = min(sim.w["terms"][p])
    off = rng.uniform(-2, 5) * DAY
    seed_t = ts1 - term * DAY - off
    if seed_t < 0.3 * DAY:
        seed_t = rng.uniform(0.3, 1.0) * DAY
        ts1 = max(ts1, seed_t + term * DAY + off)
    ts1 = max(seed_t + DAY, min(ts1, sim.END - rng.uniform(0.2, 0.5) * DAY))
    u.ep["steps"] = rng.choice((1, 1, 2, 2, 3, 4))
    u.supp.append((seed_t - DAY, ts1 + 5 * DAY))
    sim.call(u, int(seed_t), b2r_seed, p, term, int(ts1 - int(seed_t)))


def b2r_seed(sim, u, t, p, term, delay):
    loan = sim.make_loan(u, t, p, _amount(sim, u, p, _typical(sim, u, p)), term, plan=False)
    sim.call(u, t + delay, b2r_step, loan, 1)


def b2r_step(sim, u, t, old, i):
    rng = u.rng
    if u.risky_since is None:
        u.risky_since = t
    rem = old.remaining
    if rem <= 0:
        return
    if rng.random() < 0.5:
        p = old.product
    else:
        p = rng.choice([x for x in sim.wprods if x != "wealth_pledge"] or [old.product])
    amt = sim.round_amount(rng, p, rem * rng.uniform(0.8, 2.0))
    if amt < rem * 0.8:
        amt = rem
    term = sim.terms[p].pick(rng) if p == "installment" else _short_term(sim, u, p)
    last = i >= u.ep["steps"]
    ch = None if rng.random() < 0.6 else _other_channel(sim, rng, p, "app")
    new = sim.make_loan(u, t, p, amt, term, channel=ch, label=1, scen="borrow_to_repay", plan=last,
                        cap="soft", floor=max(10000, int(rem * 0.8)))
    delay = rng.uniform(1 * MIN, 40 * MIN) if rng.random() < 0.55 else rng.uniform(0.7, 2.0) * DAY
    old.plan += 1
    sim.push_pays(u, old, old.plan, [(t + delay, rem)], label=1, scen="borrow_to_repay")
    if not last:
        nxt = new.t + new.dues[0] + rng.uniform(-2, 4) * DAY
        nxt = max(nxt, t + delay + HOUR)
        u.supp.append((t, nxt + 3 * DAY))
        sim.call(u, int(nxt), b2r_step, new, i + 1)


# --------------------------------------------------------------------- account_takeover
def setup_ato(sim, u, group, ring):
    rng = u.rng
    lo, hi = sim.window(group)
    t0 = rng.uniform(lo, hi)
    if rng.random() < 0.55:  # odd hour
        t0 = t0 // DAY * DAY + rng.randint(1, 4) * HOUR + rng.randrange(HOUR)
        if t0 < lo:
            t0 += DAY
        if t0 >= sim.END:
            t0 = lo
    sim.call(u, int(t0), ato)


def ato(sim, u, t):
    rng = u.rng
    dev = _fresh_device(u)
    k = rng.choice((1, 2, 2, 3, 4))
    av = sim.avail_total(u)
    target = av * rng.uniform(0.7, 1.0) if av >= 0.2 * u.limit else u.limit * rng.uniform(0.3, 0.5)
    if "cash_loan" in sim.wprods and rng.random() < 0.7:
        prods = ["cash_loan"] * k
    else:
        prods = [rng.choice(sim.wprods) for _ in range(k)]
    usual = sim.chans[prods[0]].items[0]
    ch = _other_channel(sim, rng, prods[0], usual) if rng.random() < 0.5 else usual
    never_p = _bad_p(sim, 0.25)
    tt = t
    for i, p in enumerate(prods):
        sim.push_loan(u, tt, product=p, cents=_amount(sim, u, p, target / k * rng.uniform(0.7, 1.3)),
                      term=_short_term(sim, u, p, 400), channel=ch, device=dev, label=1,
                      scen="account_takeover", purpose=None if rng.random() < 0.5 else "auto",
                      merchant=f"m-{rng.getrandbits(36):09x}",
                      outcome="never" if rng.random() < never_p else "good",
                      cap="soft" if i == 0 else "hard")
        tt += rng.uniform(2 * MIN, 90 * MIN)


# --------------------------------------------------------------------- student_overborrowing
def setup_student(sim, u, group, ring):
    rng = u.rng
    mode = rng.choice(("binge", "escalation", "spread"))
    dur = {"binge": rng.uniform(1.5, 4), "escalation": rng.uniform(6, 14), "spread": rng.uniform(3, 8)}[mode]
    lo, hi = sim.window(group, 1.0 * DAY if group == "test" else (dur + 1) * DAY)
    t0 = int(rng.uniform(lo, hi))
    u.supp.append((t0, t0 + (dur + 2) * DAY))
    sim.call(u, t0, student, mode, dur)


def student(sim, u, t, mode, dur):
    rng = u.rng
    u.risky_since = t
    if rng.random() < (0.7 if sim.w["limit_mode"] == "total" else 0.4):  # e.g. a promotional raise
        u.limit = int(u.limit * rng.uniform(1.8, 4.0) / 10000) * 10000
    k = {"binge": rng.randint(4, 8), "escalation": rng.randint(6, 12), "spread": rng.randint(4, 9)}[mode]
    ps = [p for p in ("cash_loan", "credit_line", "installment") if p in sim.wprods] or list(sim.wprods)
    rng.shuffle(ps)
    times = sorted(rng.uniform(0, dur) for _ in range(k - 1))
    times = [0.0] + times
    never_p = _bad_p(sim, -0.3)
    for i, off in enumerate(times):
        p = ps[i % len(ps)] if rng.random() < 0.6 else rng.choice(ps)
        growth = 1 + 0.35 * i if mode == "escalation" else 1.0
        base = u.limit * 0.15 * lognorm(rng, 0.3)
        amt = _amount(sim, u, p, base * rng.uniform(2.5, 6) * growth)
        terms = sorted(sim.w["terms"][p])
        term = rng.choice(terms[-2:]) if p == "installment" else sim.terms[p].pick(rng)
        tt = t + off * DAY
        if i:
            tt = tt // DAY * DAY + u.hours.pick(rng) * HOUR + rng.randrange(HOUR)
            tt = max(tt, t + i * 60)
        sim.push_loan(u, tt, product=p, cents=amt, term=term, label=1, scen="student_overborrowing",
                      outcome=_outcome(sim, u, t, never_p), cap="soft" if i == 0 else "hard")


# --------------------------------------------------------------------- limit_jump_drain
def setup_ljd(sim, u, group, ring):
    lo, hi = sim.window(group, 1.5 * DAY if group == "test" else 3 * DAY)
    t0 = int(u.rng.uniform(lo, hi))
    u.supp.append((t0 - DAY, t0 + 4 * DAY))
    sim.call(u, t0, ljd)


def ljd(sim, u, t):
    rng = u.rng
    old = u.limit
    main = "cash_loan" if "cash_loan" in sim.wprods else "credit_line"
    before = sim.avail(u, main)
    u.limit = int(old * rng.uniform(1.5, 4.0) / 10000) * 10000
    u.risky_since = t
    after = sim.avail(u, main)
    target = max(after, after - before) * rng.uniform(0.8, 1.0)
    v = rng.random()
    start = t + (rng.uniform(1, 60) * MIN if v < 0.4 else rng.uniform(1, 12) * HOUR if v < 0.75
                 else rng.uniform(12, 36) * HOUR)
    k = rng.choice((1, 1, 2, 3, 4))
    ch = None if rng.random() < 0.7 else _other_channel(sim, rng, main, "app")
    never_p = _bad_p(sim, -0.2)
    tt = start
    shares = [rng.uniform(0.6, 1.4) for _ in range(k)]
    s = sum(shares)
    for i in range(k):
        p = main if rng.random() < 0.65 else rng.choice(("cash_loan", "credit_line"))
        sim.push_loan(u, tt, product=p, cents=_amount(sim, u, p, target * shares[i] / s),
                      term=sim.terms[p].pick(rng), channel=ch, label=1, scen="limit_jump_drain",
                      outcome=_outcome(sim, u, t, never_p), cap="soft" if i == 0 else "hard")
        tt += rng.uniform(3 * MIN, 8 * HOUR)


# --------------------------------------------------------------------- overdue_escalation
def setup_esc(sim, u, group, ring):
    rng = u.rng
    if group == "test":
        lo, hi = max(0.5 * DAY, sim.HS - 18 * DAY), max(1.0 * DAY, sim.HS - 6 * DAY)
        n = 99
    else:
        lo, hi = 0.05 * sim.HS, max(0.1 * sim.HS, 0.3 * sim.HS)
        n = rng.randint(4, 6)
    t0 = int(rng.uniform(lo, hi))
    weak = sim.w["link"] < 0.3
    L0 = u.late_days if weak else rng.randint(0, 2)
    u.supp.append((t0, sim.END))
    u.ep["esc_n"] = n
    u.ep["esc_weak"] = weak
    sim.call(u, t0, esc_step, 0, L0)


def esc_step(sim, u, t, i, L):
    rng = u.rng
    if u.risky_since is None:
        u.risky_since = t
    p = _short_product(sim, u)
    term = _short_term(sim, u, p, 30)
    amt = _amount(sim, u, p, _typical(sim, u, p) * rng.uniform(0.8, 1.4) * (1 + 0.1 * i))
    lab = 1 if i >= 1 else 0
    scen = "overdue_escalation" if lab else "normal"
    loan = sim.make_loan(u, t, p, amt, term, label=lab, scen=scen, plan=False)
    n = u.ep["esc_n"]
    final = i + 1 >= n
    ds = (loan.t + loan.dues[0]) // DAY * DAY
    if final and rng.random() < _bad_p(sim, -0.1):
        pays = []  # finally stops paying
    elif rng.random() < 0.3 and L >= 2:
        c1 = int(amt * rng.uniform(0.2, 0.6))
        pays = [(sim.at_hour(u, ds + (L // 2) * DAY), c1), (sim.at_hour(u, ds + L * DAY), amt - c1)]
    else:
        pays = [(sim.at_hour(u, ds + L * DAY), amt)]
    sim.push_pays(u, loan, loan.plan, pays, label=1 if L >= 1 else 0,
                  scen="overdue_escalation" if L >= 1 else "normal")
    if not final:
        step = rng.randint(1, 3) if u.ep["esc_weak"] else rng.randint(3, 8)
        sim.call(u, int(t + rng.uniform(3, 9) * DAY), esc_step, i + 1, L + step)


# --------------------------------------------------------------------- bust_out
def setup_bust(sim, u, group, ring):
    rng = u.rng
    lo, hi = sim.window(group, 1.0 * DAY)
    tb = rng.uniform(lo, hi)
    join = max(0.0, tb - rng.uniform(14, 40) * DAY)
    if tb - join < 4 * DAY:
        join = 0.0
    u.join_t = int(join)
    u.rate = 0.0
    u.limit = max(100000, int(u.limit * rng.uniform(0.5, 1.0) / 10000) * 10000)
    u.ep["bust_t"] = tb
    m = rng.randint(3, 6)
    span = max(DAY, tb - join - 2 * DAY)
    for j in range(m):
        sim.call(u, int(join + span * (j + rng.uniform(0.1, 0.9)) / m), bust_build)
    if rng.random() < 0.75:
        sim.call(u, int(tb - rng.uniform(0.5, 4) * DAY), bust_raise)
    sim.call(u, int(tb), bust)


def bust_build(sim, u, t):
    rng = u.rng
    p = u.prods.pick(rng)
    amt = _amount(sim, u, p, u.limit * rng.uniform(0.08, 0.3))
    room = (u.ep["bust_t"] - t) // DAY - 1  # repaid before the bust
    terms = [x for x in sim.w["terms"][p] if x <= room]
    if terms and rng.random() < 0.7:
        term, style = rng.choice(terms), rng.choice(("early", "ontime", "autodebit"))
    else:
        term, style = _short_term(sim, u, p, 60), "prepay"
    sim.make_loan(u, t, p, amt, term, outcome="good", style=style, cap="soft")


def bust_raise(sim, u, t):
    u.limit = int(u.limit * u.rng.uniform(1.8, 3.5) / 10000) * 10000


def bust(sim, u, t):
    rng = u.rng
    u.risky_since = t
    k = rng.randint(3, 8)
    v = rng.random()
    win = (rng.uniform(1, 6) if v < 0.4 else rng.uniform(6, 30) if v < 0.8 else rng.uniform(30, 72)) * HOUR
    ps = list(sim.wprods)
    rng.shuffle(ps)
    race = False
    if sim.w["limit_mode"] == "total":
        race = rng.random() < 0.25
        target = u.limit * rng.uniform(1.05, 1.3) if race else max(sim.avail_total(u), 0.5 * u.limit) * rng.uniform(0.9, 1.0)
    else:
        target = sim.avail_total(u) * rng.uniform(0.85, 1.0)
    extra_dev = _fresh_device(u) if rng.random() < 0.4 else None
    never_p = _bad_p(sim, 0.3)
    times = sorted(rng.uniform(0, win) for _ in range(k - 1))
    for i, off in enumerate([0.0] + times):
        p = ps[i % len(ps)]
        ch = _other_channel(sim, rng, p, None)
        dev = extra_dev if (extra_dev and i % 2) else sim.pick_device(u, ch)
        sim.push_loan(u, t + off, product=p, cents=_amount(sim, u, p, target / k * rng.uniform(0.7, 1.3)),
                      term=sim.terms[p].pick(rng), channel=ch, device=dev, label=1, scen="bust_out",
                      outcome="never" if rng.random() < never_p else "good",
                      cap=None if race else ("soft" if i == 0 else "hard"))


# --------------------------------------------------------------------- merchant_cashout
def setup_cashout(sim, u, group, ring):
    rng = u.rng
    room = max(HOUR, (sim.END - ring["t0"]) * 0.8)
    t = ring["t0"] + rng.uniform(0, min(ring["span"], room))
    t = t // DAY * DAY + (ring["hour_lo"] + rng.uniform(0, 8)) * HOUR
    if t < ring["t0"]:
        t += DAY
    if t >= sim.END:
        t = ring["t0"]
    u.supp.append((t - DAY, t + 3 * DAY))
    sim.call(u, int(t), cashout, ring)


UNDER = (199900, 299900, 499900, 999900, 1999900, 4999900)


def cashout(sim, u, t, ring):
    rng = u.rng
    u.risky_since = t
    u.ep["co_k"] = rng.choice((1, 1, 2, 2, 3))
    cashout_step(sim, u, t, ring, 0)


def cashout_step(sim, u, t, ring, i):
    rng = u.rng
    p = ring["product"]
    av = sim.avail(u, p)
    want = (max(av, u.limit * 0.3) if i == 0 else av) * rng.uniform(0.6, 1.0)
    if ring["round"] == "under":
        under = [x for x in UNDER if x <= want] or ([UNDER[0]] if i == 0 else [])
        amt = under[-1] if under else 0
    else:
        unit = ring["round"] * 100
        amt = max(unit, int(want // unit) * unit) if i == 0 else int(want // unit) * unit
    if amt <= 0:
        return
    sim.make_loan(u, t, p, amt, sim.terms[p].pick(rng), channel="merchant",
                  device=ring["device"] or sim.pick_device(u, "app"),
                  merchant=ring["merchant"] if rng.random() < sim.w["p_merchant_id"] else None,
                  label=1, scen="merchant_cashout", purpose="consumption",
                  outcome="never" if rng.random() < _bad_p(sim, 0.2) else "good")
    if i + 1 < u.ep["co_k"]:
        sim.call(u, int(t + rng.uniform(5 * MIN, 20 * HOUR)), cashout_step, ring, i + 1)


# --------------------------------------------------------------------- dormant_max_term
def setup_dormant(sim, u, group, ring):
    rng = u.rng
    lo, hi = sim.window(group, 1.0 * DAY)
    if group == "hist":
        lo = max(lo, 0.6 * sim.HS)
        hi = max(hi, lo + 1)
    tr = rng.uniform(lo, hi)
    active_end = max(DAY, min(6 * DAY, tr * 0.2))
    u.rate = 0.0
    for _ in range(rng.randint(1, 3)):
        sim.call(u, int(rng.uniform(0.1 * DAY, active_end)), dormant_early)
    sim.call(u, int(tr), dormant)


def dormant_early(sim, u, t):
    rng = u.rng
    p = _short_product(sim, u)
    sim.make_loan(u, t, p, _amount(sim, u, p, _typical(sim, u, p)), _short_term(sim, u, p, 14),
                  outcome="good", style=rng.choice(("early", "ontime", "prepay")))


def dormant(sim, u, t):
    rng = u.rng
    u.risky_since = t
    longest = max(sim.wprods, key=lambda p: max(sim.w["terms"][p]))
    if "cash_loan" in sim.wprods and rng.random() < 0.35:
        longest = "cash_loan"
    term = max(sim.w["terms"][longest])
    dev = _fresh_device(u) if rng.random() < 0.6 else None
    k = rng.choice((1, 1, 2))
    av = max(sim.avail(u, longest), u.limit * 0.8)
    never_p = _bad_p(sim, -0.1)
    tt = t
    for i in range(k):
        sim.push_loan(u, tt, product=longest, cents=_amount(sim, u, longest, av * rng.uniform(0.85, 1.0) / k),
                      term=term, device=dev if dev else "auto", label=1, scen="dormant_max_term",
                      outcome=_outcome(sim, u, t, never_p), cap="soft")
        tt += rng.uniform(2 * MIN, 3 * HOUR)


SETUP = {
    "loan_stacking": setup_stacking,
    "borrow_to_repay": setup_b2r,
    "account_takeover": setup_ato,
    "student_overborrowing": setup_student,
    "limit_jump_drain": setup_ljd,
    "overdue_escalation": setup_esc,
    "bust_out": setup_bust,
    "merchant_cashout": setup_cashout,
    "dormant_max_term": setup_dormant,
}
