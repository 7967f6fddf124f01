"""The stream's path over a file of events, in order, keeping the states it leaves behind.

``riskmon score`` writes what the path decided for each event; ``riskmon
seed`` keeps only the states, to start a first worker where the history ends.
Both go through this one loop (parse -> features -> score -> rules -> entity
views, ``stream.core.pipeline``), so a seeded worker holds the very state the
offline replay of the history reaches.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Generic, Iterable, Iterator, MutableMapping, TypeVar

from models.model import RiskModel
from stream.core.contract import Event
from stream.core.entities import EntityState
from stream.core.features import UserState
from stream.core.pipeline import Outcome, observe_sightings, process
from stream.core.rule_storm import StormWatch
from stream.core.rules import RuleConfig
from stream.settings import Settings

CHUNK = 2000  # events scored per forest call
#: Decoded states a packed replay keeps (users, and entities apart): about 7 KB each.
HOT_STATES = 100_000

K = TypeVar("K")
S = TypeVar("S")


class PackedStates(MutableMapping[K, S], Generic[K, S]):
    """States kept as their stored bytes, the ``hot`` most recently used ones decoded.

    A decoded state costs about 7 KB of Python objects, its bytes 1 KB (a
    user) to 4.5 KB (a busy entity), so a replay of a national book (millions
    of users and devices) fits in memory only packed.  The pipeline mutates
    the decoded objects in place; one is packed again when ``hot`` other keys
    have been used since.  That is exact because ``stream.core.pipeline``
    fetches a state anew for each step instead of holding it across another
    user's (a held one could be packed, then changed in vain), and decoding
    gives back what was encoded (the stream itself stores and re-reads these
    bytes): ``tests/offline/test_replay.py`` replays with a hot set of a few
    states against a plain dict.
    """

    def __init__(self, decode: Callable[[bytes], S], encode: Callable[[S], bytes], hot: int = HOT_STATES) -> None:
        if hot < 1:
            raise ValueError(f"hot must be at least 1, got {hot}")
        self.decode, self.encode, self.hot = decode, encode, hot
        self._packed: dict[K, bytes] = {}
        self._decoded: OrderedDict[K, S] = OrderedDict()

    def __getitem__(self, key: K) -> S:
        decoded = self._decoded
        state = decoded.get(key)
        if state is not None:
            decoded.move_to_end(key)
            return state
        state = self.decode(self._packed.pop(key))  # KeyError: no such state
        self[key] = state
        return state

    def get(self, key: K, default: S | None = None) -> S | None:  # type: ignore[override]
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: K, state: S) -> None:
        decoded = self._decoded
        decoded[key] = state
        decoded.move_to_end(key)
        self._packed.pop(key, None)
        while len(decoded) > self.hot:
            old, old_state = decoded.popitem(last=False)
            self._packed[old] = self.encode(old_state)

    def __delitem__(self, key: K) -> None:
        if self._decoded.pop(key, None) is None:
            del self._packed[key]

    def __iter__(self) -> Iterator[K]:
        yield from list(self._decoded)
        yield from list(self._packed)

    def __len__(self) -> int:
        return len(self._decoded) + len(self._packed)

    def items(self) -> Iterator[tuple[K, S]]:  # type: ignore[override]
        """Every state, decoded one at a time (the hot set is left as it is)."""
        yield from list(self._decoded.items())
        for key, data in list(self._packed.items()):
            yield key, self.decode(data)


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

    @classmethod
    def of(cls, settings: Settings, model: RiskModel, hot: int | None = None) -> "Replay":
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

    def _chunk(self, chunk: list[Event]) -> Iterator[tuple[Outcome, list[dict]]]:
        if not chunk:
            return
        model = self.model
        for outcome in process(model, self.rules, self.states, chunk, self.suppress_window_s, storms=self.storms):
            if outcome.duplicate:
                continue
            ts = outcome.event.ts
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
            yield outcome, [
                o.alert for o in observe_sightings(self.entities, [outcome], model.entity_thresholds, model.version)
                if o.alert is not None and not o.suppressed
            ]
