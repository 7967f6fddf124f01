"""account_takeover: someone else gets into an established account -- usually
on a new device (sometimes one used on other victims too), sometimes via a
channel the owner never uses, often at night -- and cashes out most of the
available limit in one go or in chunks over minutes to two days."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ledger import DEFAULT, Ctx
from ..model import User
from ..timeline import DAY, HOUR, at
from .common import established, in_window, odd_hour, roundish, settle, split, spread, usual_channel

if TYPE_CHECKING:
    from ..plan import Episode

NAME = "account_takeover"
GROUP = (1, 1)
FRESH = False
SPAN = 3


def eligible(ctx: Ctx, u: User, start: int, strict: bool) -> bool:
    if strict:
        return established(ctx, u, start, 2, 14) and ctx.limit_at(u, start) > 0
    return established(ctx, u, start, 1, 3)


def run(ctx: Ctx, ep: "Episode") -> None:
    w, r = ctx.world, ep.rng
    L = dict(label=1, scenario=NAME)
    pool: list[str] = ctx.shared.setdefault("ato_devices", [])
    for u in ep.users:
        hour = odd_hour(r) if r.random() < 0.6 else r.uniform(9, 23.5)
        t0 = at(ep.start // DAY + r.randint(0, 2), hour)
        x = r.random()
        if x < 0.15:
            dev = DEFAULT                      # remote-control malware on the owner's own phone
        elif x < 0.4 and pool:
            dev = r.choice(pool)               # the fraudster's phone, seen on other victims
        else:
            dev = w.new_device(r)
            pool.append(dev)
        own = usual_channel(u)
        if own not in ("app", "web"):
            own = "app"                        # fraudsters work through the digital channels
        x = r.random()
        ch = own if x < 0.5 else ("web" if own == "app" else "app") if x < 0.85 or "partner" not in w.channels \
            else "partner"
        lim, avail = ctx.limit_at(u, t0), ctx.available_at(u, t0)
        if avail < 200:
            avail = max(lim, 2000) * r.uniform(0.3, 0.6)
        if r.random() < 0.3:                   # a small probe first
            ctx.loan(u, t0 - r.randint(120, 1800), r.choice((1, 10, 50, 88, 100)), "cash_loan"
                     if "cash_loan" in w.products else next(iter(w.products)), 7, ch, r,
                     device=dev if ch in ("app", "web") else DEFAULT, **L)
        cash = avail * r.uniform(0.7, 1.0)
        k = 1 if r.random() < 0.35 else r.randint(2, 6)
        span = r.randint(120, 3600) if r.random() < 0.5 else r.randint(2, 48) * HOUR
        via_fence = r.random() < 0.4 and "credit_line" in w.products
        fence = w.new_merchant(r)
        for t, a in zip(spread(t0, k, span, r), split(cash, k, r)):
            if not in_window(ctx, t, ep.stop):
                break
            if via_fence:
                lo = ctx.loan(u, t, roundish(a, r), "credit_line", w.term_for("credit_line", r), "merchant", r,
                              device=dev, merchant=fence, **L)
            else:
                prod = "cash_loan" if "cash_loan" in w.products else next(iter(w.products))
                d = dev if ch in ("app", "web") else DEFAULT
                lo = ctx.loan(u, t, roundish(a, r), prod, max(w.term_for(prod, r), 30), ch, r, device=d, **L)
            if r.random() < 0.25:              # the victim pays part of it after disputing
                settle(ctx, u, lo, r, late=r.randint(8, 30), fraction=r.uniform(0.1, 0.5), stop_after=1, **L)
