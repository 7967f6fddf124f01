"""Cached generator runs shared by the tests (each world/size is built once)."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from stream.worlds_o import generate, list_worlds

WORLDS = [name for name, _ in list_worlds()]
TYPOLOGIES = ["loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
              "limit_jump_drain", "overdue_escalation", "merchant_cashout_ring", "identity_farm"]
START = datetime.fromisoformat("2026-01-05T00:00:00+08:00")
SMALL = {"users": 300, "history_days": 12, "test_days": 3}
MEDIUM = {"users": 1500, "history_days": 21, "test_days": 10}


@lru_cache(maxsize=None)
def small(world: str, seed: int = 5):
    return generate(world, seed, **SMALL)


@lru_cache(maxsize=None)
def medium(world: str, seed: int = 11):
    return generate(world, seed, **MEDIUM)


def when(ev: dict) -> datetime:
    return datetime.fromisoformat(ev["ts"])


def day(ev: dict) -> int:
    """Day index since the stream opened."""
    return (when(ev) - START) // timedelta(days=1)
