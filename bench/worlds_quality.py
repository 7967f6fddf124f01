#!/usr/bin/env python
"""Detection quality on the held-out worlds (issue 12): where the monitor stands on data it was never tuned to.

For each world of ``python -m stream.worlds --list`` (or ``--generator stream.worlds_b``) and each seed, it

1. generates the world once as one stream, history then test
   (``--history-days``, ``--test-days``; the labelled test window is the last
   ``--test-days`` days) into ``<out>/<world>-<seed>/full.jsonl`` + ``labels.jsonl``,
2. writes ``history.jsonl``: the events before the test window,
3. runs the monitor exactly as a user would, through its command line:
   ``riskmon train --input history.jsonl``, ``riskmon score`` over ``full.jsonl``
   (history + test, so the rolling state is warm), ``riskmon evaluate --json``
   on the test window,
4. fits the plain 13-feature baseline (``models.baseline.PlainBaseline``) on the
   history's loan events and scores the test window's loan events, ranking them
   against the same labels with sklearn.

With ``--leave-one-typology-out`` it then trains, scores and evaluates each
world again once per typology rule (``RULES``), that rule switched off through
a rules file (``--rules-file``, ``{"disabled": [rule]}``), and reports each
typology's event recall with all rules on, with its own rule off, and of the
forest alone (``"model"`` in ``fired_by``) in both runs, in
``<out>/typology_out.{md,json}`` (issue 12 item 4: typologies no rule knows).

It prints Markdown tables (one row per world and seed, then a "worst" row:
the minimum of each quality number, the maximum of each alert-volume number)
and writes them with a JSON of every number to ``<out>/worlds_quality.{md,json}``.

    .venv/bin/python bench/worlds_quality.py                      # 8 worlds x seeds 1, 2, 3000 users
    .venv/bin/python bench/worlds_quality.py --worlds baseline,mixed --seeds 7 --users 1000
    .venv/bin/python bench/worlds_quality.py --seeds 1 --jobs 2 --leave-one-typology-out

Definitions: the monitor's numbers are ``riskmon evaluate``'s (see
``models/evaluate.py``): ROC-AUC / PR-AUC on the test window's loan events,
user recall, well-behaved users flagged, event recall per scenario, the alert
rate of the day with the most events over the median day's (in brackets: of
the day with the highest rate, often a quiet day's few alerts).  Computed
here: the alerted share of well-behaved users' (``user_anomalous`` false)
loan events in the test window; each rule's hit rate (share of loan events
whose ``fired_by`` names it) on the history's loan events, as ``riskmon
score`` scores them, next to the 1 % default budget.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Container, Iterable, Mapping, Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import orjson  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

from models.baseline import PlainBaseline  # noqa: E402
from models.prior import TypologyPrior, prior_path  # noqa: E402

#: Where ``stream.worlds`` starts every stream (its default; the CLI has no flag
#: for it).  Checked against the generated events: a change there fails loudly.
WORLD_START = datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=8)))

#: The families of held-out worlds (each a package with the same command line).
GENERATORS = ("stream.worlds", "stream.worlds_b", "stream.worlds_c", "stream.worlds_d", "stream.worlds_e",
              "stream.worlds_f", "stream.worlds_g", "stream.worlds_h", "stream.worlds_i", "stream.worlds_j",
              "stream.worlds_k", "stream.worlds_l", "stream.worlds_m", "stream.worlds_n",
              "stream.worlds_o")

RULES = ("account_takeover", "borrow_to_repay", "limit_jump_drain", "loan_stacking", "overdue_escalation",
         "student_overborrowing")
#: Typologies a rule of another name is written for (leave-one-typology-out switches that rule off):
#: ``borrow_to_repay``'s funded-repayment clause (a repayment made with a new loan of another
#: product, again and again) is the pattern of two credit lines paying each other off.
RULE_FOR = {"circular_repayment": "borrow_to_repay"}


# --------------------------------------------------------------------------- one world


#: Runs one command in the repository: its exit code, stdout and stderr.
CommandRunner = Callable[[Sequence[str]], tuple[int, str, str]]


def run_subprocess(cmd: Sequence[str]) -> tuple[int, str, str]:
    """A new process per command, as a user runs it (the default ``RUN_COMMAND``)."""
    proc = subprocess.run(list(cmd), cwd=REPO, capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


#: How ``_run`` runs a command.  The make-test guards swap in a runner that forks each
#: ``python -m`` command from a process that has already imported scikit-learn and the
#: monitor (``tests/bench/scripts.py``): the same command line, without its imports.
RUN_COMMAND: CommandRunner = run_subprocess


def _run(cmd: Sequence[str], log: Path) -> str:
    """Run a command in the repository, its output to ``log``; stdout returned; a failure raises with the tail."""
    began = time.perf_counter()
    code, stdout, stderr = RUN_COMMAND(cmd)
    took = time.perf_counter() - began
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {shlex.join(cmd)}\n# exit {code} after {took:.1f}s\n{stdout}{stderr}\n")
    if code != 0:
        tail = (stderr or stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"{shlex.join(cmd)} exited {code}: " + " | ".join(tail))
    return stdout


def stream_start(times: list[datetime], days: int) -> datetime:
    """Where a world's stream starts: ``WORLD_START`` for the families that all start there, else
    (family J starts each lender in its own season) midnight, +08:00, of the first event's day."""
    if not times or (min(times) >= WORLD_START and max(times) < WORLD_START + timedelta(days=days)):
        return WORLD_START
    first = min(times).astimezone(WORLD_START.tzinfo)
    return first.replace(hour=0, minute=0, second=0, microsecond=0)


