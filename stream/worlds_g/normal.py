"""Ordinary behaviour of one user: loans from before the stream being repaid,
and new loans with their repayments, all driven by the world's hooks."""
from .clock import DAY, HOUR
from .model import NORMAL, poisson


def settle(world, user, loan, rng, clock, bad_p=None, label=0, scen=NORMAL):
    """Repayment events of `loan` inside the window (a bad loan stops or pays very late)."""
    bad = rng.random() < (user.bad_p if bad_p is None else bad_p)
    visible = max(0, user.join_t)
    out = []
    for day, amount, late in world.schedule(user, loan, rng, clock, bad):
        if day >= clock.days + 1:
            break
        t = world.repay_clock(user, day, rng, clock)
        if t <= loan.t:
            t = world.instant_repay(user, loan.t + rng.randint(300, 3 * HOUR), rng, clock)
        if t < visible:
            continue
        if t >= clock.end:
            break
        out.append(world.make_repayment(user, t, amount, loan.loan_id, late, label, scen))
    return out


def normal_events(world, user, rng, clock):
    """All label-0 events of `user` (respecting join time and an episode's stop time)."""
    out = []
    if not user.fresh:
        for loan in world.prestream(user, rng, clock):
            out.extend(settle(world, user, loan, rng, clock))
    t_from = max(0, user.join_t)
    t_to = clock.end if user.stop_t is None else min(clock.end, user.stop_t)
    first = max(0, clock.day_of(t_from, user.zone))
    if user.fresh and 0 <= user.join_t and rng.random() < 0.7:
        t = int(user.join_t + rng.uniform(600, 2 * DAY))     # a new account's first loan
        if t < t_to:
            f = world.draw_loan(user, t, rng, clock)
            if f is not None:
                ev, loan = world.make_loan(user, t, f)
                out.append(ev)
                out.extend(settle(world, user, loan, rng, clock))
    for day in range(first, clock.days + 1):
        lam = world.loan_rate(user, day, clock)
        for _ in range(poisson(rng, lam)):
            t = world.loan_clock(user, day, rng, clock)
            if t < t_from or t >= t_to:
                continue
            f = world.draw_loan(user, t, rng, clock)
            if f is None:
                continue
            ev, loan = world.make_loan(user, t, f)
            out.append(ev)
            out.extend(settle(world, user, loan, rng, clock))
    return out
