"""Choose the anomalous users of a world and inject their typology episodes."""
from __future__ import annotations

from .clock import DAY
from .seeding import rng_for
from .typo_classic import (account_takeover, borrow_to_repay, limit_jump_drain, loan_stacking,
                           overdue_escalation, student_overborrowing)
from .typo_groups import nominee_borrowing, strategic_default_pact
from .typo_kit import habitual_time

SINGLE = {
    "loan_stacking": loan_stacking,
    "borrow_to_repay": borrow_to_repay,
    "account_takeover": account_takeover,
    "student_overborrowing": student_overborrowing,
    "limit_jump_drain": limit_jump_drain,
    "overdue_escalation": overdue_escalation,
}
GROUP = {
    "nominee_borrowing": (nominee_borrowing, 3, 7),
    "strategic_default_pact": (strategic_default_pact, 3, 8),
}
TYPOLOGIES = tuple(SINGLE) + tuple(GROUP)
LONG = {"student_overborrowing", "overdue_escalation", "borrow_to_repay", "strategic_default_pact"}


def _per_episode(name, weights) -> float:
    """Weights are per anomalous user; a group episode uses several users."""
    if name in GROUP:
        _, lo, hi = GROUP[name]
        return weights[name] / ((lo + hi) / 2)
    return weights[name]


def start_day(clock, name, rng) -> float:
    """About a third of episodes start in the history, the rest just before or in the test window."""
    H, T = clock.history_days, clock.test_days
    if rng.random() < 1 / 3:
        lo, hi = max(1, int(H * 0.2)), H - 4
    else:
        lo, hi = H - (8 if name in LONG else 4), H + T - 3
    hi = max(1, min(hi, clock.days - 2))
    lo = max(1, min(lo, hi))
    return rng.uniform(lo, hi + 0.999)


def _eligible(name, user, t0) -> bool:
    if name == "student_overborrowing":
        return user.segment == "student"
    if name in ("account_takeover", "nominee_borrowing"):
        return any(ln.t < t0 - 2 * DAY for ln in user.loans)
    return True


def _pick(name, order, taken, t0, need):
    got = [u for u in order if u.idx not in taken and _eligible(name, u, t0)][:need]
    if len(got) < need and name != "student_overborrowing":
        got += [u for u in order if u.idx not in taken and u not in got][:need - len(got)]
    return got


def inject(world, users, seed) -> list[dict]:
    """Returns one record per episode: typology, user ids, start time."""
    rng = rng_for(seed, world.name, "episodes")
    clock = world.clock
    weights = dict(world.typology_weights)
    if not any(u.segment == "student" for u in users):
        weights["student_overborrowing"] = 0.0
    names = [n for n in TYPOLOGIES if weights.get(n, 0) > 0]
    target = max(4, round(len(users) * world.anomaly_rate))
    order = list(users)
    rng.shuffle(order)
    first = list(names)
    rng.shuffle(first)
    taken: set = set()
    episodes = []
    tries = 0
    while len(taken) < target and tries < 10 * target:
        tries += 1
        name = first.pop() if first else rng.choices(names, weights=[_per_episode(n, weights) for n in names])[0]
        left = target - len(taken)
        day = start_day(clock, name, rng)
        if name in GROUP:
            fn, lo, hi = GROUP[name]
            if left < lo and episodes:
                continue
            t0 = clock.at(int(day), rng.uniform(9, 22))
            members = _pick(name, order, taken, t0, rng.randint(lo, hi))
            if len(members) < 2:
                continue
            fn(world, members, t0, rng)
        else:
            members = _pick(name, order, taken, clock.at(int(day), 12), 1)
            if not members:
                continue
            t0 = habitual_time(world, members[0], day, rng)
            SINGLE[name](world, members[0], t0, rng)
        taken.update(u.idx for u in members)
        episodes.append({"typology": name, "users": [u.uid for u in members], "start": t0})
    return episodes
