"""Choose the loan forest's columns and size leave-one-world-out, and say what it buys.

Reads the worlds that ``bench/worlds_quality.py`` generated (``<runs>/<world>-<seed>/
full.jsonl`` and ``labels.jsonl``), computes every loan event's features with the
stream's own code (``stream.core.pipeline.featurize``, segment medians from the
history), and fits an isolation forest per candidate below on each world's history,
as ``riskmon train`` does.  For each world it then picks the candidate with the best
worst-case PR-AUC on the *other* worlds (mean PR-AUC breaks ties) and reports how
that pick does on the world left out.  The worst of those held-out numbers is what
the choice is worth on a lender it was not made on.

    .venv/bin/python bench/forest_choice.py --runs var/worlds            # after bench/worlds_quality.py
    .venv/bin/python bench/forest_choice.py --runs var/worlds --jobs 2 --json choice.json
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.model import EVENT_FEATURES, LOAN_TERMS, REPAYMENT_HABITS  # noqa: E402
from models.train import MAX_SAMPLES  # noqa: E402
from stream.core.features import LOAN_FEATURES, apply_segment_stats, segment_medians  # noqa: E402
from stream.core.pipeline import featurize  # noqa: E402
from stream.offline.jsonl import read_events  # noqa: E402

WORLD_START = datetime.fromisoformat("2026-01-05T00:00+08:00")
OVERDUE = ("overdue_days", "overdue_loans")

#: name -> (columns left out of the loan row, rows per tree); the loan's own term and product
#: (``LOAN_TERMS``, added for the early warning) are left out of every candidate, as they were
#: not in the row when these were compared.
CANDIDATES: dict[str, tuple[tuple[str, ...], int]] = {
    "before issue 12 (all but new_product, 256)": (("new_product", *LOAN_TERMS), 256),
    "all row features, 256": (LOAN_TERMS, 256),
    "all row features, 2048": (LOAN_TERMS, 2048),
    "no repayment habits, 256": (REPAYMENT_HABITS + LOAN_TERMS, 256),
    "no repayment habits, 2048 (in force)": (REPAYMENT_HABITS + LOAN_TERMS, 2048),
    "no repayment habits or overdue, 2048": (REPAYMENT_HABITS + OVERDUE + LOAN_TERMS, 2048),
}


def world_matrix(run: Path, history_days: int) -> dict[str, np.ndarray]:
    """Loan feature rows (the stream's own features) with labels, scenarios and the test-window mask."""
    labels, scenarios = {}, {}
    with (run / "labels.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            labels[doc["event_id"]] = doc["label"]
            scenarios[doc["event_id"]] = doc.get("scenario", "normal")
    start = WORLD_START.timestamp() + history_days * 86400
    loans = [(e, r) for e, r in featurize(read_events(run / "full.jsonl")) if e.event_type == "loan"]
    test = np.array([e.ts >= start for e, _ in loans])
    stats = segment_medians([(e.segment, r) for (e, r), t in zip(loans, test) if not t])
    X = np.array([apply_segment_stats(r, e.segment, stats).values for e, r in loans], dtype=np.float64)
    y = np.array([labels.get(e.event_id, 0) for e, _ in loans])
    scenario = np.array([scenarios.get(e.event_id, "normal") for e, _ in loans])
    return {"X": X, "y": y, "test": test, "scenario": scenario}


def measure(data: dict[str, np.ndarray], left_out: tuple[str, ...], max_samples: int, seed: int) -> tuple[float, float]:
    """ROC-AUC and PR-AUC on the test window of a forest fitted on the history."""
    keep = [i for i, name in enumerate(LOAN_FEATURES) if name not in left_out]
    X, t, y = data["X"][:, keep], data["test"], data["y"][data["test"]]
    forest = IsolationForest(n_estimators=200, max_samples=min(max_samples, int((~t).sum())), random_state=seed)
    scores = -forest.fit(X[~t]).score_samples(X[t])
    return float(roc_auc_score(y, scores)), float(average_precision_score(y, scores))


def leave_one_world_out(results: dict[tuple[str, str], tuple[float, float]], runs: list[str]) -> list[dict[str, Any]]:
    """Per world: the candidate picked on the other worlds, and its numbers on this one."""
    worlds = sorted({r.rsplit("-", 1)[0] for r in runs})
    picks = []
    for world in worlds:
        mine = [r for r in runs if r.rsplit("-", 1)[0] == world]
        others = [r for r in runs if r not in mine]
        best = max(CANDIDATES, key=lambda c: (min(results[(r, c)][1] for r in others),
                                              float(np.mean([results[(r, c)][1] for r in others]))))
        picks.append({"world": world, "picked": best, "held_out": {r: results[(r, best)] for r in mine}})
    return picks


def report(results: dict[tuple[str, str], tuple[float, float]], runs: list[str], picks: list[dict[str, Any]]) -> str:
    lines = ["| candidate | worst ROC | worst PR | mean ROC | mean PR |", "|---|---|---|---|---|"]
    for c in CANDIDATES:
        roc = [results[(r, c)][0] for r in runs]
        pr = [results[(r, c)][1] for r in runs]
        lines.append(f"| {c} | {min(roc):.3f} | {min(pr):.3f} | {np.mean(roc):.3f} | {np.mean(pr):.3f} |")
    lines += ["", "| world left out | picked on the others | its ROC / PR on the world left out |", "|---|---|---|"]
    for p in picks:
        shown = ", ".join(f"{r}: {a:.3f} / {b:.3f}" for r, (a, b) in p["held_out"].items())
        lines.append(f"| {p['world']} | {p['picked']} | {shown} |")
    held = [v for p in picks for v in p["held_out"].values()]
    lines.append(f"| **worst held out** | | {min(a for a, _ in held):.3f} / {min(b for _, b in held):.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=Path, default=Path("var/worlds"), help="bench/worlds_quality.py's --out")
    parser.add_argument("--history-days", type=int, default=45)
    parser.add_argument("--seed", type=int, default=7, help="the forests' random_state (riskmon train's default)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write every number here")
    args = parser.parse_args(argv)
    dirs = sorted(p for p in args.runs.iterdir() if (p / "labels.jsonl").exists())
    if not dirs:
        parser.error(f"no world runs under {args.runs}: run bench/worlds_quality.py --out {args.runs} first")
    assert EVENT_FEATURES["loan"] == tuple(n for n in LOAN_FEATURES if n not in REPAYMENT_HABITS + LOAN_TERMS)
    assert MAX_SAMPLES == CANDIDATES["no repayment habits, 2048 (in force)"][1]
    data = {p.name: world_matrix(p, args.history_days) for p in dirs}
    tasks = [(r, c) for r in data for c in CANDIDATES]
    values = Parallel(n_jobs=args.jobs)(
        delayed(measure)(data[r], *CANDIDATES[c], args.seed) for r, c in tasks
    )
    results = dict(zip(tasks, values))
    runs = sorted(data)
    picks = leave_one_world_out(results, runs)
    print(report(results, runs, picks))
    if args.json:
        args.json.write_text(json.dumps({"results": {f"{r}|{c}": v for (r, c), v in results.items()},
                                         "picks": picks}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
