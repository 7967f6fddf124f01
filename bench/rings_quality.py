"""Fraud rings on the held-out worlds: entity-level and member recall, innocent sharing flagged.

For each world and seed: ``python -m stream.worlds --rings --entities`` (device
farms, merchant collusion rings, and innocent shared phones, busy merchants,
campus shops, new merchants and agent devices, written without sight of the
detector), then ``riskmon train`` on the history, ``riskmon score`` over history
and test, ``riskmon evaluate --entities`` on the test window, exactly as a user
would.  Prints one row per run and the worst over runs, and writes
``<out>/rings_quality.md`` and ``.json``.

    .venv/bin/python bench/rings_quality.py --worlds baseline mixed --seeds 1 2 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from worlds_quality import WORLD_START, _read_jsonl, _run, _ts, world_list  # noqa: E402

COLUMNS = (
    ("device farms caught", ("rings", "ring_recall", "device_farm_ring"), False),
    ("merchant rings caught", ("rings", "ring_recall", "merchant_collusion_ring"), False),
    ("farm phones caught", ("rings", "entity_recall", "device_farm_ring"), False),
    ("farm members named", ("rings", "member_recall_by_entity", "device_farm_ring"), False),
    ("ring members named", ("rings", "member_recall_by_entity", "merchant_collusion_ring"), False),
    ("ring members caught (any alert)", ("members_any",), False),
    ("ring members caught by user alerts alone", ("members_user_alerts",), False),
    ("innocent sharers named", ("rings", "innocent_users_named"), True),
    ("innocent shared flagged", ("rings", "innocent_flagged_all"), True),
    ("named users outside rings", ("rings", "named_outside_rings"), True),
    ("other entities flagged", ("rings", "other_entities_flagged"), True),
    ("well-behaved users flagged", ("users", "well_behaved_flagged_share"), True),
    ("standing entity alerts / 1k loans", ("standing_per_1k_loans",), True),
    ("member alerts / 1k loans", ("members_per_1k_loans",), True),
)


def run_world(world: str, seed: int, cfg: dict[str, Any]) -> dict[str, Any]:
    wd = Path(cfg["out"]) / f"{world}-{seed}"
    wd.mkdir(parents=True, exist_ok=True)
    log = wd / "commands.log"
    log.write_text("", encoding="utf-8")
    riskmon = shlex.split(cfg["riskmon"])
    full, labels, entities, history = wd / "full.jsonl", wd / "labels.jsonl", wd / "entities.jsonl", wd / "history.jsonl"
    _run([sys.executable, "-m", "stream.worlds", "--world", world, "--seed", str(seed), "--users", str(cfg["users"]),
          "--history-days", str(cfg["history_days"]), "--test-days", str(cfg["test_days"]), "--rings",
          "--out", str(full), "--labels", str(labels), "--entities", str(entities)], log)
    window_start = WORLD_START + timedelta(days=cfg["history_days"])
    docs = _read_jsonl(full)
    test_loans = 0
    with history.open("wb") as dst:
        for doc in docs:
            if _ts(doc) < window_start:
                dst.write(json.dumps(doc).encode() + b"\n")
            elif doc["event_type"] == "loan":
                test_loans += 1
    model, scores = wd / "model", wd / "scores.jsonl"
    _run([*riskmon, "train", "--input", str(history), "--output", str(model)], log)
    _run([*riskmon, "score", "--model", str(model), "--input", str(full), "--output", str(scores)], log)
    out = _run([*riskmon, "evaluate", "--scores", str(scores), "--labels", str(labels), "--events", str(full),
                "--window-start", window_start.isoformat(), "--entities", str(entities), "--json"], log)
    ev = json.loads(out.strip().splitlines()[-1])
    when = {d["event_id"]: _ts(d) for d in docs}
    entity_alerts = [s for s in _read_jsonl(scores)
                     if s.get("record") == "entity_alert" and when[s["event_id"]] >= window_start]
    members = sum(1 for s in entity_alerts if "member_of" in s)
    any_recall = ev["rings"]["member_recall_any"]
    user_recall = ev["rings"]["member_recall_user_alerts"]
    return {
        "world": world, "seed": seed, "rings": ev["rings"], "users": ev["users"],
        "members_any": min((v for v in any_recall.values() if v is not None), default=None),
        "members_user_alerts": min((v for v in user_recall.values() if v is not None), default=None),
        "entity_alerts": len(entity_alerts), "member_alerts": members, "test_loans": test_loans,
        "standing_per_1k_loans": 1000 * (len(entity_alerts) - members) / max(test_loans, 1),
        "members_per_1k_loans": 1000 * members / max(test_loans, 1),
        "thresholds": json.loads((model / "model.json").read_text())["meta"]["entities"]["threshold"],
    }


def _get(r: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = r
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def table(results: list[dict[str, Any]]) -> tuple[str, dict[str, float | None]]:
    header = ["world", "seed", *(c for c, _, _ in COLUMNS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        lines.append("| " + " | ".join([r["world"], str(r["seed"]), *(_f(_get(r, p)) for _, p, _ in COLUMNS)]) + " |")
    worst: dict[str, float | None] = {}
    for name, path, high_is_bad in COLUMNS:
        values = [v for v in (_get(r, path) for r in results) if v is not None]
        worst[name] = (max(values) if high_is_bad else min(values)) if values else None
    lines.append("| **worst** | | " + " | ".join(f"**{_f(worst[c])}**" for c, _, _ in COLUMNS) + " |")
    pooled = pooled_counts(results)
    lines.append("")
    lines.append("pooled over the runs: " + ", ".join(f"{k} {c}/{n}" for k, (c, n) in pooled.items()))
    return "\n".join(lines), worst


def pooled_counts(results: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """(caught, planted) rings per kind and (flagged, count) innocent entities, over every run."""
    out: dict[str, list[int]] = {}
    for r in results:
        q = r["rings"]
        for kind, n in q["rings"].items():
            c = out.setdefault(f"{kind} caught", [0, 0])
            c[0] += round((q["ring_recall"][kind] or 0) * n)
            c[1] += n
        c = out.setdefault("innocent shared entities flagged", [0, 0])
        c[0] += round((q["innocent_flagged_all"] or 0) * q["innocent_entities"])
        c[1] += q["innocent_entities"]
    return {k: (v[0], v[1]) for k, v in out.items()}


def worlds_of(names: list[str] | None) -> list[str]:
    """The worlds to run: those named (comma or space separated), or every world of the family the
    ring layer is planted in (``stream.worlds --rings``)."""
    return [w for item in (names or world_list("stream.worlds")) for w in item.split(",") if w]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", nargs="+", default=None, help="world names (default: all)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--history-days", type=int, default=45)
    parser.add_argument("--test-days", type=int, default=14)
    parser.add_argument("--out", type=Path, default=REPO / "var" / "rings")
    parser.add_argument("--jobs", type=int, default=1)
    default_riskmon = Path(sys.executable).parent / "riskmon"
    parser.add_argument("--riskmon", default=str(default_riskmon) if default_riskmon.exists() else "riskmon")
    args = parser.parse_args(argv)
    worlds = worlds_of(args.worlds)
    cfg = {"out": str(args.out), "users": args.users, "history_days": args.history_days,
           "test_days": args.test_days, "riskmon": args.riskmon}
    runs = [(w, s) for w in worlds for s in args.seeds]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(run_world, [w for w, _ in runs], [s for _, s in runs], [cfg] * len(runs)))
    text, worst = table(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rings_quality.md").write_text(text + "\n", encoding="utf-8")
    (args.out / "rings_quality.json").write_text(json.dumps({"runs": results, "worst": worst}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
