"""The nine risk typologies: each turns (user, start time, intensity) into intents.

k is the intensity, 0 (subtle) to 1 (blatant); bad_p the chance that the
episode's loans go bad (high in worlds with a strong outcome link, low in the
others). Every intent returned carries label 1 and the typology's name.
"""

from __future__ import annotations

from .core import DAY, HOUR, Intent
from .profile import device_name, plan


def lerp(a: float, b: float, k: float) -> float:
    return a + (b - a) * k


def _mk(w, u, rng, t, cents, scen, **over) -> Intent:
    return w.loan(u, rng, t, cents, label=1, scen=scen, **over)


def _bad_plan(rng, u, t, term, bad_p, n=1):
    return plan(rng, u, t, term, n, bad_p=bad_p)


def loan_stacking(w, u, rng, t0, k, bad_p):
    """3-7 loans in minutes (blatant) to ~2 days (subtle), cycling products and
    channels, summing to 0.8-1.15 x the limit; a partner channel checks late and
    may let the stack pass the limit."""
    n = rng.randint(3, 3 + int(4 * k))
    span = lerp(48, 0.1, k) * HOUR
    total = u.limit * rng.uniform(0.8, 1.15)
    wts = [rng.uniform(0.5, 1.5) for _ in range(n)]
    times = sorted(t0 + rng.uniform(0, span) for _ in range(n))
    prods = list(w.products)
    chans = list(w.channels)
    rng.shuffle(prods)
    rng.shuffle(chans)
    out = []
    for i, t in enumerate(times):
        ch = chans[i % len(chans)]
        cents = int(total * wts[i] / sum(wts)) // 100 * 100
        term = w.base(u, rng, t)["term"]
        p, full = _bad_plan(rng, u, t, term, bad_p)
        out.append(_mk(w, u, rng, t, cents, "loan_stacking", product=prods[i % len(prods)], channel=ch,
                       plan=p, full=full, over=1.2 if ch == "partner" else 1.0))
    return out


def borrow_to_repay(w, u, rng, t0, k, bad_p):
    """A loan taken around an older loan's due date repays it within minutes
    (blatant) or a day (subtle); 2-5 links, each a little larger; the last
    link goes bad with bad_p."""
    n = rng.randint(2, 2 + int(3 * k) + (rng.random() < 0.3))
    cents = u.limit * rng.uniform(0.25, 0.4)
    term = max(3, min(30, w.base(u, rng, t0)["term"]))
    t = t0
    out = []
    for i in range(n):
        if i == n - 1:
            p, full = _bad_plan(rng, u, t, term, bad_p)
            out.append(_mk(w, u, rng, t, cents, "borrow_to_repay", term=term, plan=p, full=full))
            break
        due = t + term * DAY
        t_next = due - rng.uniform(-0.5, lerp(2.5, 0.3, k)) * DAY
        pay = t_next + rng.uniform(0.05, lerp(20, 0.5, k)) * HOUR
        out.append(_mk(w, u, rng, t, cents, "borrow_to_repay", term=term, plan=[(due, pay, 1.0)]))
        cents *= rng.uniform(1.0, lerp(1.1, 1.35, k))
        t = int(t_next)
    return out


def account_takeover(w, u, rng, t0, k, bad_p):
    """An established account borrows from a new device and usually another
    channel, often at 1-5 am, draining most of the available limit in 1-3
    loans minutes apart; the real owner then often does not repay."""
    day = t0 // DAY
    hour = rng.uniform(1, 5) if rng.random() < lerp(0.35, 0.95, k) else u.hour(rng)
    t = day * DAY + int(hour * HOUR)
    others = [c for c in w.channels if c != u.channel and c != "merchant"] or [u.channel]
    ch = rng.choice(others) if rng.random() < lerp(0.5, 0.9, k) else u.channel
    dev = device_name(rng) if (ch != "web" or rng.random() < 0.5) else None
    out = []
    for i in range(rng.randint(1, 3)):
        term = w.base(u, rng, t)["term"]
        p, full = _bad_plan(rng, u, t, term, bad_p)
        drain = rng.uniform(lerp(0.6, 0.85, k), 1.0) if i == 0 else rng.uniform(0.7, 1.0)
        out.append(_mk(w, u, rng, t, 100, "account_takeover", channel=ch, device=dev, drain=drain,
                       plan=p, full=full))
        t += int(rng.uniform(2, 45) * 60)
    return out


def student_overborrowing(w, u, rng, t0, k, bad_p):
    """A student borrows 5-18 times in 10-28 days at 15-60 % of the limit each,
    keeping the line near full -- far beyond other students."""
    dur = rng.uniform(10, 28) * DAY
    n = int(rng.uniform(5, 8 + 10 * k))
    out = []
    for t in sorted(t0 + rng.uniform(0, dur) for _ in range(n)):
        term = w.base(u, rng, t)["term"]
        p, full = _bad_plan(rng, u, t, term, bad_p)
        if rng.random() < 0.3:
            out.append(_mk(w, u, rng, t, 100, "student_overborrowing", drain=rng.uniform(0.5, 0.95),
                           plan=p, full=full))
        else:
            cents = u.limit * rng.uniform(0.15, lerp(0.3, 0.6, k))
            out.append(_mk(w, u, rng, t, cents, "student_overborrowing", plan=p, full=full))
    return out


