"""Single-user risk episodes. Each planner gets the user's simulation, a random
source, the episode day and an intensity s in [0, 1] (0 subtle, 1 blatant), and
pushes label-1 requests whose amounts and follow-ups are decided when they run."""

from __future__ import annotations

from .clock import DAY, HOUR, MINUTE
from .engine import Intent

CASHY = ("cash_loan", "merchant_loan", "wealth_pledge", "credit_line", "installment")


def ep_mode(ctx, r, boost: float = 0.0) -> str:
    """The outcome of a whole episode: goes bad with the world's episode_bad chance."""
    return "bad" if r.random() < min(0.97, ctx.world.episode_bad + boost) else "habit"


def seg_products(ctx, u) -> list[str]:
    return [p for p, _ in ctx.world.segments[u.segment].products]


def cash_product(ctx, u) -> str:
    prods = seg_products(ctx, u)
    for p in CASHY:
        if p in prods:
            return p
    return prods[0]


def terms(ctx, product: str) -> list[int]:
    return sorted(t for t, _ in ctx.products[product].terms)


def short_terms(ctx, product: str, cap: int = 45) -> list[int]:
    ts = terms(ctx, product)
    return [t for t in ts if t <= cap] or ts[:1]


def channel(ctx, product: str, r, avoid: str | None = None) -> str:
    ch = [c for c, _ in ctx.products[product].channels]
    if avoid and len(ch) > 1 and avoid in ch:
        ch.remove(avoid)
    return r.choice(ch)


def rounded(ctx, product: str, cents: float) -> int:
    return ctx.round_amount(ctx.products[product], cents / 100)


def _target(sim, products, frac):
    """Room to fill: the total room, or the sum of the products' own rooms."""
    if sim.limits is None:
        room = sim.room(products[0])
        lim = sim.limit
    else:
        ps = set(products)
        room = sum(sim.room(p) for p in ps)
        lim = sum(sim.lim(p) for p in ps)
    return int(max(room, 0.35 * lim) * frac)


def _split(r, k: int) -> list[float]:
    xs = [r.uniform(0.5, 1.5) for _ in range(k)]
    s = sum(xs)
    return [x / s for x in xs]


def _shared_amounts(ctx, products, frac, shares, s, r):
    """Amount functions for legs that together fill `frac` of the room found when
    the first leg runs; capped at each product's maximum; round amounts, except
    that subtle episodes keep the cents of checkout products."""
    state: dict = {}

    def make(i):
        p = ctx.products[products[i]]
        keep_cents = p.cents and r.random() > s

        def f(sim, t, room):
            if "target" not in state:
                state["target"] = _target(sim, products, frac)
            c = min(int(state["target"] * shares[i]), int(p.hi * 100))
            step = p.step * 100
            return c if keep_cents or c <= step else c - c % step
        return f
    return make


def loan_stacking(ctx, sim, r, day, s, name):
    """2-6 loans within minutes (blatant) or over a day or two (subtle), across
    products and channels, adding up to 80-125 % of the room. Partner-channel
    legs use the world's lagging partner check, so they can pass the limit."""
    u = sim.u
    k = 2 + round(s * r.uniform(1, 4))
    combos = [(p, c) for p in seg_products(ctx, u) for c, _ in ctx.products[p].channels]
    r.shuffle(combos)
    combos.sort(key=lambda pc: pc[1])  # spread over channels first
    seen, picks = set(), []
    for pc in combos:
        if pc[1] not in seen:
            seen.add(pc[1])
            picks.append(pc)
    while len(picks) < k:
        picks.append(r.choice(combos))
    r.shuffle(picks)
    picks = picks[:k]
    frac = r.uniform(0.8, 0.95) + 0.3 * s * r.random()
    make = _shared_amounts(ctx, [p for p, _ in picks], frac, _split(r, k), s, r)
    mode = ep_mode(ctx, r)
    t = sim.hour_time(day, odd=r.random() < 0.3 * s)
    fast = r.random() < 0.25 + 0.7 * s
    for i, (p, c) in enumerate(picks):
        if i:
            t += r.randint(20, 15 * MINUTE) if fast else int(r.uniform(0.5, 20) * HOUR)
        ts = terms(ctx, p)
        term = ts[-1] if r.random() < 0.3 + 0.4 * s else r.choice(ts)
        sim.intent(t, Intent(p, 0, term, c, purpose=ctx.purpose(p, u, r), label=1, scenario=name, fit=True,
                             min_cents=int(ctx.products[p].lo * 100), repay=mode, amount_fn=make(i),
                             stale=(c == "partner")))


