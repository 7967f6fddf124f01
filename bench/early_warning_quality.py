#!/usr/bin/env python
"""The overdue early warning as outcomes accumulate (issue 15): a time split inside a history.

For each cut day of a simulated lender history (the project's simulator,
``--users`` users over ``--days`` days, seed 101), it

1. trains the monitor exactly as ``riskmon train`` does on the events before the cut
   (so the early warning learns from the outcomes matured by then: the report
   says how many labelled loans and bad outcomes that was, or why none);
2. replays every event as ``riskmon score`` does (``stream.offline.replay``: the
   stream's own path, state warm from the history, with the storm watch, the
   surge and alert suppression at their default settings) and, on the loans
   after the cut,
3. measures against two truths:
   * **realised outcomes**: loans whose outcome matured by the history's end
     (``models.outcomes``, default rules): PR-AUC of the early warning's
     probability and of the forest's score at predicting them, and the early
     warning's expected calibration error (10 bins);
   * **risky borrowing**: the simulator's typology labels: PR-AUC of the
     forest alone, the early warning alone, the rules alone (how many fired)
     and the monitor's combined score;
4. and, where an early warning is used, what the live watch shows: the
   outcomes the worker's delayed-label counters realise after the cut (a
   repayment ``late_days`` late, or the first one in time; a loan that long
   past due unpaid, at its borrower's next event or the quiet sweep of
   borrowers who went quiet, unless ``--no-quiet-sweep``), their
   calibration error as ``RiskmonEarlyWarningMiscalibrated`` computes it, the
   worst 7-day window's, and the first day after the cut on which the alert's
   condition (over 0.1 on 200 or more outcomes) holds.

Then the same for the held-out worlds (``stream.worlds``, or the family
``--generator`` names: ``stream.worlds_b`` to ``stream.worlds_o``; one seed, a
``--world-history-days`` history so outcomes can mature, cut at its end):
whether an early warning trains there and, if so, the same numbers. The
``--world-test-days`` after the cut (14 by default, as the detection harness)
hold no matured outcome; with 45 or more, the loans of the first weeks after
the cut mature inside the stream and the realised columns fill.

The model is trained without the typology prior unless ``--typology-prior``
names one (``default``: the shipped one, which learned every family; a
directory from ``bench/train_prior.py --exclude FAMILY`` for a held-out number).

    .venv/bin/python bench/early_warning_quality.py                     # cuts 45 .. 105 of 150 days
    .venv/bin/python bench/early_warning_quality.py --cuts 60 --no-worlds --users 2000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from itertools import groupby
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for _path in (REPO, REPO / "bench"):  # bench/ too when loaded as a module (tests), not run as a script
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import numpy as np  # noqa: E402
import orjson  # noqa: E402

from models.early_warning import expected_calibration_error  # noqa: E402
from models.evaluate import NOT_RULES, auc_pair  # noqa: E402
from models.model import RiskModel  # noqa: E402
from models.outcomes import OutcomeRules, label_outcomes  # noqa: E402
from models.prior import load_prior  # noqa: E402
from models.train import train  # noqa: E402
from stream.core.contract import Event, parse_document  # noqa: E402
from stream.core.outcome_watch import Realised  # noqa: E402
from stream.core.pipeline import Outcome  # noqa: E402
from stream.offline.replay import Replay  # noqa: E402
from stream.settings import Settings  # noqa: E402
from worlds_quality import GENERATORS, world_list  # noqa: E402  (bench/, this script's directory)

DAY = 86400.0


def replayed(model: RiskModel, events: list[Event], quiet_sweep: bool = True,
             ) -> tuple[list[Outcome], list[tuple[float, Realised]]]:
    """Every event's outcome as ``riskmon score`` gives it with the default settings, and every
    outcome the live watch realises, with its time: at an event, and with ``quiet_sweep`` the
    worker's sweep of borrowers who went quiet, here every state once a day of event time, at the
    day's last event (the worker goes round its table far faster at any traffic: about a turn per
    20,000 batches with a million users, ``stream.worker.quiet_sweep``).

    Until stop 52 the bench called ``pipeline.process`` without the storm watch,
    so its combined score had neither the surge discount nor a storming rule's
    lost bonus that ``riskmon score`` and the worker apply (docs/early_warning.md).
    The sweep changes nothing but which loans are realised when.
    """
    replay = Replay.of(Settings(), model)
    outcomes: list[Outcome] = []
    realised: list[tuple[float, Realised]] = []
    days = groupby(events, key=lambda e: e.ts // DAY) if quiet_sweep else [(0, events)]
    for _, day in days:
        start = len(outcomes)
        outcomes += [outcome for outcome, _ in replay.run(day)]
        realised += [(o.event.ts, r) for o in outcomes[start:] for r in o.realised]
        if quiet_sweep and replay.last_ts is not None:
            realised += [(replay.last_ts, r) for found in replay.sweep_quiet().values() for r in found]
    return outcomes, realised


def watch_ece(realised: list[Realised]) -> float:
    """The calibration error ``RiskmonEarlyWarningMiscalibrated`` computes from the worker's counters
    (per probability bucket, |predicted bad − realised bad|, summed, over all realised outcomes): the
    buckets are ``expected_calibration_error``'s ten bins, so it is that of the realised outcomes."""
    return expected_calibration_error(np.array([r.probability for r in realised]),
                                      np.array([r.bad for r in realised]))