def _ts(doc: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(doc["ts"].upper().replace("Z", "+00:00"))


def _auc(labels: list[int], scores: list[float]) -> dict[str, float | None]:
    if len(set(labels)) < 2:
        return {"roc_auc": None, "pr_auc": None}
    return {"roc_auc": float(roc_auc_score(labels, scores)), "pr_auc": float(average_precision_score(labels, scores))}


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]


def monitor_run(riskmon: list[str], wd: Path, run_dir: Path, window_start: datetime, log: Path,
                rules_file: Path | None = None) -> tuple[dict[str, Any], dict[str, float]]:
    """``riskmon train`` on ``wd``'s history, ``score`` over its full stream and ``evaluate`` the test
    window, the model and scores in ``run_dir``; evaluate's JSON (also ``run_dir/evaluate.json``) and
    each step's seconds.  ``rules_file``: the ``--rules-file`` setting of train and score."""
    setting = ["--rules-file", str(rules_file)] if rules_file else []
    model, scores = run_dir / "model", run_dir / "scores.jsonl"
    seconds: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        seconds[name] = round(now - t, 2)
        t = now

    _run([*riskmon, *setting, "train", "--input", str(wd / "history.jsonl"), "--output", str(model)], log)
    lap("train")
    _run([*riskmon, *setting, "score", "--model", str(model), "--input", str(wd / "full.jsonl"),
          "--output", str(scores)], log)
    lap("score")
    out = _run([*riskmon, "evaluate", "--scores", str(scores), "--labels", str(wd / "labels.jsonl"),
                "--events", str(wd / "full.jsonl"), "--window-start", window_start.isoformat(), "--json"], log)
    ev = json.loads(out.strip().splitlines()[-1])
    (run_dir / "evaluate.json").write_text(json.dumps(ev, indent=1), encoding="utf-8")
    lap("evaluate")
    return ev, seconds


