"""Typologies that unfold over days to weeks:
borrow_to_repay, overdue_escalation, student_overborrowing, credit_cycling,
merchant_cashout."""
from ..clock import DAY, HOUR

ROUND_AMOUNTS = (500, 1000, 2000, 3000, 5000, 8000, 10000, 20000, 30000, 50000, 100000)


def borrow_to_repay(k):
    """A new loan taken to pay off an older one, days or hours before it falls due;
    sometimes a spiral of ever larger loans, split over two products, or a partial
    payoff.  The seed loan may predate the stream (only its payoff is seen)."""
    r, s, u, w, c = k.rng, k.s, k.user, k.world, k.clock
    variant = r.choice(("refinance", "spiral", "spiral", "split", "partial"))
    rounds = 1 if variant == "refinance" else 2 + int(s * 3 + r.random())
    seed_product = w.cash_product(u)
    term = w.short_term(u, seed_product, r)
    owed = min(w.cap(u, k.t0) * r.uniform(0.3, 0.7), u.amt * r.uniform(0.8, 1.6))
    seed_t = k.t0 - term * DAY
    if seed_t >= max(0, u.join_t):
        cur = k.loan(seed_t, owed, product=seed_product, term=term, label=0)
    else:
        cur = k.ghost(seed_t, owed, seed_product, term)
    if cur is None:
        return
    owed = cur.amount * (1 + r.uniform(0, 0.04))
    prods = list(w.stack_products(u))
    for _ in range(rounds):
        due = cur.t + cur.term * DAY
        t_new = max(cur.t + HOUR, due - r.uniform(0.05, 1.5 * (1 - s) + 0.1) * DAY)
        total = owed * r.uniform(1.0, 1.08 + 0.35 * s)
        if variant == "split":
            a = r.uniform(0.35, 0.65)
            p1, p2 = r.sample(prods, 2) if len(prods) > 1 else (prods[0], prods[0])
            new = k.loan(t_new, total * a, product=p1)
            other = new and k.loan(new.t + r.uniform(30, 1800), total * (1 - a), product=p2)
            if other:
                k.settle(other, k.bad(0.6 + s))
        else:
            new = k.loan(t_new, total, product=r.choice(prods))
        if new is None:
            return
        pay_t = w.instant_repay(u, new.t + r.uniform(120, (6 * (1 - s) + 0.1) * HOUR), r, c)
        paid = owed * (r.uniform(0.5, 0.9) if variant == "partial" else 1.0)
        late = max(0, c.day_of(pay_t, u.zone) - c.day_of(due, u.zone))
        k.repay(pay_t, paid, cur, late, label=1)
        cur, owed = new, new.amount * (1 + r.uniform(0, 0.04))
    k.settle(cur, k.bad(0.8 + 0.6 * s))