def watch_drift(realised: list[tuple[float, Realised]], start: float, end: float, window_days: int = 7,
                min_outcomes: int = 200, alert_ece: float = 0.1, good_lag_days: int = 15) -> dict[str, Any]:
    """What the delayed-label watch shows after ``start`` (the cut): its calibration error over the
    whole period, and over each ``window_days`` window ending at a day boundary (the alert's 7-day
    ``increase``), with how many days after the cut the alert's condition (error over ``alert_ece``
    on at least ``min_outcomes`` outcomes) first held.  ``realised``: (repayment time, outcome).
    As the alert, a window takes its bad outcomes with the good ones of ``good_lag_days`` before
    (``offset 15d``): a good outcome is realised at the first payment, a bad one 15 days past due."""
    after = [(ts, r) for ts, r in realised if start <= ts < end]
    lag = good_lag_days * DAY
    out: dict[str, Any] = {"realised": len(after), "bad": sum(r.bad for _, r in after),
                           "ece": watch_ece([r for _, r in after]) if after else None,
                           "worst_window_ece": None, "alert_day": None}
    day = window_days
    while start + day * DAY <= end:
        lo, hi = start + (day - window_days) * DAY, start + day * DAY
        window = ([r for ts, r in realised if r.bad and lo <= ts < hi]
                  + [r for ts, r in realised if not r.bad and lo - lag <= ts < hi - lag])
        if len(window) >= min_outcomes:
            ece = watch_ece(window)
            out["worst_window_ece"] = max(ece, out["worst_window_ece"] or 0.0)
            if ece > alert_ece and out["alert_day"] is None:
                out["alert_day"] = day
        day += 1
    return out


