"""Family H: seven held-out synthetic lenders for the loan-risk monitor.

Why this package exists: a detector is only trustworthy if it copes with
lenders whose *normal* behaviour it has never seen. Each world here is a
Chinese-market lender with unusual normal habits, plus nine risk typologies
(six standard, three of our own) injected at a few percent of users, with
per-event ground truth. Output follows the loan-events contract v1.1.

Entry points: ``generate()`` (in-process) and ``python -m stream.worlds_h``.
"""
from __future__ import annotations

from .generate import Generated, generate
from .typologies import REGISTRY as TYPOLOGIES
from .worlds import WORLDS

__all__ = ["generate", "Generated", "WORLDS", "TYPOLOGIES"]
