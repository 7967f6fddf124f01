"""Cross-user risk episodes: several accounts tied together by a merchant or devices."""

from __future__ import annotations

from .clock import DAY, HOUR, MINUTE
from .engine import Intent
from .typologies import cash_product, ep_mode, rounded, terms

def _merchant_product(ctx, u, r):
    """A product the user would draw at a merchant (instalments favoured for cash-out)."""
    names, wts = [], []
    for p, w in ctx.world.segments[u.segment].products:
        m = dict(ctx.products[p].channels).get("merchant", 0.0)
        if m:
            names.append(p)
            wts.append(w * m * (3.0 if p == "installment" else 1.0))
    return r.choices(names, wts)[0] if names else None


def _fill(frac, hi):
    """Amount: a round share of the room left, capped at the product maximum."""
    return lambda sim, t, room: min(max(0, int(room * frac)), int(hi * 100)) // 10000 * 10000


def merchant_collusion(ctx, sims, r, day, s, name):
    """A colluding merchant: 3-20 unrelated users draw merchant-channel loans
    there within hours to two weeks, at round amounts near their room (blatant)
    or 2-4x their own usual (subtle), at the longest term; a brand-new merchant id
    when blatant, a quiet existing one when subtle. Most of them never repay."""
    blatant = s > 0.5
    if blatant:
        mid = ctx.fresh_merchant(r)
    else:
        mid = ctx.merchants[len(ctx.merchants) - 1 - r.randrange(max(1, len(ctx.merchants) // 2))]
    span = r.uniform(0.3, 2) if blatant else r.uniform(4, 12)
    for sim in sims:
        u, ur = sim.u, sim.rng
        p = _merchant_product(ctx, u, ur)
        if p is None:
            continue
        mode = ep_mode(ctx, ur, 0.1)
        ts = terms(ctx, p)
        for _ in range(ur.choice((1, 1, 2))):
            t = day * DAY + int(ur.uniform(0, span) * DAY)
            t = (t // DAY) * DAY + ur.randint(9, 21) * HOUR + ur.randrange(HOUR)
            if blatant:
                frac = ur.uniform(0.85, 1.0)
                fn = _fill(frac, ctx.products[p].hi)
                it = Intent(p, 0, ts[-1], "merchant", merchant=mid, label=1, scenario=name, fit=True,
                            min_cents=int(ctx.products[p].lo * 100), repay=mode, amount_fn=fn,
                            purpose=ctx.purpose(p, u, ur))
            else:
                amt = rounded(ctx, p, sim.typical(p) * ur.uniform(2, 4))
                it = Intent(p, amt, ur.choice(ts[len(ts) // 2:]), "merchant", merchant=mid, label=1,
                            scenario=name, fit=True, min_cents=int(ctx.products[p].lo * 100), repay=mode,
                            purpose=ctx.purpose(p, u, ur))
            sim.intent(t, it)


def device_ring(ctx, sims, r, day, s, name):
    """A cash-out ring: 3-10 mule accounts (recently joined, quiet, sometimes
    groomed with one small repaid loan) borrow from the same 1-3 devices. Blatant:
    one session, accounts minutes apart, 90-100 % of each room, same product and
    term. Subtle: spread over 1-6 days and devices, 60-90 % of the room. In
    worlds with shop terminals the ring may work through a colluding agent shop's
    terminal instead. The accounts then mostly never repay."""
    blatant = s > 0.6
    devs = [ctx.new_id("d", r) for _ in range(1 if blatant else r.randint(2, 3))]
    shop = None
    if ctx.world.shop_terminals and r.random() < 0.4:
        shop = ctx.fresh_merchant(r)
    t = day * DAY + (r.choice((0, 1, 2, 3, 22, 23)) if r.random() < 0.5 else r.randint(9, 20)) * HOUR
    t += r.randrange(HOUR)
    term_pick = None
    for i, sim in enumerate(sims):
        u, ur = sim.u, sim.rng
        p = cash_product(ctx, u)
        ts = terms(ctx, p)
        if term_pick is None or p not in ctx.products or term_pick not in ts:
            term_pick = r.choice(ts)
        ch = "merchant" if shop else ("app" if "app" in dict(ctx.products[p].channels) else "web")
        if ch == "merchant" and "merchant" not in dict(ctx.products[p].channels):
            ch = "app"
        dev = devs[i % len(devs)]
        kwargs = dict(merchant=shop) if ch == "merchant" else dict(device=dev)
        if ur.random() < 0.5:  # grooming: one small loan repaid early, same device
            g = rounded(ctx, p, sim.typical(p) * 0.5)
            sim.intent(t - int(ur.uniform(3, 15) * DAY), Intent(
                p, g, ts[0], ch, purpose=ctx.purpose(p, u, ur), fit=True, repay=("early", ur.randint(DAY, 5 * DAY)),
                min_cents=int(ctx.products[p].lo * 100), **kwargs))
        if blatant:
            ti = t + i * ur.randint(MINUTE, 8 * MINUTE) + ur.randint(0, 120)
            frac = ur.uniform(0.9, 1.0)
        else:
            ti = day * DAY + int(ur.uniform(0, r.uniform(1, 6)) * DAY)
            ti = (ti // DAY) * DAY + ur.randint(8, 22) * HOUR + ur.randrange(HOUR)
            frac = ur.uniform(0.6, 0.9)
        mode = ep_mode(ctx, ur, 0.15)
        mode = "none" if mode == "bad" and ur.random() < 0.6 else mode
        fn = _fill(frac, ctx.products[p].hi)
        for j in range(1 if ur.random() < 0.7 else 2):
            sim.intent(ti + j * ur.randint(MINUTE, 3 * HOUR), Intent(
                p, 0, term_pick if blatant else ur.choice(ts), ch, purpose=ctx.purpose(p, u, ur), label=1,
                scenario=name, fit=True, min_cents=int(ctx.products[p].lo * 100), repay=mode, amount_fn=fn,
                **kwargs))