def measure(events: list[Event], labels: dict[str, int], cut: float, seed: int = 7,
            typology_prior: str = "none", quiet_sweep: bool = True) -> dict[str, Any]:
    """Train before ``cut`` (with the prior the ``typology_prior`` setting names), score everything,
    measure on the loans from ``cut`` on."""
    history = [e for e in events if e.ts < cut]
    model = train(history, seed=seed, typology_prior=load_prior(typology_prior))
    info = {k: v for k, v in model.meta["early_warning"].items() if k != "outcomes"}
    out: dict[str, Any] = {"early_warning": info, "history_events": len(history)}
    outcomes, realised_then = replayed(model, events, quiet_sweep)
    after = [o for o in outcomes if o.decision is not None and o.event.event_type == "loan" and o.event.ts >= cut]
    y = [labels.get(o.event.event_id, 0) for o in after]
    rules = [sum(1 for f in (o.alert or {}).get("fired_by", []) if f not in NOT_RULES) for o in after]
    out["risky_borrowing"] = {
        "loans": len(after), "label_1": int(sum(y)),
        "combined": auc_pair(y, [o.decision.score for o in after]),
        "forest": auc_pair(y, [o.decision.model_score for o in after]),
        "rules": auc_pair(y, rules),
        "early_warning": auc_pair(y, [o.decision.early_warning for o in after]) if model.early_warning else None,
    }
    matured = label_outcomes(events, OutcomeRules())
    judged = [o for o in after if o.event.event_id in matured]
    bad = [int(matured[o.event.event_id]) for o in judged]
    realised: dict[str, Any] = {"loans": len(judged), "bad": int(sum(bad)),
                                "forest": auc_pair(bad, [o.decision.model_score for o in judged])}
    if model.early_warning is not None and judged:
        p = np.array([o.decision.early_warning for o in judged])
        realised["early_warning"] = auc_pair(bad, p)
        realised["ece"] = expected_calibration_error(p, np.array(bad))
    out["realised_outcomes"] = realised
    if model.early_warning is not None:
        out["watch"] = watch_drift(realised_then, cut, max(e.ts for e in events) + 1)
        out["watch"].update(untracked(after))
    return out


def untracked(loans: list[Outcome]) -> dict[str, Any]:
    """The loans the watch cannot follow (no open-loan or watch slot: ``Outcome.untracked``): their share of
    the loans scored, and of those the early warning alerted on."""
    fired = [o for o in loans if o.decision is not None and o.decision.early_warning_fired]
    return {"untracked_share": sum(o.untracked for o in loans) / len(loans) if loans else None,
            "untracked_alerted_share": sum(o.untracked for o in fired) / len(fired) if fired else None}


def _sim(users: int, days: int) -> tuple[list[Event], dict[str, int]]:
    from stream.sim import SimConfig, generate

    docs, labels = generate(SimConfig(users=users, days=days, seed=101, user_prefix="ew", festival_day=None))
    return [parse_document(d) for d in docs], {lab["event_id"]: int(lab["label"]) for lab in labels}


def run_cut(users: int, days: int, cut_day: int, typology_prior: str = "none",
            quiet_sweep: bool = True) -> dict[str, Any]:
    events, labels = _sim(users, days)
    start = min(e.ts for e in events)
    return {"cut_day": cut_day, **measure(events, labels, start + cut_day * DAY, typology_prior=typology_prior,
                                          quiet_sweep=quiet_sweep)}


