"""Anomalous-behaviour typologies and how episodes are planned into a world.

Each typology is a function ``(ep, world, ledgers, tl, rng)`` that adds labelled
events (label 1, scenario = typology name) to the ledgers of its users. Each
episode has an ``intensity`` in (0, 1]: low values stay close to normal
behaviour, 1.0 is blatant. Mechanics are randomised per episode.

Two typologies are our own:

* ``shared_device_ring`` - several accounts of a ring draw near-limit loans
  within a short span from one or two shared devices, usually at one merchant,
  and never (or only token-) repay.
* ``rapid_cycling`` - "credit washing": borrow and fully repay again within
  minutes to hours, many times, to inflate repayment history; sometimes the
  last cycle is a large draw that is never repaid.
"""
from __future__ import annotations

from .core import DAY, HOUR, MINUTE, pick, rng_for, stable_hex

TYPOLOGIES = (
    "loan_stacking",
    "borrow_to_repay",
    "account_takeover",
    "student_overborrowing",
    "limit_jump_drain",
    "overdue_escalation",
    "shared_device_ring",
    "rapid_cycling",
)


class Episode:
    def __init__(self, kind, members, phase, t0, intensity):
        self.kind = kind
        self.members = members  # user indices
        self.phase = phase  # "history" or "test"
        self.t0 = t0
        self.intensity = intensity


# ------------------------------------------------------------------ helpers
def _products(world, rng, k):
    """k products, as distinct as the world allows, weighted by the world's mix."""
    pool = [p for p, _ in world.products]
    rng.shuffle(pool)
    extra = ["cash_loan", "credit_line"]
    for p in extra:
        if p not in pool:
            pool.append(p)
    return [pool[i % len(pool)] if i < len(pool) else pick(rng, world.products) for i in range(k)]


def _split(rng, total, k):
    w = [rng.uniform(0.5, 1.5) for _ in range(k)]
    s = sum(w)
    return [total * x / s for x in w]


def _last_offset(L, t):
    """UTC offset of the user's latest event before t (users can move time zones)."""
    best = None
    for ev in L.events:
        if ev["_t"] < t and (best is None or ev["_t"] > best["_t"]):
            best = ev
    return best["_off"] if best is not None else L.user.offset_h


def _loan(L, world, rng, t, amount, product, ep, term=None, channel=None, device="default",
          merchant=None, purpose=None):
    u = L.user
    channel = channel or world.channel_for(product, rng)
    if channel == "merchant" and merchant is None:
        merchant = world.merchant_for(rng) or f"m-x-{stable_hex(world.name, 'mx', u.idx, n=6)}"
    return L.loan(t, amount, product, term or world.term_for(product, rng), channel,
                  device=device, merchant=merchant,
                  purpose=purpose or world.purpose_for(u, product, rng),
                  label=1, scenario=ep.kind, offset_h=_last_offset(L, t))


def _usual_time(L, world, rng, t, floor):
    """Move t to an ordinary hour of its day (subtle episodes), never before floor."""
    t2 = L.local_hour_on(t, world.usual_hour(L.user, rng))
    while t2 < floor:
        t2 += DAY
    return t2


def _limit(L, t, product="cash_loan"):
    return max(L.user.limit_at(t, product), 500.0)


def _odd_hour(L, t, rng):
    return L.local_hour_on(t, rng.uniform(0.3, 5.5))


# --------------------------------------------------------------- typologies
def loan_stacking(ep, world, ledgers, tl, rng):
    L = ledgers[ep.members[0]]
    x = ep.intensity
    t = ep.t0
    k = rng.randint(2, 3) if x < 0.5 else rng.randint(3, 7)
    span = rng.uniform(0.2, 2.0) * DAY if x < 0.5 else rng.uniform(5 * MINUTE, 6 * HOUR)
    prods = _products(world, rng, k)
    limit = _limit(L, t, prods[0])
    avail = L.available(t, prods[0])
    total = max(avail, 0.35 * limit) * (rng.uniform(0.75, 1.0) if x < 0.5 else rng.uniform(1.0, 1.6))
    times = sorted(t + int(rng.uniform(0, span)) for _ in range(k))
    for ti, amt, prod in zip(times, _split(rng, total, k), prods):
        ch = world.channel_for(prod, rng)
        if rng.random() < x * 0.6:
            ch = rng.choice(["app", "web", "partner"])
        ln = _loan(L, world, rng, ti, amt, prod, ep, channel=ch)
        if rng.random() < 0.6 - 0.4 * x:  # some stacks are (late) repaid
            L.pay_bullet(ln, rng.uniform(-2, 20), parts=rng.choice([1, 1, 2]))


