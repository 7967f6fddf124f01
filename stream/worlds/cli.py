"""Command line: write one world's events and labels as JSONL, or list the worlds.

Example: python -m stream.worlds --world baseline --seed 1 --users 3000 --history-days 45 --test-days 14 --out events.jsonl --labels labels.jsonl

Add ``--rings`` (and ``--entities entities.jsonl``) for fraud rings and innocent
shared devices and merchants on extra users, with one ground-truth row per entity.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Iterable

import orjson

from .assemble import generate_world_entities
from .catalog import WORLDS, world_names


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """One compact JSON object per line (byte-identical for identical rows)."""
    with path.open("wb") as fh:
        for row in rows:
            fh.write(orjson.dumps(row))
            fh.write(b"\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stream.worlds", description=__doc__)
    parser.add_argument("--list", action="store_true", help="print the world names with a description and exit")
    parser.add_argument("--world", choices=world_names())
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--history-days", type=int, default=45)
    parser.add_argument("--test-days", type=int, default=14)
    parser.add_argument("--out", type=Path, help="events JSONL")
    parser.add_argument("--labels", type=Path, help="labels JSONL")
    parser.add_argument("--rings", action="store_true",
                        help="add fraud rings and innocent sharing on extra users (the base world is unchanged)")
    parser.add_argument("--entities", type=Path, help="with --rings: ground truth per shared device/merchant, JSONL")
    args = parser.parse_args(argv)

    if args.list:
        width = max(map(len, world_names()))
        for name in world_names():
            print(f"{name:<{width}}  {WORLDS[name].description}")
        return 0
    if not args.world or not args.out or not args.labels:
        parser.error("--world, --out and --labels are required (or use --list)")
    if args.entities and not args.rings:
        parser.error("--entities needs --rings")

    began = time.perf_counter()
    events, labels, entities = generate_world_entities(
        WORLDS[args.world], seed=args.seed, users=args.users,
        history_days=args.history_days, test_days=args.test_days, rings=args.rings,
    )
    elapsed = time.perf_counter() - began
    write_jsonl(args.out, events)
    write_jsonl(args.labels, labels)
    if args.entities:
        write_jsonl(args.entities, entities)
    positives = sum(label["label"] for label in labels)
    users = len({e["user_id"] for e in events})
    anomalous = len({e["user_id"] for e, label in zip(events, labels) if label["user_anomalous"]})
    print(
        f"{args.world}: {len(events)} events of {users} users ({positives} labelled anomalous, "
        f"{anomalous} anomalous users) in {elapsed:.1f}s ({len(events) / max(elapsed, 1e-9):.0f} events/s) "
        f"-> {args.out}, {args.labels}",
        file=sys.stderr,
    )
    if args.rings:
        kinds: dict[str, int] = {}
        for row in entities:
            kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
        summary = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        print(f"entities ({len(entities)}): {summary}" + (f" -> {args.entities}" if args.entities else ""),
              file=sys.stderr)
    return 0
