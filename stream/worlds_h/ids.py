"""Identifier formats: each lender's systems name users, loans, devices and events differently.

Why: identifiers are opaque to the contract but their look varies across real
producers; deterministic formats (user and loan ids built from indexes,
event ids carrying a sequence number) also guarantee uniqueness.
"""
from __future__ import annotations

from random import Random


def _hex(rng: Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _uuid(rng: Random) -> str:
    return f"{_hex(rng, 8)}-{_hex(rng, 4)}-4{_hex(rng, 3)}-{rng.choice('89ab')}{_hex(rng, 3)}-{_hex(rng, 12)}"


def user_id(style: str, idx: int) -> str:
    if style == "plain":
        return f"u-{idx:06d}"
    if style == "cc":
        return f"cc-{idx:07d}"
    if style == "cust":
        return f"C26{idx:07d}"
    if style == "hex":
        # odd multiplier modulo 2**40 is a bijection: unique and scrambled
        return f"usr_{(idx * 0x9E3779B97F4A7C15 + 0x5BD1E995) & 0xFFFFFFFFFF:010x}"
    if style == "campus":
        return f"stu.{idx:05d}"
    if style == "shop":
        return f"m:{idx:05d}"
    raise ValueError(f"unknown user id style {style!r}")


def loan_id(style: str, uidx: int, n: int) -> str:
    if style == "plain":
        return f"l-{uidx}-{n}"
    if style == "ml":
        return f"ML{uidx:06d}{n:04d}"
    if style == "pledge":
        return f"PLG-{uidx:06d}-{n:03d}"
    if style == "bnpl":
        return f"bn_{uidx:x}_{n}"
    if style == "cc":
        return f"cc.{uidx}.{n}"
    raise ValueError(f"unknown loan id style {style!r}")


def device_id(style: str, rng: Random) -> str:
    if style == "hex":
        return "d-" + _hex(rng, 12)
    if style == "imei":
        return "imei:86" + "".join(str(rng.randrange(10)) for _ in range(13))
    if style == "uuid":
        return _uuid(rng)
    if style == "v5":
        return "v5-" + _uuid(rng)
    if style == "and":
        return "and_" + _hex(rng, 16)
    raise ValueError(f"unknown device style {style!r}")


def event_id(style: str, code: str, n: int, rng: Random) -> str:
    if style == "seq":
        return f"h{code}-{n:08d}"
    if style == "uuid":
        # random head, sequence tail: looks like a UUID, cannot collide
        return f"{_hex(rng, 8)}-{_hex(rng, 4)}-4{_hex(rng, 3)}-{rng.choice('89ab')}{_hex(rng, 3)}-{n:012x}"
    raise ValueError(f"unknown event id style {style!r}")


def merchant_id(code: str, n: int) -> str:
    return f"MCH{code.upper()}{n:06d}"