def borrow_to_repay(ep, world, ledgers, tl, rng):
    L = ledgers[ep.members[0]]
    u = L.user
    x = ep.intensity
    t = ep.t0
    cands = [(ln, rem) for ln, rem in L.open_loans(t) if ln.label == 0]
    if cands:  # the open loan whose due date is nearest
        old = min(cands, key=lambda c: (abs(c[0].due - t), c[0].id))[0]
    else:  # build the ordinary loan that will be refinanced
        prod = pick(rng, world.products)
        term = rng.choice([14, 21, 30])
        t_old = max(tl.start + HOUR, t - term * DAY + int(rng.uniform(-5, 3) * DAY))
        old = L.loan(t_old, world.typical_amount(u) * rng.uniform(0.7, 1.5), prod, term,
                     world.channel_for(prod, rng), purpose=world.purpose_for(u, prod, rng))
        if old.t >= t:
            t = old.t + int(rng.uniform(2, 10) * DAY)
    links = 1 if rng.random() < 0.7 - 0.4 * x else rng.randint(2, 4)
    for i in range(links):
        L.cancel_repayments(old, t)
        if old.remaining < 1.0 or t >= tl.end:
            break
        if x < 0.5:
            t = _usual_time(L, world, rng, t, max(min(t, ep.t0), old.t + HOUR))
        prod = old.product if rng.random() < 0.5 else pick(rng, world.products)
        term = rng.choice([7, 14, 21, 30]) if links > 1 else None
        new = _loan(L, world, rng, t, old.remaining * rng.uniform(0.8, 2.0), prod, ep, term=term)
        lag = rng.uniform(1 * MINUTE, 3 * HOUR) if x >= 0.5 else rng.uniform(10 * MINUTE, 2 * DAY)
        L.repay(t + int(lag), old, old.remaining, label=1, scenario=ep.kind)
        old = new
        t = new.due + int(rng.uniform(-6, 3) * DAY)
    if old.label == 1 and rng.random() < 0.5:
        L.pay_bullet(old, rng.uniform(-3, 15))


def account_takeover(ep, world, ledgers, tl, rng):
    L = ledgers[ep.members[0]]
    u = L.user
    x = ep.intensity
    t = ep.t0
    if rng.random() < 0.4 + 0.5 * x:
        t = _odd_hour(L, t, rng)
        if t < ep.t0:
            t += DAY
    dev = "d-" + stable_hex(world.seed, world.name, "ato", u.idx, n=10)
    usual = u.channel
    ch = rng.choice([c for c in ("app", "web", "partner") if c != usual]) \
        if rng.random() < 0.4 + 0.5 * x else usual
    k = 1 if rng.random() < 0.4 else rng.randint(2, 4)
    prods = ["cash_loan"] * k
    if k > 1 and rng.random() < 0.5:
        prods[-1] = pick(rng, world.products)
    avail = L.available(t, prods[0])
    limit = _limit(L, t, prods[0])
    base = avail if avail > 0.15 * limit else 0.5 * limit
    total = base * (rng.uniform(0.85, 1.0) if x >= 0.5 else rng.uniform(0.45, 0.85))
    ti = t
    for amt, prod in zip(_split(rng, total, k), prods):
        _loan(L, world, rng, ti, amt, prod, ep, channel=ch, device=dev,
              term=rng.choice([30, 60, 90, 180]))
        ti += int(rng.uniform(2 * MINUTE, (3 if x >= 0.5 else 12) * HOUR))
    if rng.random() < 0.6:  # account frozen afterwards
        L.drop_normal_loans_after(t)


def student_overborrowing(ep, world, ledgers, tl, rng):
    L = ledgers[ep.members[0]]
    u = L.user
    x = ep.intensity
    t = ep.t0
    n = rng.randint(3, 6) if x < 0.5 else rng.randint(6, 12)
    span = rng.uniform(2, 10) * DAY
    habit = world.typical_amount(u)
    limit = _limit(L, t)
    total = max(limit * rng.uniform(0.8, 1.4), habit * n * rng.uniform(1.2, 3.0 if x < 0.5 else 5.0))
    prods = _products(world, rng, n)
    for i, (amt, prod) in enumerate(zip(_split(rng, total, n), prods)):
        ti = t + int(span * i / n + rng.uniform(0, span / n))
        if rng.random() < 0.45 + 0.4 * x:
            ti = L.local_hour_on(ti, rng.uniform(22, 27.5))
            if ti < t:
                ti += DAY
        ch = rng.choice(["app", "app", "web", "partner"])
        ln = _loan(L, world, rng, ti, amt, prod, ep, channel=ch, term=rng.choice([7, 14, 14, 30]),
                   purpose=rng.choice(["consumption", "consumption", "education"]))
        r = rng.random()
        if r < 0.55:
            L.pay_bullet(ln, rng.uniform(2, 25), fraction=rng.choice([1.0, rng.uniform(0.2, 0.7)]))
        elif r < 0.75:
            L.pay_bullet(ln, rng.uniform(3, 12), parts=2, gap_days=(5, 15))


