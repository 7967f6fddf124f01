"""Write the stored-state fixtures of tests/core/test_state_migration.py (run once per version).

    python tests/core/make_state_fixtures.py events
        the fixed event stream, tests/core/fixtures/state_events.jsonl (from the
        simulator of this checkout, plus redeliveries and out-of-order swaps)
    python tests/core/make_state_fixtures.py states REV
        tests/core/fixtures/states_vN.json: each user's state after that stream,
        as the code of commit REV serialises it (N is REV's STATE_VERSION)

``states`` runs the stream through REV's own ``update`` and ``to_bytes`` (its
``stream`` package extracted with ``git archive`` into a temporary directory, so
no checkout is touched): the bytes are what a worker of that release stored.
The commits used: v2 e42295b, v3 26ed953, v4 d786b47 (the last commit of each
version; v4 is the shipped release this migration was written against), v5
dcff580, v6 e1f7576, v7 3556ef3, v8 6724b82, v9 154e20f and v10 ab0cd8c (the commits that introduced them).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EVENTS = FIXTURES / "state_events.jsonl"
ROOT = Path(__file__).resolve().parents[2]


def write_events() -> None:
    """30 simulated users over 45 days (half of them misbehaving: rollovers, rising
    lateness, short loans), then every 25th event delivered again later and some
    neighbours swapped, so the states also hold deduplication and lateness."""
    sys.path.insert(0, str(ROOT))
    from stream.sim import SimConfig, generate

    docs, _ = generate(SimConfig(users=30, days=45, seed=16, anomaly_rate=0.5, user_prefix="fx"))
    rng = random.Random(16)
    out = list(docs)
    for i in range(0, len(docs), 25):
        out.insert(min(len(out), i + 40 + rng.randrange(20)), docs[i])  # redelivered a little later
    for i in range(1, len(out) - 1, 17):
        out[i], out[i + 1] = out[i + 1], out[i]  # arrives out of order
    FIXTURES.mkdir(exist_ok=True)
    EVENTS.write_text("".join(json.dumps(d, sort_keys=True, separators=(",", ":")) + "\n" for d in out))


def events_sha256() -> str:
    return hashlib.sha256(EVENTS.read_bytes()).hexdigest()


def states_of(features: object, contract: object) -> tuple[int, dict[str, bytes]]:
    """(STATE_VERSION, user -> serialised state) after the fixed stream, with the given modules."""
    states: dict = defaultdict(features.UserState)  # type: ignore[attr-defined]
    for line in EVENTS.read_text().splitlines():
        event = contract.parse_document(json.loads(line))  # type: ignore[attr-defined]
        features.update(states[event.user_id], event)  # type: ignore[attr-defined]
    return features.STATE_VERSION, {u: s.to_bytes() for u, s in sorted(states.items())}  # type: ignore[attr-defined]


def _dump_states(rev: str, subject: str) -> None:
    """In the child process: import REV's modules (first on sys.path) and write the fixture."""
    extracted = os.environ["STATE_FIXTURE_CODE"]
    package = "stream.core" if Path(extracted, "stream", "core").is_dir() else "stream"  # stream/ before d428cce
    features = importlib.import_module(f"{package}.features")
    contract = importlib.import_module(f"{package}.contract")
    if not features.__file__.startswith(extracted + os.sep):
        raise SystemExit(f"imported {features.__file__}, not the code of {rev} in {extracted}")
    version, states = states_of(features, contract)
    doc = {
        "state_version": version,
        "written_by": f"{rev} {subject}",
        "code": os.path.relpath(features.__file__, extracted),
        "events": EVENTS.name,
        "events_sha256": events_sha256(),
        "states": {u: b.hex() for u, b in states.items()},
    }
    (FIXTURES / f"states_v{version}.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"states_v{version}.json: {len(states)} users written by {rev}")


def write_states(rev: str) -> None:
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True, capture_output=True,
                         text=True).stdout.strip()
    subject = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%cs %s", sha], check=True,
                             capture_output=True, text=True).stdout.strip()[:90]
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha, "stream"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        Path(tmp, "stream", "__init__.py").touch()  # older commits had none: not a namespace package behind another
        env = {**os.environ, "PYTHONPATH": tmp, "STATE_FIXTURE_CODE": tmp}
        subprocess.run([sys.executable, __file__, "_dump", sha, subject], env=env, check=True, cwd=tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("events")
    states = sub.add_parser("states")
    states.add_argument("rev")
    dump = sub.add_parser("_dump")
    dump.add_argument("rev")
    dump.add_argument("subject")
    args = parser.parse_args()
    if args.command == "events":
        write_events()
    elif args.command == "states":
        write_states(args.rev)
    else:
        _dump_states(args.rev, args.subject)


if __name__ == "__main__":
    main()
