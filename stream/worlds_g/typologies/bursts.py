"""Fast typologies that play out in minutes to days:
loan_stacking, account_takeover, limit_jump_drain, device_ring."""
from ..clock import DAY, HOUR


def _split(rng, total, n):
    w = [rng.uniform(0.5, 1.5) for _ in range(n)]
    s = sum(w)
    return [total * x / s for x in w]


def loan_stacking(k):
    """Many loans in a short time across products and/or channels, summing to about
    the limit or beyond.  Subtle: 3 loans over three days; blatant: 12 in an hour."""
    r, s, u, w = k.rng, k.s, k.user, k.world
    n = 3 + int(s * 8 + r.random() * 2)
    span = max(0.3 * HOUR, k.lerp(72, 2) * HOUR * r.uniform(0.5, 1.3))
    total = w.cap(u, k.t0) * r.uniform(0.75, 0.95 + 0.6 * s)
    mech = r.choice(("products", "channels", "mixed"))
    prods = list(w.stack_products(u))
    chans = list(w.stack_channels(u))
    r.shuffle(prods)
    r.shuffle(chans)
    times = sorted([k.t0] + [k.t0 + r.uniform(0, span) for _ in range(n - 1)])
    for i, (t, amt) in enumerate(zip(times, _split(r, total, n))):
        prod = prods[0] if mech == "channels" else prods[i % len(prods)]
        chan = None if mech == "products" else chans[i % len(chans)]
        loan = k.loan(t, amt, product=prod, channel=chan)
        if loan:
            k.settle(loan, k.bad(0.6 + 0.8 * s))


def account_takeover(k):
    """An established account suddenly borrows from a never-seen device (often at
    night, sometimes from another time zone or the web) and cashes out within hours."""
    r, s, u, w = k.rng, k.s, k.user, k.world
    dev = w.new_device(u, r)
    zone = w.attacker_zone(u, r, s)
    z = zone or u.zone
    night = r.random() < 0.25 + 0.6 * s
    hour = r.choice((0, 1, 2, 3, 4, 5)) if night else r.choice(u.hours)
    t = max(k.t0, k.at_hour(k.t0, hour, z))
    avail = w.cap(u, t) * (r.uniform(0.45, 0.7) + 0.3 * s)
    chan = "web" if r.random() < 0.15 + 0.45 * s else "app"
    prod = w.cash_product(u)
    variant = r.choice(("single", "burst", "probe")) if s > 0.3 else "single"
    if variant == "single":
        parts = [(0, avail)]
    elif variant == "burst":
        m = 2 + int(r.random() * (1 + 3 * s))
        offs = sorted([0] + [r.uniform(60, k.lerp(6, 0.2) * HOUR) for _ in range(m - 1)])
        parts = list(zip(offs, _split(r, avail, m)))
    else:
        parts = [(0, r.uniform(100, 500)), (r.uniform(300, 3600), avail)]
    term = w.term_for(u, prod, r) if r.random() < 0.5 else "short"
    for dt, amt in parts:
        loan = k.loan(t + dt, amt, product=prod, channel=chan, device=dev, zone=zone, term=term,
                      snap=False)
        if loan:
            k.settle(loan, k.bad(1.6 + s))


def limit_jump_drain(k):
    """A credit limit increase, then most of the new limit drawn quickly (one big draw
    within minutes, or a few over days)."""
    r, s, u, w = k.rng, k.s, k.user, k.world
    old = u.limit_at(k.t0 - 1)
    if old <= 0:
        return
    pre = k.t0 - r.uniform(1, 12) * DAY
    seen = k.loan(pre, min(old * r.uniform(0.05, 0.3), u.amt), label=0)   # shows the old limit
    if seen:
        k.settle(seen, u.bad_p)
    new = w.raised_limit(u, old, 1.3 + 3.7 * s * r.uniform(0.6, 1.1))
    u.set_limit(k.t0, new)
    span = k.lerp(5 * DAY, 0.5 * HOUR)
    n = 1 + int(r.random() * (2 + 3 * s))
    total = w.drawable(u, old, new) * (0.6 + 0.4 * s) * r.uniform(0.9, 1.05)
    first = k.t0 + r.uniform(60, k.lerp(2 * HOUR, 0.1 * HOUR) + 600)
    times = sorted([first] + [first + r.uniform(0, span) for _ in range(n - 1)])
    for t, amt in zip(times, _split(r, total, n)):
        loan = k.loan(t, amt, product=w.revolving_product(u))
        if loan:
            k.settle(loan, k.bad(0.7 + 0.8 * s))


def device_ring(k):
    """Own typology.  A ring of freshly opened accounts that share one to three
    devices: they register close together and each draws near its whole starting
    limit, then almost none repay (synthetic identities from one device farm)."""
    r, s, w = k.rng, k.s, k.world
    members = k.group
    ndev = 1 if s > 0.6 else r.randint(1, 3)
    devs = [w.new_device(members[0], r) for _ in range(ndev)]
    spread = k.lerp(7 * DAY, 2 * HOUR)
    chan = r.choice(w.ring_channels())
    prod = w.cash_product(members[0])
    for i, m in enumerate(members):
        j = k.t0 + r.uniform(0, spread)
        m.join_t = int(j - r.uniform(0, 2 * HOUR))
        m.stop_t = int(j)
        m.fresh = True
        m.devices = [devs[i % ndev]]
        m.show["device_id"] = True
        m.limit0 = w.new_limit(m, r)
        m.limit_changes = []
        t = j
        if r.random() > s:   # subtle rings first look like real customers
            first = k.loan(t, m.amt * r.uniform(0.1, 0.3), user=m, channel=chan)
            if first:
                k.settle(first, 0.05, user=m)
            t += k.lerp(10, 1) * DAY * r.uniform(0.3, 1.0)
        t += r.uniform(60, k.lerp(3 * DAY, 600))
        main = k.loan(t, w.cap(m, t) * (0.6 + 0.4 * s) * r.uniform(0.9, 1.0), product=prod,
                      channel=chan, user=m, term=None)
        if main:
            k.settle(main, k.bad(2.2 + s), user=m)
