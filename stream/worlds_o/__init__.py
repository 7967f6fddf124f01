"""worlds_o: seven synthetic lenders producing loan-event streams with labelled
misbehaviour, for judging a risk detector on data it was never tuned to.

    events, labels, info = generate("shopping_618", seed=1, users=3000)

Each world has its own normal behaviour and a change in the test window that its
history never showed, carried mostly by well-behaved users.
"""
from __future__ import annotations

from .engine import generate
from .worlds import WORLDS


def list_worlds() -> list[tuple[str, str]]:
    """(name, one-line description) of every world."""
    return [(name, cls.spec.description) for name, cls in WORLDS.items()]


__all__ = ["generate", "list_worlds"]