def limit_jump_drain(ep, world, ledgers, tl, rng):
    L = ledgers[ep.members[0]]
    u = L.user
    x = ep.intensity
    t = ep.t0
    factor = rng.uniform(1.3, 1.8) if x < 0.5 else rng.uniform(2.0, 4.0)
    u.limit_changes.append((t, factor))
    prods = _products(world, rng, rng.randint(1, 4))
    delay = rng.uniform(10 * MINUTE, 2 * DAY) if x < 0.5 else rng.uniform(1 * MINUTE, 3 * HOUR)
    ti = t + int(delay)
    head = L.user.limit_at(ti, prods[0]) - L.outstanding_at(ti)
    if head < 0.3 * L.user.limit_at(ti, prods[0]):
        head = L.user.limit_at(ti, prods[0]) * 0.6
    total = head * (rng.uniform(0.85, 1.0) if x >= 0.5 else rng.uniform(0.7, 0.95))
    for amt, prod in zip(_split(rng, total, len(prods)), prods):
        ln = _loan(L, world, rng, ti, amt, prod, ep)
        if rng.random() < 0.2 * (1 - x):
            L.pay_bullet(ln, rng.uniform(0, 10), fraction=rng.uniform(0.05, 0.3))
        ti += int(rng.uniform(1 * MINUTE, (2 if x >= 0.5 else 20) * HOUR))


def overdue_escalation(ep, world, ledgers, tl, rng):
    L = ledgers[ep.members[0]]
    u = L.user
    x = ep.intensity
    t = ep.t0
    growth = rng.uniform(1.0, 3.0) if x >= 0.5 else rng.uniform(0.5, 1.5)
    # ordinary loans already open get paid later and later, partially
    k = 0
    for ln, _ in sorted(L.open_loans(t), key=lambda c: (c[0].due, c[0].id)):
        if ln.label != 0 or ln.due < t - 3 * DAY:
            continue
        L.cancel_repayments(ln, t)
        k += 1
        late = growth * k ** 1.3 + rng.uniform(0, 1)
        L.pay_bullet(ln, max(late, (t - ln.due) / DAY + late), label=1, scenario=ep.kind,
                     fraction=rng.uniform(0.3, 0.8) if rng.random() < 0.6 else 1.0)
    # while still borrowing, short loans whose repayments slip further each time
    horizon = min(tl.end, t + int(rng.uniform(14, 40) * DAY))
    ti = t
    habit = world.typical_amount(u)
    while ti < horizon:
        if x < 0.5:
            ti = _usual_time(L, world, rng, ti, t)
        prod = pick(rng, world.products)
        ln = _loan(L, world, rng, ti, habit * rng.uniform(0.6, 1.3), prod, ep,
                   term=rng.choice([3, 5, 7, 7, 10, 14]))
        k += 1
        late = growth * k ** 1.3 + rng.uniform(0, 1.5)
        if rng.random() < 0.15 * k:  # partial, rest much later or never
            L.pay_bullet(ln, late, fraction=rng.uniform(0.2, 0.7))
            if rng.random() < 0.5:
                L.pay_bullet(ln, late * 2 + 3)
        else:
            L.pay_bullet(ln, late)
        ti += int(rng.uniform(1, 4) * DAY if x >= 0.5 else rng.uniform(2.5, 6) * DAY)


def shared_device_ring(ep, world, ledgers, tl, rng):
    x = ep.intensity
    t = ep.t0
    devs = ["d-" + stable_hex(world.seed, world.name, "ring", ep.members[0], j, n=10)
            for j in range(rng.choice([1, 1, 2]))]
    merchant_prods = [p for p, _ in world.products if p in ("installment", "merchant_loan", "credit_line")]
    use_merchant = bool(merchant_prods) and rng.random() < 0.8
    merchant = (world.merchant_for(rng) if world.merchants and rng.random() < 0.5
                else f"m-r-{stable_hex(world.seed, world.name, 'ringm', ep.members[0], n=6)}")
    span = rng.uniform(10 * MINUTE, 6 * HOUR) if x >= 0.5 else rng.uniform(0.5, 4) * DAY
    for j, idx in enumerate(ep.members):
        L = ledgers[idx]
        for _ in range(1 if rng.random() < 0.7 else 2):
            ti = t + int(rng.uniform(0, span))
            prod = rng.choice(merchant_prods) if use_merchant else "cash_loan"
            limit = _limit(L, ti, prod)
            amt = limit * rng.uniform(0.7, 1.0) if x >= 0.5 else \
                max(world.typical_amount(L.user) * rng.uniform(1.5, 3.0), 0.3 * limit)
            dev = rng.choice(devs) if rng.random() < 0.6 + 0.35 * x else "default"
            ln = _loan(L, world, rng, ti, amt, prod, ep,
                       channel="merchant" if use_merchant else rng.choice(["app", "web"]),
                       merchant=merchant if use_merchant else None, device=dev)
            if rng.random() < 0.3:  # token first instalment, then silence
                L.pay_bullet(ln, -ln.term + 30 if ln.term > 30 else 0, fraction=rng.uniform(0.05, 0.15))


