"""How far the monitor's features can go on the held-out worlds, if labels were free.

The forest is unsupervised: it ranks what is rare in the lender's history.
Issue 12's bar (worst world ROC-AUC >= 0.96, PR-AUC >= 0.85) might be out of
reach for two different reasons, and they call for different work: the forest
reads the features badly (then a better detector is the fix), or the features
do not carry the signal (then new features are).  This script tells them apart.
For each world left out it fits a supervised classifier (scikit-learn's
``HistGradientBoostingClassifier``) on the *labelled* loan events of every run of
the other seven worlds, history and test window alike, with every feature the
stream computes, and ranks the left-out world's test window.  No lender has
those labels: the number is a ceiling for these features, not a detector.
Next to it, the unsupervised readers fitted on the world's own history, as
``riskmon train`` fits them: the isolation forest alone, the directional tails
alone (``models.tails``) and their blend, which is the loan model in force;
and per scenario the ROC-AUC of the forest and the ceiling against the
well-behaved loans.

    .venv/bin/python bench/worlds_quality.py --seeds 1 2 3 --jobs 2 --out var/worlds
    .venv/bin/python bench/feature_ceiling.py --runs var/worlds --jobs 2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from forest_choice import world_matrix  # noqa: E402
from models.forest import CompiledForest  # noqa: E402
from models.model import EVENT_FEATURES  # noqa: E402
from models.tails import Blend  # noqa: E402
from models.train import MAX_SAMPLES  # noqa: E402
from stream.core.features import LOAN_FEATURES  # noqa: E402


def world_of(run: str) -> str:
    return run.rsplit("-", 1)[0]


def ranking(y: np.ndarray, scenario: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """ROC-AUC and PR-AUC on the window, and each scenario's ROC-AUC against the label-0 loans."""
    per = {}
    for name in sorted(set(scenario[y == 1])):
        mask = (y == 0) | (scenario == name)
        per[name] = float(roc_auc_score(y[mask], scores[mask]))
    return {"roc": float(roc_auc_score(y, scores)), "pr": float(average_precision_score(y, scores)), "scenarios": per}


def unsupervised(data: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """The forest alone, the directional tails alone and their blend (the model in force), fitted on the history."""
    names = EVENT_FEATURES["loan"]
    cols = [LOAN_FEATURES.index(n) for n in names]
    X, t = data["X"][:, cols], data["test"]
    forest = IsolationForest(n_estimators=200, max_samples=min(MAX_SAMPLES, int((~t).sum())), random_state=seed)
    compiled = CompiledForest.from_sklearn(forest.fit(X[~t]))
    history, window = compiled.anomaly_score01(X[~t]), compiled.anomaly_score01(X[t])
    blended = Blend.fit(names, X[~t], history)
    return {"forest": window, "directional": blended.tails.score(X[t]),
            "forest + directional": blended.score(X[t], window)}


def ceiling_for(world: str, data: dict[str, dict[str, np.ndarray]], seed: int) -> dict[str, np.ndarray]:
    """Scores of ``world``'s runs' test windows by a classifier trained on every other world's labels."""
    others = [r for r in data if world_of(r) != world]
    X = np.vstack([data[r]["X"] for r in others])
    y = np.concatenate([data[r]["y"] for r in others])
    model = HistGradientBoostingClassifier(max_iter=200, random_state=seed).fit(X, y)
    return {r: model.predict_proba(d["X"][d["test"]])[:, 1] for r, d in data.items() if world_of(r) == world}


SYSTEMS = ("forest", "directional", "forest + directional", "ceiling")


def report(rows: dict[str, dict[str, dict[str, Any]]]) -> str:
    systems = SYSTEMS
    lines = ["| run | " + " | ".join(f"{s} ROC / PR" for s in systems) + " |", "|---" * (len(systems) + 1) + "|"]
    for run, by in sorted(rows.items()):
        lines.append(f"| {run} | " + " | ".join(f"{by[s]['roc']:.3f} / {by[s]['pr']:.3f}" for s in systems) + " |")
    for label, f in (("worst", min), ("mean", lambda v: float(np.mean(v)))):
        cells = [f"{f([r[s]['roc'] for r in rows.values()]):.3f} / {f([r[s]['pr'] for r in rows.values()]):.3f}"
                 for s in systems]
        lines.append(f"| **{label}** | " + " | ".join(cells) + " |")
    scenarios = sorted({k for r in rows.values() for k in r["ceiling"]["scenarios"]})
    lines += ["", "| scenario (ROC-AUC against well-behaved loans) | forest mean / worst | ceiling mean / worst |",
              "|---|---|---|"]
    for name in scenarios:
        cells = []
        for s in ("forest", "ceiling"):
            v = [r[s]["scenarios"][name] for r in rows.values() if name in r[s]["scenarios"]]
            cells.append(f"{np.mean(v):.2f} / {min(v):.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=Path, default=Path("var/worlds"), help="bench/worlds_quality.py's --out")
    parser.add_argument("--history-days", type=int, default=45)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write every number here")
    args = parser.parse_args(argv)
    dirs = sorted(p for p in args.runs.iterdir() if (p / "labels.jsonl").exists())
    if len({world_of(p.name) for p in dirs}) < 2:
        parser.error(f"need runs of at least two worlds under {args.runs}: run bench/worlds_quality.py first")
    matrices = Parallel(n_jobs=args.jobs)(delayed(world_matrix)(p, args.history_days) for p in dirs)
    data = {p.name: m for p, m in zip(dirs, matrices)}
    worlds = sorted({world_of(r) for r in data})
    ceilings = Parallel(n_jobs=args.jobs)(delayed(ceiling_for)(w, data, args.seed) for w in worlds)
    readers = Parallel(n_jobs=args.jobs)(delayed(unsupervised)(data[r], args.seed) for r in data)
    rows = {}
    for r, scores in zip(data, readers):
        d = data[r]
        y, scenario = d["y"][d["test"]], d["scenario"][d["test"]]
        scores["ceiling"] = next(c[r] for c in ceilings if r in c)
        rows[r] = {name: ranking(y, scenario, scores[name]) for name in SYSTEMS}
    print(report(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
