"""Family N: seven synthetic lender worlds for the loan-event contract v1.1.

``generate(world, seed, users=3000, history_days=45, test_days=14)`` returns
``(events, labels, info)``; ``list_worlds()`` returns ``[(name, description)]``.
"""
from __future__ import annotations

from .typologies import TYPOLOGIES
from .worlds import WORLDS

__all__ = ["generate", "list_worlds", "TYPOLOGIES", "WORLDS"]


def list_worlds():
    return [(name, cls.description) for name, cls in WORLDS.items()]


def generate(world, seed, users=3000, history_days=45, test_days=14, anomaly_share=None):
    """Simulate one lender world.

    ``anomaly_share`` (optional) overrides the share of misbehaving users,
    which is otherwise drawn between 3 % and 6 % per world and seed.
    """
    if world not in WORLDS:
        raise ValueError("unknown world %r; known: %s" % (world, ", ".join(WORLDS)))
    if users < 1 or history_days < 1 or test_days < 1:
        raise ValueError("users, history_days and test_days must be positive")
    w = WORLDS[world](seed, users=users, history_days=history_days, test_days=test_days,
                      anomaly_share=anomaly_share)
    return w.run()
