"""Choose which users carry which episode, when it starts and how blatant it is.

The first round gives every typology of the world one episode starting in the
test window (slow ones may start up to two weeks before it), the second round one
starting in the history, then typologies are drawn by weight until about
`anom_rate` of users are taken.
"""
from .clock import DAY
from .model import pick
from .typologies import TYPOLOGIES

TAKES_OVER = ("borrow_to_repay", "overdue_escalation", "student_overborrowing",
              "credit_cycling", "merchant_cashout")


class Episode:
    def __init__(self, typ, users, t0, s):
        self.typ, self.users, self.t0, self.s = typ, users, t0, s


def start_time(typ, phase, clock, rng):
    """A start in the test window ('test') or the history ('history'), or None."""
    span = typ.span_days * DAY
    warm = min(7 * DAY, 0.25 * clock.test_start)
    if phase == "test":
        lo = clock.test_start
        if typ.slow:
            lo = max(warm, clock.test_start - min(14 * DAY, 0.5 * span))
        hi = clock.end - min(0.5 * span, 0.5 * clock.test_days * DAY) - 0.25 * DAY
    else:
        lo = warm
        hi = clock.test_start - 0.6 * span
        if hi <= lo:
            hi = clock.test_start - 0.5 * DAY
    if hi <= lo:
        return None
    return int(rng.uniform(lo, hi))


def _find(world, users, taken, typ, t0, rng):
    n = len(users)
    start = rng.randrange(n)
    for j in range(n):
        u = users[(start + j) % n]
        if not taken[u.idx] and world.eligible(typ, u, t0, None):
            return u
    return None


def plan_episodes(world, users, clock, rng):
    """List of `Episode` for this run."""
    n = len(users)
    if n == 0:
        return []
    target = max(1, round(n * world.anom_rate))
    order = list(world.weights)
    rng.shuffle(order)
    weighted = list(world.weights.items())
    taken = [False] * n
    out, used, i, tries = [], 0, 0, 0
    while used < target and tries < 20 * target + 50:
        tries += 1
        if i < len(order):
            name, phase = order[i], "test"
        elif i < 2 * len(order):
            name, phase = order[i - len(order)], "history"
        else:
            name = pick(rng, weighted)
            phase = "history" if rng.random() < 0.45 else "test"
        i += 1
        typ = TYPOLOGIES[name]
        t0 = start_time(typ, phase, clock, rng)
        if t0 is None:
            continue
        if name == "device_ring":
            size = rng.randint(3, 8)
            members = []
            while len(members) < size:
                u = _find(world, users, taken, name, t0, rng)
                if u is None:
                    break
                taken[u.idx] = True
                members.append(u)
            if not members:
                continue
        else:
            u = _find(world, users, taken, name, t0, rng)
            if u is None:
                continue
            taken[u.idx] = True
            members = [u]
            if name in TAKES_OVER:
                u.stop_t = t0
        s = 0.1 + 0.9 * rng.random() ** 0.9
        out.append(Episode(name, members, t0, s))
        used += len(members)
    return out
