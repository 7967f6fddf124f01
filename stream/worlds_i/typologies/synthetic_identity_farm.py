"""synthetic_identity_farm: three to six brand-new accounts opened within a
few days from one to three shared phones (bought or fabricated identities,
narrow band of credit scores), each drawing near its whole starting limit in
one to three loans soon after opening -- minutes to three days -- and then
first-payment default: nothing repaid, a token payment, or one instalment."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ledger import DEFAULT, Ctx
from ..model import User
from ..timeline import DAY, HOUR, at
from ..worlds.base import pick
from .common import in_window, roundish, settle, split

if TYPE_CHECKING:
    from ..plan import Episode

NAME = "synthetic_identity_farm"
GROUP = (3, 6)
FRESH = True
SPAN = 5


def eligible(ctx: Ctx, u: User, start: int, strict: bool) -> bool:
    return True


def run(ctx: Ctx, ep: "Episode") -> None:
    w, r = ctx.world, ep.rng
    L = dict(label=1, scenario=NAME)
    users = ep.users
    phones = [w.new_device(r) for _ in range(r.randint(1, min(3, len(users))))]
    chans = {c: v for c, v in w.channels.items() if c != "merchant"} or {"app": 1.0}
    ch = pick(r, chans)
    centre = r.randint(600, 720)
    d0 = ep.start // DAY
    last_day = (min(ep.stop, ctx.end) - 1) // DAY
    for i, u in enumerate(users):
        jd = min(last_day, d0 + r.randint(0, 3))
        w.fresh_account(ctx, u, r, jd)
        u.score = centre + r.randint(-8, 8)
        u.devices = [phones[i % len(phones)]]
        first = at(jd, r.uniform(8, 23.9)) + (r.randint(300, 3600) if r.random() < 0.5
                                              else r.randint(HOUR, 72 * HOUR))
        n = r.randint(1, 3)
        lim = ctx.limit_at(u, first)
        fate = r.choices(("none", "token", "first"), (0.55, 0.25, 0.2))[0]
        t = first
        for j, a in enumerate(split(lim * r.uniform(0.85, 1.05), n, r)):
            if not in_window(ctx, t, ep.stop):
                break
            prod = pick(r, w.products)
            c = ch if r.random() < 0.8 else pick(r, w.channels)
            dev = u.devices[0] if c in ("app", "web") else DEFAULT
            lo = ctx.loan(u, t, roundish(a, r), prod, w.term_for(prod, r), c, r, device=dev,
                          score=u.score + r.randint(-3, 3), **L)
            if j == 0 and fate == "token":
                settle(ctx, u, lo, r, late=r.randint(0, 5), fraction=r.uniform(0.03, 0.15), stop_after=1, **L)
            elif j == 0 and fate == "first":
                settle(ctx, u, lo, r, late=0, fraction=r.uniform(0.2, 0.4) if prod != "installment" else 1.0,
                       stop_after=1, **L)
            t += r.randint(600, 36 * HOUR)
