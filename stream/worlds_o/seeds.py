"""Deterministic random streams.

Every random stream is derived from the run's seed plus a purpose label (world, user
index, episode number...), through a stable hash, so the same arguments give the same
bytes on every machine and adding draws in one place does not shift another.
"""
from __future__ import annotations

import hashlib
import random


def derive(*parts: object) -> int:
    """A 64-bit integer seed from any sequence of printable parts."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def stream(*parts: object) -> random.Random:
    """A private random stream for one purpose."""
    return random.Random(derive(*parts))


def pick(rng: random.Random, pairs: tuple[tuple[str, float], ...] | list[tuple[str, float]]) -> str:
    """Weighted choice from (value, weight) pairs."""
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    return rng.choices(values, weights)[0]


def hexid(rng: random.Random, prefix: str, bits: int = 40) -> str:
    """A random identifier such as a device id (hex digits after a prefix)."""
    return f"{prefix}{rng.getrandbits(bits):0{bits // 4}x}"


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson count (Knuth's method; the means used here are small)."""
    if lam <= 0:
        return 0
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
