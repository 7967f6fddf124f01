"""Family L: an independent generator of synthetic lender streams (loan-events contract v1.1).

Seven lender worlds whose normal customers behave in unusual but legitimate ways, plus eight
labelled misbehaviour typologies.  Standard library only; output is a pure function of
(world, seed, users, history_days, test_days).
"""
from .generate import generate, write_jsonl
from .typologies import TYPOLOGIES
from .worlds import WORLDS

WORLD_NAMES = tuple(WORLDS)

__all__ = ["generate", "write_jsonl", "WORLDS", "WORLD_NAMES", "TYPOLOGIES"]
