"""Run one world: population, episodes, ordinary behaviour, rendering.

Every random stream is seeded from (world, seed, users, history_days, test_days)
and a purpose, so the same arguments give byte-identical output.
"""
import random

from .clock import Clock
from .lenders import WORLDS
from .normal import normal_events
from .plan import plan_episodes
from .render import render
from .typologies import TYPOLOGIES, Kit


def generate(world, seed=1, users=3000, history_days=45, test_days=14):
    """(lines, labels, stats): JSON event lines, JSON label lines, a summary dict."""
    w = WORLDS[world] if isinstance(world, str) else world
    clock = Clock(history_days, test_days)
    key = "G|%s|%d|%d|%d|%d" % (w.name, seed, users, history_days, test_days)
    pop = [w.make_user(random.Random("%s|u%d" % (key, i)), i, clock) for i in range(users)]
    for u in pop:
        w.life_events(u, random.Random("%s|life%d" % (key, u.idx)), clock)
    w.setup(pop, random.Random(key + "|setup"), clock)
    episodes = plan_episodes(w, pop, clock, random.Random(key + "|plan"))
    by_user = [[] for _ in pop]
    for j, ep in enumerate(episodes):
        kit = Kit(w, clock, random.Random("%s|ep%d" % (key, j)), ep.users, ep.t0, ep.s, ep.typ)
        TYPOLOGIES[ep.typ].write(kit)
        for ev in kit.events:
            by_user[ev.user.idx].append(ev)
    for u in pop:
        by_user[u.idx].extend(normal_events(w, u, random.Random("%s|n%d" % (key, u.idx)), clock))
    lines, labels, stats = render(w, pop, by_user, clock, random.Random(key + "|render"))
    stats = dict({"world": w.name, "seed": seed}, **stats)
    stats["episodes"] = {}
    for ep in episodes:
        stats["episodes"][ep.typ] = stats["episodes"].get(ep.typ, 0) + 1
    return lines, labels, stats
