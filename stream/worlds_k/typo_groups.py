"""The family's two own typologies. Both are group schemes, so each episode
spans several users that look ordinary one by one.

nominee_borrowing ("borrowing in another's name"): a controller (a fixer, a
village strongman, a studio boss) recruits real customers with ordinary
histories and borrows in their names. In one sitting the controller draws a
loan on each nominee account, minutes apart, from the controller's own phone
or two, through the same product, channel and term, often for the same round
amount; the money never reaches the nominees. Later the controller repays all
the nominee loans together in one sitting (repayments of several users within
minutes), often re-borrowing straight after, or disappears and leaves every
nominee in default.

strategic_default_pact: borrowers who met in an online "debt-avoidance"
group agree a date. In the days before it each member quietly draws their
limits to the full, from their own phones and usual channels; from the agreed
date nobody pays anything any more, and sometimes all of them make one token
"good-will" payment on the same day to stall collections.
"""
from __future__ import annotations

from .clock import DAY, HOUR
from .model import NORMAL
from .typo_kit import cashlike, habitual_time, pick, ref_limit, split


def _nominee_option(world, user, product, channel):
    for o in cashlike(world.options(user)):
        if o.product == product and o.channel == channel:
            return o
    return world.quick(user)


def nominee_borrowing(world, members, t0, rng):
    tag, c = "nominee_borrowing", world.clock
    inten = rng.random()
    devs = [world.new_device(rng) for _ in range(1 if inten > 0.6 else rng.randint(2, 3))]
    lead = members[0]
    pool = [o for o in cashlike(world.options(lead)) if o.channel != "merchant"] or [world.quick(lead)]
    base = pick(rng, pool)
    term = rng.choice(base.terms)  # one term for every nominee
    limits = [ref_limit(world, m, t0, base.product) for m in members]
    same = None
    if inten > 0.5:
        step = 1000 if min(limits) >= 5000 else 100
        same = max(step, round(min(limits) * rng.uniform(0.6, 0.95) / step) * step)
    abscond = rng.random() < 0.3 + 0.4 * inten
    rounds = 1 + (rng.random() < 0.6) + (rng.random() < 0.3)
    t = t0
    for r in range(rounds):
        order = list(members)
        rng.shuffle(order)
        loans, tt = [], t
        for i, m in enumerate(order):
            if i:
                tt += rng.randint(60, 900)
            opt = _nominee_option(world, m, base.product, base.channel)
            lim = ref_limit(world, m, tt, opt.product)
            amt = same if same else max(lim - m.balance_at(tt), 0.3 * lim) * rng.uniform(0.6, 0.95)
            loans.append((m, world.take(m, tt, amt, opt, rng, tag=tag, term=term, device=devs[i % len(devs)])))
        if r == rounds - 1 and abscond:
            break
        due = max(ln.due for _, ln in loans)
        pt = c.at(c.day_of(due - int(rng.uniform(0, 1.5) * DAY)), rng.uniform(9, 22))
        pt = max(pt, tt + HOUR)
        for i, (m, ln) in enumerate(loans):
            m.pay_rest(ln, pt + i * rng.randint(20, 240), tag)
        t = pt + len(loans) * 240 + int(rng.uniform(0.05, 2) * DAY)
        if t >= c.end:
            break


def strategic_default_pact(world, members, t0, rng):
    tag, c = "strategic_default_pact", world.clock
    inten = rng.random()
    ramp = rng.uniform(1.5, 10 - 7 * inten) * DAY
    pact = t0 + int(ramp)
    goodwill = rng.random() < 0.35
    gw_t = c.at(c.day_of(pact) + rng.randint(1, 2), rng.uniform(10, 21))
    for j, m in enumerate(members):
        start = t0 if j == 0 else pact - int(ramp * rng.uniform(0.5, 1.0))
        n = rng.randint(2, 3 + int(round(4 * (1 - inten))))
        times = [start]
        for _ in range(n - 1):
            tt = habitual_time(world, m, c.day_of(start + int(rng.random() * (pact - start))), rng)
            times.append(min(max(tt, start + 60), pact - 600))
        times.sort()
        opts = cashlike(world.options(m))
        lim = ref_limit(world, m, start, opts[0].product)
        ratio = rng.uniform(0.5 + 0.4 * inten, 0.75 + 0.4 * inten)
        total = max(lim * ratio - m.balance_at(start), 0.3 * lim)
        mine = []
        for t, amt in zip(times, split(rng, total, n)):
            mine.append(world.take(m, t, amt, pick(rng, opts), rng, tag=tag))
        cut = pact + int(rng.uniform(-0.3, 0.8) * DAY)
        m.drop_pays(cut)
        m.loans = [ln for ln in m.loans if ln.tag != NORMAL or ln.t < cut]  # the member goes dark
        if goodwill:
            ln = rng.choice(mine)
            m.pay(ln, gw_t + rng.randint(0, 1800), ln.amount * rng.uniform(0.01, 0.05), tag)
