"""Deterministic seeds: hashlib of the parts, never Python's hash()."""
from __future__ import annotations

import hashlib
import random


def sub_seed(*parts) -> int:
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(str(p).encode("utf-8"))
        h.update(b"\x1f")
    return int.from_bytes(h.digest(), "big")


def rng_for(*parts) -> random.Random:
    return random.Random(sub_seed(*parts))


def hex_id(rng: random.Random, n: int = 10) -> str:
    return format(rng.getrandbits(4 * n), "0%dx" % n)