def limit_jump_drain(w, u, rng, t0, k, bad_p):
    """The limit is raised x1.3-1.7 (subtle) to x2-4 (blatant); within minutes
    to three days 1-3 loans take 80-100 % of the new room."""
    u.limit_events.append((t0, lerp(rng.uniform(1.3, 1.7), rng.uniform(2, 4), k)))
    t = t0 + int(rng.uniform(0.05, lerp(72, 2, k)) * HOUR)
    out = []
    for i in range(rng.randint(1, 3)):
        term = w.base(u, rng, t)["term"]
        p, full = _bad_plan(rng, u, t, term, bad_p)
        out.append(_mk(w, u, rng, t, 100, "limit_jump_drain", drain=rng.uniform(0.8, 1.0) if i == 0 else 0.9,
                       plan=p, full=full))
        t += int(rng.uniform(0.1, 20) * HOUR)
    return out


def overdue_escalation(w, u, rng, t0, k, bad_p):
    """4-7 loans a few days apart; each is repaid later than the one before
    (0,1,2,4,.. days subtle; 0,4,11,20,.. blatant) and the last often never."""
    n = rng.randint(4, 7)
    gap = rng.uniform(3, 9) * DAY
    term = max(2, min(21, w.base(u, rng, t0)["term"]))
    step = lerp(1.0, 4.0, k)
    out = []
    t = t0
    for i in range(n):
        cents = u.limit * rng.uniform(0.08, 0.2)
        if i == n - 1:
            p, full = _bad_plan(rng, u, t, term, bad_p)
        else:
            due = t + term * DAY
            late = int(step * i ** 1.4 * rng.uniform(0.8, 1.2))
            p, full = [(due, due + late * DAY + rng.uniform(1, 20) * HOUR, 1.0)], True
        out.append(_mk(w, u, rng, t, cents, "overdue_escalation", term=term, plan=p, full=full))
        t += int(gap * rng.uniform(0.7, 1.3))
    return out


def business_masquerade(w, u, rng, t0, k, bad_p):
    """A personal borrower suddenly presents as a small business: segment
    small_business, purpose business, a merchant_loan (blatant) through partner
    or web, a business line added to the limit, 1.5-8 x the usual amount."""
    u.limit_events.append((t0 - int(rng.uniform(1, 30) * HOUR), lerp(1.4, 4.0, k)))
    mult = lerp(1.5, 8.0, k)
    out = []
    t = t0
    for _ in range(rng.randint(1, 3)):
        term = rng.choice((60, 90, 120, 180))
        p, full = _bad_plan(rng, u, t, term, bad_p, n=term // 30)
        prod = "merchant_loan" if rng.random() < lerp(0.3, 1.0, k) else w.base(u, rng, t)["product"]
        ch = rng.choice(("partner", "web")) if rng.random() < lerp(0.3, 0.9, k) else u.channel
        out.append(_mk(w, u, rng, t, w.typical(u) * mult * rng.uniform(0.8, 1.2), "business_masquerade",
                       segment="small_business", purpose="business", product=prod, channel=ch, term=term,
                       plan=p, full=full))
        t += int(rng.uniform(0.5, 4) * DAY)
    return out


def token_repayment(w, u, rng, t0, k, bad_p):
    """2-4 loans repaid only by token payments of 0.3-3 % every 1-6 days from
    just before the due date on (keeping the account 'active' while the balance
    barely moves); the rest is paid much later or never."""
    out = []
    t = t0
    for _ in range(rng.randint(2, 4)):
        term = max(7, min(45, w.base(u, rng, t)["term"]))
        due = t + term * DAY
        p = []
        pt = due - rng.uniform(0.2, 1.5) * DAY
        for _ in range(rng.randint(4, 12)):
            p.append((due, pt, rng.uniform(0.003, lerp(0.03, 0.008, k))))
            pt += rng.uniform(lerp(4, 1, k), lerp(7, 3, k)) * DAY
        full = rng.random() >= bad_p
        if full:
            p.append((due, pt + rng.uniform(10, 40) * DAY, 1.0))
        out.append(_mk(w, u, rng, t, w.typical(u) * rng.uniform(1.0, 2.0), "token_repayment",
                       term=term, plan=p, full=full))
        t += int(rng.uniform(2, 8) * DAY)
    return out


def score_slide_borrowing(w, u, rng, t0, k, bad_p):
    """4-8 loans at shrinking gaps and growing amounts while the bureau score
    attached to each falls 5-15 (subtle) to 25-60 (blatant) points a loan --
    the user is taking on debt elsewhere at the same time."""
    n = rng.randint(4, 8)
    s = u.score_at(t0) or 650
    drop = rng.uniform(lerp(5, 25, k), lerp(15, 60, k))
    gap = rng.uniform(4, 8) * DAY
    out = []
    t = t0
    for i in range(n):
        term = w.base(u, rng, t)["term"]
        p, full = _bad_plan(rng, u, t, term, bad_p if i >= n - 2 else u.bad_p)
        out.append(_mk(w, u, rng, t, w.typical(u) * (1 + 0.25 * i), "score_slide_borrowing",
                       score=int(max(350, s - drop * (i + rng.uniform(0.6, 1.0)))), plan=p, full=full))
        t += int(gap)
        gap *= rng.uniform(0.6, 0.85)
    return out


TYPOLOGIES = {f.__name__: f for f in (
    loan_stacking, borrow_to_repay, account_takeover, student_overborrowing, limit_jump_drain,
    overdue_escalation, business_masquerade, token_repayment, score_slide_borrowing)}
