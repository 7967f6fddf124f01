"""Anomalous episodes. Each function writes one episode for one user.

Signature: ``fn(ctx, u, t0, info) -> (t_end, keeps_borrowing)``. Events of the
episode carry label 1 and the typology name; everything else stays label 0.
See the package docstring for the description of every typology.
"""
from __future__ import annotations

from .engine import DAY, HOUR, make_schedule, pay_time, plan_repayments, wchoice


def _bad(u):
    return u.rng.random() < u.ctx.world.p_bad_risky


def _prods(u):
    return [p for p, w in sorted(u.extra["prods"].items(), key=lambda kv: -kv[1])]


def _term(u, p):
    return wchoice(u.rng, u.ctx.world.products[p]["terms"])


def _split(rng, total, n):
    ws = [rng.uniform(0.5, 1.5) for _ in range(n)]
    s = sum(ws)
    return [total * x / s for x in ws]


def _chan(u, p, avoid=()):
    spec = u.ctx.world.products[p]["channels"]
    opts = [c for c in spec if c not in avoid] or list(spec)
    return u.rng.choice(opts)


def _rd(u, p, x):
    return u.ctx.world.round_amount(p, x)


def _finish(u, ln, bad):
    plan_repayments(u, ln, "bad" if bad else u.habit)


def _short(u):
    w = u.ctx.world
    p = w.short_product if w.short_product in u.extra["prods"] else _prods(u)[0]
    return p, w.short_terms