def borrow_to_repay(ctx, sim, r, day, s, name):
    """A short loan is repaid with a new loan taken around its due date (before,
    on, or after it); the repayment comes minutes (blatant) to days after the new
    loan. Up to 4-6 links, each a little larger, the last one goes bad or not."""
    u, w = sim.u, ctx.world
    prod = w.short_product if w.short_product in seg_products(ctx, u) else cash_product(ctx, u)
    sts = short_terms(ctx, prod)
    fits = [t for t in sts if t <= day]
    term0 = r.choice(fits or sts[:1])
    links = 1 + int(s * r.uniform(0, 3.99)) + (r.randint(0, 2) if term0 <= 14 else 0)
    timing = r.choice(("before", "at", "after"))
    growth = r.uniform(1.0, 1.1 + 0.3 * s)
    fast = r.random() < 0.3 + 0.6 * s
    final = ep_mode(ctx, r)
    others = [p for p in seg_products(ctx, u) if p != prod and short_terms(ctx, p)[0] <= 60]

    def link(prev, k):
        off = {"before": -r.uniform(0.2, 3), "at": r.uniform(-0.5, 0.5), "after": r.uniform(0.5, 5)}[timing]
        tn = max(prev.due + int(off * DAY), prev.t + HOUR)
        pk = r.choice(others) if others and r.random() < 0.35 else prod
        term = r.choice(short_terms(ctx, pk, 60))
        amt = rounded(ctx, pk, prev.balance * growth)
        sim.intent(tn, Intent(pk, amt, term, channel(ctx, pk, r), purpose=ctx.purpose(pk, u, r), label=1,
                              scenario=name, fit=True, min_cents=int(ctx.products[pk].lo * 100),
                              repay="none" if k < links else final, on_loan=paid(prev, k),
                              on_decline=lambda sim_, t: sim_.schedule(prev, "bad")))

    def paid(prev, k):
        def cb(sim_, loan):
            dt = r.randint(2 * MINUTE, 90 * MINUTE) if fast else r.randint(3 * HOUR, 3 * DAY)
            cents = min(loan.cents, prev.balance)
            sim_.repay_at(loan.t + dt, prev, cents, label=1, scenario=name)
            if cents < prev.balance and r.random() < 0.5:
                sim_.repay_at(prev.due + r.randint(20, 50) * DAY, prev, None, label=1, scenario=name)
            if k < links:
                link(loan, k + 1)
        return cb

    seed = min(sim.typical(prod) * r.uniform(1, 2), sim.lim(prod) * 0.35)
    seed = rounded(ctx, prod, max(seed, ctx.products[prod].lo * 100))
    # the seed loan falls due (and the first link happens) around the episode day
    sim.intent(sim.hour_time(max(0, day - term0)), Intent(prod, seed, term0, channel(ctx, prod, r),
                                          purpose=ctx.purpose(prod, u, r), fit=True,
                                          min_cents=int(ctx.products[prod].lo * 100), repay="none",
                                          on_loan=lambda sim_, loan: link(loan, 1)))


def account_takeover(ctx, sim, r, day, s, name):
    """An established account borrows from a new device, often at 0-5 h and on a
    channel the owner rarely uses, cashing out 50-100 % of the room in 1-3 loans
    (sometimes after a tiny test loan). The owner mostly never repays."""
    u = sim.u
    dev = ctx.new_id("d", r)
    prod = cash_product(ctx, u)
    if r.random() < 0.25:
        alt = [p for p in seg_products(ctx, u) if "merchant" in dict(ctx.products[p].channels)]
        prod = r.choice(alt) if alt else prod
    t = sim.hour_time(day, odd=r.random() < 0.25 + 0.65 * s)
    chans = [c for c, _ in ctx.products[prod].channels]
    ch = r.choice([c for c in chans if c in ("web", "partner")] or chans) if r.random() < 0.3 + 0.5 * s else (
        "app" if "app" in chans else chans[0])
    if ch == "partner":
        dev = ctx.new_id("p", r) if ctx.world.partner_device else "-"
    elif ch == "web":
        dev = ctx.new_id("w", r)  # a browser never seen before
    k = 1 if r.random() < 0.5 else r.randint(2, 3)
    frac = r.uniform(0.5, 0.8) + 0.25 * s * r.random()
    frac = max(frac, 0.9) if s > 0.75 else frac
    make = _shared_amounts(ctx, [prod] * k, frac, _split(r, k), s, r)
    mode = ("none" if r.random() < 0.6 else "bad") if r.random() < min(0.97, ctx.world.episode_bad + 0.15) \
        else "habit"
    ts = terms(ctx, prod)
    if r.random() < 0.25:  # a tiny test loan first
        lo = int(ctx.products[prod].lo * 100)
        sim.intent(t, Intent(prod, rounded(ctx, prod, lo * r.uniform(1, 3)), ts[0], ch, device=dev,
                             purpose=ctx.purpose(prod, u, r), label=1, scenario=name, repay=mode))
        t += r.randint(2 * MINUTE, 40 * MINUTE)
    term = ts[-1] if r.random() < 0.6 else r.choice(ts)
    merchant = ctx.fresh_merchant(r) if ch == "merchant" and r.random() < 0.5 else None
    for i in range(k):
        if i:
            t += r.randint(MINUTE, 20 * MINUTE) if s > 0.5 else r.randint(20 * MINUTE, 8 * HOUR)
        sim.intent(t, Intent(prod, 0, term, ch, device=dev, merchant=merchant, purpose=ctx.purpose(prod, u, r),
                             label=1, scenario=name, fit=True, min_cents=int(ctx.products[prod].lo * 100),
                             repay=mode, amount_fn=make(i)))


