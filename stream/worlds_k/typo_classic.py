"""The six shared typologies. Each draws its own intensity in [0, 1): near 0 it
is spread out and close to the user's habits, near 1 it is fast and blatant."""
from __future__ import annotations

from .clock import DAY, HOUR
from .typo_kit import cashlike, habitual_time, late_repay, odd_time, pick, pick_k, ref_limit, split


def loan_stacking(world, user, t0, rng):
    tag, c = "loan_stacking", world.clock
    inten = rng.random()
    opts = world.options(user)
    k = min(len(opts), 1 + (rng.random() < 0.35 + 0.4 * inten) + (rng.random() < 0.3 * inten))
    chosen = pick_k(rng, opts, k)
    n = rng.randint(3, 4 + int(round(4 * inten)))
    span = (1 - inten) * rng.uniform(1, 3) * DAY + inten * rng.uniform(0.2, 1.5) * HOUR
    times = [t0]
    for _ in range(n - 1):
        t = t0 + int(rng.random() * span)
        if span > 6 * HOUR:  # spread over days: keep to the user's usual hours
            t = max(t0 + 60, habitual_time(world, user, c.day_of(t), rng))
        times.append(t)
    times.sort()
    limit = max(ref_limit(world, user, t0, o.product) for o in chosen)
    total = max(limit * rng.uniform(0.8, 1.0 + 0.45 * inten) - 0.3 * user.balance_at(t0), 0.4 * limit)
    extra = world.new_device(rng) if inten > 0.6 and rng.random() < 0.4 else None
    for i, (t, amt) in enumerate(zip(times, split(rng, total, n))):
        opt = chosen[i % k]
        dev = extra if extra and rng.random() < 0.5 else None
        ln = world.take(user, t, amt, opt, rng, tag=tag, device=dev,
                        term=min(opt.terms) if rng.random() < 0.5 else None)
        r = rng.random()
        if r < 0.55 - 0.45 * inten:
            late_repay(world, user, ln, rng, -2, 3 + 20 * inten, 1.0, tag)
        elif r < 0.8 - 0.3 * inten:
            late_repay(world, user, ln, rng, 2, 20, rng.uniform(0.2, 0.6), tag)


def borrow_to_repay(world, user, t0, rng):
    tag, c = "borrow_to_repay", world.clock
    inten = rng.random()
    q = world.quick(user)
    alts = [o for o in cashlike(world.options(user)) if min(o.terms) <= 60 and o != q]
    cur = None
    if rng.random() < 0.5:  # roll a loan the user already has
        cands = [ln for ln in user.loans if ln.tag == "normal" and ln.t < t0 and ln.term <= 60
                 and t0 <= ln.due <= min(t0 + 20 * DAY, c.end - 5 * DAY)
                 and ln.amount - ln.paid_before(t0) > max(100.0, 0.05 * ref_limit(world, user, t0, ln.product))]
        if cands:
            cur = rng.choice(cands)
            user.drop_pays(t0, [cur])
    if cur is None:
        cur = world.take(user, t0, ref_limit(world, user, t0, q.product) * rng.uniform(0.2, 0.5), q, rng,
                         tag=tag, term=min(q.terms))
    for _ in range(rng.randint(2, 3 + int(round(4 * inten)))):
        lead = rng.uniform(0, 2.5) if rng.random() > 0.4 * inten else -rng.uniform(0.5, 4)
        tn = habitual_time(world, user, c.day_of(cur.due - int(lead * DAY)), rng)
        tn = max(tn, t0, cur.t + 2 * HOUR)
        if tn >= c.end:
            break
        owed = cur.amount - cur.paid_before(tn)
        opt = q if (not alts or rng.random() > 0.45) else pick(rng, alts)
        nxt = world.take(user, tn, owed * (1 + rng.uniform(0, 0.06 + 0.3 * inten)), opt, rng,
                         tag=tag, term=min(opt.terms))
        user.pay_rest(cur, tn + rng.randint(180, int((0.2 + 5 * (1 - inten)) * HOUR)), tag)
        cur = nxt
    r = rng.random()
    if r < 0.4 * (1 - inten):
        late_repay(world, user, cur, rng, 0, 10, 1.0, tag)
    elif r < 0.7:
        late_repay(world, user, cur, rng, 3, 20, rng.uniform(0.1, 0.4), tag)


def account_takeover(world, user, t0, rng):
    tag, c = "account_takeover", world.clock
    inten = rng.random()
    dev = world.new_device(rng)
    used = {ln.channel for ln in user.loans if ln.t < t0}
    opts = cashlike(world.options(user))
    fresh = [o for o in opts if o.channel not in used]
    pool = fresh if fresh and rng.random() < 0.4 + 0.5 * inten else opts
    t = t0
    if rng.random() < 0.3 + 0.6 * inten:
        t = max(c.start, odd_time(world, user, c.day_of(t0), rng))
    limit = ref_limit(world, user, t, pool[0].product)
    avail = max(limit - user.balance_at(t), 0.25 * limit)
    total = avail * rng.uniform(0.5 + 0.35 * inten, 0.75 + 0.3 * inten)
    if inten > 0.4 and rng.random() < 0.6:  # a small probe draw first
        world.take(user, t, rng.uniform(50, 300), pick(rng, pool), rng, tag=tag, device=dev)
        t += rng.randint(60, 900)
    n = 1 + int(rng.random() * (1 + 4 * inten))
    span = rng.uniform(300, (0.5 + 8 * (1 - inten)) * HOUR)
    times = sorted([t] + [t + int(rng.random() * span) for _ in range(n - 1)])
    for ti, amt in zip(times, split(rng, total, n)):
        world.take(user, ti, amt, pick(rng, pool), rng, tag=tag, device=dev)
    # nothing is repaid on these draws; the owner's own loans carry on as before


