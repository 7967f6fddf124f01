"""Anomalous episode typologies of family C (planning + runtime scripts)."""
from __future__ import annotations

from .core import DAY, HOUR, clip
from .worlds import hexid, wchoice

LABEL = 1


# ---------------------------------------------------------------- helpers
def usable_products(sim, t):
    w = sim.w
    pw = w.products.get(sim.u.segment) or w.products["individual"]
    out = [p for p in pw if w.ensure_product(sim, p, t)]
    return out or [next(iter(pw))]


def main_product(sim, t):
    ps = usable_products(sim, t)
    return max(ps, key=lambda p: sim.u.prod_w.get(p, 0.0))


def cash_product(sim, t):
    ps = usable_products(sim, t)
    return "cash_loan" if "cash_loan" in ps else main_product(sim, t)


def min_cents(w, product):
    return w.min_amount.get(product, 100) * 100


def rnd(w, product, cents):
    return max(min_cents(w, product), w.round_amount(product, cents))


def longest_term(w, product):
    return max(t for t, _ in w.terms[product])


def short_term(w, product, rng):
    ts = sorted(t for t, _ in w.terms[product])
    short = [t for t in ts if t <= 30] or ts[:1]
    return rng.choice(short)


def channel_for(sim, product, rng, avoid=None):
    w = sim.w
    ch = w.pick_channel(sim, product)
    if avoid is not None and ch == avoid:
        opts = [c for c in ("app", "web", "partner", "merchant") if c != avoid]
        pc = w.product_channel.get(product)
        if pc:
            opts = [c for c in pc if c != avoid] or opts
        ch = rng.choice(opts)
    return ch


def odd_second(rng):
    return rng.randint(1 * HOUR, 5 * HOUR - 1)


def span(rng, lo, hi):
    return lo if hi <= lo else rng.uniform(lo, hi)


# ---------------------------------------------------------------- loan_stacking
def stacking_install(sim, S, p):
    sim.at(S, _stack_start, sim, p)


def _stack_start(t, sim, p):
    rng, w = sim.rng, sim.w
    k = rng.randint(3, 7)
    variant = p["variant"]
    prods = usable_products(sim, t)
    main = main_product(sim, t)
    times, cur = [], t
    for i in range(k):
        times.append(cur)
        if variant == "minutes":
            cur += rng.randint(20, 600)
        elif variant == "cross":
            cur += rng.randint(120, 3 * HOUR)
        else:
            cur += rng.randint(HOUR, 10 * HOUR)
    if variant == "minutes":
        products = [main] * k
    else:
        order = prods[:]
        rng.shuffle(order)
        products = [order[i % len(order)] for i in range(k)]
    avail = {}
    for pr in products:
        avail[sim.key_of(pr)] = sim.available(pr)
    cnt = {}
    for pr in products:
        cnt[sim.key_of(pr)] = cnt.get(sim.key_of(pr), 0) + 1
    fac = rng.uniform(0.9, 1.3)
    intent = 0.6 if rng.random() < 0.6 else 0.0
    prev_ch = None
    for i, pr in enumerate(products):
        key = sim.key_of(pr)
        base = max(avail[key], int(0.4 * sim.limit_of(pr) * 100))
        share = base * fac / cnt[key] * rng.uniform(0.6, 1.4)
        amt = rnd(w, pr, share)
        if variant == "cross":
            ch = channel_for(sim, pr, rng, avoid=prev_ch)
        else:
            ch = w.pick_channel(sim, pr)
        prev_ch = ch
        term = longest_term(w, pr) if rng.random() < 0.3 else w.pick_term(sim, pr)
        sim.at(times[i], _stack_step, sim, pr, amt, term, ch, intent)
    sim.stress = max(sim.stress, 0.5)


def _stack_step(t, sim, pr, amt, term, ch, intent):
    sim.borrow(t, amt, pr, term, ch, label=LABEL, scen="loan_stacking", intent_bad=intent)


# ---------------------------------------------------------------- borrow_to_repay
def btr_install(sim, S, p):
    sim.at(S, _btr_start, sim, p)