def run_world(world: str, seed: int, cfg: dict[str, Any]) -> dict[str, Any]:
    """Generate, split, train, score, evaluate and baseline one world; every number as a dict."""
    wd = Path(cfg["out"]) / f"{world}-{seed}"
    wd.mkdir(parents=True, exist_ok=True)
    log = wd / "commands.log"
    log.write_text("", encoding="utf-8")
    riskmon = shlex.split(cfg["riskmon"])  # a path, or a command such as "python -m stream.cli"
    full, labels_path, history = wd / "full.jsonl", wd / "labels.jsonl", wd / "history.jsonl"
    scores_path = wd / "scores.jsonl"
    seconds: dict[str, float] = {}
    began = t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        seconds[name] = round(now - t, 2)
        t = now

    _run([sys.executable, "-m", cfg["generator"], "--world", world, "--seed", str(seed), "--users", str(cfg["users"]),
          "--history-days", str(cfg["history_days"]), "--test-days", str(cfg["test_days"]),
          "--out", str(full), "--labels", str(labels_path)], log)
    lap("generate")

    docs = _read_jsonl(full)
    times = [_ts(d) for d in docs]
    start = stream_start(times, cfg["history_days"] + cfg["test_days"])
    window_start = start + timedelta(days=cfg["history_days"])
    window_end = window_start + timedelta(days=cfg["test_days"])
    if not docs or min(times) < start or max(times) >= window_end or max(times) < window_start:
        raise RuntimeError(
            f"{world}: events span {min(times, default=None)} .. {max(times, default=None)}, not inside "
            f"{start} + {cfg['history_days']} + {cfg['test_days']} days: has {cfg['generator']}'s start changed?"
        )
    in_test = [ts >= window_start for ts in times]
    with full.open("rb") as src, history.open("wb") as dst:
        for line, test in zip((ln for ln in src if ln.strip()), in_test):
            if not test:
                dst.write(line)
    lap("split")

    ev, monitor_seconds = monitor_run(riskmon, wd, wd, window_start, log)
    seconds.update(monitor_seconds)
    t = time.perf_counter()
    ws = window_start.isoformat()

    labels = {lab["event_id"]: lab for lab in _read_jsonl(labels_path)}
    history_docs = [d for d, test in zip(docs, in_test) if not test]
    test_docs = [d for d, test in zip(docs, in_test) if test]
    plain = PlainBaseline(seed=seed).fit(history_docs)
    plain_scores = plain.score(test_docs)
    ids = list(plain_scores)
    plain_auc = _auc([labels[i]["label"] for i in ids], [plain_scores[i] for i in ids])
    lap("plain_baseline")

    # alert volume and rule hit rates from the scores file
    test_ids = {d["event_id"] for d in test_docs}
    loan_ids = {d["event_id"] for d in docs if d["event_type"] == "loan"}
    wb_loans = wb_alerts = hist_loans = 0
    hist_fired: Counter[str] = Counter()
    wb_fired: Counter[str] = Counter()
    with scores_path.open("rb") as fh:
        for line in fh:
            s = orjson.loads(line)
            eid = s["event_id"]
            if eid not in loan_ids or s.get("record") == "entity_alert":  # per-event lines only
                continue
            fired = set(s["fired_by"])
            if eid in test_ids:
                if not labels[eid]["user_anomalous"]:
                    wb_loans += 1
                    wb_alerts += bool(s["alert"])
                    wb_fired.update(fired)
            else:
                hist_loans += 1
                hist_fired.update(fired)
                hist_fired["any"] += bool(s["alert"])
    lap("tally")

    notes = []
    if ev["auc_events"] != len(ids):
        notes.append(f"evaluate ranked {ev['auc_events']} loan events, the plain baseline {len(ids)}")
    users, daily = ev["users"], ev.get("daily") or {}
    return {
        "world": world,
        "seed": seed,
        "window_start": ws,
        "events": len(docs),
        "history_events": len(history_docs),
        "test_loans": ev["auc_events"],
        "test_loans_label1": ev["auc_positives"],
        "monitor": ev["monitor"],
        "forest": ev["forest"],
        "raw_field_baseline": ev["baseline"],
        "plain_baseline": plain_auc,
        "plain_baseline_fitted_on": plain.fitted_on,
        "user_recall": users["user_recall"],
        "misbehaving_users": users["misbehaving"],
        "well_behaved_users": users["well_behaved"],
        "well_behaved_flagged": users["well_behaved_flagged"],
        "well_behaved_flagged_share": users["well_behaved_flagged_share"],
        "well_behaved_loans": wb_loans,
        "well_behaved_loans_alerted": wb_alerts,
        "well_behaved_loan_alert_share": wb_alerts / wb_loans if wb_loans else None,
        "busiest_day_ratio": daily.get("busiest_day_ratio"),
        "peak_day_ratio": daily.get("max_ratio"),
        "peak_day_ratio_well_behaved": daily.get("well_behaved_max_ratio"),
        "at_threshold": ev["at_threshold"],
        "scenarios": {name: {"events": q["events"], "recall": q["recall"], "users": q["users"],
                             "user_recall": q["user_recall"]} for name, q in ev["scenarios"].items()},
        "history_loans": hist_loans,
        "history_hit_rate": {k: v / hist_loans for k, v in sorted(hist_fired.items())} if hist_loans else {},
        "test_well_behaved_hit_rate": {k: v / wb_loans for k, v in sorted(wb_fired.items())} if wb_loans else {},
        "seconds": {**seconds, "total": round(time.perf_counter() - began, 2)},
        "notes": notes,
    }


# --------------------------------------------------------------------------- leave one typology out