def run_world(world: str, seed: int, users: int, history_days: int, test_days: int,
              generator: str = "stream.worlds", typology_prior: str = "none",
              quiet_sweep: bool = True) -> dict[str, Any]:
    """One held-out world through its generator's own command line, cut at the history's end."""
    with tempfile.TemporaryDirectory() as tmp:
        events_path, labels_path = Path(tmp) / "events.jsonl", Path(tmp) / "labels.jsonl"
        subprocess.run([sys.executable, "-m", generator, "--world", world, "--seed", str(seed), "--users", str(users),
                        "--history-days", str(history_days), "--test-days", str(test_days),
                        "--out", str(events_path), "--labels", str(labels_path)],
                       cwd=REPO, check=True, capture_output=True)
        events = [parse_document(orjson.loads(line)) for line in events_path.read_bytes().splitlines() if line]
        labels = [orjson.loads(line) for line in labels_path.read_bytes().splitlines() if line]
    start = min(e.ts for e in events)
    cut = (start // DAY) * DAY + history_days * DAY
    return {"world": world, "seed": seed, **measure(events, {lab["event_id"]: int(lab["label"]) for lab in labels}, cut,
                                                    typology_prior=typology_prior, quiet_sweep=quiet_sweep)}


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _pr(d: dict[str, Any] | None) -> str:
    return "–" if not d else _f(d["pr_auc"])


def _watch(w: dict[str, Any] | None) -> str:
    if not w:
        return "–"
    return (f"{w['realised']} ({w['bad']}), {_f(w['ece'])}, {_f(w['worst_window_ece'])}, "
            f"{'–' if w['alert_day'] is None else 'day ' + str(w['alert_day'])}; untracked "
            f"{_f(w.get('untracked_share'))} ({_f(w.get('untracked_alerted_share'))} of its alerts)")


def table(rows: list[dict[str, Any]], key: str) -> str:
    head = (f"| {key} | labelled loans (bad) | early warning | realised: loans (bad) | realised PR-AUC: early warning "
            "/ forest | ECE | the live watch: realised (bad), ECE, worst 7 days, alert day; untracked loans | risky borrowing PR-AUC: "
            "combined / forest / early warning / rules |")
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        ew, real, risky = r["early_warning"], r["realised_outcomes"], r["risky_borrowing"]
        status = (f"trained ({ew['calibration']}), PR-AUC {ew['held_out_pr_auc']:.3f} vs forest "
                  f"{ew['forest_pr_auc']:.3f}: share {ew['share']:.0%}" if ew.get("trained")
                  else f"none: {ew.get('reason', '')[:70]}")
        lines.append(
            f"| {r.get('cut_day', r.get('world'))} | {ew.get('labelled', 0)} ({ew.get('bad', 0)}) | {status} | "
            f"{real['loans']} ({real['bad']}) | {_pr(real.get('early_warning'))} / {_pr(real['forest'])} | "
            f"{_f(real.get('ece'))} | {_watch(r.get('watch'))} | {_pr(risky['combined'])} / {_pr(risky['forest'])} / "
            f"{_pr(risky['early_warning'])} / {_pr(risky['rules'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--days", type=int, default=150)
    parser.add_argument("--cuts", type=int, nargs="*", default=[45, 60, 75, 90, 105],
                        help="cut days of the simulator's history (none: the worlds only)")
    parser.add_argument("--worlds", default="all", help="comma-separated world names, or all")
    parser.add_argument("--no-worlds", action="store_true")
    parser.add_argument("--generator", default="stream.worlds", choices=GENERATORS,
                        help="the family of held-out worlds (docs/worlds.md)")
    parser.add_argument("--world-users", type=int, default=3000)
    parser.add_argument("--world-history-days", type=int, default=90)
    parser.add_argument("--world-test-days", type=int, default=14,
                        help="days after the cut (default 14, as the detection harness); loans mature about a month "
                        "after they are taken, so realised outcomes after the cut need 45 or more")
    parser.add_argument("--world-seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "var" / "early_warning")
    parser.add_argument("--typology-prior", default="none",
                        help="the typology prior the model blends in: none (default), default (the shipped one) or a "
                        "directory from bench/train_prior.py")
    parser.add_argument("--no-quiet-sweep", dest="quiet_sweep", action="store_false",
                        help="the live watch without the worker's quiet sweep (realised at a borrower's events only)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        cuts = list(pool.map(run_cut, *zip(*[(args.users, args.days, c, args.typology_prior, args.quiet_sweep)
                                             for c in args.cuts]))) if args.cuts else []
        worlds: list[dict[str, Any]] = []
        if not args.no_worlds:
            names = world_list(args.generator) if args.worlds == "all" else args.worlds.split(",")
            worlds = list(pool.map(run_world, names, *zip(*[(args.world_seed, args.world_users,
                                                              args.world_history_days, args.world_test_days,
                                                              args.generator,
                                                              args.typology_prior, args.quiet_sweep)]
                                                            * len(names))))
    report = ""
    if cuts:
        report = (f"## Project simulator, {args.users} users, {args.days} days: train before the cut day, "
                  f"measure after\n\n" + table(cuts, "cut day") + "\n")
    if worlds:
        report += (f"\n## Held-out worlds ({args.generator}), seed {args.world_seed}, {args.world_users} users, "
                   f"{args.world_history_days} history + {args.world_test_days} test days\n\n"
                   + table(worlds, "world") + "\n")
    report += f"\nTypology prior: {args.typology_prior}.\n"
    print(report)
    (args.out / "early_warning_quality.md").write_text(report)
    (args.out / "early_warning_quality.json").write_text(json.dumps({"cuts": cuts, "worlds": worlds}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