def student_overborrowing(world, user, t0, rng):
    tag, c = "student_overborrowing", world.clock
    inten = rng.random()
    opts = world.options(user)
    dur = rng.uniform(10, 30) * DAY
    n = rng.randint(5, 9 + int(10 * inten))
    days = sorted(c.day_of(t0 + int(dur * rng.random() ** 0.6)) for _ in range(n - 1))
    times = [t0] + [max(t0 + 60, habitual_time(world, user, d, rng)) for d in days]
    q = world.quick(user)
    key = world.lkey(user, q.product)
    limit = ref_limit(world, user, t0, q.product)
    if rng.random() < 0.4:  # the lender raises the limit half way, as students "perform"
        user.set_limit(key, times[n // 2] - 3600, round(limit * 1.5, -2))
    base, g = limit * rng.uniform(0.08, 0.2), rng.uniform(1.03, 1.12 + 0.1 * inten)
    for i, t in enumerate(sorted(times)):
        opt = pick(rng, opts)
        ln = world.take(user, t, base * g ** i, opt, rng, tag=tag)
        if rng.random() < max(0.1, 0.9 - i * 0.06 - 0.3 * inten):
            frac = 1.0 if rng.random() < 0.4 else rng.uniform(0.2, 0.7)
            late_repay(world, user, ln, rng, -1 + i * 0.5, 3 + i * 2, frac, tag)


def limit_jump_drain(world, user, t0, rng):
    tag, c = "limit_jump_drain", world.clock
    inten = rng.random()
    opts = cashlike(world.options(user))
    main = pick(rng, opts)
    key = world.lkey(user, main.product)
    same = [o for o in opts if world.lkey(user, o.product) == key] or [main]
    old = ref_limit(world, user, t0, main.product)
    new = round(old * (rng.uniform(2, 3) + inten * rng.uniform(0, 3)), -2)
    user.set_limit(key, t0, new)
    start = t0 + int(rng.uniform(0.1, 1) * HOUR + (1 - inten) * rng.uniform(0, 3) * DAY)
    if start - t0 > 6 * HOUR:
        start = max(start, habitual_time(world, user, c.day_of(start), rng))
    n = rng.randint(1, 2 + int(round(2 * inten)))
    total = max(new - user.balance_at(start, key), 0.5 * new) * rng.uniform(0.7, 1.0)
    span = (1 - inten) * rng.uniform(0, 2) * DAY + HOUR
    times = sorted([start] + [start + int(rng.random() * span) for _ in range(n - 1)])
    for t, amt in zip(times, split(rng, total, n)):
        ln = world.take(user, t, amt, pick(rng, same), rng, tag=tag)
        if rng.random() < 0.25 * (1 - inten):
            late_repay(world, user, ln, rng, 1, 15, rng.uniform(0.02, 0.2), tag)


def overdue_escalation(world, user, t0, rng):
    tag, c = "overdue_escalation", world.clock
    inten = rng.random()
    later = sorted((p for ln in user.loans for p in ln.pays if p.t >= t0), key=lambda p: p.t)
    base, step = rng.uniform(2, 6), rng.uniform(0.6, 1.5 + inten)
    kmax = rng.randint(2, 4 + int(3 * (1 - inten)))
    for k, p in enumerate(later):
        p.loan.pays.remove(p)
        if k >= kmax:
            continue  # stopped paying
        frac = 1.0 if k == 0 else rng.uniform(0.25, 0.9 - 0.4 * inten)
        user.pay(p.loan, p.t + int(base * (1 + k * step) * DAY), p.amount * frac, tag)
    q = world.quick(user)
    opts = [q] + [o for o in cashlike(world.options(user)) if min(o.terms) <= 60]
    limit = ref_limit(world, user, t0, q.product)
    m = rng.randint(2, 4 + int(round(3 * inten)))
    amt = limit * rng.uniform(0.1, 0.25)
    t = t0
    for k in range(m):
        ln = world.take(user, t, amt, pick(rng, opts), rng, tag=tag)
        r = rng.random()
        if r < max(0.0, 0.7 - 0.2 * k - 0.3 * inten):
            late_repay(world, user, ln, rng, 3 + 5 * k, 8 + 8 * k, rng.uniform(0.2, 0.8), tag)
        amt *= rng.uniform(1.05, 1.35)
        t = habitual_time(world, user, c.day_of(t) + rng.uniform(3, 9), rng)