def recall_by_scenario(scores: Iterable[Mapping[str, Any]], labels: Mapping[str, Mapping[str, Any]],
                       window: Container[str]) -> dict[str, dict[str, Any]]:
    """Per scenario, of its label-1 events in ``window`` (event ids) that were scored: how many, how many
    alerted (the ``alert`` flag: the forest or any rule, as ``riskmon evaluate`` counts them) and how many
    the forest alone fired on (``"model"`` in ``fired_by``), with both recalls."""
    counts: dict[str, list[int]] = {}
    for s in scores:
        lab = labels.get(s["event_id"])
        if lab is None or lab["label"] != 1 or s["event_id"] not in window or s.get("record") == "entity_alert":
            continue
        c = counts.setdefault(str(lab["scenario"]), [0, 0, 0])
        c[0] += 1
        c[1] += bool(s["alert"])
        c[2] += "model" in s["fired_by"]
    return {name: {"events": n, "alerted": a, "forest": f, "recall": a / n, "forest_recall": f / n}
            for name, (n, a, f) in sorted(counts.items())}


def calibration_changes(model_dir: Path, held_out: str | None = None) -> dict[str, str]:
    """What ``riskmon train``'s rule calibration did to the rules it did not keep (the model's meta),
    the rule switched off by hand (``held_out``) left out."""
    meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))["meta"]
    outcomes = (meta.get("rule_calibration") or {}).get("rules", [])
    return {o["rule"]: f"{o['action']} x{o['factor']:g}" if o["action"] == "tightened" else o["action"]
            for o in outcomes if o["action"] != "kept" and o["rule"] != held_out}


def _window_ids(full: Path, window_start: datetime) -> set[str]:
    return {d["event_id"] for d in _read_jsonl(full) if _ts(d) >= window_start}


def rule_off_run(riskmon: list[str], wd: Path, rule: str, window_start: datetime,
                 labels: Mapping[str, Mapping[str, Any]], window: Container[str]) -> dict[str, Any]:
    """Train, score and evaluate ``wd``'s world again with ``rule`` switched off (a rules file in
    ``wd/off-<rule>/``); recall per scenario and the run's headline numbers."""
    rd = wd / f"off-{rule}"
    rd.mkdir(exist_ok=True)
    rules_file = rd / "rules.json"
    rules_file.write_text(json.dumps({"disabled": [rule]}), encoding="utf-8")
    ev, seconds = monitor_run(riskmon, wd, rd, window_start, wd / "commands.log", rules_file)
    users = ev["users"]
    return {"recall": recall_by_scenario(_read_jsonl(rd / "scores.jsonl"), labels, window),
            "monitor": ev["monitor"], "user_recall": users["user_recall"],
            "well_behaved_flagged_share": users["well_behaved_flagged_share"],
            "calibration": calibration_changes(rd / "model", held_out=rule), "seconds": seconds}


def run_world_loto(world: str, seed: int, cfg: dict[str, Any]) -> dict[str, Any]:
    """``run_world`` (all rules on), then each rule of ``RULES`` switched off in turn on the same world."""
    r = run_world(world, seed, cfg)
    wd = Path(cfg["out"]) / f"{world}-{seed}"
    window_start = datetime.fromisoformat(r["window_start"])
    labels = {lab["event_id"]: lab for lab in _read_jsonl(wd / "labels.jsonl")}
    window = _window_ids(wd / "full.jsonl", window_start)
    normal = recall_by_scenario(_read_jsonl(wd / "scores.jsonl"), labels, window)
    differ = [s for s in set(normal) | set(r["scenarios"])
              if normal.get(s, {}).get("recall") != r["scenarios"].get(s, {}).get("recall")]
    if differ:
        r["notes"].append(f"recall_by_scenario differs from riskmon evaluate on {', '.join(sorted(differ))}")
    riskmon = shlex.split(cfg["riskmon"])
    began = time.perf_counter()
    off = {rule: rule_off_run(riskmon, wd, rule, window_start, labels, window) for rule in RULES}
    r["seconds"]["rules_off"] = round(time.perf_counter() - began, 2)
    r["typology_out"] = {"all_rules": {"recall": normal, "calibration": calibration_changes(wd / "model")},
                         "rule_off": off}
    return r


def _run_safe(world: str, seed: int, cfg: dict[str, Any]) -> dict[str, Any]:
    try:
        return run_world_loto(world, seed, cfg) if cfg.get("leave_one_typology_out") else run_world(world, seed, cfg)
    except Exception as exc:  # one broken world must not hide the others' numbers
        return {"world": world, "seed": seed, "error": f"{type(exc).__name__}: {exc}"}


