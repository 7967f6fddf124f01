"""Synthetic lending "worlds" for judging the detector on data it was never tuned to.

Each world is a lender with its own normal (limit semantics, products, terms,
borrowing rhythm, lateness habits, festival surges, devices, channels) plus a
small share of users running anomalous episodes drawn from nine typologies,
each with randomised mechanics.  Output: contract-valid events and one label
per event.

    from stream.worlds import WORLDS, generate_world
    events, labels = generate_world(WORLDS["baseline"], seed=1, users=3000)
    events, labels, entities = generate_world_entities(WORLDS["baseline"], seed=1, users=3000)  # + rings
"""

from .assemble import episode_plan, generate_world, generate_world_entities
from .catalog import WORLDS, world_names
from .spec import TYPOLOGIES, WorldSpec

from .rings import INNOCENT_KINDS, RING_TYPOLOGIES

__all__ = [
    "WORLDS", "TYPOLOGIES", "RING_TYPOLOGIES", "INNOCENT_KINDS", "WorldSpec", "episode_plan",
    "generate_world", "generate_world_entities", "world_names",
]
