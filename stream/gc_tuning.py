"""The cyclic garbage collector's thresholds for riskmon's processes.

Python collects its youngest generation every 700 net allocations (defaults
700, 10, 10).  A worker's batch, or an offline replay, allocates tens of
thousands of short-lived objects (events, feature rows, states; an entity
state alone is 40 lists), so at 700 the collector walked each batch's live
objects again every few hundred allocations and promoted them towards full
collections.  The monitor's garbage is freed by reference counting; reference
cycles are rare.  Raised thresholds gave one worker process 1.29-1.49x the
events/s in back-to-back bench pairs, and `riskmon score` about 18 % less time
(docs/tuning.md, "packed sightings and garbage collection").
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Apply ``GC_THRESHOLDS`` to this process (idempotent)."""
    gc.set_threshold(*GC_THRESHOLDS)