# --------------------------------------------------------------------------- tables


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _worst(values: Iterable[float | None], high_is_bad: bool) -> float | None:
    known = [v for v in values if v is not None]
    if not known:
        return None
    return max(known) if high_is_bad else min(known)


def _x(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _sd(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def summary_numbers(r: dict[str, Any]) -> dict[str, float | None]:
    """The headline numbers of one run, flat (the table's columns)."""
    forest = r["forest"] or {"roc_auc": None, "pr_auc": None}
    return {
        "monitor_roc": r["monitor"]["roc_auc"], "monitor_pr": r["monitor"]["pr_auc"],
        "forest_roc": forest["roc_auc"], "forest_pr": forest["pr_auc"],
        "plain_roc": r["plain_baseline"]["roc_auc"], "plain_pr": r["plain_baseline"]["pr_auc"],
        "forest_minus_plain_roc": _diff(forest["roc_auc"], r["plain_baseline"]["roc_auc"]),
        "forest_minus_plain_pr": _diff(forest["pr_auc"], r["plain_baseline"]["pr_auc"]),
        "user_recall": r["user_recall"],
        "well_behaved_flagged_share": r["well_behaved_flagged_share"],
        "well_behaved_loan_alert_share": r["well_behaved_loan_alert_share"],
        "busiest_day_ratio": r["busiest_day_ratio"],
        "peak_day_ratio": r["peak_day_ratio"],
    }


#: Alert-volume numbers: their worst is the maximum; every other number's worst is the minimum.
HIGH_IS_BAD = {"well_behaved_flagged_share", "well_behaved_loan_alert_share", "busiest_day_ratio", "peak_day_ratio"}


def tables(results: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The Markdown tables and the worst row's numbers."""
    ok = [r for r in results if "error" not in r]
    flat = [summary_numbers(r) for r in ok]
    worst: dict[str, Any] = {k: _worst([f[k] for f in flat], k in HIGH_IS_BAD) for k in (flat[0] if flat else {})}

    def main_row(label: str, seed: str, loans: str, n: dict[str, Any]) -> str:
        return "| " + " | ".join([
            label, seed, loans,
            _f(n["monitor_roc"]), _f(n["monitor_pr"]), _f(n["forest_roc"]), _f(n["forest_pr"]),
            _f(n["plain_roc"]), _f(n["plain_pr"]),
            f"{_sd(n['forest_minus_plain_roc'])} / {_sd(n['forest_minus_plain_pr'])}",
            _f(n["user_recall"]), _pct(n["well_behaved_flagged_share"]), _pct(n["well_behaved_loan_alert_share"]),
            f"{_x(n['busiest_day_ratio'])} ({_x(n['peak_day_ratio'])})",
        ]) + " |"

    lines = [
        "| world | seed | test loans (label 1) | monitor ROC | monitor PR | forest ROC | forest PR | plain ROC | plain PR "
        "| forest − plain (ROC / PR) | user recall | well-behaved users flagged | well-behaved loans alerted "
        "| busiest day's alert rate / median day's (highest day's) |",
        "|" + "---|" * 14,
    ]
    for r, n in zip(ok, flat):
        lines.append(main_row(r["world"], str(r["seed"]), f"{r['test_loans']} ({r['test_loans_label1']})", n))
    if flat:
        lines.append(main_row("**worst**", "", "", worst))
    for r in results:
        if "error" in r:
            lines.append(f"| {r['world']} | {r['seed']} | ERROR: {r['error']} |")
    held = [(r, r["at_threshold"]["held"]) for r in ok if r["at_threshold"].get("held", {}).get("alerts")]
    if held:  # storms (stream.core.rule_storm): alerts a storming rule or model alone raised, not sent, not in the alert columns above
        lines += ["", "Test loans held by storms (of them label 1): " + ", ".join(
            f"{r['world']} seed {r['seed']} {q['alerts']} ({q['true_alerts']})" for r, q in held) + "."]

    scenarios = sorted({s for r in ok for s in r["scenarios"]})
    lines += ["", "Event recall per scenario (label-1 events of the test window, all event types; "
              "in brackets: how many):", "",
              "| world | seed | " + " | ".join(scenarios) + " |", "|" + "---|" * (len(scenarios) + 2)]
    worst_scenario: dict[str, float | None] = {}
    for s in scenarios:
        worst_scenario[s] = _worst([r["scenarios"].get(s, {}).get("recall") for r in ok], high_is_bad=False)
    for r in ok:
        cells = []
        for s in scenarios:
            q = r["scenarios"].get(s)
            cells.append("–" if q is None else f"{_f(q['recall'], 2)} ({q['events']})")
        lines.append(f"| {r['world']} | {r['seed']} | " + " | ".join(cells) + " |")
    if ok:
        lines.append("| **worst** | | " + " | ".join(_f(worst_scenario[s], 2) for s in scenarios) + " |")
    worst["scenario_recall"] = worst_scenario

    keys = [k for k in ("any", "model", *RULES) if any(k in r["history_hit_rate"] for r in ok)]
    lines += ["", "Hit rate on the training history's loan events (share of them whose `fired_by` names the rule, "
              "as `riskmon score` scores the history; `any` = alert flag; the default budget is 1 %):", "",
              "| world | seed | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 2)]
    worst_hits: dict[str, float | None] = {}
    for k in keys:
        worst_hits[k] = _worst([r["history_hit_rate"].get(k, 0.0) for r in ok], high_is_bad=True)
    for r in ok:
        lines.append(f"| {r['world']} | {r['seed']} | "
                     + " | ".join(_pct(r["history_hit_rate"].get(k, 0.0)) for k in keys) + " |")
    if ok:
        lines.append("| **worst** | | " + " | ".join(_pct(worst_hits[k]) for k in keys) + " |")
    worst["history_hit_rate"] = worst_hits
    return "\n".join(lines), worst


#: The counts of ``typology_rows`` whose share of a typology's label-1 events is a recall.
LOTO_COUNTS = ("all_rules", "rule_off", "forest_all_rules", "forest_rule_off")


def typology_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per leave-one-typology-out run and typology (label-1 scenario): its events, how many alerted
    with all rules on and with its own rule off (its namesake's, or ``RULE_FOR``'s; None for a typology no
    rule is written for), and how many
    the forest alone fired on in each run; the off run's calibration changes (``calibration_changes``)."""
    rows = []
    for r in results:
        out = r.get("typology_out")
        if out is None:
            continue
        for name, on in sorted(out["all_rules"]["recall"].items()):
            off = out["rule_off"].get(RULE_FOR.get(name, name))
            q = off["recall"].get(name, {}) if off else {}
            rows.append({"world": r["world"], "seed": r["seed"], "typology": name, "rule": off is not None,
                         "events": on["events"], "all_rules": on["alerted"], "forest_all_rules": on["forest"],
                         "rule_off": q.get("alerted", 0) if off else None,
                         "forest_rule_off": q.get("forest", 0) if off else None,
                         "calibration_rule_off": off["calibration"] if off else None})
    return rows


def typology_summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per typology over all runs (typologies with a rule first): its events, each ``LOTO_COUNTS`` recall
    pooled (hits over events of all runs), and the run with the lowest recall with its rule off (with all
    rules on, for a typology without a rule)."""
    out: dict[str, dict[str, Any]] = {}
    names = sorted({(not r["rule"], r["typology"]) for r in rows})
    for _, name in names:
        mine = [r for r in rows if r["typology"] == name]
        events = sum(r["events"] for r in mine)
        key = "rule_off" if mine[0]["rule"] else "all_rules"
        low = min(mine, key=lambda r: r[key] / r["events"])
        out[name] = {"rule": mine[0]["rule"], "events": events, "runs": len(mine),
                     **{k: None if mine[0][k] is None else sum(r[k] for r in mine) / events for k in LOTO_COUNTS},
                     "lowest": {"world": low["world"], "seed": low["seed"], "recall": low[key] / low["events"]}}
    return out


def _changes(changes: dict[str, str] | None) -> str:
    return "none" if not changes else ", ".join(f"{rule} {what}" for rule, what in changes.items())


def typology_tables(results: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The leave-one-typology-out Markdown: the summary over all runs, then one row per run and typology;
    with the summary's numbers."""
    rows = typology_rows(results)
    summary = typology_summary(rows)

    def share(hits: int | None, events: int) -> str:
        return "–" if hits is None else _f(hits / events, 2)

    lines = ["Event recall per typology (label-1 events of the test window, all event types), pooled over the "
             "runs: with all rules on; with the typology's own rule switched off (rules file "
             "`{\"disabled\": [rule]}`, trained and scored again); and the forest alone (`\"model\"` in "
             "`fired_by`) in each of those runs. Typologies without a rule: their numbers with all rules on.", "",
             "| typology | its rule | label-1 events (runs) | all rules on | its rule off | forest alone, all rules on "
             "| forest alone, its rule off | lowest run (its rule off; no rule: all on) |",
             "|" + "---|" * 8]
    for name, q in summary.items():
        lines.append("| " + " | ".join([
            name, RULE_FOR.get(name, "yes") if q["rule"] else "none", f"{q['events']} ({q['runs']})",
            *("–" if q[k] is None else _f(q[k], 2) for k in LOTO_COUNTS),
            f"{_f(q['lowest']['recall'], 2)} ({q['lowest']['world']}-{q['lowest']['seed']})"]) + " |")
    lines += ["", "Calibration with all rules on (rules `riskmon train` did not keep): " + "; ".join(
        f"{r['world']}-{r['seed']}: {_changes(r['typology_out']['all_rules']['calibration'])}"
        for r in results if "typology_out" in r) + ".", "",
              "| world | seed | typology | label-1 events | all rules on | its rule off | forest alone, all rules on "
              "| forest alone, its rule off | calibration, its rule off |", "|" + "---|" * 9]
    for r in rows:
        lines.append("| " + " | ".join([
            r["world"], str(r["seed"]), r["typology"], str(r["events"]),
            *(share(r[k], r["events"]) for k in LOTO_COUNTS),
            "–" if r["calibration_rule_off"] is None else _changes(r["calibration_rule_off"])]) + " |")
    for r in results:
        if "error" in r:
            lines.append(f"| {r['world']} | {r['seed']} | ERROR: {r['error']} |")
    return "\n".join(lines), {"summary": summary, "rows": rows}


# --------------------------------------------------------------------------- command line


def provenance() -> dict[str, Any]:
    """Which code was measured: the commit and the files changed on top of it (read-only git; none if no git)."""
    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
    status = git("--no-optional-locks", "status", "--porcelain", "--untracked-files=no")
    commit = git("rev-parse", "HEAD")
    return {"commit": None if commit is None else commit.strip(),
            "modified": None if status is None else [line[3:] for line in status.splitlines() if line.strip()]}


def typology_prior_line(setting: str, generator: str) -> str:
    """Set the prior every ``riskmon train`` of this run uses (through the environment) and say which it is.

    A number measured on a family the prior was trained on is in-sample: the
    line says so, so a table is never read as held-out when it is not.
    """
    path = prior_path(setting)
    if path is None:
        os.environ["RISKMON_TYPOLOGY_PRIOR"] = "none"
        return "Typology prior: none."
    path = path.resolve()
    os.environ["RISKMON_TYPOLOGY_PRIOR"] = str(path)
    sources = TypologyPrior.load(path).provenance.get("sources", [])
    seen = "**in-sample**: the prior learned this family (at other seeds)" if generator in sources else \
        "held out: the prior never saw this family"
    return f"Typology prior: {os.path.relpath(path, REPO)}, trained on {', '.join(sources)}; {seen}."


def world_list(generator: str) -> list[str]:
    """The world names, from the generator's own command line."""
    out = subprocess.run([sys.executable, "-m", generator, "--list"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _names(values: Sequence[str]) -> list[str]:
    return [v for item in values for v in item.split(",") if v]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", nargs="+", default=None, help="world names, comma or space separated "
                        "(default: every world of the generator's --list)")
    parser.add_argument("--seeds", nargs="+", default=["1", "2"], help="world seeds (default: 1 2)")
    parser.add_argument("--generator", default="stream.worlds", choices=GENERATORS,
                        help="the family of worlds: stream.worlds (default), stream.worlds_b to _o, families "
                        "written later by other sessions that never read the detector (docs/worlds.md)")
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--history-days", type=int, default=45)
    parser.add_argument("--test-days", type=int, default=14)
    parser.add_argument("--out", type=Path, default=REPO / "var" / "worlds",
                        help="work directory: one <world>-<seed>/ per run, the tables and JSON at its top")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (default 1)")
    default_riskmon = Path(sys.executable).parent / "riskmon"
    parser.add_argument("--riskmon", default=str(default_riskmon) if default_riskmon.exists() else "riskmon",
                        help="the riskmon command, split like a shell would (default: the one next to this Python); "
                        "e.g. \"$PWD/.venv/bin/python -m stream.cli\" runs the code of this checkout")
    parser.add_argument("--leave-one-typology-out", action="store_true",
                        help="also train, score and evaluate each world again with each typology rule switched "
                        "off in turn; writes <out>/typology_out.{md,json}")
    parser.add_argument("--typology-prior", default=os.environ.get("RISKMON_TYPOLOGY_PRIOR", "default"),
                        help="the prior riskmon train blends in (models.prior): default (the shipped one, trained on "
                        "every family), a directory (bench/train_prior.py --exclude <this generator> --out DIR "
                        "for a family the prior never saw) or none")
    args = parser.parse_args(argv)
    prior_line = typology_prior_line(args.typology_prior, args.generator)

    known = world_list(args.generator)
    worlds = _names(args.worlds) if args.worlds else known
    unknown = [w for w in worlds if w not in known]
    if unknown:
        parser.error(f"unknown world(s) {', '.join(unknown)}; known: {', '.join(known)}")
    seeds = [int(s) for s in _names(args.seeds)]
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    cfg = {"out": str(out), "users": args.users, "history_days": args.history_days, "test_days": args.test_days,
           "riskmon": args.riskmon, "leave_one_typology_out": args.leave_one_typology_out,
           "generator": args.generator}
    runs = [(w, s) for w in worlds for s in seeds]
    command = shlex.join([os.path.relpath(sys.executable, REPO) if sys.executable.startswith(str(REPO))
                          else sys.executable, "bench/worlds_quality.py", *sys.argv[1:]])
    print(f"{len(runs)} runs ({len(worlds)} worlds x seeds {seeds}), {args.users} users, "
          f"{args.history_days} + {args.test_days} days, {args.jobs} job(s) -> {out}", file=sys.stderr)

    code = provenance()
    began = time.perf_counter()
    results: list[dict[str, Any]] = []
    if args.jobs <= 1:
        for w, s in runs:
            results.append(_run_safe(w, s, cfg))
            _progress(results[-1])
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(_run_safe, w, s, cfg) for w, s in runs]
            for fut in futures:
                results.append(fut.result())
                _progress(results[-1])
    wall = time.perf_counter() - began

    table, worst = tables(results)
    header = (f"Held-out worlds ({args.generator}), {args.users} users, {args.history_days} history + {args.test_days} test days, "
              f"seeds {', '.join(map(str, seeds))}; {len(runs)} runs in {wall:.0f} s ({args.jobs} job(s)).\n"
              f"Command: `{command}`\n"
              f"Code: commit {(code['commit'] or 'unknown')[:12]}"
              + (f", with uncommitted changes to {', '.join(code['modified'])}" if code["modified"] else "") + ".\n"
              + prior_line + "\n")
    text = header + "\n" + table + "\n"
    print(text)
    (out / "worlds_quality.md").write_text(text, encoding="utf-8")
    doc = {"command": command, "generator": args.generator, "users": args.users, "history_days": args.history_days, "test_days": args.test_days,
           "seeds": seeds, "worlds": worlds, "jobs": args.jobs, "wall_seconds": round(wall, 1), "code": code,
           "worst": worst, "runs": results}
    (out / "worlds_quality.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    print(f"wrote {out / 'worlds_quality.md'} and {out / 'worlds_quality.json'}", file=sys.stderr)
    if args.leave_one_typology_out:
        loto_table, loto = typology_tables(results)
        (out / "typology_out.md").write_text(header + "\n" + loto_table + "\n", encoding="utf-8")
        print(loto_table)
        (out / "typology_out.json").write_text(json.dumps(
            {**{k: doc[k] for k in ("command", "users", "history_days", "test_days", "seeds", "worlds", "code")},
             **loto, "runs": [{"world": r["world"], "seed": r["seed"], **{k: r[k] for k in ("typology_out", "notes",
                                                                                             "error") if k in r}}
                              for r in results]}, indent=1), encoding="utf-8")
        print(f"wrote {out / 'typology_out.md'} and {out / 'typology_out.json'}", file=sys.stderr)
    return 1 if any("error" in r for r in results) else 0


def _progress(r: dict[str, Any]) -> None:
    if "error" in r:
        print(f"  {r['world']}-{r['seed']}: ERROR {r['error']}", file=sys.stderr)
    else:
        print(f"  {r['world']}-{r['seed']}: monitor ROC {_f(r['monitor']['roc_auc'])}, plain ROC "
              f"{_f(r['plain_baseline']['roc_auc'])}, {r['seconds']['total']:.0f} s {r['seconds']}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
