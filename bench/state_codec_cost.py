"""What the current state version's codec costs against version 7's, in the same run.

The worker decodes a user's state before each batch touches it and encodes it
after; version 8 added 80 values (the watch slots, ``stream/core/features.py``),
left off the stored bytes while empty, version 9 one (the last folded
position) and version 10 eight more in the same zero tail (the re-keyed copies'
sources).  This times encode and decode of the states of
``tests/core/fixtures/state_events.jsonl``'s users whose watch slots are empty
(nearly every user of a real book), as the current version and as the frozen
version 7 layout's own codec, best of 7 rounds, and prints both and their ratio.

    .venv/bin/python bench/state_codec_cost.py
"""

from __future__ import annotations

import json
import sys
import timeit
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stream.core.contract import parse_document  # noqa: E402
from stream.core.features import COMPACT_STATE_BYTES, STATE_HISTORY, STATE_VERSION, UserState, update  # noqa: E402
from stream.core.state_versions import LAYOUT_V7  # noqa: E402

ROUNDS, NUMBER = 7, 200


def _per_state_us(run: Callable[[], Any], states: int) -> float:
    return min(timeit.repeat(run, number=NUMBER, repeat=ROUNDS)) / (NUMBER * states) * 1e6


def main() -> None:
    states: dict[str, UserState] = defaultdict(UserState)
    for line in (ROOT / "tests/core/fixtures/state_events.jsonl").read_text().splitlines():
        event = parse_document(json.loads(line))
        update(states[event.user_id], event)
    compact = [s for s in states.values() if len(s.to_bytes()) == COMPACT_STATE_BYTES]
    v7_class = LAYOUT_V7.state_class()
    as_v7 = [v7_class.from_bytes(STATE_HISTORY.downgrade(s, 7)) for s in compact]
    stored_now = [s.to_bytes() for s in compact]
    stored_v7 = [s.to_bytes() for s in as_v7]
    n = len(compact)
    encode = (_per_state_us(lambda: [s.to_bytes() for s in compact], n),
              _per_state_us(lambda: [s.to_bytes() for s in as_v7], n))
    decode = (_per_state_us(lambda: [UserState.from_bytes(b) for b in stored_now], n),
              _per_state_us(lambda: [v7_class.from_bytes(b) for b in stored_v7], n))
    print(f"{n} states with empty watch slots, stored in {COMPACT_STATE_BYTES} bytes as v{STATE_VERSION}, "
          f"{len(stored_v7[0])} as v7")
    for name, (now, v7) in (("encode", encode), ("decode", decode)):
        print(f"{name}: v{STATE_VERSION} {now:.2f} us, v7 {v7:.2f} us a state: ratio {now / v7:.2f}")


if __name__ == "__main__":
    main()
