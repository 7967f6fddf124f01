"""Misbehaviour episodes injected into a simulated lender world.

Every episode draws an intensity ``s`` in [0, 1] (0 = subtle, hard to tell
from normal behaviour; 1 = blatant) and a phase: ``test`` (starts inside the
test window), ``hist`` (starts and mostly ends in the history) or
``straddle`` (starts at the end of the history and runs into the test window).
About 30 % of episodes start in the history.  Episodes only *add* events to
users or rewrite some of their later repayments; the events that make up the
typology get ``label = 1`` and ``scenario = <typology>``.  Every user touched
by an episode is marked anomalous.

Six named typologies plus two of our own:

``synthetic_identity_ring``
    A coordinated ring of freshly opened accounts (synthetic or bought
    identities).  The members open accounts within days (blatant) or a week
    (subtle) of each other, declare the same segment, get near-identical
    thin-file starter limits, and share a small pool of devices (one or two
    handsets for a blatant ring, one device each for a subtle one) and a
    channel.  They groom the lender with a few small loans repaid early or on
    time, often earn an automatic limit raise, then all members draw most of
    their limit within minutes to a few days of each other and never repay.
    Labelled: every event of every member (the accounts exist only for the
    scheme).

``merchant_collusion_cashout``
    Credit-line "cash-out" through a colluding merchant.  Several genuine
    customers draw their consumer credit line (or an instalment plan) at the
    same merchant id through the merchant channel - a fake sale whose proceeds
    the merchant hands back in cash minus a fee.  Draws are close to the
    available limit, often round just-under amounts (4 999, 9 900), cluster
    within hours or days, sometimes at night, often on the merchant's own
    terminal device (one device id for several users).  Blatant rings cycle:
    the draw is repaid in full one to five days later to free the limit, and
    drawn again.  Labelled: the merchant draws and the cycling repayments.
"""
from __future__ import annotations

import math

from .core import DAY, HOUR, Sched, lerp, money, round_down, round_step, wchoice

TYPOLOGIES = (
    "loan_stacking",
    "borrow_to_repay",
    "account_takeover",
    "student_overborrowing",
    "limit_jump_drain",
    "overdue_escalation",
    "synthetic_identity_ring",
    "merchant_collusion_cashout",
)
TYP_WEIGHTS = (1.0, 1.0, 1.0, 0.8, 1.0, 1.0, 0.45, 0.55)
CONSUMER = ("cash_loan", "credit_line", "installment")


class Episode:
    def __init__(self, typ, phase, s):
        self.typ = typ
        self.phase = phase
        self.s = s
        self.users: list = []
        self.t0 = None


class Picker:
    def __init__(self, W, rng):
        self.W = W
        self.rng = rng
        self.pool = [u for u in W.users]
        self.by_seg: dict = {}
        for u in self.pool:
            self.by_seg.setdefault(u.segment, []).append(u)
        self.used: set = set()

    def pick(self, segs=None, before=None, pred=None, tries=300):
        if segs:
            pool = [u for sg in segs for u in self.by_seg.get(sg, [])]
        else:
            pool = self.pool
        if not pool:
            return None
        for _ in range(tries):
            u = self.rng.choice(pool)
            if u.idx in self.used:
                continue
            if before is not None and u.first_day * DAY > before - 5 * DAY:
                continue
            if pred is not None and not pred(u):
                continue
            self.used.add(u.idx)
            return u
        return None

    def release(self, u):
        self.used.discard(u.idx)


# ------------------------------------------------------------------ helpers
def window(W, phase, dur):
    """A start time for an episode of typical duration ``dur`` seconds."""
    rng = W.erng
    if phase == "test":
        hi = max(W.T_hist + HOUR, W.T_end - max(int(dur * 0.7), 3 * HOUR))
        return rng.randint(W.T_hist, hi)
    if phase == "hist":
        hi = max(5 * DAY, W.T_hist - int(dur) - DAY)
        return rng.randint(4 * DAY, hi)
    back = int(max(dur, 2 * DAY) * rng.uniform(0.3, 0.8))
    return max(DAY, W.T_hist - back)


def at_hour(W, u, day, rng, odd_p=0.0):
    if rng.random() < odd_p:
        h = rng.uniform(0.3, 5.2)
    else:
        h = W.draw_hour(u)
    return int(day) * DAY + int(h * 3600) % DAY


def in_phase(W, phase, t):
    if phase == "test":
        return t >= W.T_hist
    return True


def split(rng, total, n, conc):
    w = [rng.gammavariate(conc, 1.0) for _ in range(n)]
    tw = sum(w)
    return [total * x / tw for x in w]