def overdue_escalation(k):
    """Repayments getting later and later (linearly, geometrically or in stairs,
    sometimes split into partial payments) while the user keeps borrowing."""
    r, s, u, w, c = k.rng, k.s, k.user, k.world, k.clock
    cycles = 4 + int(4 * s) + r.randint(0, 1)
    product = w.cash_product(u) if r.random() < 0.5 else w.revolving_product(u)
    step = 1 + 5 * s * r.uniform(0.7, 1.3)
    mode = r.choice(("linear", "geometric", "stairs"))
    partial = r.random() < 0.3
    amt = u.amt * r.uniform(0.6, 1.2)
    base = r.choice((0, 0, 1))
    t = k.t0
    n_bad = int(s * 1.5 + r.random())
    for i in range(cycles):
        loan = k.loan(t, amt, product=product)
        if loan is None:
            return
        term = loan.term
        due = k.day(loan.t) + term
        if mode == "linear":
            late = int(round(base + step * i))
        elif mode == "geometric":
            late = int(round(base + (1.5 + 0.8 * s) ** i - 1))
        else:
            late = int(round(base + step * 2 * (i // 2)))
        if i >= cycles - n_bad and r.random() < k.bad(1.2 + s):
            pass                                        # this one is never repaid
        elif partial and late > 2:
            first = r.uniform(0.4, 0.8)
            d1 = due + late // 2
            k.repay(w.repay_clock(u, d1, r, c), loan.amount * first, loan, late // 2, label=1)
            k.repay(w.repay_clock(u, due + late, r, c), loan.amount * (1.02 - first), loan, late, label=1)
        else:
            k.repay(w.repay_clock(u, due + late, r, c), loan.amount * r.uniform(1.0, 1.03), loan,
                    late, label=1 if late > 0 else 0)
        nxt = due + (int(late * r.uniform(0.2, 0.8)) if late > 0 else -r.randint(0, 2))
        nxt = min(nxt, k.day(loan.t) + max(3, int(term * r.uniform(0.3, 0.6))))
        t = max(loan.t + 7 * HOUR, c.at(nxt, r.choice(u.hours) * HOUR + r.randrange(HOUR), u.zone))
        amt *= r.uniform(1.0, 1.15)


def student_overborrowing(k):
    """A student borrowing far beyond student norms: 2-10x the usual amount, several
    times a week, and on products students rarely use."""
    r, s, u, w = k.rng, k.s, k.user, k.world
    period = max(3.0, 21 - 14 * s + r.uniform(-2, 3)) * DAY
    n = 4 + int(10 * s) + r.randint(0, 2)
    prods = list(w.student_products(u))
    times = sorted([k.t0] + [k.t0 + r.uniform(0, period) for _ in range(n - 1)])
    for i, t in enumerate(times):
        night = r.random() < 0.3 * s
        if night:
            t = k.at_hour(t, r.choice((0, 1, 2, 23)))
        prod = prods[i % len(prods)] if r.random() < 0.3 + 0.7 * s else None
        amt = u.amt * r.uniform(2, 3 + 7 * s)
        loan = k.loan(t, amt, product=prod, term=None if r.random() < 0.5 else "short",
                      snap=False if night else None,
                      purpose="consumption" if r.random() < 0.8 else None)
        if loan:
            k.settle(loan, k.bad(0.5 + s))


def credit_cycling(k):
    """Own typology.  Wash borrowing: draw and repay in full within minutes to hours,
    over and over (identical, laddered or round amounts), to fake a repayment record
    and earn limit increases; blatant cases end in a drain of the raised limit."""
    r, s, u, w, c = k.rng, k.s, k.user, k.world, k.clock
    cycles = 4 + int(16 * s) + r.randint(0, 3)
    span = max(1.5, 14 - 11 * s + r.uniform(0, 3)) * DAY
    cap = w.cap(u, k.t0)
    variant = r.choice(("identical", "ladder", "round"))
    base = cap * r.uniform(0.5, 0.95)
    hold = k.lerp(8 * HOUR, 240)
    times = sorted([k.t0] + [k.t0 + r.uniform(0, span) for _ in range(cycles - 1)])
    last = k.t0
    prod = w.revolving_product(u)
    for i, t in enumerate(times):
        t = max(t, last + r.uniform(30, 900))
        if variant == "identical":
            amt = base
        elif variant == "ladder":
            amt = base * (0.4 + 0.6 * (i + 1) / cycles)
        else:
            amt = max(100, round(base * r.uniform(0.7, 1.0), -2))
        loan = k.loan(t, amt, product=prod)
        if loan is None:
            return
        pay = w.instant_repay(u, loan.t + r.uniform(0.3, 1.0) * hold, r, c)
        k.repay(pay, loan.amount, loan, 0, label=1)
        last = pay
    if r.random() < 0.5 * s and cap > 0:
        t = last + r.uniform(0.5, 3) * DAY
        lim = u.limit_at(t)
        if lim > 0:
            u.set_limit(int(t), round(lim * r.uniform(1.5, 3.0), -2))
        for _ in range(r.randint(1, 2)):
            loan = k.loan(t, w.cap(u, t) * r.uniform(0.4, 0.55), product=prod)
            if loan:
                k.settle(loan, k.bad(2.0))
            t += r.uniform(60, 3 * HOUR)


def merchant_cashout(k):
    """Own typology.  Cashing out a consumer credit line through a colluding merchant:
    repeated near-limit or round-amount checkout draws at one or a few merchants that
    other cash-out users share, often at night, repaid just in time to draw again."""
    r, s, u, w, c = k.rng, k.s, k.user, k.world, k.clock
    pool = w.colluders(c, r)
    mine = [pool[0]] if s > 0.6 else r.sample(pool, min(len(pool), r.randint(1, 3)))
    variant = r.choice(("round", "under_limit", "split"))
    n = 3 + int(9 * s) + r.randint(0, 2)
    gap = k.lerp(6, 0.7) * DAY
    prod = w.cashout_product(u, r)
    t = k.t0
    for i in range(n):
        night = r.random() < 0.2 + 0.6 * s
        if night:
            t = max(t, k.at_hour(t, r.choice((22, 23, 0, 1, 2))))
        cap = w.cap(u, t)
        if variant == "round":
            fit = [a for a in ROUND_AMOUNTS if a <= cap * 0.97]
            parts = [fit[-1] if fit else max(100, round(cap * 0.9, -2))]
        elif variant == "under_limit":
            parts = [max(50, cap - r.choice((1, 1, 10, 20, 50, 100)))]
        else:
            m = r.randint(2, 3)
            parts = [max(100, round(cap * 0.95 / m, -2)) for _ in range(m)]
        for j, amt in enumerate(parts):
            loan = k.loan(t + j * r.randint(20, 240), amt, product=prod, merchant=r.choice(mine),
                          snap=False if night else None,
                          term=None)
            if loan is None:
                return
            if i < n - 1 or r.random() > k.bad(0.4 + s):
                pay = w.repay_clock(u, k.day(loan.t) + r.randint(1, 3), r, c)
                k.repay(pay, loan.amount, loan, 0, label=0)
        t += gap * r.uniform(0.6, 1.4)

