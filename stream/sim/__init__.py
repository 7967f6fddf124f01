"""Synthetic lending-platform event history with labelled, injected anomaly typologies.

``generate(SimConfig(...))`` returns contract-conformant loan and repayment
events (see the loan-event contract) in event-time order, and one label per
event. Same config, same output, byte for byte.
"""

from stream.sim.config import ALL_SCENARIOS, SimConfig
from stream.sim.generate import generate, iter_stream, write_jsonl

__all__ = ["ALL_SCENARIOS", "SimConfig", "generate", "iter_stream", "write_jsonl"]