def spec_for(W, u, t, product, amount, channel=None, term=None, device="auto", merchant=None,
             purpose=None):
    spec = W.draw_loan(u, t, product)
    if channel is not None and channel != spec["channel"]:
        spec["channel"] = channel
        spec["device"] = W.device_for(u, t, channel)
        if channel == "merchant" and "merchant" not in spec:
            spec["merchant"] = u.rng.choice(u.merchants)
    if device != "auto":
        spec["device"] = device
    if merchant is not None:
        spec["merchant"] = merchant
    if term is not None:
        spec["term"] = term
    if purpose is not None:
        spec["purpose"] = purpose
    spec["amount"] = amount
    spec.pop("frac", None)
    return spec


def fit_amount(W, product, x):
    step = 100 if product in ("cash_loan", "merchant_loan", "wealth_pledge") else 1
    a = round_down(x, step)
    return money(a) if a >= W.min_amount(product) else 0.0


def remove_events(u, pred):
    u.events = [e for e in u.events if not pred(e)]


def principal_paid(u, lid, before):
    return sum(-e["_dp"] for e in u.events
               if e["event_type"] == "repayment" and e["loan_id"] == lid and e["_t"] < before)


def emit_rep(W, u, loan, t, principal, due, typ, lab=1):
    if not (0 <= t < W.T_end) or principal <= 0:
        return None
    amt = W.rep_amount(loan["product"], principal, loan["_t"], t, due)
    e = W.repayment_event(u, t, loan["loan_id"], amt, max(0, t // DAY - due // DAY), round(principal, 2),
                          lab, typ if lab else "normal")
    u.events.append(e)
    return e


def products_of(W, u):
    return [p for p in W.products[u.segment] if W.products[u.segment][p] > 0]


# --------------------------------------------------------------- typologies
def loan_stacking(W, rng, ep, P, budget):
    """Many loans within minutes (blatant) to a day (subtle), same product and channel when
    subtle, across products and channels when blatant, together at or under the headroom.
    Labelled: the stacked loans.  Blatant stackers often never repay."""
    s = ep.s
    span = math.exp(lerp(math.log(20 * HOUR), math.log(8 * 60), s)) * rng.uniform(0.6, 1.4)
    t0 = window(W, ep.phase, span)
    u = None
    for _ in range(12):
        c = P.pick(before=t0, pred=lambda x: x.limit.at(t0) >= 800)
        if c is None:
            return 0
        head = c.headroom(t0)
        if head >= 0.25 * c.limit.at(t0) and head >= 400:
            u = c
            break
        P.release(c)
    if u is None:
        return 0
    t = at_hour(W, u, t0 // DAY, rng, odd_p=0.3 * s)
    if ep.phase == "test":
        t = max(t, W.T_hist + 60)
    n = 2 + int(round(s * rng.uniform(3, 11)))
    head = u.headroom(t)
    total = head * lerp(0.35, 1.0, s) * rng.uniform(0.85, 1.0)
    usual = max(u.pw, key=u.pw.get)
    prods = products_of(W, u)
    chans = [c for c in ("app", "web", "partner", "merchant") if c in W.channels[u.segment]]
    main_ch = max(u.ch, key=u.ch.get)
    parts = split(rng, total, n, lerp(1.0, 8.0, s))
    times = sorted(t + int(rng.uniform(0, span)) for _ in range(n))
    default = rng.random() < 0.7 * s
    spent = 0.0
    for tt, a in zip(times, parts):
        if tt >= W.T_end:
            break
        p = usual if rng.random() > lerp(0.1, 0.8, s) else rng.choice(prods)
        ch = main_ch if rng.random() > lerp(0.05, 0.7, s) else rng.choice(chans)
        amt = fit_amount(W, p, min(a, head - spent))
        if amt <= 0:
            p = "credit_line"
            amt = fit_amount(W, p, min(a, head - spent))
            if amt <= 0:
                continue
        terms = W.terms[p][0]
        spec = spec_for(W, u, tt, p, amt, channel=ch, term=terms[0] if s > 0.5 else None)
        W.add_loan(u, tt, spec, lab=1, sc=ep.typ, repay="none" if default else "normal")
        spent += amt
    ep.users = [u]
    ep.t0 = t
    return 1


def borrow_to_repay(W, rng, ep, P, budget):
    """A new loan (0.8-2x the remaining balance, same or other product) pays off an older
    loan minutes to two days later, before, on or after its due date; intense episodes chain
    two to four cycles.  Labelled: the new loans and the pay-off repayments."""
    s = ep.s
    if ep.phase == "test":
        lo, hi = W.T_hist, W.T_end - 6 * HOUR
    elif ep.phase == "hist":
        lo, hi = 3 * DAY, W.T_hist - 3 * DAY
    else:
        lo, hi = W.T_hist - 3 * DAY, W.T_hist - HOUR
    t_mid = rng.randint(lo, hi)
    u = P.pick(before=t_mid)
    if u is None:
        return 0
    mode = rng.choice(("early", "ontime", "late"))
    cands = []
    for e in u.events:
        if e["event_type"] != "loan" or e["_lab"] or e["amount"] < 200:
            continue
        due = e["_due"]
        off = {"early": -rng.randint(1, 8), "ontime": 0, "late": rng.randint(1, 9)}[mode]
        tn = at_hour(W, u, due // DAY + off, rng, odd_p=0.2 * s)
        if lo <= tn <= hi and tn > e["_t"] + DAY:
            cands.append((e, tn))
    if cands:
        old, t_new = rng.choice(cands)
    else:
        t_new = at_hour(W, u, t_mid // DAY, rng, odd_p=0.2 * s)
        t_new = min(max(t_new, lo), hi)
        p = wchoice(u.rng, u.pw)
        term = rng.choice((14, 30, 30, 60))
        off = {"early": rng.randint(1, 8), "ontime": 0, "late": -rng.randint(1, 9)}[mode]
        t_old = t_new - (term + off) * DAY - rng.randrange(DAY)  # may lie before the stream
        setup = W.draw_loan(u, t_old, p)
        setup.update(term=term, style="lump")
        setup.pop("frac", None)
        setup["amount"] = max(setup["amount"], W.min_amount(p))
        old, _ = W.add_loan(u, t_old, setup, repay="none")
    cycles = 1 + (rng.randint(1, 3) if s > 0.55 else 0)
    lab_loans = []
    for c in range(cycles):
        if t_new >= W.T_end - HOUR:
            break
        if rng.random() < lerp(0.3, 0.85, s):
            lag = rng.randint(5 * 60, 2 * HOUR)
        else:
            lag = rng.randint(3 * HOUR, 2 * DAY)
        t_rep = min(t_new + lag, W.T_end - 60)
        lid = old["loan_id"]
        remove_events(u, lambda e: e["event_type"] == "repayment" and e["loan_id"] == lid and e["_t"] >= t_rep)
        remaining = round(old["amount"] - principal_paid(u, lid, t_rep), 2)
        if remaining < 50:
            remaining = old["amount"]
        mult = rng.uniform(0.8, lerp(1.15, 2.0, s))
        prods = products_of(W, u)
        p = old["product"] if rng.random() < 0.5 or len(prods) == 1 else rng.choice(prods)
        amt = W.round_amount(u.rng, p, remaining * mult)
        amt = max(amt, W.min_amount(p))
        last = c == cycles - 1
        term = rng.choice((14, 30, 30)) if not last else None
        spec = spec_for(W, u, t_new, p, amt, term=term)
        if not last:
            spec["style"] = "lump"
        new, _ = W.add_loan(u, t_new, spec, lab=1, sc=ep.typ,
                            repay="normal" if last and rng.random() > 0.4 * s else "none")
        lab_loans.append(new)
        emit_rep(W, u, old, t_rep, remaining, old["_due"], ep.typ)
        old = new
        nxt = new["_due"] // DAY + rng.randint(-3, 3)
        t_new = at_hour(W, u, max(nxt, t_rep // DAY + 1), rng, odd_p=0.2 * s)
    if not lab_loans:
        return 0
    ep.users = [u]
    ep.t0 = lab_loans[0]["_t"]
    return 1


def account_takeover(W, rng, ep, P, budget):
    """A new device (often a new channel, an odd hour), sometimes a small probe, then one to
    five large cash loans that drain the headroom; the victim may be locked out and the
    fraudster may come back a day or two later.  Labelled: the fraudster's loans."""
    s = ep.s
    t0 = window(W, ep.phase, 2 * DAY)
    u = None
    for _ in range(15):
        c = P.pick(before=t0 - 5 * DAY)
        if c is None:
            return 0
        if c.headroom(t0) >= max(500, 0.3 * c.limit.at(t0)):
            u = c
            break
        P.release(c)
    if u is None:
        return 0
    dev = W.ids.new("d-", 8)
    main_ch = max(u.ch, key=u.ch.get)
    ch = main_ch if main_ch in ("app", "web", "partner") else "app"
    if rng.random() < lerp(0.15, 0.8, s):
        ch = rng.choice([c for c in ("app", "web", "partner") if c != ch])
    t = at_hour(W, u, t0 // DAY, rng, odd_p=lerp(0.1, 0.95, s))
    if t >= W.T_end - 10 * 60:
        t = W.T_end - 20 * 60
    evs = []
    if rng.random() < 0.4:  # victim locked out: no more own loans
        gone = {e["loan_id"] for e in u.events if e["event_type"] == "loan" and e["_t"] > t and not e["_lab"]}
        remove_events(u, lambda e: e["loan_id"] in gone)
    dev_for = (lambda: dev) if ch in ("app", "web") else (lambda: dev if rng.random() < 0.5 else None)
    if s > 0.4 and rng.random() < 0.5:
        amt = fit_amount(W, "credit_line", rng.uniform(50, 500))
        if amt > 0:
            spec = spec_for(W, u, t, "credit_line", amt, channel=ch, device=dev_for(), term=30)
            evs.append(W.add_loan(u, t, spec, lab=1, sc=ep.typ, repay="none")[0])
            t += rng.randint(5 * 60, 50 * 60)
    head = u.headroom(t)
    n = 1 + int(round(s * rng.uniform(1, 4)))
    total = head * lerp(0.5, 1.0, s) * rng.uniform(0.9, 1.0)
    parts = split(rng, total, n, 3.0)
    gap = lerp(3 * HOUR, 3 * 60, s)
    for a in parts:
        if t >= W.T_end:
            break
        p = "cash_loan" if rng.random() < 0.8 else rng.choice(products_of(W, u))
        amt = fit_amount(W, p, a)
        if amt <= 0:
            continue
        spec = spec_for(W, u, t, p, amt, channel=ch, device=dev_for(),
                        term=rng.choice(W.terms[p][0][-3:]))
        evs.append(W.add_loan(u, t, spec, lab=1, sc=ep.typ, repay="none")[0])
        t += int(gap * rng.uniform(0.4, 1.6))
    if rng.random() < 0.5 * s:  # fraudster comes back for what is left
        t2 = t + rng.randint(20 * HOUR, 3 * DAY)
        head = u.headroom(t2)
        amt = fit_amount(W, "cash_loan", head * rng.uniform(0.6, 0.95))
        if t2 < W.T_end and amt > 0:
            spec = spec_for(W, u, t2, "cash_loan", amt, channel=ch, device=dev_for(), term=365)
            evs.append(W.add_loan(u, t2, spec, lab=1, sc=ep.typ, repay="none")[0])
    if not evs:
        return 0
    ep.users = [u]
    ep.t0 = evs[0]["_t"]
    return 1


def student_overborrowing(W, rng, ep, P, budget):
    """A student takes 3-14 consumer loans over two weeks (subtle) to a day and a half
    (blatant), together 50-100 % of the limit, sometimes after talking the limit up.
    Labelled: those loans."""
    s = ep.s
    span = lerp(14, 1.5, s) * rng.uniform(0.7, 1.3) * DAY
    t0 = window(W, ep.phase, span)
    if ep.phase == "test":
        span = min(span, W.T_end - t0 - HOUR)
    u = P.pick(segs=("student",), before=t0)
    if u is None:
        return 0
    lim = u.limit.at(t0)
    head = u.headroom(t0)
    if head < 0.5 * lim and rng.random() < 0.5 + 0.4 * s:
        f = rng.uniform(1.5, 3.0)
        tj = t0 - rng.randint(HOUR, 2 * DAY)
        u.limit.set(tj, round_step(lim * f, W.limit_step))
        u.limit.scale_after(tj, f, W.limit_step)
        head = u.headroom(t0)
    if head < 200:
        u.limit.set(t0 - HOUR, round_step(lim * 2 + 1000, W.limit_step))
        head = u.headroom(t0)
    n = max(3, int(round(lerp(3, 14, s) * rng.uniform(0.8, 1.2))))
    total = max(head * lerp(0.6, 1.0, s) * rng.uniform(0.9, 1.0), u.limit.at(t0) * lerp(0.5, 1.0, s))
    floor = max(50.0, 0.05 * u.limit.at(t0))
    parts = [max(floor, x) for x in split(rng, total, n, lerp(2.0, 4.0, s))]
    days = sorted(t0 + int(rng.uniform(0, span)) for _ in range(n))
    punct = (0.05, 0.35, 0.4, 0.2)
    evs = []
    for tt, a in zip(days, parts):
        t = at_hour(W, u, tt // DAY, rng, odd_p=0.2)
        if ep.phase == "test":
            t = max(t, W.T_hist + 60)
        if t >= W.T_end:
            continue
        p = rng.choices(CONSUMER, weights=(0.35, 0.4, 0.25))[0]
        amt = fit_amount(W, p, a) or fit_amount(W, "credit_line", a)
        if amt <= 0:
            continue
        if amt < W.min_amount(p):
            p = "credit_line"
        ch = rng.choice(("app", "app", "partner", "web"))
        spec = spec_for(W, u, t, p, amt, channel=ch, purpose="consumption" if rng.random() < 0.85 else None)
        evs.append(W.add_loan(u, t, spec, lab=1, sc=ep.typ,
                              repay="none" if rng.random() < 0.5 * s else "normal", punct=punct)[0])
    if not evs:
        return 0
    ep.users = [u]
    ep.t0 = min(e["_t"] for e in evs)
    return 1


def limit_jump_drain(W, rng, ep, P, budget):
    """The limit jumps 1.3x-5x, then most of the new headroom is drawn within hours
    (blatant) or days (subtle).  Labelled: the draining loans."""
    s = ep.s
    dur = lerp(6 * DAY, 2 * HOUR, s) * rng.uniform(0.6, 1.4)
    t0 = window(W, ep.phase, dur)
    if ep.phase == "test":
        dur = min(dur, W.T_end - t0 - HOUR)
    u = P.pick(before=t0, pred=lambda x: x.limit.at(t0) >= 1000)
    if u is None:
        return 0
    lim = u.limit.at(t0)
    factor = lerp(1.3, 5.0, s ** 1.3) * rng.uniform(0.9, 1.1)
    new = round_step(lim * factor, W.limit_step)
    tj = t0 - rng.randint(0, 8 * HOUR)
    u.limit.set(tj, new)
    u.limit.scale_after(tj, factor, W.limit_step)
    t = at_hour(W, u, t0 // DAY, rng, odd_p=0.3 * s)
    if ep.phase == "test":
        t = max(t, W.T_hist + 60)
    t = max(t, tj + 60)
    head = u.headroom(t)
    if head < 200:
        return 0
    n = 1 + int(round(rng.uniform(0, 3) * s + rng.random()))
    total = head * lerp(0.6, 0.98, s)
    parts = split(rng, total, n, 4.0)
    times = sorted([t] + [t + int(rng.uniform(0, dur)) for _ in range(n - 1)])
    no_repay = rng.random() < lerp(0.2, 0.9, s)
    evs = []
    for tt, a in zip(times, parts):
        if tt >= W.T_end:
            continue
        if u.segment == "small_business" and "merchant_loan" in u.pw and rng.random() < 0.5:
            p = "merchant_loan"
        else:
            p = "cash_loan" if rng.random() < 0.75 else rng.choice(products_of(W, u))
        amt = fit_amount(W, p, a) or fit_amount(W, "cash_loan", a)
        if amt <= 0:
            continue
        if amt < W.min_amount(p):
            p = "cash_loan"
        spec = spec_for(W, u, tt, p, amt)
        evs.append(W.add_loan(u, tt, spec, lab=1, sc=ep.typ, repay="none" if no_repay else "normal")[0])
    if not evs:
        return 0
    ep.users = [u]
    ep.t0 = evs[0]["_t"]
    return 1


def overdue_escalation(W, rng, ep, P, budget):
    """Repayments come later and later and get smaller while the user keeps taking short
    loans.  Labelled: the new loans and the escalating repayments."""
    s = ep.s
    if ep.phase == "test":
        t0 = rng.randint(W.T_hist, max(W.T_hist + HOUR, W.T_end - 8 * DAY))
        dur = W.T_end - t0
    else:
        dur = int(rng.uniform(14, 30) * DAY)
        t0 = window(W, ep.phase, dur)
        dur = min(dur, W.T_end - t0)
    u = P.pick(before=t0)
    if u is None:
        return 0
    t_end = t0 + dur
    loans = {e["loan_id"]: e for e in u.events if e["event_type"] == "loan"}
    dues = []
    gone = []
    for e in u.events:
        if (e["event_type"] == "repayment" and not e["_lab"] and t0 <= e["_t"] < t_end
                and e["loan_id"] in loans):
            gone.append(e)
            dues.append((e["_t"] - e["days_late"] * DAY, loans[e["loan_id"]], -e["_dp"]))
    ids_gone = {id(e) for e in gone}
    remove_events(u, lambda e: id(e) in ids_gone)
    m = 2 + int(round(s * rng.uniform(1, 4)))
    evs = []
    for i in range(m):
        tt = t0 + int(dur * 0.8 * i / m + rng.uniform(0, dur * 0.8 / m))
        t = at_hour(W, u, tt // DAY, rng)
        if ep.phase == "test":
            t = max(t, W.T_hist + 60)
        if t >= W.T_end:
            continue
        short = [x for x in u.pw if x in ("cash_loan", "credit_line", "merchant_loan")] or ["cash_loan"]
        p = rng.choice(short)
        base = W.draw_loan(u, t, p)["amount"]
        head = u.headroom(t)
        lim = u.limit.at(t)
        a = min(base * lerp(1.0, 1.8, s), max(head * rng.uniform(0.6, 1.0), lim * rng.uniform(0.05, 0.2)))
        amt = max(W.min_amount(p), W.round_amount(u.rng, p, a))
        term = rng.choice((7, 7, 14, 14, 30))
        spec = spec_for(W, u, t, p, amt, term=term)
        spec["style"] = "lump"
        ev, _ = W.add_loan(u, t, spec, lab=1, sc=ep.typ, repay="none")
        evs.append(ev)
        dues.append((ev["_due"], ev, ev["amount"]))
    dues.sort(key=lambda x: x[0])
    k = 0
    for due, loan, part in dues:
        late = int(round(lerp(1.0, 4.0, s) * (k + 1) ** lerp(0.6, 1.3, s))) + rng.randint(0, 1)
        frac = max(0.08, 1.0 - k * lerp(0.07, 0.22, s) - rng.uniform(0, 0.05))
        tp = at_hour(W, u, due // DAY + late, rng)
        if tp <= loan["_t"]:
            tp = loan["_t"] + HOUR
        e = emit_rep(W, u, loan, tp, part * frac, due, ep.typ)
        if e is not None:
            evs.append(e)
        k += 1
    if not evs:
        return 0
    ep.users = [u]
    ep.t0 = min(e["_t"] for e in evs)
    return 1


def synthetic_identity_ring(W, rng, ep, P, budget):
    """See the module docstring."""
    s = ep.s
    k = min(budget, 3 + int(round(s * rng.uniform(0, 9))))
    if k < 3:
        return 0
    if ep.phase == "test":
        t_bust = rng.randint(W.T_hist + DAY, W.T_end - 6 * HOUR)
    elif ep.phase == "hist":
        t_bust = rng.randint(min(12 * DAY, W.T_hist - 3 * DAY), W.T_hist - 2 * DAY)
    else:
        t_bust = W.T_hist + rng.randint(12 * HOUR, 4 * DAY)
    groom = lerp(21, 4, s) * rng.uniform(0.7, 1.3) * DAY
    c0 = max(0, int(t_bust - groom - rng.uniform(0, 3 * DAY)))
    stagger = lerp(7 * DAY, 6 * HOUR, s)
    segw = {"individual": 0.5, "small_business": 0.3, "student": 0.2}
    seg = wchoice(rng, segw)
    ndev = max(1, int(round(k * lerp(1.0, 0.15, s))))
    devs = [W.ids.new("d-", 8) for _ in range(ndev)]
    chan = rng.choice(("app", "app", "web", "partner"))
    lm = W.limits[seg][0]
    base_lim = round_step(lm * rng.uniform(0.15, 0.4), W.limit_step)
    score = int(rng.uniform(560, 660))
    hour_c = rng.uniform(0, 24)
    bust_span = lerp(3 * DAY, 20 * 60, s)
    bump = rng.random() < 0.6
    bump_f = rng.uniform(1.5, 3.0)
    members = []
    for j in range(k):
        mseg = seg if rng.random() < lerp(0.5, 1.0, s) else wchoice(rng, segw)
        W.n_synth = getattr(W, "n_synth", 0) + 1
        u = W.make_user(W.n_users + 100000 + W.n_synth, segment=mseg, blank=True, tag="s")
        u.synthetic = True
        u.anom = True
        tc = c0 + int(rng.uniform(0, stagger))
        tc = min(tc, t_bust - 2 * HOUR)
        u.first_day = max(0, tc // DAY)
        lim = base_lim if rng.random() < s else round_step(base_lim * rng.uniform(0.75, 1.25), W.limit_step)
        if mseg != seg:
            lim = round_step(W.limits[mseg][0] * rng.uniform(0.15, 0.4), W.limit_step)
        u.limit = Sched(lim)
        u.score = Sched(int(score + rng.gauss(0, lerp(40, 5, s))))
        u.device = Sched(devs[j % ndev] if rng.random() < lerp(0.3, 1.0, s) else W.ids.new("d-", 8))
        u.web_dev = u.device.at(0) if rng.random() < lerp(0.2, 1.0, s) else None
        u.alt_dev = None
        ch = chan if rng.random() < lerp(0.5, 1.0, s) else rng.choice(("app", "web", "partner"))
        u.ch = {ch: 1.0}
        sd = lerp(3.5, 0.6, s)
        u.hours = [(hour_c + rng.gauss(0, sd), sd, 1.0)]
        # grooming: small loans repaid early / on time
        g = rng.randint(1, 4)
        t_start = max(tc, u.first_day * DAY) + HOUR
        t_stop = t_bust - DAY
        for i in range(g):
            if t_stop <= t_start:
                break
            tt = t_start + int((t_stop - t_start) * (i + rng.random()) / g)
            t = at_hour(W, u, tt // DAY, rng)
            t = max(t, t_start)
            if t >= min(t_stop, W.T_end):
                continue
            p = rng.choice(("credit_line", "cash_loan")) if mseg != "small_business" else rng.choice(("cash_loan", "merchant_loan", "credit_line"))
            amt = fit_amount(W, p, lim * rng.uniform(0.1, 0.35)) or fit_amount(W, "credit_line", lim * 0.2)
            if amt <= 0:
                continue
            if amt < W.min_amount(p):
                p = "credit_line"
            spec = spec_for(W, u, t, p, amt, channel=ch, term=rng.choice((7, 14, 30)))
            spec["style"] = "lump"
            ev, _ = W.add_loan(u, t, spec, lab=1, sc=ep.typ, repay="none")
            dues = W.dues(u, t, ev["amount"], spec)
            pays = [x for x in W.pay_plan(u, t, dues, spec, punct=(0.6, 0.4, 0.0, 0.0)) if x[0] < t_bust]
            W.emit_pays(u, ev["loan_id"], t, p, pays, lab=1, sc=ep.typ)
        if bump:
            u.limit.set(t_bust - rng.randint(HOUR, 2 * DAY), round_step(lim * bump_f, W.limit_step))
        # bust
        tb = t_bust + int(rng.uniform(0, bust_span))
        tb = at_hour(W, u, tb // DAY, rng) if s < 0.5 else tb
        nb = rng.randint(1, 3)
        head = u.headroom(tb)
        parts = split(rng, head * rng.uniform(0.8, 1.0), nb, 3.0)
        for a in parts:
            if tb >= W.T_end:
                break
            p = "merchant_loan" if mseg == "small_business" and rng.random() < 0.5 else rng.choice(("cash_loan", "cash_loan", "credit_line"))
            amt = fit_amount(W, p, a) or fit_amount(W, "credit_line", a)
            if amt <= 0:
                continue
            if amt < W.min_amount(p):
                p = "credit_line"
            spec = spec_for(W, u, tb, p, amt, channel=ch, term=rng.choice(W.terms[p][0][-2:]))
            W.add_loan(u, tb, spec, lab=1, sc=ep.typ, repay="none")
            tb += rng.randint(2 * 60, int(lerp(6 * HOUR, 20 * 60, s)))
        if u.events:
            members.append(u)
            W.extra.append(u)
    if not members:
        return 0
    ep.users = members
    ep.t0 = min(e["_t"] for u in members for e in u.events)
    return len(members)


def merchant_collusion_cashout(W, rng, ep, P, budget):
    """See the module docstring."""
    s = ep.s
    k = min(budget, 2 + int(round(s * rng.uniform(0, 6))))
    if k < 2:
        return 0
    span = lerp(6 * DAY, 3 * HOUR, s) * rng.uniform(0.6, 1.4)
    t0 = window(W, ep.phase, span + 3 * DAY)
    if rng.random() < 0.6:
        mid = W.ids.new("m-", 8)
    else:
        mid = rng.choice(W.mpool[rng.randrange(W.n_regions)])
    term_dev = W.ids.new("d-", 8)
    cycles = 1 + int(round(s * rng.uniform(0, 2)))
    members = []
    for _ in range(k):
        u = P.pick(segs=("individual", "student"), before=t0, pred=lambda x: x.limit.at(t0) >= 1000)
        if u is None:
            break
        t = at_hour(W, u, (t0 + int(rng.uniform(0, span))) // DAY, rng, odd_p=0.5 * s)
        if ep.phase == "test":
            t = max(t, W.T_hist + 60)
        got = False
        for c in range(cycles):
            if t >= W.T_end - HOUR:
                break
            head = u.headroom(t)
            if head < 300:
                break
            x = head * lerp(0.55, 0.95, s) * rng.uniform(0.95, 1.0)
            if rng.random() < s:
                step = 1000 if x > 3000 else 100
                x = max(step, round_down(x, step)) - rng.choice((1, 100, 0))
            p = "credit_line" if rng.random() < 0.7 else "installment"
            amt = money(x) if x >= W.min_amount(p) else 0.0
            if amt <= 0:
                break
            r = rng.random()
            dev = term_dev if r < lerp(0.2, 0.9, s) else (u.device.at(t) if rng.random() < 0.5 else None)
            spec = spec_for(W, u, t, p, amt, channel="merchant", device=dev, merchant=mid,
                            term=30 if p == "credit_line" else rng.choice((90, 180, 360)),
                            purpose="consumption")
            spec["force_merchant"] = rng.random() < lerp(0.6, 1.0, s)
            last = c == cycles - 1
            cycle_back = (not last) or rng.random() < 0.5
            ev, _ = W.add_loan(u, t, spec, lab=1, sc=ep.typ,
                               repay="none" if cycle_back or rng.random() < 0.3 else "normal")
            got = True
            if cycle_back:
                tr = t + int(rng.uniform(HOUR, lerp(5, 1, s) * DAY))
                tr = at_hour(W, u, tr // DAY, rng) if s < 0.6 else tr
                tr = max(tr, t + HOUR)
                emit_rep(W, u, ev, tr, ev["amount"], ev["_due"], ep.typ)
                t = tr + rng.randint(2 * HOUR, 2 * DAY)
        if got:
            members.append(u)
        else:
            P.release(u)
    if not members:
        return 0
    ep.users = members
    ep.t0 = min(e["_t"] for u in members for e in u.events if e["_lab"])
    return len(members)


FUNCS = {
    "loan_stacking": loan_stacking,
    "borrow_to_repay": borrow_to_repay,
    "account_takeover": account_takeover,
    "student_overborrowing": student_overborrowing,
    "limit_jump_drain": limit_jump_drain,
    "overdue_escalation": overdue_escalation,
    "synthetic_identity_ring": synthetic_identity_ring,
    "merchant_collusion_cashout": merchant_collusion_cashout,
}


def reconcile(W, u):
    """Drop the user's *normal* loans (and their repayments) that would push the
    balance over the limit once the episode's loans are in place - the lender
    would have declined them.  Normal life was simulated before the episode."""
    lab_t = [e["_t"] for e in u.events if e["_lab"]]
    if not lab_t:
        return
    first = min(lab_t)
    protected = {e["loan_id"] for e in u.events if e["_lab"]}
    u.events.sort(key=lambda e: (e["_t"], 0 if e["event_type"] == "repayment" else 1))
    bal = u.init_balance
    dropped = set()
    keep = []
    for e in u.events:
        if e["loan_id"] in dropped:
            continue
        if (e["event_type"] == "loan" and not e["_lab"] and e["_t"] > first and e["loan_id"] not in protected
                and bal + e["_dp"] > u.limit.at(e["_t"]) * 1.02):
            dropped.add(e["loan_id"])
            continue
        bal += e["_dp"]
        keep.append(e)
    u.events = keep


def inject(W):
    rng = W.erng
    share = W.anomaly_share if W.anomaly_share is not None else rng.uniform(0.03, 0.06)
    budget = int(round(share * W.n_users))
    order = list(TYPOLOGIES)
    rng.shuffle(order)
    P = Picker(W, rng)
    n_est = max(1.0, budget / 1.5)
    p_hist = min(0.6, 0.3 * n_est / max(1.0, n_est - len(order))) if n_est > len(order) else 0.0
    i = 0
    fails = 0
    pending = list(order)  # every typology gets at least one test-window episode first
    while budget > 0 and fails < 80:
        if pending:
            typ = pending[0]
            phase = "test"
        else:
            typ = rng.choices(TYPOLOGIES, weights=TYP_WEIGHTS)[0]
            phase = "hist" if rng.random() < p_hist else "test"
            if phase == "hist" and rng.random() < 0.35:
                phase = "straddle"
        i += 1
        ep = Episode(typ, phase, rng.betavariate(1.2, 1.2))
        used = FUNCS[typ](W, rng, ep, P, budget)
        if not used:
            fails += 1
            if pending and fails % 4 == 0:
                pending.append(pending.pop(0))
            continue
        if pending and pending[0] == typ:
            pending.pop(0)
        for u in ep.users:
            u.anom = True
        budget -= used
        W.episodes.append(ep)
    for ep in W.episodes:
        for u in ep.users:
            reconcile(W, u)
