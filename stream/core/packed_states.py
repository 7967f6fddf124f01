"""States kept as their stored bytes, the most recently used ones decoded: bounded memory for long replays.

``riskmon seed`` replays a lender's whole history and ``riskmon train``
featurizes it; both hold every user's state (and the seed every entity's) until
the end.  Decoded, a state costs about 7.5 KB of Python objects; stored, 1 KB
(a user) to 4.5 KB (a busy entity).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Generic, Iterator, MutableMapping, TypeVar

#: Decoded states a store keeps by default: about 750 MB of them.
HOT_STATES = 100_000

K = TypeVar("K")
S = TypeVar("S")


class PackedStates(MutableMapping[K, S], Generic[K, S]):
    """States kept as their stored bytes, the ``hot`` most recently used ones decoded.

    A replay of a national book (millions of users and devices) fits in
    memory only packed.  The pipeline mutates the decoded objects in place;
    one is packed again when ``hot`` other keys have been used since.  That is exact because ``stream.core.pipeline``
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
