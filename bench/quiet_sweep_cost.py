#!/usr/bin/env python
"""What the worker's quiet sweep costs, as a share of what a batch already costs (same run, a ratio).

The worker sweeps ``quiet_sweep_users`` stored users with every batch
(``stream.worker.quiet_sweep``): it decodes their states and looks for tagged
loans long past due.  Measured here without Kafka, on the project's simulator
(a model with an early warning trained on a 60-day history, then the users'
states after 30 more days):

* **reference**: one batch of ``--batch`` events through the pipeline as the
  worker runs it (each touched user's state decoded from bytes, then
  ``stream.core.pipeline.process``);
* **sweep**: ``--sweep`` stored users decoded and swept
  (``stream.core.pipeline.sweep_quiet``), at the latest event time.

Each is timed over ``--repeats`` rounds on fresh copies of the states; the
report gives the median of each and their ratio.  The broker round trips a
batch waits for (alerts, then states) are not in the reference, so the share
of a real batch is smaller still.

    .venv/bin/python bench/quiet_sweep_cost.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.train import train  # noqa: E402
from stream.core.contract import parse_document  # noqa: E402
from stream.core.features import UserState  # noqa: E402
from stream.core.pipeline import process, sweep_quiet  # noqa: E402
from stream.core.rules import RuleConfig  # noqa: E402
from stream.sim import SimConfig, generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=500, help="events in the reference batch (batch_max)")
    parser.add_argument("--sweep", type=int, default=50, help="users swept per batch (quiet_sweep_users)")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)

    docs, _ = generate(SimConfig(users=args.users, days=104, seed=5, user_prefix="cost", festival_day=None))
    events = [parse_document(d) for d in docs]
    start = min(e.ts for e in events)
    history = [e for e in events if e.ts < start + 60 * 86400]
    model = train(history, seed=7)
    if model.early_warning is None:
        raise SystemExit("the model has no early warning: nothing to sweep; raise --users")
    rules = model.rules(RuleConfig())
    states: dict[str, UserState] = {}
    cut = start + 90 * 86400
    process(model, rules, states, [e for e in events if e.ts < cut], 0.0)
    stored = {u: s.to_bytes() for u, s in states.items()}
    batches = [e for e in events if e.ts >= cut]
    at = max(e.ts for e in events)
    rng = random.Random(1)
    ref, sweep, realised = [], [], 0
    for round_ in range(args.repeats):
        offset = (round_ * args.batch) % max(1, len(batches) - args.batch)
        batch = batches[offset:offset + args.batch]
        t = time.perf_counter()
        loaded = {u: UserState.from_bytes(stored[u]) for u in {e.user_id for e in batch} if u in stored}
        process(model, rules, loaded, batch, 0.0)
        ref.append(time.perf_counter() - t)
        picked = rng.sample(sorted(stored), args.sweep)
        t = time.perf_counter()
        group = {u: UserState.from_bytes(stored[u]) for u in picked}
        realised += sum(len(r) for r in sweep_quiet(model, group, at).values())
        sweep.append(time.perf_counter() - t)
    r, s = statistics.median(ref), statistics.median(sweep)
    print(f"reference: a batch of {args.batch} events, median {r * 1e3:.2f} ms\n"
          f"quiet sweep of {args.sweep} stored users: median {s * 1e3:.3f} ms ({s / args.sweep * 1e6:.1f} µs a user; "
          f"{realised} loans realised over {args.repeats} rounds)\n"
          f"ratio sweep / batch: {s / r:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
