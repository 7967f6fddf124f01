"""Ordinary users: their habits, devices and everyday loan requests."""

from __future__ import annotations

import random
from itertools import accumulate

import numpy as np

from .clock import DAY, HOUR, MINUTE, mix_seed
from .engine import Intent

# A night owl's request hours: late evening to small hours.
NIGHT = (6, 5, 4, 3, 2, 1, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1.5, 2, 3, 4, 5, 6)


class User:
    __slots__ = ("idx", "uid", "rng", "segment", "rate", "scale", "limit", "limits", "score", "has_score",
                 "late_p", "late_max", "early_p", "bad_p", "refi_p", "burst_p", "minpay", "autodebit",
                 "hour_cum", "night", "phone", "phone2", "switch_t", "household_dev", "web_dev", "partner_dev",
                 "favs", "fit_p", "join", "big", "anomalous", "boost_from", "boost_to", "boost")


def _choice(r: random.Random, pairs):
    return r.choices([k for k, _ in pairs], [v for _, v in pairs])[0]


def build_users(ctx) -> list[User]:
    w, hb = ctx.world, ctx.world.habits
    seg_names = list(w.segments)
    seg_w = [w.segments[s].share for s in seg_names]
    day_cum = list(accumulate(w.hours))
    night_cum = list(accumulate(NIGHT))
    users = []
    for i in range(ctx.n_users):
        r = random.Random(mix_seed("E", w.code, ctx.seed, i))
        u = User()
        u.idx, u.rng, u.anomalous = i, r, False
        u.uid = f"{w.code}u{i:06d}"
        u.segment = r.choices(seg_names, seg_w)[0]
        sg = w.segments[u.segment]
        g = r.gammavariate(1.3, 1 / 1.3)
        u.rate = sg.rate * g
        total = max(500.0, r.lognormvariate(0, sg.limit_sigma) * sg.limit)
        total = min(total, w.max_limit)
        if r.random() < w.new_users:
            u.join = r.randrange(ctx.days)
            total *= 0.5
        else:
            u.join = 0
        # typical amounts follow the limit; frequent borrowers borrow a little less each time
        u.scale = (total / sg.limit) ** 0.8 * r.lognormvariate(0, sg.scale_sigma * 0.6) / max(g, 0.2) ** 0.3
        cents = int(total) // 100 * 10000
        u.limit = max(50000, cents)
        u.limits = None
        if w.limit_mode == "per_product":
            u.limits = {p: max(50000, int(u.limit * s) // 10000 * 10000) for p, s in w.product_split}
        u.score = int(min(950, max(350, r.gauss(sg.score, 55))))
        u.has_score = r.random() < w.score_p and not (u.segment == "student" and r.random() < 0.3)
        late = r.random() < hb.late_share
        u.late_p = r.uniform(0.4, 0.9) if late else r.uniform(0.0, 0.06)
        u.late_max = hb.late_days if late else 3
        u.early_p = min(0.95, r.uniform(0, 2 * hb.early_p))
        u.bad_p = hb.bad_late * r.uniform(0.6, 1.0) if late else hb.bad_base * r.uniform(0.5, 2.0)
        u.refi_p = r.uniform(0.3, 0.8) if r.random() < hb.refi_share else 0.02
        u.rate *= 1 - 0.4 * u.refi_p  # refinancers' extra loans come from their repayments
        u.burst_p = r.uniform(0, 2 * hb.burst_p)
        u.minpay = r.random() < hb.minpay_share
        u.autodebit = r.random() < hb.autodebit
        u.night = r.random() < sg.night
        u.hour_cum = night_cum if u.night else day_cum
        u.phone = ctx.new_id("d", r)
        if r.random() < hb.new_phone:
            u.switch_t, u.phone2 = r.randrange(ctx.end), ctx.new_id("d", r)
        else:
            u.switch_t, u.phone2 = ctx.end + DAY, u.phone
        u.household_dev = None
        u.web_dev = ctx.new_id("w", r)
        u.partner_dev = ctx.new_id("p", r)
        u.favs = [ctx.popular_merchant(r) for _ in range(r.randint(2, 6))]
        u.fit_p = r.uniform(0.2, 0.7)
        u.big = r.random() < hb.big_share
        u.boost_from = u.boost_to = 0
        u.boost = 1.0
        users.append(u)
    _households(ctx, users)
    _campaign(ctx, users)
    return users


def _households(ctx, users) -> None:
    """Family phones: groups of users whose app requests mostly come from one device."""
    share, lo, hi = ctx.world.households
    if share <= 0:
        return
    r = random.Random(mix_seed("E", ctx.world.code, ctx.seed, "households"))
    pool = [u for u in users if r.random() < share]
    r.shuffle(pool)
    i = 0
    while i < len(pool) - 1:
        k = r.randint(lo, hi)
        dev = ctx.new_id("d", r)
        for u in pool[i:i + k]:
            u.household_dev = dev
        i += k


def _campaign(ctx, users) -> None:
    """A platform limit campaign: some users get a raise and borrow a bit more after it."""
    c = ctx.world.campaign
    if not c:
        return
    off, share, lo, hi, uptake, days = c
    t = (ctx.hist_days + off) * DAY + 10 * HOUR
    ctx.campaign_t = t
    for u in users:
        if u.rng.random() < share:
            u.boost_from, u.boost_to, u.boost = ctx.hist_days + off, ctx.hist_days + off + days, uptake
            u.big = u.big or u.rng.random() < 0.1
    ctx.campaign_users = [u for u in users if u.boost != 1.0]


def daily_counts(ctx, users) -> np.ndarray:
    """Poisson request counts per user and day from rates and calendar factors."""
    rng = np.random.default_rng(mix_seed("E", ctx.world.code, ctx.seed, "counts") % (2 ** 63))
    lam = np.zeros((len(users), ctx.days))
    segf = {s: np.asarray(f) for s, f in ctx.seg_factor.items()}
    for u in users:
        row = lam[u.idx]
        row[u.join:] = u.rate * segf[u.segment][u.join:]
        if u.boost != 1.0:
            row[u.boost_from:u.boost_to] *= u.boost
    return rng.poisson(lam)


def normal_intents(ctx, sim, counts_row) -> None:
    """Push a user's everyday requests: bursts, refinancing and big purchases included."""
    u, r, w = sim.u, sim.rng, ctx.world
    sg = w.segments[u.segment]
    pnames = [k for k, _ in sg.products]
    pw = [v for _, v in sg.products]
    for d in np.flatnonzero(counts_row).tolist():
        n = int(counts_row[d])
        if r.random() < u.burst_p:
            n += r.choice((1, 1, 2))
        t = sim.hour_time(d)
        for k in range(n):
            if k:
                t += r.randint(3 * MINUTE, 5 * HOUR)
            sim.intent(t, make_intent(ctx, u, r, d, pnames, pw))
    if u.big:
        d = r.randrange(u.join, ctx.days)
        names = [p for p in pnames if p in ("installment", "merchant_loan", "wealth_pledge")] or pnames
        it = make_intent(ctx, u, r, d, names, [1.0] * len(names))
        it.cents = ctx.round_amount(ctx.products[it.product], it.cents / 100 * r.uniform(4, 10))
        it.fit = True
        sim.intent(sim.hour_time(d), it)


def make_intent(ctx, u, r, d, pnames, pw, basket=1.0) -> Intent:
    boost = ctx.boost[d] if d < len(ctx.boost) else None
    if boost:
        pb, cb, basket = boost
        pw = [v * pb.get(k, 1.0) for k, v in zip(pnames, pw)]
    product = r.choices(pnames, pw)[0]
    p = ctx.products[product]
    chans = [k for k, _ in p.channels]
    cw = [v for _, v in p.channels]
    if boost and boost[1]:
        cw = [v * boost[1].get(k, 1.0) for k, v in zip(chans, cw)]
    channel = r.choices(chans, cw)[0]
    term = _choice(r, p.terms)
    yuan = p.median * u.scale * r.lognormvariate(0, p.sigma) * basket
    cents = ctx.round_amount(p, yuan)
    return Intent(product, cents, term, channel, purpose=ctx.purpose(product, u, r),
                  fit=r.random() < u.fit_p, min_cents=int(p.lo * 100), step=p.step)
