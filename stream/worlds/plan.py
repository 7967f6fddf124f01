"""Who runs which anomalous episode, and when.

About ``anomaly_rate`` of users get an episode in the test window, and a
further ``history_anomaly_share`` of all episodes lands in the history window
(real training data is contaminated, unlabelled).  Test-window typologies are
allocated by weight with every weighted typology present at least once when
there are enough anomalous users, so small runs still cover them all; the
history ones are drawn at random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .clock import DAY, HOUR, Window
from .population import UserProfile, merchant_pool, new_device, new_merchant
from .spec import WorldSpec, weights
from .typologies import TYPOLOGY_REGISTRY, Ring, eligible

RING = "merchant_cashout_ring"


@dataclass(frozen=True)
class Episode:
    """One user's anomalous episode."""

    user_idx: int
    typology: str
    t0: int
    phase: str  # "test" | "history"
    ring: Ring | None = None


def _allocate(total: int, w: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split of ``total`` users by weight, at least one each when possible."""
    names = [n for n, x in w.items() if x > 0]
    if not names or total <= 0:
        return {}
    s = sum(w[n] for n in names)
    raw = {n: total * w[n] / s for n in names}
    out = {n: int(raw[n]) for n in names}
    for n in sorted(names, key=lambda n: raw[n] - out[n], reverse=True)[: total - sum(out.values())]:
        out[n] += 1
    if total >= len(names):
        for n in names:
            while out[n] == 0:
                donor = max(out, key=out.__getitem__)
                out[donor] -= 1
                out[n] += 1
    return out


def _onset(rng: random.Random, name: str, phase: str, window: Window) -> int:
    """An onset day for the typology in the phase, clamped into the window."""
    if phase == "test":
        lo_days, hi_days = TYPOLOGY_REGISTRY[name].onset
        lo = window.test_start + lo_days * DAY
        hi = window.end - hi_days * DAY
        lo, hi = max(lo, DAY), max(hi, window.test_start)
    else:
        lo, hi = 7 * DAY, window.test_start - 12 * DAY
        if hi <= lo:
            lo, hi = DAY, max(DAY, window.test_start - DAY)
    lo = min(lo, hi)
    day = int(rng.uniform(lo, hi)) // DAY
    return day * DAY + 12 * HOUR  # the typology picks its own hour


def _episodes_wanted(spec: WorldSpec, users: int, rng: random.Random) -> list[tuple[str, str, int]]:
    """(typology, phase, group size) for every episode to place."""
    w = weights(spec.typology_weights)
    n_test = round(spec.anomaly_rate * users)
    h = min(0.9, max(0.0, spec.history_anomaly_share))
    n_hist = round(n_test * h / (1 - h))
    wanted: list[tuple[str, str, int]] = []
    for name, count in _allocate(n_test, w).items():
        if name == RING:
            while count > 0:
                size = min(count, rng.randint(2, 6))
                wanted.append((name, "test", size))
                count -= size
        else:
            wanted.extend((name, "test", 1) for _ in range(count))
    names = [n for n, x in w.items() if x > 0]
    for _ in range(n_hist):
        name = rng.choices(names, weights=[w[n] for n in names])[0]
        wanted.append((name, "history", rng.randint(2, 3) if name == RING else 1))
    rng.shuffle(wanted)
    return wanted


def plan_episodes(spec: WorldSpec, seed: int, population: list[UserProfile], window: Window) -> list[Episode]:
    """Place every wanted episode on eligible, distinct users."""
    rng = random.Random(f"{spec.name}|{seed}|plan")
    order = list(range(len(population)))
    rng.shuffle(order)
    taken: set[int] = set()
    episodes: list[Episode] = []
    for ring_id, (name, phase, size) in enumerate(_episodes_wanted(spec, len(population), rng)):
        t0 = _onset(rng, name, phase, window)
        ring = None
        if name == RING:
            ring = Ring(
                ring_id=ring_id,
                merchant_id=new_merchant(rng, spec, len(merchant_pool(spec, len(population)))),
                shared_device=new_device(rng, spec.tag) if rng.random() < 0.6 else None,
                start=t0,
                span=int(rng.uniform(1, 10) * DAY),
                product="installment" if rng.random() < 0.35 else "credit_line",
                style="round" if rng.random() < 0.5 else "just_under",
            )
        members = 0
        for idx in order:
            if members == size:
                break
            user_t0 = t0 if ring is None else t0 + int(rng.uniform(0, ring.span)) // DAY * DAY
            if idx in taken or not eligible(name, population[idx], user_t0):
                continue
            taken.add(idx)
            episodes.append(Episode(idx, name, min(user_t0, window.end - HOUR), phase, ring))
            members += 1
    return episodes
