"""Train the typology prior (``models.prior``) on labelled synthetic lenders, and write it.

Every world of the families it learns (``LEARNED``: the project's simulator and
the held-out families A to E, ``stream.worlds`` to ``_e``, written by five
sessions that never read the detector) is generated at training seeds the
quality tables do not use (default 11), its loan events featurised with the
stream's own code (``bench/forest_choice.world_matrix``), and one
``HistGradientBoostingClassifier`` is fitted on all their labelled loans,
history and test window alike.

    .venv/bin/python bench/train_prior.py --seeds 11 12 13  # shipped
    .venv/bin/python bench/train_prior.py --seeds 11 12 13 --exclude stream.worlds_b --out var/prior-without-b
    .venv/bin/python bench/train_prior.py --seeds 11 12 13 --include stream.worlds_f --out var/prior-with-f

``--exclude`` leaves a learned family out: the harness measures a family with
the prior trained without it (``bench/worlds_quality.py --typology-prior``), so
no number in the README comes from a family the prior learned.  The families
written since (F on) are left out unless named by ``--include``: each stays a
family the product as shipped never saw (docs/worlds.md, "Family F" and after;
a prior with F to I too bought nothing on J and K: "A prior from nine
authors"), and a family added to the harness stays unseen without a change
here.  About 8 minutes with ``--jobs 2`` for three seeds (generation and
features; each stream's rows are kept in ``--work``, so another prior from the
same streams takes a minute).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from forest_choice import world_matrix  # noqa: E402
from worlds_quality import GENERATORS as FAMILIES  # noqa: E402
from worlds_quality import _run, world_list  # noqa: E402
from models.model import EVENT_FEATURES  # noqa: E402
from models.prior import LEFT_OUT, PRIOR_DIR, TypologyPrior  # noqa: E402
from stream.core.features import LOAN_FEATURES  # noqa: E402

SIMULATOR = "simulator"
#: What the shipped prior (``models/prior``) learned: families A to E and the simulator.
LEARNED: tuple[str, ...] = ("stream.worlds", "stream.worlds_b", "stream.worlds_c", "stream.worlds_d", "stream.worlds_e",
                            SIMULATOR)
#: The loan model's columns the prior reads.
PRIOR_FEATURES: tuple[str, ...] = tuple(n for n in EVENT_FEATURES["loan"] if n not in LEFT_OUT)
#: The simulator's share of misbehaving users: its default 3 % gives few typology loans per run.
SIM_ANOMALY_RATE = 0.1


def generate(source: str, world: str, seed: int, args: argparse.Namespace) -> Path:
    """One labelled stream (``full.jsonl``, ``labels.jsonl``) under the work directory; kept if already there."""
    run = args.work / source / f"{world}-{seed}"
    if (run / "labels.jsonl").exists():
        return run
    run.mkdir(parents=True, exist_ok=True)
    log = run / "commands.log"
    if source == SIMULATOR:
        _run([sys.executable, "-m", "stream.cli", "--seed", str(seed), "simulate", "--users", str(args.users),
              "--days", str(args.history_days + args.test_days), "--anomaly-rate", str(SIM_ANOMALY_RATE),
              "--output", str(run / "full.tmp"), "--labels", str(run / "labels.tmp")], log)
    else:
        _run([sys.executable, "-m", source, "--world", world, "--seed", str(seed), "--users", str(args.users),
              "--history-days", str(args.history_days), "--test-days", str(args.test_days),
              "--out", str(run / "full.tmp"), "--labels", str(run / "labels.tmp")], log)
    (run / "full.tmp").rename(run / "full.jsonl")
    (run / "labels.tmp").rename(run / "labels.jsonl")
    return run


def rows(source: str, world: str, seed: int, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """The labelled loan rows of one stream, in ``PRIOR_FEATURES``' order."""
    run = generate(source, world, seed, args)
    cached = run / "rows.npz"  # the stream's rows, for the next prior trained from the same streams
    if cached.exists():
        with np.load(cached, allow_pickle=False) as kept:
            if tuple(kept["names"]) == LOAN_FEATURES:
                return kept["X"][:, _columns()], kept["y"]
    # Segment medians from the whole stream: every row counts as history here.
    data = world_matrix(run, 10_000)
    np.savez(cached, X=data["X"], y=data["y"], names=np.array(LOAN_FEATURES))
    return data["X"][:, _columns()], data["y"]


def _columns() -> list[int]:
    return [LOAN_FEATURES.index(n) for n in PRIOR_FEATURES]


def worlds(source: str) -> list[str]:
    return ["default"] if source == SIMULATOR else world_list(source)


def learned_sources(exclude: list[str], include: list[str]) -> list[str]:
    """The families a prior learns: ``LEARNED`` plus ``include``, less ``exclude``, in the harness's order."""
    return [s for s in (*FAMILIES, SIMULATOR) if s in (*LEARNED, *include) and s not in exclude]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exclude", action="append", default=[], choices=LEARNED,
                        help="leave a learned family out (repeatable)")
    parser.add_argument("--include", action="append", default=[],
                        choices=[f for f in FAMILIES if f not in LEARNED], help="learn a family written after the shipped prior too (repeatable)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[11], help="generator seeds (default 11)")
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--history-days", type=int, default=45)
    parser.add_argument("--test-days", type=int, default=14)
    parser.add_argument("--work", type=Path, default=REPO / "var" / "prior-worlds", help="generated streams")
    parser.add_argument("--out", type=Path, default=PRIOR_DIR, help="where to write the prior (default: the shipped one)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7, help="the classifier's random state")
    args = parser.parse_args(argv)
    sources = learned_sources(args.exclude, args.include)
    tasks = [(s, w, seed) for s in sources for w in worlds(s) for seed in args.seeds]
    print(f"{len(tasks)} streams from {', '.join(sources)}", flush=True)
    parts = Parallel(n_jobs=args.jobs)(delayed(rows)(s, w, seed, args) for s, w, seed in tasks)
    X = np.vstack([x for x, _ in parts])
    y = np.concatenate([y for _, y in parts])
    provenance: dict[str, Any] = {
        "sources": sources, "excluded": [s for s in (*FAMILIES, SIMULATOR) if s not in sources],
        "seeds": args.seeds, "users": args.users,
        "days": [args.history_days, args.test_days], "loans": int(len(y)), "typology_loans": int(y.sum()),
        "streams": len(tasks),
    }
    prior = TypologyPrior.fit(PRIOR_FEATURES, X, y, provenance, seed=args.seed)
    prior.save(args.out)
    print(f"typology prior on {len(y)} loans ({int(y.sum())} of typologies) from {len(tasks)} streams "
          f"-> {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