# ---------------------------------------------------------------- six named
def loan_stacking(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "loan_stacking"
    variant = rng.choice(("burst", "spread", "multichannel", "just_below"))
    prods = _prods(u)
    rng.shuffle(prods)
    bad = _bad(u)
    if variant == "burst":
        n, gap = rng.randint(3, 7), (30, 900)
    elif variant == "spread":
        n, gap = rng.randint(3, 5), (HOUR, 16 * HOUR)
    elif variant == "multichannel":
        n, gap = rng.randint(3, 5), (120, 2400)
    else:
        n, gap = rng.randint(2, 4), (60, 5 * HOUR)
    second_dev = w.new_device(rng) if rng.random() < 0.3 else None
    if not w.per_product:
        L = max(u.limit_at(t0), 500.0)
        if variant == "just_below":
            amts = [L * rng.uniform(0.82, 0.99) for _ in range(n)]
        else:
            amts = _split(rng, L * rng.uniform(1.0, 1.8) - max(0.0, u.outstanding_at(t0)) * 0.3, n)
    t, used = t0, []
    for i in range(n):
        p = prods[0] if variant == "multichannel" else prods[i % len(prods)]
        if w.per_product:
            a = max(u.limit_at(t, p), 300.0) * rng.uniform(0.8, 1.0)
            if p in [x for x, _ in used]:
                a *= rng.uniform(0.5, 1.0)
        else:
            a = amts[i]
        ch = _chan(u, p, avoid=[c for _, c in used]) if variant != "spread" else None
        dev = second_dev if (second_dev and i % 2) else "auto"
        ln = u.add_loan(t, _rd(u, p, max(a, w.min_amount(p))), p, _term(u, p), channel=ch, device=dev,
                        label=1, scen=S, plan="never")
        used.append((p, ln.ev.fields["channel"]))
        _finish(u, ln, bad)
        t += rng.randint(*gap)
    return t, not bad


def borrow_to_repay(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "borrow_to_repay"
    sp, terms = _short(u)
    old = None
    for ln in u.loans:
        if ln.t < t0 - DAY and ln.ev.label == 0 and any(t0 - 6 * DAY <= d <= t0 + 4 * DAY for d, _ in ln.schedule):
            if sum(e.amount for e in ln.reps if e.t <= t0 - DAY) < ln.total * 0.9:
                old = ln
                break
    if old is not None:
        u.drop_reps_after(old, t0 - DAY)
    else:
        term = wchoice(rng, terms)
        t_old = max(u.join + HOUR, t0 - term * DAY + rng.randint(-2, 3) * DAY, HOUR)
        term = max(7, int(round((t0 - t_old) / DAY)) + rng.randint(-1, 2))
        a = u.ctx.world.typical_amount(u, sp)
        old = u.add_loan(t_old, _rd(u, sp, a), sp, term, plan="never")
    steps = 1 if rng.random() < 0.5 else rng.randint(2, 4)
    bad = _bad(u)
    prods = _prods(u)
    t_new = t0
    for _ in range(steps):
        paid = sum(e.amount for e in old.reps)
        due = next((d for d, _ in old.schedule if d >= max(old.t + DAY, t_new - 6 * DAY)), old.schedule[-1][0])
        t_new = max(due + rng.randint(-3 * DAY, 5 * DAY), old.t + DAY)
        remaining = old.total - paid
        p = old.product if rng.random() < 0.5 else rng.choice(prods)
        term = wchoice(rng, terms) if p == sp else _term(u, p)
        new = u.add_loan(t_new, _rd(u, p, remaining * rng.uniform(0.8, 2.0)), p, term,
                         label=1, scen=S, plan="never")
        r = rng.random()
        gap = rng.randint(300, 5400) if r < 0.5 else (rng.randint(2, 10) * HOUR if r < 0.7
                                                        else rng.randint(1, 2) * DAY + rng.randint(0, 8 * HOUR))
        u.add_rep(old, t_new + gap, remaining, due, label=1, scen=S)
        old = new
    _finish(u, old, bad)
    return t_new + 2 * DAY, not bad


def account_takeover(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "account_takeover"
    dev = w.new_device(rng)
    odd = rng.random() < 0.55
    day0 = t0 - t0 % DAY
    t = day0 + (rng.randint(0, 5 * HOUR - 1) if odd else w.sample_sec(rng, w.cum_hours))
    t = max(t, u.join + 10 * DAY)
    usual = u.events[-1].loan.ev.fields["channel"] if u.events else "app"
    switch = rng.random() < 0.6
    prods = [p for p in _prods(u) if p not in ("merchant_loan", "wealth_pledge")] or _prods(u)
    if rng.random() < 0.35:
        p = prods[0]
        u.add_loan(t, _rd(u, p, rng.uniform(100, 600)), p, _term(u, p), device=dev,
                   channel=_chan(u, p, avoid=[usual]) if switch else None, label=1, scen=S, plan="never")
        t += rng.randint(300, 3600)
    n = rng.randint(1, 4)
    if w.per_product:
        targets = [(p, max(300.0, u.avail(t, p)) * rng.uniform(0.7, 1.0)) for p in prods[:n]]
    else:
        av = max(500.0, u.avail(t))
        ps = [prods[0] if rng.random() < 0.6 else rng.choice(prods) for _ in range(n)]
        targets = list(zip(ps, _split(rng, av * rng.uniform(0.7, 1.0), n)))
    victim_pays = rng.random() > w.p_bad_risky
    merch = w.new_merchant(rng)
    for p, a in targets:
        ch = _chan(u, p, avoid=[usual]) if switch else None
        ln = u.add_loan(t, _rd(u, p, max(a, w.min_amount(p))), p, _term(u, p), channel=ch, device=dev,
                        merchant=merch, label=1, scen=S, plan="never")
        if victim_pays:
            plan_repayments(u, ln, "late_few" if rng.random() < 0.7 else "on_time")
        t += rng.randint(120, 2 * HOUR)
    return t + rng.randint(1, 4) * DAY, True


def student_overborrowing(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "student_overborrowing"
    bad = _bad(u)
    variant = rng.choice(("many_small", "big_tickets", "multi_partner", "limit_chase"))
    prods = _prods(u)
    L = max(u.limit_at(t0, prods[0]), 800.0)
    t = t0
    if variant == "many_small":
        n = rng.randint(8, 16)
        for _ in range(n):
            p = rng.choice(prods)
            a = w.typical_amount(u, p) * rng.uniform(0.8, 2.0)
            ln = u.add_loan(t, _rd(u, p, a), p, _term(u, p), label=1, scen=S, plan="never")
            _finish(u, ln, bad)
            t += rng.randint(2 * HOUR, 40 * HOUR)
    elif variant == "big_tickets":
        newL = round(L * rng.uniform(2.0, 4.0), -2)
        u.set_limit_shown(t - rng.randint(600, 2 * DAY), newL, prods[0])
        for _ in range(rng.randint(2, 4)):
            p = "installment" if "installment" in prods and rng.random() < 0.6 else prods[0]
            a = newL * rng.uniform(0.35, 0.8)
            ln = u.add_loan(t, _rd(u, p, a), p, max(_term(u, p), 90), label=1, scen=S, plan="never",
                            purpose="education" if rng.random() < 0.4 else "consumption")
            _finish(u, ln, bad)
            t += rng.randint(3 * HOUR, 2 * DAY)
    elif variant == "multi_partner":
        for _ in range(rng.randint(4, 8)):
            p = rng.choice(prods)
            ch = "partner" if "partner" in w.products[p]["channels"] else None
            ln = u.add_loan(t, _rd(u, p, L * rng.uniform(0.6, 1.0)), p, _term(u, p), channel=ch,
                            label=1, scen=S, plan="never")
            _finish(u, ln, bad)
            t += rng.randint(4 * HOUR, 2 * DAY)
    else:  # limit_chase: borrow the limit, repay fast, limit raised, borrow more
        p = prods[0]
        for _ in range(rng.randint(4, 7)):
            ln = u.add_loan(t, _rd(u, p, u.limit_at(t, p) * rng.uniform(0.85, 1.0)), p, _term(u, p),
                            label=1, scen=S, plan="never")
            tr = t + rng.randint(8 * HOUR, 3 * DAY)
            u.add_rep(ln, tr, ln.total * rng.uniform(0.5, 1.0), ln.schedule[0][0], label=1, scen=S)
            L = round(u.limit_at(tr, p) * rng.uniform(1.2, 1.6), -2)
            u.set_limit_shown(tr + rng.randint(600, 6 * HOUR), L, p)
            t = tr + rng.randint(6 * HOUR, 2 * DAY)
        ln = u.add_loan(t, _rd(u, p, u.limit_at(t, p) * rng.uniform(0.9, 1.0)), p, _term(u, p),
                        label=1, scen=S, plan="never")
        _finish(u, ln, bad)
    return t + DAY, not bad


def limit_jump_drain(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "limit_jump_drain"
    bad = _bad(u)
    p = _prods(u)[0]
    t_inc = t0
    L = max(u.limit_at(t_inc, p), 500.0)
    if rng.random() < 0.3:  # two-step raise
        mid = round(L * rng.uniform(1.2, 1.6), -2)
        u.set_limit_shown(t_inc, mid, p)
        t_inc += rng.randint(1, 5) * DAY
        L = mid
    newL = round(L * rng.uniform(1.5, 5.0), -2)
    u.set_limit_shown(t_inc, newL, p)
    t = t_inc + (rng.randint(1200, 8 * HOUR) if rng.random() < 0.55 else rng.randint(DAY, 4 * DAY))
    room = max(newL * 0.5, u.avail(t, p))
    n = rng.randint(1, 4)
    prods = _prods(u)
    for a in _split(rng, room * rng.uniform(0.8, 1.0), n):
        q = p if (w.per_product or rng.random() < 0.7) else rng.choice(prods)
        ln = u.add_loan(t, _rd(u, q, a), q, _term(u, q), label=1, scen=S, plan="never",
                        limit=u.limit_at(t, q))
        _finish(u, ln, bad)
        t += rng.randint(300, 6 * HOUR)
    return t, not bad


def overdue_escalation(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "overdue_escalation"
    bad = _bad(u)
    sp, terms = _short(u)
    n = rng.randint(4, 8)
    t = t0
    loans = []
    base = w.typical_amount(u, sp)
    grow = rng.uniform(1.0, 1.25)
    for i in range(n):
        a = base * grow ** i * rng.uniform(0.8, 1.2)
        ln = u.add_loan(t, _rd(u, sp, a), sp, wchoice(rng, terms), label=1, scen=S, plan="never")
        loans.append(ln)
        t += rng.randint(3 * DAY, 11 * DAY) + rng.randint(0, DAY)
    items = sorted(((d, a, ln) for ln in loans for d, a in ln.schedule), key=lambda x: x[0])
    l0, inc, gr = rng.choice((0, 0, 1, 2)), rng.uniform(1.5, 4.0), rng.uniform(1.1, 1.6)
    stop_at = len(items) - rng.randint(1, 2) if bad else len(items) + 1
    last = {}
    prev = -1
    for k, (due, amt, ln) in enumerate(items):
        if k >= stop_at:
            break
        late = max(prev, int(round(l0 + inc * k ** gr + rng.uniform(-1, 1))))
        prev = late
        tp = pay_time(u, due, late, last.get(ln.lid, ln.t))
        if rng.random() < 0.25:
            part = amt * rng.uniform(0.3, 0.7)
            u.add_rep(ln, tp, part, due, label=1, scen=S)
            tp += rng.randint(2, 7) * DAY
            u.add_rep(ln, tp, amt - part, due, label=1, scen=S)
        else:
            u.add_rep(ln, tp, amt, due, label=1, scen=S)
        last[ln.lid] = tp
    if not bad:
        u.habit = "late_few"
        u.extra["late_mean"] = max(u.extra.get("late_mean", 3), 4)
    return t, not bad


# ---------------------------------------------------------------- own
def first_payment_default(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "first_payment_default"
    dev = w.new_device(rng)
    u.set_device(t0 - 1, dev)
    variant = rng.choice(("one_shot", "split", "tiny_pay"))
    prods = _prods(u)
    t = t0 + rng.randint(300, 90 * 60)
    p = prods[0]
    if variant == "one_shot":
        ln = u.add_loan(t, _rd(u, p, u.limit_at(t, p) * rng.uniform(0.9, 1.0)), p, _term(u, p),
                        label=1, scen=S, plan="never")
        return t, False
    n = rng.randint(2, 3)
    first = None
    for a in _split(rng, u.limit_at(t, p) * rng.uniform(0.85, 1.0), n):
        q = rng.choice(prods) if not w.per_product else p
        ln = u.add_loan(t, _rd(u, q, a), q, _term(u, q), label=1, scen=S, plan="never")
        first = first or ln
        t += rng.randint(HOUR, 30 * HOUR)
    if variant == "tiny_pay":
        d, a = first.schedule[0]
        u.add_rep(first, min(d, first.t + rng.randint(2, 9) * DAY), a * rng.uniform(0.03, 0.15), d,
                  label=1, scen=S)
    return t, False


def device_farm(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "device_farm"
    k = info["member"]
    dev = info["devices"][k % len(info["devices"])]
    u.set_device(t0 - 1, dev)
    p = info["product"] if info["product"] in u.extra["prods"] else _prods(u)[0]
    t = t0 + rng.randint(120, 2 * HOUR)
    bad = rng.random() < max(0.7, w.p_bad_risky)
    if info["variant"] == "warmup":
        ln = u.add_loan(t, _rd(u, p, info["amount"] * rng.uniform(0.15, 0.3)), p, _term(u, p),
                        channel=info["channel"], device=dev, label=1, scen=S, plan="never")
        tr = t + rng.randint(DAY, 5 * DAY)
        u.add_rep(ln, tr, ln.total, ln.schedule[0][0], label=1, scen=S)
        t = tr + rng.randint(HOUR, DAY)
    for _ in range(rng.choice((1, 1, 2))):
        a = min(info["amount"] * rng.uniform(0.96, 1.04), max(u.limit_at(t, p), 200.0))
        ln = u.add_loan(t, _rd(u, p, a), p, _term(u, p), channel=info["channel"], device=dev,
                        label=1, scen=S, plan="never")
        if not bad:
            plan_repayments(u, ln, "late_few")
        t += rng.randint(HOUR, 20 * HOUR)
    return t, False


def loan_flipping(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "loan_flipping"
    bad = _bad(u)
    p = _prods(u)[0]
    t = t0
    L = max(u.limit_at(t, p), 500.0)
    x = L * rng.uniform(0.3, 0.6)
    for _ in range(rng.randint(4, 8)):
        ln = u.add_loan(t, _rd(u, p, x), p, _term(u, p), label=1, scen=S, plan="never")
        tr = t + rng.randint(6 * HOUR, 4 * DAY)
        u.add_rep(ln, tr, ln.total, ln.schedule[0][0], label=1, scen=S)
        L = round(L * rng.uniform(1.1, 1.35), -2)
        u.set_limit_shown(tr + rng.randint(600, 12 * HOUR), L, p)
        t = tr + rng.randint(1800, 36 * HOUR)
        x = min(L * rng.uniform(0.6, 0.95), x * rng.uniform(1.1, 1.5))
    L = u.limit_at(t, p)
    for a in _split(rng, L * rng.uniform(0.9, 1.0), rng.randint(1, 2)):
        ln = u.add_loan(t, _rd(u, p, a), p, _term(u, p), label=1, scen=S, plan="never")
        _finish(u, ln, bad)
        t += rng.randint(600, 5 * HOUR)
    return t + DAY, not bad


def sleeper_cashout(ctx, u, t0, info):
    rng, w = u.rng, ctx.world
    S = "sleeper_cashout"
    bad = _bad(u)
    dev = "auto" if rng.random() < 0.7 else w.new_device(rng)
    variant = rng.choice(("all_products", "single_max", "drip"))
    prods = _prods(u)
    t = t0
    if variant == "all_products":
        for p in prods[:4]:
            ln = u.add_loan(t, _rd(u, p, max(300.0, u.avail(t, p)) * rng.uniform(0.85, 1.0)), p, _term(u, p),
                            device=dev, label=1, scen=S, plan="never")
            _finish(u, ln, bad)
            t += rng.randint(120, 90 * 60)
    elif variant == "single_max":
        p = prods[0]
        ln = u.add_loan(t, _rd(u, p, u.limit_at(t, p) * rng.uniform(0.95, 1.0)), p, _term(u, p),
                        device=dev, label=1, scen=S, plan="never")
        _finish(u, ln, bad)
        t2 = t + rng.randint(HOUR, 20 * HOUR)
        q = rng.choice(prods)
        ln = u.add_loan(t2, _rd(u, q, max(200.0, u.avail(t2, q)) * rng.uniform(0.5, 1.0)), q, _term(u, q),
                        device=dev, label=1, scen=S, plan="never")
        _finish(u, ln, bad)
        t = t2
    else:
        p = prods[0]
        n = rng.randint(3, 5)
        for a in _split(rng, max(500.0, u.avail(t, p)) * rng.uniform(0.9, 1.2), n):
            ln = u.add_loan(t, _rd(u, p, a), p, _term(u, p), device=dev, label=1, scen=S, plan="never")
            _finish(u, ln, bad)
            t += rng.randint(1800, 8 * HOUR)
    return t + DAY, not bad


# kind: established / new / student / dormant / fresh (joined a few days before)
# min_age: days since join before t0; lead: days before the test window a
# test-window episode may start; span: typical duration in days.
SPECS = {
    "loan_stacking": dict(fn=loan_stacking, kind="established", min_age=3, lead=1, span=2),
    "borrow_to_repay": dict(fn=borrow_to_repay, kind="established", min_age=2, lead=1, span=12),
    "account_takeover": dict(fn=account_takeover, kind="established", min_age=14, lead=0.5, span=1),
    "student_overborrowing": dict(fn=student_overborrowing, kind="student", min_age=2, lead=8, span=14),
    "limit_jump_drain": dict(fn=limit_jump_drain, kind="established", min_age=7, lead=3, span=5),
    "overdue_escalation": dict(fn=overdue_escalation, kind="established", min_age=0, lead=26, span=50),
    "first_payment_default": dict(fn=first_payment_default, kind="new", min_age=0, lead=1, span=3),
    "device_farm": dict(fn=device_farm, kind="new", min_age=0, lead=1, span=3),
    "loan_flipping": dict(fn=loan_flipping, kind="fresh", min_age=0, lead=12, span=22),
    "sleeper_cashout": dict(fn=sleeper_cashout, kind="dormant", min_age=22, lead=0.5, span=1),
}
