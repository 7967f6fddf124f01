"""The stream's path over a file of events, in order, keeping the states it leaves behind.

``riskmon score`` writes what the path decided for each event; ``riskmon
seed`` keeps only the states, to start a first worker where the history ends.
Both go through this one loop (parse -> features -> score -> rules -> entity
views, ``stream.core.pipeline``), so a seeded worker holds the very state the
offline replay of the history reaches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, MutableMapping

from models.model import RiskModel
from stream.core.contract import Event
from stream.core.entities import EntityState
from stream.core.features import UserState
from stream.core.packed_states import PackedStates
from stream.core.outcome_watch import Realised
from stream.core.pipeline import Outcome, observe_sightings, process, sweep_quiet
from stream.core.rule_storm import StormWatch
from stream.core.rules import RuleConfig
from stream.core.state_epoch import StateEpoch
from stream.settings import Settings

CHUNK = 2000  # events scored per forest call


@dataclass
class Replay:
    """One replay: the model, the rules it scores with, and every user's and entity's state so far."""

    model: RiskModel
    rules: RuleConfig
    storms: StormWatch
    suppress_window_s: float
    states: MutableMapping[str, UserState] = field(default_factory=dict)
    entities: MutableMapping[tuple[str, str], EntityState] = field(default_factory=dict)  # (entity type, id)
    last_ts: float | None = None  # event time of the newest event replayed
    epoch: StateEpoch = field(default_factory=StateEpoch)  # when ``states`` began (they start empty)

    @classmethod
    def of(cls, settings: Settings, model: RiskModel, hot: int | None = None) -> Replay:
        """A replay as the worker runs with ``settings``: the model's calibrated rules (unless it was
        trained without), the rule-storm watch and alert suppression in force; with ``hot``, the
        states are kept packed (``PackedStates``) with that many of each kind decoded."""
        replay = cls(model, model.rules(settings.rule_config()), StormWatch(settings.storm_policy()),
                     settings.suppress_window_s)
        if hot is not None:
            replay.states = PackedStates(UserState.from_bytes, UserState.to_bytes, hot)
            replay.entities = PackedStates(EntityState.from_bytes, EntityState.to_bytes, hot)
        return replay

    def run(self, events: Iterable[Event]) -> Iterator[tuple[Outcome, list[dict]]]:
        """Each event's outcome, with the entity alerts it raised, in order; a repeated event_id is
        the same event, folded and scored once, and yields nothing the second time."""
        chunk: list[Event] = []
        for event in events:
            chunk.append(event)
            if len(chunk) >= CHUNK:
                yield from self._chunk(chunk)
                chunk = []
        yield from self._chunk(chunk)

    def sweep_quiet(self) -> dict[str, tuple[Realised, ...]]:
        """The worker's quiet sweep over every state at the newest event's time
        (``stream.core.pipeline.sweep_quiet``): what it realised, by user."""
        return {} if self.last_ts is None else sweep_quiet(self.model, self.states, self.last_ts)

    def _chunk(self, chunk: list[Event]) -> Iterator[tuple[Outcome, list[dict]]]:
        if not chunk:
            return
        model = self.model
        self.epoch.unknown_past_s = model.entity_thresholds.unknown_past_s
        for outcome in process(model, self.rules, self.states, chunk, self.suppress_window_s, storms=self.storms,
                               epoch=self.epoch):
            if outcome.duplicate:
                continue
            ts = outcome.event.ts
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
            yield outcome, [
                o.alert for o in observe_sightings(self.entities, [outcome], model.entity_thresholds, model.version)
                if o.alert is not None and not o.suppressed
            ]
