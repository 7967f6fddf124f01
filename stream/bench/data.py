"""The benchmark's inputs: one simulated event stream, and a separate history to train on.

The stream is the simulator's realistic mix (loans and repayments, normal
users and injected typologies), sized by simulating ``users`` for as many days
as it takes to reach ``events`` and keeping the first ``events`` in time
order.  The model is trained on a different population (other user ids,
other seed) so the benchmark never scores its own training data.
"""

from __future__ import annotations

import math
from pathlib import Path

from models.model import RiskModel, save
from models.prior import TypologyPrior
from models.train import train
from stream.core.contract import parse_document
from stream.sim.retime import retime
from stream.sim import SimConfig, generate

#: Rough events per user per simulated day (measured on the default mix); only
#: used to guess the first simulation length, which is extended if short.
EVENTS_PER_USER_DAY = 0.18


def bench_events(events: int, users: int, seed: int = 11) -> list[dict]:
    """The first ``events`` events of a simulation of ``users`` users, moved to the present as a live
    producer would send them (``stream.sim.retime``)."""
    days = max(2, math.ceil(events / (users * EVENTS_PER_USER_DAY) * 1.1))
    while True:
        stream, _labels = generate(SimConfig(users=users, days=days, seed=seed, user_prefix="bench"))
        if len(stream) >= events or days > 3650:
            return retime(stream[:events])
        days = math.ceil(days * max(1.2, events / max(1, len(stream)) * 1.05))


def history(users: int, days: int, seed: int = 3) -> list[dict]:
    """A training history that shares no user with the bench stream."""
    events, _labels = generate(SimConfig(users=users, days=days, seed=seed, user_prefix="hist"))
    return events


def train_model(events: list[dict], out: Path, seed: int = 7, tails: bool = True, core_forest: bool = True,
                typology_prior: TypologyPrior | None = None) -> RiskModel:
    """Train the worker's model with the project's own ``models.train`` and save it to ``out``
    (``tails`` and the rest: the settings', so a bench measures the model ``riskmon train`` would make)."""
    model = train((parse_document(e) for e in events), seed=seed, tails=tails, core_forest=core_forest,
                  typology_prior=typology_prior)
    save(model, out)
    return model