def _btr_start(t, sim, p):
    rng, w = sim.rng, sim.w
    day = t // DAY
    best = None
    for l in sim.open_loans():
        if l.managed:
            continue
        k = l.next_k()
        if k is None:
            continue
        due = l.dues[k]
        if day - 5 <= due <= day + 10 and (best is None or due < best[1]):
            best = (l, due)
    if best is None:
        pr = cash_product(sim, t)
        lim = sim.limit_of(pr) * 100
        amt = rnd(w, pr, max(min(sim.available(pr), lim) * rng.uniform(0.3, 0.6), 0.2 * lim))
        old = sim.borrow(t, amt, pr, short_term(w, pr, rng), w.pick_channel(sim, pr), managed=True)
        due = old.dues[0]
    else:
        old, due = best
    old.managed = True
    n = rng.randint(2, 5)
    d = min(max(due + rng.randint(-2, 8), t // DAY), sim.n_days - 1)
    tc = d * DAY + w.pay_second(sim, d)
    if tc <= t:
        tc = t + rng.randint(HOUR, 6 * HOUR)
    sim.at(tc, _btr_cycle, sim, old, 0, n)


def _btr_cycle(t, sim, old, i, n):
    rng, w = sim.rng, sim.w
    k = old.next_k()
    if k is None:
        return
    rem = old.cum[k] - old.paid
    if rem <= 0:
        old.managed = False
        return
    prods = usable_products(sim, t)
    pr = old.product if (old.product in prods and rng.random() < 0.5) else rng.choice(prods)
    if "cash_loan" in prods and rng.random() < 0.5:
        pr = "cash_loan"
    target = rnd(w, pr, rem * rng.uniform(1.0, 1.3))
    avail = sim.available(pr)
    amt = rnd(w, pr, min(target, max(avail, rem * 0.5)))
    ch = channel_for(sim, pr, rng, avoid=(w.pick_channel(sim, pr) if rng.random() < 0.4 else None))
    new = sim.borrow(t, amt, pr, short_term(w, pr, rng), ch, label=LABEL, scen="borrow_to_repay",
                     managed=True, intent_bad=0.0)
    sim.stress = 1.0
    tp = t + rng.randint(300, 6 * HOUR)
    sim.at(tp, _btr_pay, sim, old, min(rem, int(amt * 0.98)))
    if i + 1 < n:
        d = max(new.dues[0] + rng.randint(-2, 6), t // DAY + 1)
        sim.at(d * DAY + w.pay_second(sim, d), _btr_cycle, sim, new, i + 1, n)
    else:
        new.managed = False
        new.intent_bad = 0.4
        sim.schedule_decisions(new)


def _btr_pay(t, sim, old, amt):
    sim.pay(t, old, amt, label=LABEL, scen="borrow_to_repay")
    if old.paid < old.amount:
        sim.at(t + sim.rng.randint(DAY, 5 * DAY), _handback, sim, old)


def _handback(t, sim, loan):
    if loan.managed and loan.paid < loan.amount:
        loan.managed = False
        sim.schedule_decisions(loan)


# ---------------------------------------------------------------- account_takeover
def ato_install(sim, S, p):
    rng = sim.rng
    if p["night"]:
        S = S - S % DAY + odd_second(rng)
    sim.at(S, _ato_start, sim, p, 0)


def _ato_start(t, sim, p, tries):
    rng, w = sim.rng, sim.w
    prods = usable_products(sim, t)
    pr = cash_product(sim, t) if rng.random() < 0.75 else rng.choice(prods)
    lim = sim.limit_of(pr) * 100
    avail = sim.available(pr)
    if avail < max(0.2 * lim, min_cents(w, pr)) and tries < 4 and t + 4 * DAY < sim.end:
        sim.at(t + rng.randint(DAY, 3 * DAY), _ato_start, sim, p, tries + 1)
        return
    dev = None if rng.random() < 0.1 else "c-d" + hexid(rng, 12)
    prim = max(sim.u.channel_w, key=sim.u.channel_w.get)
    ch = channel_for(sim, pr, rng, avoid=prim) if p["new_channel"] else w.pick_channel(sim, pr)
    cur = t
    if rng.random() < 0.4:
        sim.borrow(cur, rnd(w, pr, max(avail, lim * 0.3) * rng.uniform(0.01, 0.04)), pr,
                   w.pick_term(sim, pr), ch, device=dev, device_auto=False, label=LABEL,
                   scen="account_takeover", intent_bad=1.0)
        cur += rng.randint(300, HOUR)
    nd = rng.randint(1, 3)
    total = max(sim.available(pr), int(lim * 0.3)) * rng.uniform(0.8, 1.0)
    sh = [rng.random() + 0.5 for _ in range(nd)]
    ssum = sum(sh)
    term = longest_term(w, pr) if rng.random() < 0.6 else w.pick_term(sim, pr)
    for s in sh:
        sim.at(cur, _ato_draw, sim, pr, rnd(w, pr, total * s / ssum), term, ch, dev)
        cur += rng.randint(600, 2 * HOUR)
    sim.ghost = rng.random() < 0.5  # lender freezes the account after the loss is reported


def _ato_draw(t, sim, pr, amt, term, ch, dev):
    sim.borrow(t, amt, pr, term, ch, device=dev, device_auto=False, label=LABEL,
               scen="account_takeover", intent_bad=1.0)


# ---------------------------------------------------------------- student_overborrowing
def student_install(sim, S, p):
    sim.at(S, _student_start, sim, p)


def _student_start(t, sim, p):
    rng = sim.rng
    variant = p["variant"]
    prods = usable_products(sim, t)
    if variant == "frequency":
        m = rng.randint(8, 16)
        sp = rng.uniform(4, 12) * DAY
        for x in sorted(rng.uniform(0, sp) for _ in range(m)):
            sim.at(t + int(x), _student_freq, sim, rng.choice(prods))
        sim.at(t, _student_freq, sim, main_product(sim, t), True)
    else:
        pr = "installment" if "installment" in prods else cash_product(sim, t)
        key = sim.key_of(pr)
        cur = sim.limits.get(key, 0)
        if variant == "limit_push":
            sim.limits[key] = int(cur * rng.uniform(2.0, 4.0) // 100 * 100)
            m = rng.randint(3, 6)
            sp = rng.uniform(2, 8) * DAY
            for j, x in enumerate(sorted(rng.uniform(0, sp) for _ in range(m))):
                sim.at(t + int(x) + j, _student_big, sim, pr, rng.uniform(0.3, 0.6), None)
        else:  # big_ticket
            m = rng.randint(1, 3)
            price = rng.choice((4999, 5999, 6999, 7999, 8999, 9999, 11999)) * 100
            sim.limits[key] = max(cur, int(price * m * rng.uniform(1.05, 1.3) / 100) // 100 * 100)
            for j in range(m):
                sim.at(t + j * rng.randint(HOUR, 3 * DAY), _student_big, sim, pr, None, price)
    sim.stress = 1.0


def _student_freq(t, sim, pr, first=False):
    rng, w = sim.rng, sim.w
    avail = sim.available(pr)
    mn = min_cents(w, pr)
    if avail < mn:
        if not first:
            return
        avail = int(sim.limit_of(pr) * 100 * 0.6)
    amt = rnd(w, pr, avail * rng.uniform(0.5, 1.0))
    sim.borrow(t, amt, pr, w.pick_term(sim, pr), w.pick_channel(sim, pr), label=LABEL,
               scen="student_overborrowing", intent_bad=0.3,
               purpose="education" if rng.random() < 0.2 else "consumption")


def _student_big(t, sim, pr, frac, price):
    rng, w = sim.rng, sim.w
    if price is None:
        price = rnd(w, pr, sim.limit_of(pr) * 100 * frac)
        avail = sim.available(pr)
        if price > avail:
            price = rnd(w, pr, avail)
            if avail < min_cents(w, pr):
                return
    ch = "merchant" if rng.random() < 0.5 else w.pick_channel(sim, pr)
    sim.borrow(t, price, pr, longest_term(w, pr) if rng.random() < 0.5 else w.pick_term(sim, pr), ch,
               label=LABEL, scen="student_overborrowing", intent_bad=0.3, purpose="consumption")


# ---------------------------------------------------------------- limit_jump_drain
def ljd_install(sim, S, p):
    sim.at(S, _ljd_start, sim, p)


def _ljd_start(t, sim, p):
    rng = sim.rng
    pr = main_product(sim, t) if rng.random() < 0.5 else cash_product(sim, t)
    key = sim.key_of(pr)
    old = max(sim.limits.get(key, 0), 500)
    mult = rng.uniform(1.8, 4.0)
    if p["two_step"]:
        sim.limits[key] = int(old * (1 + (mult - 1) / 2) // 100 * 100)
        sim.at(t + rng.randint(2 * HOUR, 2 * DAY), _ljd_raise, sim, key, int(old * mult // 100 * 100))
        delay = rng.randint(3 * DAY, 4 * DAY)
    else:
        sim.limits[key] = int(old * mult // 100 * 100)
        delay = rng.randint(600, 2 * DAY)
    delay = min(delay, max(600, (sim.end - t) // 3))
    sim.at(t + delay, _ljd_drain, sim, pr, p)
    sim.stress = max(sim.stress, 0.6)


def _ljd_raise(t, sim, key, new):
    sim.limits[key] = max(sim.limits.get(key, 0), new)


def _ljd_drain(t, sim, pr, p):
    rng, w = sim.rng, sim.w
    n = rng.randint(1, 4)
    total = max(sim.available(pr), int(sim.limit_of(pr) * 100 * 0.4)) * rng.uniform(0.75, 1.0)
    intent = 0.6 if rng.random() < 0.6 else 0.2
    sh = [rng.random() + 0.4 for _ in range(n)]
    ss = sum(sh)
    cur = t
    span_s = rng.randint(HOUR // 2, 3 * DAY)
    for s in sh:
        sim.at(cur, _ljd_draw, sim, pr, rnd(w, pr, total * s / ss), intent)
        cur += int(span_s / n * rng.uniform(0.3, 1.0))


def _ljd_draw(t, sim, pr, amt, intent):
    w = sim.w
    sim.borrow(t, amt, pr, w.pick_term(sim, pr), w.pick_channel(sim, pr), label=LABEL,
               scen="limit_jump_drain", intent_bad=intent)


# ---------------------------------------------------------------- overdue_escalation
def oe_install(sim, S, p):
    rng = sim.rng
    state = {"i": 0, "base": rng.uniform(1, 3), "growth": rng.uniform(1.35, 1.9),
             "nmax": rng.randint(5, 10)}
    sim.at(S, _oe_loan, sim, state)


def _oe_loan(t, sim, st):
    rng, w = sim.rng, sim.w
    i = st["i"]
    st["i"] = i + 1
    prods = usable_products(sim, t)
    short = [pp for pp in prods if any(tt <= 30 for tt, _ in w.terms[pp])] or prods
    pr = rng.choice(short)
    lim = sim.limit_of(pr) * 100
    avail = sim.available(pr)
    amt = rnd(w, pr, lim * rng.uniform(0.15, 0.4))
    if amt > avail:
        if avail < 0.1 * lim:
            amt = 0 if i > 0 else rnd(w, pr, lim * 0.15)
        else:
            amt = rnd(w, pr, avail * 0.9)
    if amt > 0:
        loan = sim.borrow(t, amt, pr, short_term(w, pr, rng), w.pick_channel(sim, pr), label=LABEL,
                          scen="overdue_escalation", managed=True)
        late = int(round(st["base"] * st["growth"] ** i + rng.uniform(-0.5, 1.5)))
        late = max(1, late)
        d = loan.dues[0] + late
        if late > 30 and rng.random() < w.link:
            loan.intent_bad = 1.0
            loan.managed = False
            sim.schedule_decisions(loan)
        else:
            sim.at(d * DAY + w.pay_second(sim, d), _oe_pay, sim, loan)
    sim.stress = max(sim.stress, 0.8)
    if st["i"] < st["nmax"]:
        sim.at(t + rng.randint(3 * DAY, 9 * DAY), _oe_loan, sim, st)


def _oe_pay(t, sim, loan):
    rng = sim.rng
    k = loan.next_k()
    if k is None:
        return
    rem = loan.cum[k] - loan.paid
    if rng.random() < 0.3:
        part = max(100, int(rem * rng.uniform(0.3, 0.7)) // 100 * 100)
        sim.pay(t, loan, part, label=LABEL, scen="overdue_escalation")
        sim.at(t + rng.randint(2 * DAY, 5 * DAY), _oe_pay, sim, loan)
        return
    sim.pay(t, loan, rem, label=LABEL, scen="overdue_escalation")
    if loan.paid < loan.amount:
        loan.managed = False
        sim.schedule_decisions(loan)


# ---------------------------------------------------------------- bust_out
def bust_prepare(world, prof, S, p, rng):
    build = rng.uniform(12, 35) * DAY
    if S - build >= DAY:
        prof.open_day = int((S - build) // DAY)
        prof.limits = world.new_account_limit(prof, rng)
    prof.rate = max(prof.rate, world.rate_mu) * 1.5


def bust_install(sim, S, p):
    sim.force_habit = "early"
    sim.small_amounts = True
    sim.limit_up_boost = 6.0
    sim.at(S, _bust, sim, p)


def _bust(t, sim, p):
    rng, w = sim.rng, sim.w
    sim.force_habit = None
    sim.small_amounts = False
    sim.ghost = True
    for l in sim.open_loans():
        l.intent_bad = 1.0
        if l.fate is None:
            l.fate = ("bad", "never", 0) if rng.random() < w.link else None
    prods = usable_products(sim, t)
    rng.shuffle(prods)
    cur = t
    seen = set()
    for pr in prods:
        key = sim.key_of(pr)
        if key in seen and rng.random() < 0.5:
            continue
        seen.add(key)
        nd = rng.randint(1, 2)
        for _ in range(nd):
            sim.at(cur, _bust_draw, sim, pr, nd)
            cur += rng.randint(600, 16 * HOUR)


def _bust_draw(t, sim, pr, nd):
    rng, w = sim.rng, sim.w
    avail = sim.available(pr)
    lim = sim.limit_of(pr) * 100
    if avail < min_cents(w, pr):
        if sim.events and any(e[3] for e in sim.events):
            return
        avail = int(lim * 0.5)
    amt = rnd(w, pr, avail * (rng.uniform(0.5, 0.6) if nd == 2 else rng.uniform(0.9, 1.0)))
    prim = max(sim.u.channel_w, key=sim.u.channel_w.get)
    sim.borrow(t, amt, pr, longest_term(w, pr), channel_for(sim, pr, rng, avoid=prim if rng.random() < 0.5 else None),
               label=LABEL, scen="bust_out", intent_bad=1.0)


# ---------------------------------------------------------------- synthetic_id_ring
def ring_group(world, rng, S):
    return {"devices": ["c-d" + hexid(rng, 12) for _ in range(rng.randint(1, 2))],
            "channel": wchoice(rng, {"partner": 0.4, "app": 0.4, "web": 0.2}),
            "score": rng.randint(590, 690), "score_missing": rng.random() < 0.3,
            "segment": wchoice(rng, world.seg_mix), "variant": "warmup" if rng.random() < 0.35 else "immediate",
            "limit_mult": rng.uniform(0.5, 0.9), "night": rng.random() < 0.4}


def ring_prepare(world, prof, S, p, rng):
    prof.open_day = int(S // DAY)
    prof.no_ordinary = True
    prof.segment = p["segment"]
    prof.score = p["score"] + rng.randint(-8, 8)
    base = world.make_limits(prof, rng)
    prof.limits = {k: max(500, int(v * p["limit_mult"]) // 100 * 100) for k, v in base.items()}


def ring_install(sim, S, p):
    rng = sim.rng
    if p["night"]:
        S = S - S % DAY + odd_second(rng)
    sim.at(S + rng.randint(600, 6 * HOUR), _ring_start, sim, p)


def _ring_dev(sim, p):
    rng = sim.rng
    return rng.choice(p["devices"]) if rng.random() < 0.85 else sim.u.dev1


def _ring_start(t, sim, p):
    rng, w = sim.rng, sim.w
    pr = cash_product(sim, t)
    ch = p["channel"]
    if w.product_channel.get(pr) and ch not in w.product_channel[pr]:
        ch = w.pick_channel(sim, pr)
    sc = None if not p["score_missing"] else -1
    if p["variant"] == "warmup":
        amt = rnd(w, pr, sim.limit_of(pr) * 100 * rng.uniform(0.1, 0.2))
        loan = sim.borrow(t, amt, pr, short_term(w, pr, rng), ch, device=_ring_dev(sim, p), device_auto=False,
                          label=LABEL, scen="synthetic_id_ring", managed=True, score=sc)
        sim.at(t + rng.randint(DAY, 5 * DAY), _ring_pay, sim, loan)
        sim.at(t + rng.randint(3 * DAY, 10 * DAY), _ring_max, sim, p)
    else:
        _ring_max(t, sim, p)


def _ring_pay(t, sim, loan):
    sim.pay(t, loan, loan.remaining, label=LABEL, scen="synthetic_id_ring")


def _ring_max(t, sim, p):
    rng = sim.rng
    prods = usable_products(sim, t)
    cur = t
    keys = set()
    for pr in sorted(prods, key=lambda x: x != "cash_loan"):
        if sim.key_of(pr) in keys:
            continue
        keys.add(sim.key_of(pr))
        sim.at(cur, _ring_draw, sim, p, pr)
        cur += rng.randint(120, 4 * HOUR)


def _ring_draw(t, sim, p, pr):
    rng, w = sim.rng, sim.w
    avail = max(sim.available(pr), min_cents(w, pr))
    ch = p["channel"]
    if w.product_channel.get(pr) and ch not in w.product_channel[pr]:
        ch = w.pick_channel(sim, pr)
    sim.borrow(t, rnd(w, pr, avail * rng.uniform(0.85, 1.0)), pr, longest_term(w, pr), ch,
               device=_ring_dev(sim, p), device_auto=False, label=LABEL, scen="synthetic_id_ring",
               intent_bad=1.0, score=None if not p["score_missing"] else -1)


# ---------------------------------------------------------------- merchant_cash_out
def mco_group(world, rng, S):
    if rng.random() < 0.7:
        m = "c-m%05d" % (len(world.merchants) + rng.randrange(5000))  # newly onboarded merchant
    else:
        m = world.merchants[-1 - rng.randrange(len(world.merchants) // 2)]
    return {"merchant": m, "night": rng.random() < 0.5, "style": rng.choice(("x99", "round1000", "round500"))}


def mco_eligible(world, prof):
    pw = world.products.get(prof.segment) or world.products["individual"]
    return (_established(world, prof) and ("credit_line" in pw or "installment" in pw)
            and sum(prof.limits.values()) >= world.mco_min_limit)


def mco_install(sim, S, p):
    rng = sim.rng
    m = rng.randint(2, 6)
    sp = rng.uniform(3, 20) * DAY
    times = [0.0] + sorted(rng.uniform(0.5 * DAY, sp) for _ in range(m - 1))
    for x in times:
        tt = int(S + x)
        if p["night"]:
            tt = tt - tt % DAY + rng.choice((21, 22, 23, 0, 1)) * HOUR + rng.randint(0, 3599)
        else:
            tt = tt - tt % DAY + rng.randint(10 * HOUR, 20 * HOUR)
        sim.at(max(tt, int(S)), _mco_draw, sim, p, x == 0.0)
    sim.at(int(S), _set_stress, sim, 0.5)


def _set_stress(t, sim, v):
    sim.stress = max(sim.stress, v)


def _mco_amount(p, cents, rng):
    y = cents // 100
    st = p["style"]
    if st == "x99":
        y = (y // 100) * 100 - 1
    elif st == "round1000":
        y = (y // 1000) * 1000
    else:
        y = (y // 500) * 500
    return max(y, 99) * 100


def _mco_draw(t, sim, p, first):
    rng, w = sim.rng, sim.w
    prods = [pr for pr in usable_products(sim, t) if pr in ("credit_line", "installment")]
    if not prods:
        prods = usable_products(sim, t)
    pr = max(prods, key=lambda x: sim.available(x))
    avail = sim.available(pr)
    if avail < 20000:
        if not first:
            return
        avail = max(avail, int(sim.limit_of(pr) * 100 * 0.5), 20000)
    amt = _mco_amount(p, int(avail * rng.uniform(0.85, 1.0)), rng)
    loan = sim.borrow(t, amt, pr, w.pick_term(sim, pr), "merchant", merchant=p["merchant"], label=LABEL,
                      scen="merchant_cash_out", intent_bad=0.3, managed=True)
    if rng.random() < 0.7:
        sim.at(t + rng.randint(DAY, 6 * DAY), _mco_repay, sim, loan)
    else:
        loan.managed = False
        sim.schedule_decisions(loan)


def _mco_repay(t, sim, loan):
    sim.pay(t, loan, loan.remaining)


# ---------------------------------------------------------------- threshold_structuring
def ts_eligible(world, prof):
    lim = max(prof.limits.values()) if prof.limits else 0
    return _established(world, prof) and lim >= 2.2 * world.threshold


def ts_install(sim, S, p):
    sim.at(S, _ts_start, sim, p)


def _ts_start(t, sim, p):
    rng, w = sim.rng, sim.w
    prods = usable_products(sim, t)
    pr = max(prods, key=lambda x: sim.limit_of(x))
    th = w.threshold
    k = rng.randint(3, 6)
    cur = t
    ch_alt = rng.random() < 0.4
    for i in range(k):
        if rng.random() < 0.5:
            y = th - 100 * rng.randint(1, 3)
        else:
            y = th - rng.choice((1, 1, 10, 20, 50))
        if th >= 50000 and rng.random() < 0.5:
            y = th - 1000 * rng.randint(1, 3)
        sim.at(cur, _ts_draw, sim, pr, y * 100, ch_alt, i == 0)
        cur += rng.randint(600, 4 * HOUR) if p["same_day"] else rng.randint(4 * HOUR, 2 * DAY)
    sim.stress = max(sim.stress, 0.4)


def _ts_draw(t, sim, pr, amt, ch_alt, first):
    rng, w = sim.rng, sim.w
    avail = sim.available(pr)
    if amt > avail and not first:
        if avail >= 0.7 * w.threshold * 100:
            amt = int(avail) // 100 * 100
        else:
            return
    ch = channel_for(sim, pr, rng, avoid="app") if (ch_alt and rng.random() < 0.5) else w.pick_channel(sim, pr)
    sim.borrow(t, amt, pr, w.pick_term(sim, pr), ch, label=LABEL, scen="threshold_structuring", intent_bad=0.3)


# ---------------------------------------------------------------- promo_farming
def promo_group(world, rng, S):
    return {"devices": ["c-d" + hexid(rng, 12) for _ in range(rng.randint(1, 3))],
            "batch": rng.random() < 0.6, "night": rng.random() < 0.4,
            "channel": world.promo["channel"] if rng.random() < 0.7 else "web",
            "segment": "student" if ("student" in world.seg_mix and rng.random() < 0.4) else "individual",
            "repay_late": rng.random() < 0.25}


def promo_prepare(world, prof, S, p, rng):
    prof.open_day = int(S // DAY)
    prof.no_ordinary = True
    prof.segment = p["segment"]
    prof.limits = world.new_account_limit(prof, rng)
    prof.score = int(clip(rng.gauss(620, 40), 350, 950))


def promo_install(sim, S, p):
    sim.at(S, _promo_take, sim, p)


def _promo_take(t, sim, p):
    rng, w = sim.rng, sim.w
    pr = w.promo["product"]
    w.ensure_product(sim, pr, t)
    key = sim.key_of(pr)
    cap = w.promo["cap"]
    sim.limits[key] = max(sim.limits.get(key, 0), cap)
    dev = rng.choice(p["devices"]) if rng.random() < 0.85 else None
    ch = p["channel"]
    if w.product_channel.get(pr) and ch not in w.product_channel[pr]:
        ch = rng.choice(list(w.product_channel[pr]))
    loan = sim.borrow(t, cap * 100, pr, w.promo["term"], ch, device=dev, device_auto=False, label=LABEL,
                      scen="promo_farming", managed=True)
    if p["repay_late"]:
        dt = rng.randint(3 * DAY, 6 * DAY)
    else:
        dt = rng.randint(30 * 60, 2 * DAY)
    sim.at(t + dt, _promo_repay, sim, loan)


def _promo_repay(t, sim, loan):
    sim.pay(t, loan, loan.remaining, label=LABEL, scen="promo_farming")


# ---------------------------------------------------------------- rapid_cycling
def rc_install(sim, S, p):
    rng = sim.rng
    st = {"n": rng.randint(3, 8), "i": 0,
          "dev": ("c-d" + hexid(rng, 12)) if rng.random() < 0.3 else None,
          "unit": rng.choice((1000, 5000, 10000))}
    sim.at(S, _rc_borrow, sim, st)


def _rc_borrow(t, sim, st):
    rng, w = sim.rng, sim.w
    prods = usable_products(sim, t)
    pr = max(prods, key=lambda x: sim.available(x))
    avail = sim.available(pr)
    unit = st["unit"] * 100
    while unit > 10000 and avail * 0.6 < unit:
        unit //= 10
    amt = int(avail * rng.uniform(0.6, 1.0)) // unit * unit
    if amt < min_cents(w, pr):
        if st["i"] > 0:
            return
        amt = max(min_cents(w, pr), int(sim.limit_of(pr) * 100 * 0.5) // unit * unit)
    ch = "app" if st["i"] % 2 == 0 else w.pick_channel(sim, pr)
    dev = st["dev"]
    loan = sim.borrow(t, amt, pr, w.pick_term(sim, pr), ch, device=dev, device_auto=dev is None,
                      label=LABEL, scen="rapid_cycling", managed=True)
    sim.at(t + rng.randint(20 * 60, 2 * DAY), _rc_repay, sim, st, loan)


def _rc_repay(t, sim, st, loan):
    rng = sim.rng
    sim.pay(t, loan, loan.remaining, label=LABEL, scen="rapid_cycling")
    st["i"] += 1
    if st["i"] < st["n"]:
        sim.at(t + rng.randint(10 * 60, 2 * DAY), _rc_borrow, sim, st)


# ---------------------------------------------------------------- registry
def _established(world, prof):
    # an account that exists before the stream and is active enough to have a visible history
    return prof.open_day < 0 and not prof.no_ordinary and prof.rate >= 0.8 * world.rate_mu


def _any_free(world, prof):
    return not prof.no_ordinary


class Typ:
    def __init__(self, name, desc, install, eligible=_established, prepare=None, group=None, group_params=None,
                 timing="short", single_params=None):
        self.name = name
        self.desc = desc
        self.install = install
        self.eligible = eligible
        self.prepare = prepare
        self.group = group
        self.group_params = group_params
        self.timing = timing
        self.single_params = single_params or (lambda rng: {})


TYPOLOGIES = {t.name: t for t in (
    Typ("loan_stacking", "several loans within minutes to two days, often across products and channels, adding up "
        "to near or beyond the limit", stacking_install, eligible=_any_free,
        single_params=lambda rng: {"variant": rng.choice(("minutes", "cross", "cross", "day"))}),
    Typ("borrow_to_repay", "a new loan taken to repay an older one coming due or overdue, sometimes in a spiral",
        btr_install, eligible=_any_free, timing="btr"),
    Typ("account_takeover", "an established account suddenly borrows from a new device, maybe a new channel or odd "
        "hour, cashing out most of the available limit within hours", ato_install,
        eligible=_established,
        single_params=lambda rng: {"night": rng.random() < 0.55, "new_channel": rng.random() < 0.5}),
    Typ("student_overborrowing", "a student borrowing far beyond student norms (frequency, limit push or big-ticket)",
        student_install, eligible=lambda w, p: p.segment == "student" and not p.no_ordinary,
        single_params=lambda rng: {"variant": rng.choice(("frequency", "limit_push", "big_ticket"))}),
    Typ("limit_jump_drain", "a credit limit increase, then most of the new limit drawn quickly", ljd_install,
        eligible=_any_free, single_params=lambda rng: {"two_step": rng.random() < 0.3}),
    Typ("overdue_escalation", "repayments getting later and later while the user keeps borrowing", oe_install,
        eligible=_any_free, timing="long"),
    Typ("bust_out", "first-party bust-out: a young account builds a spotless record of small early-repaid loans, "
        "then maxes out every product in a day or two and never pays again", bust_install,
        eligible=lambda w, p: _established(w, p) and p.segment != "student", prepare=bust_prepare),
    Typ("synthetic_id_ring", "a ring of freshly opened synthetic-identity accounts sharing devices and profile, "
        "each cashing out its first limit (sometimes after a small warm-up loan) and never repaying",
        ring_install, eligible=_any_free, prepare=ring_prepare, group=(3, 7), group_params=ring_group,
        timing="fresh"),
    Typ("merchant_cash_out", "collusive-merchant cash-out: several customers repeatedly draw near-limit round "
        "amounts at the same merchant, often at night, recycling the line", mco_install, eligible=mco_eligible,
        group=(3, 7), group_params=mco_group, timing="fresh"),
    Typ("threshold_structuring", "a burst of loans each just under the lender's manual-review threshold, "
        "together far above it", ts_install, eligible=ts_eligible,
        single_params=lambda rng: {"same_day": rng.random() < 0.5}),
    Typ("promo_farming", "new-customer promotion abuse: batches of fresh accounts on a few shared devices each take "
        "exactly the promo loan and repay it at once, then go dormant", promo_install, eligible=_any_free,
        prepare=promo_prepare, group=(4, 12), group_params=promo_group, timing="fresh"),
    Typ("rapid_cycling", "pass-through cycling: large round loans repaid in full within hours to two days, "
        "repeated, as in laundering or score gaming", rc_install,
        eligible=lambda w, p: _established(w, p) and p.segment != "student"),
)}


def start_day(typ, rng, H, T, phase):
    D = H + T
    if phase == "hist":
        lo, hi = {"long": (1, H - 20), "btr": (1, H - 20)}.get(typ.timing, (2, H - 4))
        hi = min(hi, H - 1)
    else:
        lo, hi = {"long": (H - 12, H + T - 6), "btr": (H - 5, H + T - 6),
                  "fresh": (H + 0.1, H + T - 3)}.get(typ.timing, (H + 0.1, H + T - 2.5))
        lo = max(lo, H - 12)
    lo = clip(lo, 0.3, D - 0.5)
    hi = clip(hi, lo, D - 0.5)
    return span(rng, lo, hi)


def plan_episodes(world, profiles, rng):
    """Choose hosts and start times. Returns {user_idx: (typology, S_seconds, params)}."""
    U = len(profiles)
    H, T = world.H, world.T
    n_test = max(1, round(U * 3.2 / 1000))
    n_hist = max(1, round(U * 2.0 / 1000))
    used = set()
    eps = {}
    for name in world.typologies:
        typ = TYPOLOGIES[name]
        for phase, n in (("hist", n_hist), ("test", n_test)):
            if phase == "test" and T <= 0:
                continue
            cand = [p.idx for p in profiles if p.idx not in used and typ.eligible(world, p)]
            rng.shuffle(cand)
            count = 0
            while count < n and cand:
                S = int(start_day(typ, rng, H, T, phase) * DAY)
                if typ.group:
                    g = rng.randint(*typ.group)
                    gp = typ.group_params(world, rng, S)
                    members = []
                    while len(members) < g and cand:
                        members.append(cand.pop())
                    for m in members:
                        sm = S + (rng.randint(0, 3 * DAY) if typ.name != "promo_farming" or not gp["batch"]
                                  else rng.randint(0, 3 * HOUR))
                        if gp.get("night") and typ.name == "promo_farming":
                            sm = sm - sm % DAY + odd_second(rng)
                        sm = min(sm, (H + T) * DAY - 1)
                        if typ.prepare:
                            typ.prepare(world, profiles[m], sm, gp, rng)
                        eps[m] = (name, sm, gp)
                        used.add(m)
                    count += len(members)
                else:
                    m = cand.pop()
                    p = typ.single_params(rng)
                    if typ.prepare:
                        typ.prepare(world, profiles[m], S, p, rng)
                    eps[m] = (name, S, p)
                    used.add(m)
                    count += 1
    return eps