def rapid_cycling(ep, world, ledgers, tl, rng):
    L = ledgers[ep.members[0]]
    u = L.user
    x = ep.intensity
    t = ep.t0
    cycles = rng.randint(3, 5) if x < 0.5 else rng.randint(6, 15)
    span = (rng.uniform(3, 12) if x < 0.5 else rng.uniform(1, 4)) * DAY
    devs = [u.device] + (["d-" + stable_hex(world.seed, world.name, "cyc", u.idx, j, n=10)
                          for j in range(2)] if rng.random() < x else [])
    prod = pick(rng, world.products)
    limit = _limit(L, t, prod)
    bust = rng.random() < 0.25 + 0.3 * x
    for i in range(cycles):
        ti = t + int(span * i / cycles + rng.uniform(0, span / cycles / 2))
        if x >= 0.5:
            amt = max(500.0, round(limit * rng.uniform(0.3, 0.9) / 500) * 500)
        else:
            amt = world.typical_amount(u) * rng.uniform(0.8, 1.5)
        last = i == cycles - 1
        if last and bust:
            amt = max(L.available(ti, prod), 0.6 * limit) * rng.uniform(0.9, 1.0)
        ln = _loan(L, world, rng, ti, amt, prod, ep, device=rng.choice(devs),
                   channel=rng.choice(["app", "web"]) if prod in ("cash_loan", "credit_line") else None)
        if not (last and bust):
            lag = rng.uniform(10 * MINUTE, 8 * HOUR)
            L.repay(ti + int(lag), ln, ln.remaining, label=1, scenario=ep.kind)


RUNNERS = {name: globals()[name] for name in TYPOLOGIES}


# ------------------------------------------------------------------- planning
def applicable(world, ledgers):
    n_students = sum(1 for L in ledgers if L.user.segment == "student")
    return [k for k in TYPOLOGIES if k != "student_overborrowing" or n_students >= 8]


def plan(world, ledgers, tl, rng):
    """Choose 2-5 % of users; typologies round-robin; ~1/3 of episodes in history."""
    kinds = applicable(world, ledgers)
    n = len(ledgers)
    budget = max(len(kinds), int(round(n * rng.uniform(0.025, 0.045))))
    order = list(range(n))
    rng.shuffle(order)
    used = set()
    counts = {k: 0 for k in kinds}
    episodes = []

    def has_history(i, t):
        return any(ln.t < t - DAY and not ln.phantom for ln in ledgers[i].loans)

    def take(pred):
        for i in order:
            if i not in used and pred(i):
                used.add(i)
                return i
        for i in order:
            if i not in used:
                used.add(i)
                return i
        return None

    consumed, k = 0, 0
    while consumed < budget and len(used) < n:
        kind = kinds[k % len(kinds)]
        k += 1
        j = counts[kind]
        counts[kind] += 1
        phase = "history" if j % 3 == 1 else "test"
        if phase == "history":
            lo = tl.start + int(tl.history_days * 0.35 * DAY)
            hi = tl.test_start - 2 * DAY
        else:
            lo = tl.test_start + 2 * HOUR
            hi = tl.test_start + int(tl.test_days * 0.7 * DAY)
        t0 = int(rng.uniform(lo, max(lo + HOUR, hi)))
        intensity = rng.choices([0.25, 0.6, 1.0], [0.45, 0.35, 0.2])[0]
        if kind == "student_overborrowing":
            members = [take(lambda i: ledgers[i].user.segment == "student")]
            if ledgers[members[0]].user.segment != "student":
                used.discard(members[0])
                continue
        elif kind == "shared_device_ring":
            members = [take(lambda i: True) for _ in range(rng.randint(3, 6))]
        elif kind in ("account_takeover", "limit_jump_drain", "borrow_to_repay"):
            members = [take(lambda i: has_history(i, t0))]
        else:
            members = [take(lambda i: True)]
        members = [m for m in members if m is not None]
        if not members:
            break
        consumed += len(members)
        episodes.append(Episode(kind, members, phase, t0, intensity))
    return episodes


def inject(world, ledgers, tl, seed, ctx):
    for n, ep in enumerate(plan(world, ledgers, tl, rng_for(seed, world.name, "plan"))):
        for i in ep.members:
            ledgers[i].user.anomalous = True
        RUNNERS[ep.kind](ep, world, ledgers, tl, rng_for(seed, world.name, f"episode:{n}"))