def student_overborrowing(ctx, sim, r, day, s, name):
    """A student borrows far beyond peers for 4-25 days, in one of two variants:
    a spree (5-16 loans of 0.8-2x the peer amount, many repaid within days only to
    borrow again) or a splurge (a limit raise on request, then 2-4 loans of
    2.5-5x the peer amount filling the limit). Night hours and several channels;
    consumption rather than education."""
    u = sim.u
    prods = seg_products(ctx, u)
    wts = {"cash_loan": 0.5, "installment": 0.3, "credit_line": 0.2}
    pw = [wts.get(p, 0.1) for p in prods]
    spree = r.random() < 0.55
    span = r.uniform(4, 10 + 15 * (1 - s))
    n = (5 + round(s * r.uniform(2, 11))) if spree else r.randint(2, 4)
    mode = ep_mode(ctx, r, -0.05)
    night = 0.2 + 0.5 * s
    times = sorted(day * DAY + int(r.uniform(0, span) * DAY) for _ in range(n))
    if not spree:
        sim.limit_at(times[0] - r.randint(HOUR, 2 * DAY), mul=r.uniform(1.3, 2.0))
    for t in times:
        p = r.choices(prods, pw)[0]
        if r.random() < night:
            t = (t // DAY) * DAY + r.choice((0, 1, 2, 3, 23)) * HOUR + r.randrange(HOUR)
        mult = r.uniform(0.8, 2) if spree else r.uniform(2.5, 5)
        amt = rounded(ctx, p, ctx.products[p].median * 100 * mult)
        purpose = ctx.purpose(p, u, r)
        if purpose == "education" and r.random() < 0.7:
            purpose = "consumption"
        rep = ("early", r.randint(6 * HOUR, 3 * DAY)) if spree and r.random() < 0.4 else mode
        sim.intent(t, Intent(p, amt, r.choice(terms(ctx, p)), channel(ctx, p, r), purpose=purpose, label=1,
                             scenario=name, fit=True, min_cents=int(ctx.products[p].lo * 100), repay=rep))


def limit_jump_drain(ctx, sim, r, day, s, name):
    """After a clean payoff the limit is raised 1.2-4x, and within minutes
    (blatant) to a week (subtle) 1-3 loans drain 70-100 % of the new room."""
    u = sim.u
    prod = cash_product(ctx, u)
    if sim.limits is not None:
        prod = max(seg_products(ctx, u), key=lambda p: sim.lim(p))
    raise_t = sim.hour_time(day)
    pre = raise_t - r.randint(3, 12) * DAY
    small = rounded(ctx, prod, min(sim.typical(prod), 0.3 * sim.lim(prod)))
    sim.intent(pre, Intent(prod, small, short_terms(ctx, prod, 90)[0], channel(ctx, prod, r),
                           purpose=ctx.purpose(prod, u, r), fit=True, min_cents=int(ctx.products[prod].lo * 100),
                           repay=("early", r.randint(6 * HOUR, 2 * DAY))))
    mul = 1.2 + (0.3 + 2.5 * s) * r.random()
    sim.limit_at(raise_t, mul=mul, product=prod if sim.limits is not None else None)
    t = raise_t + (r.randint(5 * MINUTE, 3 * HOUR) if r.random() < 0.3 + 0.6 * s else int(r.uniform(0.5, 7) * DAY))
    k = r.choice((1, 1, 2, 3))
    make = _shared_amounts(ctx, [prod] * k, r.uniform(0.7, 0.85) + 0.15 * s, _split(r, k), s, r)
    mode = ep_mode(ctx, r)
    ts = terms(ctx, prod)
    for i in range(k):
        if i:
            t += r.randint(2 * MINUTE, 6 * HOUR)
        term = ts[-1] if r.random() < 0.5 + 0.4 * s else r.choice(ts)
        sim.intent(t, Intent(prod, 0, term, channel(ctx, prod, r), purpose=ctx.purpose(prod, u, r), label=1,
                             scenario=name, fit=True, min_cents=int(ctx.products[prod].lo * 100), repay=mode,
                             amount_fn=make(i)))


def overdue_escalation(ctx, sim, r, day, s, name):
    """3-7 short loans, each repaid later than the last (0-2, then x1.6-2.8 more
    days late), the next loan taken while the previous one is still overdue;
    some payments are partial, and the last loan goes bad or very late."""
    u, w = sim.u, ctx.world
    prods = seg_products(ctx, u)
    prod = min(prods, key=lambda p: (terms(ctx, p)[0], p != w.short_product))
    sts = short_terms(ctx, prod, 30)
    n = 3 + round(s * r.uniform(1, 4))
    growth = 1.6 + 1.2 * s
    lates = [r.randint(0, 2)]
    for _ in range(n - 1):
        lates.append(int(lates[-1] * growth + r.randint(1, 3)))
    amt0 = rounded(ctx, prod, min(sim.typical(prod) * r.uniform(0.8, 1.5), 0.4 * sim.lim(prod)))
    final = ep_mode(ctx, r, 0.1)
    term = sts[0] if s > 0.5 else r.choice(sts)

    def step(k):
        def cb(sim_, loan):
            d = lates[k]
            if k == n - 1 and final == "bad":
                sim_.schedule(loan, "bad")
            elif r.random() < 0.3:
                part = int(loan.cents * r.uniform(0.5, 0.9))
                sim_.repay_at(sim_._pay_time(loan.t, loan.due, late_days=d), loan, part)
                sim_.repay_at(sim_._pay_time(loan.t, loan.due, late_days=d + r.randint(4, 15)), loan)
            else:
                sim_.repay_at(sim_._pay_time(loan.t, loan.due, late_days=d), loan)
            if k + 1 < n:
                tn = loan.due + int(r.uniform(-2, max(0.5, 0.6 * d)) * DAY)
                tn = max(tn, loan.t + 6 * HOUR)
                a = rounded(ctx, prod, loan.cents * r.uniform(1.0, 1.2))
                sim_.intent(tn, Intent(prod, a, term, channel(ctx, prod, r), purpose=ctx.purpose(prod, u, r),
                                       label=1, scenario=name, fit=True, repay="none",
                                       min_cents=int(ctx.products[prod].lo * 100), on_loan=step(k + 1)))
        return cb

    sim.intent(sim.hour_time(day), Intent(prod, amt0, term, channel(ctx, prod, r), purpose=ctx.purpose(prod, u, r),
                                          label=1, scenario=name, fit=True, repay="none",
                                          min_cents=int(ctx.products[prod].lo * 100), on_loan=step(0)))


def limit_probing(ctx, sim, r, day, s, name):
    """Probe loans grow from 3-10 % of the limit (doubling when blatant, +30-70 %
    when subtle), each repaid within minutes to hours before the next; when a
    probe would be declined, or after 3-8 probes, one draw takes the exact room
    left, at the longest term."""
    u = sim.u
    prod = cash_product(ctx, u)
    ts = terms(ctx, prod)
    blatant = r.random() < 0.2 + 0.7 * s
    n = r.randint(3, 4) + round(2 * s)
    a0 = max(ctx.products[prod].lo * 100, sim.lim(prod) * r.uniform(0.03, 0.1))
    final_mode = ep_mode(ctx, r, 0.1)

    def final(t):
        sim.intent(t + (r.randint(MINUTE, 30 * MINUTE) if blatant else r.randint(HOUR, 2 * DAY)),
                   Intent(prod, 0, ts[-1], channel(ctx, prod, r), purpose=ctx.purpose(prod, u, r), label=1,
                          scenario=name, fit=True, min_cents=100, step=1, repay=final_mode,
                          amount_fn=lambda sim_, t_, room: room))

    def probe(k, t, amount):
        cents = rounded(ctx, prod, amount)
        sim.intent(t, Intent(prod, cents, ts[0], "app" if "app" in dict(ctx.products[prod].channels)
                             else channel(ctx, prod, r), purpose=ctx.purpose(prod, u, r), label=1, scenario=name,
                             repay="none", on_loan=after(k, amount), on_decline=lambda sim_, t_: final(t_)))

    def after(k, amount):
        def cb(sim_, loan):
            rd = r.randint(2 * MINUTE, 20 * MINUTE) if blatant else r.randint(HOUR, 12 * HOUR)
            sim_.repay_at(loan.t + rd, loan)
            t = loan.t + rd + (r.randint(MINUTE, 15 * MINUTE) if blatant else int(r.uniform(0.3, 2) * DAY))
            if k + 1 >= n:
                final(t)
            else:
                probe(k + 1, t, amount * (2.0 if blatant else r.uniform(1.3, 1.7)))
        return cb

    probe(0, sim.hour_time(day, odd=r.random() < 0.3 * s), a0)
