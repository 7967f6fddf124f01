"""Offline detection quality (``riskmon evaluate``): scores from ``riskmon score`` against
labels from ``riskmon simulate --labels``, optionally with the events file for event
times, a baseline and the per-day alert rate.

The labels are the simulator's ground truth, so these numbers say whether the
monitor catches the injected typologies at the alert volume it was tuned for --
the question a risk team asks before switching it on.

Definitions (every number in the output means exactly this):

* **Evaluated events**: scored events that have a label (joined on ``event_id``);
  with the events file and ``window_start``, only events at or after that event
  time (the benchmark scores history + test so the rolling features are warm, and
  evaluates the test window only).  Events are ordered by event time when the
  events file is given, otherwise in scores-file order (``riskmon score`` keeps the
  input order, and the simulator writes in time order).
* **Alert**: the ``alert`` flag of the scores file, i.e. the model *or* a typology
  rule fired (a suppressed repeat still counts: the event was recognised).
* **ROC-AUC / PR-AUC**: of a score against ``label`` on loan events by default
  (the model's loan forest is where the typologies show; repayment scores come
  from a different forest on a different scale), or on all events with
  ``auc_on="all"``.  PR-AUC is average precision.  ``None`` when only one class
  is present.  Five scores are ranked: *monitor* = ``score``, the monitor's risk
  score (the larger of the forest's score and the early warning's probability
  on the forest's scale, plus a bonus per rule that fires, ``stream.core.scoring``);
  *forest* = ``model_score``, the anomaly model on the rolling features alone
  (the isolation forest, for loans blended with the directional tails of
  ``models.tails``; when the scores file carries it); *early warning* =
  ``early_warning_probability`` alone (when the model has one); *rules* = how
  many typology rules fired; and *baseline*.  Forest vs baseline is the value of
  the rolling features; monitor vs forest is the value of the rules and the
  early warning.
* **Precision / recall at threshold**: on loan events; precision = label-1 share of
  alerted events, recall = alerted share of label-1 events.  Reported for the
  alert flag and, separately, for the model alone (``"model"`` in ``fired_by``),
  and for the events a storm held (``"held"``; not alerts, so its
  "precision" is the label-1 share of what the hold kept from the risk team).
* **User-level recall**: share of misbehaving users (any label-1 event) with at
  least one alert on any evaluated event.  **Well-behaved users flagged**: share
  of users with ``user_anomalous`` false who have at least one alert.
* **Recall per scenario**: share of that scenario's label-1 events (all event
  types) that alerted; the user-level figure is the share of that scenario's
  users with at least one alert, as above.
* **Detection delay**: an episode is one user's label-1 events of one scenario in
  event order; its delay is the 1-based index of the first alerted event in it
  (1 = caught on the first anomalous event).  Reported as median and p90
  (linear interpolation) over detected episodes, and the share detected.
* **Alert flood check**: alert rate (alerts / events, all event types) per local
  calendar day of the event's own timestamp; the largest day's rate over the
  median day's rate must be <= 2 (the festival day must not flood the team).
  The same peak ratio over the events of well-behaved users alone is shown next
  to it, so a day rich in episodes is not mistaken for a flood of false alerts.  A
  day with fewer than ``PARTIAL_DAY_SHARE`` of the median day's events is listed but
  not compared: it is a window's edge on another clock (borrowers in other time
  zones have a local date the window barely covers), whose few events make any
  rate.  Needs the events file.
* **Baseline**: see ``models.baseline``; its AUCs are on the same evaluated events
  (needs the events file).
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import orjson
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from models.baseline import baseline_scores
from models.early_warning import expected_calibration_error
from models.outcomes import OutcomeRules, label_outcomes
from models.evaluate_rings import ring_quality
from stream.core.contract import Event, InvalidEvent, LoanEvent, parse_document

#: Largest day's alert rate over the median day's that still counts as "no flood".
FLOOD_RATIO = 2.0
#: A day with fewer events than this share of the median day's is partial (``daily_alert_rates``).  On a
#: held-out lender with borrowers in eight time zones, the test window's last local date held 16 events
#: (the median day 497): its 2 alerts made it "6.96x the median day".
PARTIAL_DAY_SHARE = 0.25
AUC_ON = ("loan", "all")


@dataclass(frozen=True, slots=True)
class Row:
    """One evaluated event: its score line joined with its label (and event time, if known)."""

    event_id: str
    user_id: str
    event_type: str
    score: float
    threshold: float
    alert: bool
    model_fired: bool  # the forest's own score crossed the threshold (rules aside)
    model_score: float | None  # the forest's own score, when the scores file carries it
    label: int
    scenario: str
    user_anomalous: bool
    ts: float | None = None  # epoch seconds, from the events file
    day: str | None = None  # local calendar date of the event's own timestamp
    early_warning: float | None = None  # the early warning's probability, when the model has one
    rule_count: int = 0  # typology rules that fired
    early_warning_fired: bool = False  # "early_warning" in fired_by
    held: bool = False  # raised by storming sources alone (rules, the model) and held, not sent (stream.core.rule_storm)


def _read_events(path: Path) -> tuple[list[Event], int]:
    """The valid events of an events file, and how many lines were not."""
    events, invalid = [], 0
    for doc in read_jsonl(path):
        try:
            events.append(parse_document(doc))
        except InvalidEvent:
            invalid += 1
    return events, invalid


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The objects of a JSONL file; blank lines are skipped, a broken line is an error with its number."""
    with open(path, "rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise ValueError(f"{path} line {line_no} is not JSON: {exc}") from None


def local_date(ts_raw: str) -> str:
    """The calendar date in the timestamp's own offset: a festival is a day on the borrowers' clock."""
    return datetime.fromisoformat(ts_raw.upper().replace("Z", "+00:00")).date().isoformat()


def join_rows(
    scores: Iterable[Mapping[str, Any]],
    labels: Iterable[Mapping[str, Any]],
    events: Iterable[Event] | None = None,
    window_start: float | None = None,
) -> tuple[list[Row], dict[str, int]]:
    """Evaluated rows (see the module docstring) and counts of what was dropped and why."""
    if events is None and window_start is not None:
        raise ValueError("a window start needs the events file (it filters on event time)")
    label_of = {lab["event_id"]: lab for lab in labels}
    when: dict[str, tuple[float, str]] | None = None
    if events is not None:
        when = {}
        for e in events:
            when.setdefault(e.event_id, (e.ts, local_date(e.ts_raw)))
    coverage = {"scored": 0, "labelled": len(label_of), "unlabelled": 0, "not_in_events": 0, "before_window": 0}
    rows: list[Row] = []
    for s in scores:
        if s.get("record") == "entity_alert":
            continue  # an entity alert line (models.evaluate_rings), not an event
        coverage["scored"] += 1
        lab = label_of.get(s["event_id"])
        if lab is None:
            coverage["unlabelled"] += 1
            continue
        ts, day = None, None
        if when is not None:
            if s["event_id"] not in when:
                coverage["not_in_events"] += 1
                continue
            ts, day = when[s["event_id"]]
            if window_start is not None and ts < window_start:
                coverage["before_window"] += 1
                continue
        try:
            rows.append(Row(
                s["event_id"], s["user_id"], s["event_type"], float(s["score"]), float(s["threshold"]),
                bool(s["alert"]), "model" in s["fired_by"], _float_or_none(s.get("model_score")),
                int(lab["label"]), str(lab["scenario"]), bool(lab["user_anomalous"]), ts, day,
                _float_or_none(s.get("early_warning_probability")),
                sum(1 for f in s["fired_by"] if f not in NOT_RULES), "early_warning" in s["fired_by"],
                bool(s.get("held", False)),
            ))
        except KeyError as exc:
            raise ValueError(f"event {s['event_id']}: field {exc} missing from its score or label line") from None
    if when is not None:
        rows.sort(key=lambda r: r.ts)  # stable: file order breaks ties
    coverage["evaluated"] = len(rows)
    return rows, coverage


#: ``fired_by`` sources that are not typology rules.
NOT_RULES = frozenset({"model", "early_warning"})


def auc_rows(rows: Sequence[Row], auc_on: str = "loan") -> list[Row]:
    """The rows the AUCs (and the score plots) are computed on."""
    if auc_on not in AUC_ON:
        raise ValueError(f"auc_on must be one of {AUC_ON}, got {auc_on!r}")
    return list(rows) if auc_on == "all" else [r for r in rows if r.event_type == "loan"]


def auc_pair(labels: Sequence[int], scores: Sequence[float]) -> dict[str, float | None]:
    """ROC-AUC and PR-AUC (average precision); None when a class is missing, as neither is defined then."""
    if len(set(labels)) < 2:
        return {"roc_auc": None, "pr_auc": None}
    return {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "pr_auc": float(average_precision_score(labels, scores)),
    }


def threshold_quality(rows: Sequence[Row], fired: Callable[[Row], bool]) -> dict[str, Any]:
    """Precision and recall of the events for which ``fired`` holds."""
    alerts = sum(1 for r in rows if fired(r))
    true_alerts = sum(1 for r in rows if fired(r) and r.label == 1)
    positives = sum(r.label for r in rows)
    return {
        "alerts": alerts,
        "true_alerts": true_alerts,
        "positives": positives,
        "precision": _share(true_alerts, alerts),
        "recall": _share(true_alerts, positives),
    }


def user_quality(rows: Sequence[Row]) -> dict[str, Any]:
    """User-level recall and the share of well-behaved users flagged."""
    alerted = {r.user_id for r in rows if r.alert}
    misbehaving = {r.user_id for r in rows if r.label == 1}
    well_behaved = {r.user_id for r in rows if not r.user_anomalous}
    return {
        "misbehaving": len(misbehaving),
        "misbehaving_alerted": len(misbehaving & alerted),
        "user_recall": _share(len(misbehaving & alerted), len(misbehaving)),
        "well_behaved": len(well_behaved),
        "well_behaved_flagged": len(well_behaved & alerted),
        "well_behaved_flagged_share": _share(len(well_behaved & alerted), len(well_behaved)),
    }


def episode_delays(rows: Sequence[Row]) -> dict[tuple[str, str], int | None]:
    """Per (user, scenario) episode, the 1-based index of its first alerted label-1 event, None if never."""
    delays: dict[tuple[str, str], int | None] = {}
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        if r.label != 1:
            continue
        key = (r.user_id, r.scenario)
        seen[key] += 1
        if delays.get(key) is None:
            delays[key] = seen[key] if r.alert else None
    return delays


def delay_summary(delays: Iterable[int | None]) -> dict[str, Any]:
    """Median and p90 delay over detected episodes, and the share of episodes detected."""
    all_delays = list(delays)
    found = [d for d in all_delays if d is not None]
    return {
        "episodes": len(all_delays),
        "detected": len(found),
        "detected_share": _share(len(found), len(all_delays)),
        "median": float(np.median(found)) if found else None,
        "p90": float(np.percentile(found, 90)) if found else None,
    }


def scenario_quality(rows: Sequence[Row]) -> dict[str, dict[str, Any]]:
    """Event-level and user-level recall and detection delay of each scenario (label-1 events)."""
    alerted_users = {r.user_id for r in rows if r.alert}
    delays = episode_delays(rows)
    out: dict[str, dict[str, Any]] = {}
    for scenario in sorted({r.scenario for r in rows if r.label == 1}):
        mine = [r for r in rows if r.label == 1 and r.scenario == scenario]
        users = {r.user_id for r in mine}
        hit = sum(r.alert for r in mine)
        out[scenario] = {
            "events": len(mine),
            "alerted": hit,
            "recall": _share(hit, len(mine)),
            "users": len(users),
            "users_alerted": len(users & alerted_users),
            "user_recall": _share(len(users & alerted_users), len(users)),
            "delay": delay_summary(d for (_, s), d in delays.items() if s == scenario),
        }
    return out


def daily_alert_rates(rows: Sequence[Row]) -> dict[str, Any] | None:
    """Alert rate per local day and the largest day's ratio to the median day; None without event times.

    The check is on all events, as the team sees them.  The same peak over the
    events of well-behaved users alone (``well_behaved_*``) tells a festival-day
    flood of false alerts apart from a day that is simply rich in episodes (or in
    the aftermath of one: a misbehaving user's later normal events alert too).
    The day with the most events (``busiest_day_*``) is the festival or spike
    itself: the highest rate is often a quiet day's instead (family M's gold
    lender: its spike day, some 4,960 events, alerted at 0.26-0.44x the median
    rate, and a quiet day after it, 29-52 events and 5-10 alerts mostly on
    misbehaving users, at 5.3-11.0x).
    """
    if not rows or any(r.day is None for r in rows):
        return None
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # events, alerts, well-behaved ones, alerts
    for r in rows:
        c = counts[r.day]
        c[0] += 1
        c[1] += r.alert
        c[2] += not r.user_anomalous
        c[3] += r.alert and not r.user_anomalous
    days = [
        {"day": d, "events": n, "alerts": a, "rate": a / n, "well_behaved_rate": _share(wa, wn)}
        for d, (n, a, wn, wa) in sorted(counts.items())
    ]
    full = PARTIAL_DAY_SHARE * float(np.median([d["events"] for d in days]))
    for d in days:
        d["partial"] = d["events"] < full
    whole = [d for d in days if not d["partial"]]
    median, peak, peak_day, ratio = _peak(whole, "rate")
    _, _, well_peak_day, well_ratio = _peak(whole, "well_behaved_rate")
    busiest = max(whole, key=lambda d: d["events"], default=None)
    return {
        "days": days,
        "median_rate": median,
        "max_rate": peak,
        "max_day": peak_day,
        "max_ratio": ratio,
        "no_flood": None if ratio is None else ratio <= FLOOD_RATIO,
        "well_behaved_max_day": well_peak_day,
        "well_behaved_max_ratio": well_ratio,
        "busiest_day": None if busiest is None else busiest["day"],
        "busiest_day_events": None if busiest is None else busiest["events"],
        "busiest_day_ratio": None if busiest is None or not median else busiest["rate"] / median,
    }


def _peak(days: Sequence[dict[str, Any]], key: str) -> tuple[float | None, float | None, str | None, float | None]:
    """Median of ``key`` over the days that have it, its peak, the peak day, and peak / median.

    The ratio is None when the median is 0 (or no day has a value): no multiple of zero is meaningful.
    """
    values = [d for d in days if d[key] is not None]
    if not values:
        return None, None, None, None
    median = float(np.median([d[key] for d in values]))
    worst = max(values, key=lambda d: d[key])
    return median, worst[key], worst["day"], worst[key] / median if median > 0 else None


@dataclass(frozen=True)
class Evaluation:
    """Everything ``riskmon evaluate`` reports, as plain data (``as_dict`` is JSON-ready)."""

    coverage: dict[str, int]
    auc_on: str
    auc_events: int
    auc_positives: int
    monitor: dict[str, float | None]
    forest: dict[str, float | None] | None
    baseline: dict[str, float | None] | None
    early_warning: dict[str, float | None] | None  # the early warning's probability alone (None: the model has none)
    rules: dict[str, float | None]  # the number of typology rules that fired, as a score
    at_threshold: dict[str, dict[str, Any]]
    users: dict[str, Any]
    delay: dict[str, Any]
    scenarios: dict[str, dict[str, Any]]
    daily: dict[str, Any] | None
    notes: tuple[str, ...] = ()
    report: str | None = None
    rings: dict[str, Any] | None = None  # with --entities: models.evaluate_rings
    outcomes: dict[str, Any] | None = None  # with --events: the early warning against realised repayment outcomes

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dicts for ``--json``; undefined metrics are None (JSON null), never NaN."""
        return dataclasses.asdict(self)

    def as_text(self) -> str:
        """The terminal summary: headline numbers, then the tables."""
        return "\n".join(_text_lines(self))


def evaluate(
    rows: Sequence[Row],
    coverage: Mapping[str, int],
    baseline: Mapping[str, float] | None = None,
    auc_on: str = "loan",
    notes: Sequence[str] = (),
) -> Evaluation:
    """All metrics of the module docstring over joined rows; ``baseline`` maps event id -> baseline score."""
    if not rows:
        raise ValueError("no scored event has a label (are the scores and labels from the same events?)")
    ranked = auc_rows(rows, auc_on)
    notes = list(notes)
    baseline_auc = None
    if baseline is not None:
        both = [r for r in ranked if r.event_id in baseline]
        if len(both) < len(ranked):
            notes.append(f"baseline AUCs on {len(both)} of {len(ranked)} events (the rest had no baseline score)")
        baseline_auc = auc_pair([r.label for r in both], [baseline[r.event_id] for r in both])
    has_forest = all(r.model_score is not None for r in ranked)
    if not has_forest:
        notes.append("forest-alone AUCs skipped: the scores file has no model_score")
    loans = [r for r in rows if r.event_type == "loan"]
    daily = daily_alert_rates(rows)
    if daily is None:
        notes.append("alert rate per day skipped: it needs event times (--events)")
    elif daily["no_flood"] is None:
        notes.append("alert flood check undefined: the median day has no alerts")
    return Evaluation(
        coverage=dict(coverage),
        auc_on=auc_on,
        auc_events=len(ranked),
        auc_positives=sum(r.label for r in ranked),
        monitor=auc_pair([r.label for r in ranked], [r.score for r in ranked]),
        forest=auc_pair([r.label for r in ranked], [r.model_score for r in ranked]) if has_forest else None,
        baseline=baseline_auc,
        early_warning=(auc_pair([r.label for r in ranked], [r.early_warning for r in ranked])
                       if ranked and all(r.early_warning is not None for r in ranked) else None),
        rules=auc_pair([r.label for r in ranked], [r.rule_count for r in ranked]),
        at_threshold={
            "alert": threshold_quality(loans, lambda r: r.alert),
            "model_only": threshold_quality(loans, lambda r: r.model_fired),
            "early_warning_only": threshold_quality(loans, lambda r: r.early_warning_fired),
            "held": threshold_quality(loans, lambda r: r.held),
        },
        users=user_quality(rows),
        delay=delay_summary(episode_delays(rows).values()),
        scenarios=scenario_quality(rows),
        daily=daily,
        notes=tuple(notes),
    )


def evaluate_files(
    scores_path: Path,
    labels_path: Path,
    report_dir: Path | None = None,
    events_path: Path | None = None,
    window_start: datetime | None = None,
    auc_on: str = "loan",
    entities_path: Path | None = None,
    outcome_rules: OutcomeRules | None = None,
) -> Evaluation:
    """Read the files, evaluate, and write the Markdown report with plots to ``report_dir`` if given.

    The events file adds event times (ordering, ``window_start``, alert rate per
    day), the raw-field baseline and the realised outcomes (judged by
    ``outcome_rules``, the lender's as training read them; None: the defaults);
    without it those are skipped with a note.
    """
    if report_dir is not None:
        _pyplot()  # fail before the work, not after it
    if window_start is not None and window_start.tzinfo is None:
        raise ValueError("the window start needs a UTC offset, e.g. 2026-03-21T00:00:00+08:00")
    start = window_start.timestamp() if window_start is not None else None
    notes: list[str] = []
    events: list[Event] | None = None
    base: dict[str, float] | None = None
    if events_path is not None:
        events, invalid = _read_events(events_path)
        if invalid:
            notes.append(f"{invalid} invalid lines of the events file skipped")
        base = baseline_scores(events, start)
        if start is None:
            notes.append("no window start: the baseline is fitted on the evaluated events themselves")
    else:
        notes.append("baseline skipped: it needs the events file (--events)")
    rows, coverage = join_rows(read_jsonl(scores_path), read_jsonl(labels_path), events, start)
    result = evaluate(rows, coverage, base, auc_on, notes)
    if events is not None:  # every scored loan whose outcome matured in the file, the window's or not
        every, _ = join_rows(read_jsonl(scores_path), read_jsonl(labels_path), events, None)
        result = dataclasses.replace(result, outcomes=outcome_quality(every, events, outcome_rules))
    if entities_path is not None:
        if events is None:
            raise ValueError("--entities needs the events file (--events): ring windows are in event time")
        result = dataclasses.replace(result, rings=ring_quality(
            read_jsonl(scores_path), list(read_jsonl(entities_path)), {e.event_id: e.ts for e in events}, start,
            {(k, v) for e in events if isinstance(e, LoanEvent) and (start is None or e.ts >= start)
             for k, v in (("device", e.device_id), ("merchant", e.merchant_id)) if v},
        ))
    if report_dir is not None:
        path = write_report(report_dir, result, rows, base)
        result = dataclasses.replace(result, report=str(path))
    return result


def outcome_quality(rows: Sequence[Row], events: Sequence[Event], rules: OutcomeRules | None = None) -> dict[str, Any]:
    """The early warning against what became of the scored loans (issue 15's calibration check).

    ``riskmon evaluate`` passes every scored loan, not only the window's: a
    loan's outcome takes 45 days to mature by default, longer than a test
    window.  They are out of sample when the scored events are not the
    training history (``bench/quality.sh`` scores other users).  Each loan whose
    outcome matured within the events file is
    labelled as training labels the history (``models.outcomes``; ``rules``,
    the defaults when None); reported: how many, how many went bad, and the PR-AUC of the early
    warning's probability and of the forest's score at predicting them, with the
    probability's expected calibration error over 10 bins (``ece``; None
    without an early warning or with fewer than ``MIN_OUTCOMES_FOR_ECE`` outcomes).
    """
    labels = label_outcomes(events, rules or OutcomeRules())
    matured = [r for r in rows if r.event_type == "loan" and r.event_id in labels]
    y = [int(labels[r.event_id]) for r in matured]
    has_ew = bool(matured) and all(r.early_warning is not None for r in matured)
    out: dict[str, Any] = {"loans": len(matured), "bad": sum(y), "ece": None,
                           "early_warning": None, "forest": None}
    if has_ew:
        out["early_warning"] = auc_pair(y, [r.early_warning for r in matured])
        if len(matured) >= MIN_OUTCOMES_FOR_ECE:
            out["ece"] = expected_calibration_error(np.array([r.early_warning for r in matured]), np.array(y))
    if matured and all(r.model_score is not None for r in matured):
        out["forest"] = auc_pair(y, [r.model_score for r in matured])
    return out


#: Realised outcomes needed before the early warning's calibration error is reported.
MIN_OUTCOMES_FOR_ECE = 200


def write_report(
    directory: Path, result: Evaluation, rows: Sequence[Row], baseline: Mapping[str, float] | None = None
) -> Path:
    """Write ``report.md`` with ``roc.png``, ``pr.png`` and ``scores_by_scenario.png`` next to it."""
    plt = _pyplot()
    directory.mkdir(parents=True, exist_ok=True)
    ranked = auc_rows(rows, result.auc_on)
    curves = [("monitor (forest + rules)", [r.label for r in ranked], [r.score for r in ranked])]
    if result.forest is not None:
        curves.append(("anomaly model alone", [r.label for r in ranked], [r.model_score for r in ranked]))
    if result.early_warning is not None:
        curves.append(("early warning alone", [r.label for r in ranked], [r.early_warning for r in ranked]))
    if baseline is not None:
        both = [r for r in ranked if r.event_id in baseline]
        curves.append(("baseline (raw fields)", [r.label for r in both], [baseline[r.event_id] for r in both]))
    curves = [c for c in curves if len(set(c[1])) == 2]
    what = "loan events" if result.auc_on == "loan" else "all events"

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, y, s in curves:
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=f"{name}, AUC {roc_auc_score(y, s):.3f}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC, {what}")
    ax.legend(loc="lower right")
    _save(fig, directory / "roc.png", plt)

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, y, s in curves:
        precision, recall, _ = precision_recall_curve(y, s)
        ax.step(recall, precision, where="post", label=f"{name}, AP {average_precision_score(y, s):.3f}")
    if ranked:
        ax.axhline(result.auc_positives / len(ranked), color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="recall", ylabel="precision", title=f"Precision-recall, {what}", ylim=(0, 1.02))
    ax.legend(loc="lower left")
    _save(fig, directory / "pr.png", plt)

    groups = sorted({r.scenario for r in ranked}, key=lambda s: (s != "normal", s), reverse=True)  # normal on top
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(groups) + 1.5))
    if groups:
        ax.boxplot([[r.score for r in ranked if r.scenario == g] for g in groups], orientation="horizontal",
                   whis=(1, 99), showfliers=False, tick_labels=groups)
        ax.axvline(float(np.median([r.threshold for r in ranked])), color="red", linestyle="--", linewidth=1,
                   label="alert threshold")
        ax.legend(loc="lower right")
    ax.set(xlabel="risk score (box: quartiles, whiskers: p1-p99)", title=f"Score by scenario, {what}")
    _save(fig, directory / "scores_by_scenario.png", plt)

    path = directory / "report.md"
    path.write_text(_markdown(result), encoding="utf-8")
    return path


def _pyplot() -> Any:
    """matplotlib's pyplot on a file-only backend; it is the optional ``report`` extra."""
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError(
            "--report needs matplotlib: pip install 'loan-risk-monitor[report]' (or drop --report)"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path, plt: Any) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if math.isfinite(value) else str(value)
    return str(value)


def _grid(header: Sequence[str], body: Sequence[Sequence[str]], markdown: bool) -> list[str]:
    """A table as aligned text, or as a Markdown table."""
    if markdown:
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
            "| " + " | ".join(row) + " |" for row in body
        ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body)]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in (header, *body)]


def _summary_table(r: Evaluation) -> tuple[list[str], list[list[str]]]:
    none = {"roc_auc": None, "pr_auc": None}
    columns = (r.monitor, r.forest or none, r.early_warning or none, r.rules, r.baseline or none)
    header = ["metric", "monitor (combined)", "anomaly model alone (forest + directional tails)", "early warning alone",
              "rules alone", "baseline (raw fields)"]
    return header, [[name] + [_fmt(c[key]) for c in columns] for name, key in (("ROC-AUC", "roc_auc"),
                                                                               ("PR-AUC", "pr_auc"))]


def _threshold_table(r: Evaluation) -> tuple[list[str], list[list[str]]]:
    header = ["loan events", "precision", "recall", "alerts", "true alerts", "label-1"]
    names = {"alert": "alert flag (any source)", "model_only": "anomaly model alone (fired_by model)",
             "early_warning_only": "early warning (fired_by early_warning)",
             "held": "held by a storm (not in the alert flag)"}
    return header, [
        [names[k], _fmt(q["precision"]), _fmt(q["recall"]), str(q["alerts"]), str(q["true_alerts"]),
         str(q["positives"])]
        for k, q in r.at_threshold.items()
    ]


def _scenario_table(r: Evaluation) -> tuple[list[str], list[list[str]]]:
    header = ["scenario", "events", "recall", "users", "user recall", "detected", "median delay", "p90 delay"]
    return header, [
        [name, str(q["events"]), _fmt(q["recall"]), str(q["users"]), _fmt(q["user_recall"]),
         _fmt(q["delay"]["detected_share"]), _fmt(q["delay"]["median"], 1), _fmt(q["delay"]["p90"], 1)]
        for name, q in r.scenarios.items()
    ]


def _headline(r: Evaluation) -> list[str]:
    c, u, d = r.coverage, r.users, r.delay
    what = "loan events" if r.auc_on == "loan" else "all events"
    lines = [
        f"{c['evaluated']} events evaluated ({c['scored']} scored, {c['labelled']} labelled, "
        f"{c['unlabelled']} scored without label, {c['not_in_events']} not in the events file, "
        f"{c['before_window']} before the window start)",
        f"AUCs on {r.auc_events} {what}, {r.auc_positives} of them label 1",
        f"users: recall {_fmt(u['user_recall'])} ({u['misbehaving_alerted']} of {u['misbehaving']} misbehaving "
        f"users alerted); well-behaved flagged {_fmt(u['well_behaved_flagged_share'])} "
        f"({u['well_behaved_flagged']} of {u['well_behaved']})",
        f"detection delay (label-1 events into the episode until the first alert): median {_fmt(d['median'], 1)}, "
        f"p90 {_fmt(d['p90'], 1)}; {d['detected']} of {d['episodes']} episodes detected "
        f"({_fmt(d['detected_share'])})",
    ]
    if r.daily is not None:
        day = r.daily
        verdict = {True: "no flood", False: "FLOOD", None: "undefined"}[day["no_flood"]]
        lines.append(
            f"alert rate per day: median {_fmt(day['median_rate'], 4)}, max {_fmt(day['max_rate'], 4)} on "
            f"{day['max_day']} = {_fmt(day['max_ratio'], 2)}x the median (limit {FLOOD_RATIO:g}x: {verdict}); "
            f"well-behaved users' events alone peak on {day['well_behaved_max_day']} at "
            f"{_fmt(day['well_behaved_max_ratio'], 2)}x; the busiest day, {day['busiest_day']} "
            f"({day['busiest_day_events']} events), at {_fmt(day['busiest_day_ratio'], 2)}x"
        )
    return lines


def _text_lines(r: Evaluation) -> list[str]:
    head = _headline(r)
    lines = head[:2] + _grid(*_summary_table(r), markdown=False)
    lines += ["at the model's threshold:"] + ["  " + s for s in _grid(*_threshold_table(r), markdown=False)]
    lines += head[2:]
    lines += ["per scenario (label-1 events):"] + ["  " + s for s in _grid(*_scenario_table(r), markdown=False)]
    if r.rings is not None:
        lines += ["rings (entity alerts against planted rings and innocent shared entities):"]
        lines += ["  " + s for s in _grid(*_ring_table(r.rings), markdown=False)]
    if r.outcomes is not None:
        lines.append(_outcome_line(r.outcomes))
    lines += [f"note: {n}" for n in r.notes]
    return lines


def _outcome_line(o: dict[str, Any]) -> str:
    """The early warning against realised repayment outcomes, in one line."""
    head = f"repayment outcomes: {o['bad']} of {o['loans']} evaluated loans matured bad"
    if o["early_warning"] is None:
        return head + " (the model has no early warning)"
    forest = f", forest {_fmt(o['forest']['pr_auc'])}" if o["forest"] else ""
    ece = _fmt(o["ece"]) if o["ece"] is not None else f"n/a (under {MIN_OUTCOMES_FOR_ECE} outcomes)"
    return head + f"; PR-AUC predicting them: early warning {_fmt(o['early_warning']['pr_auc'])}{forest}; ECE {ece}"


def _ring_table(rings: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    body = [[kind, str(rings["ring_entities"][kind]), _fmt(recall), _fmt(rings["member_recall_by_entity"][kind]),
             _fmt(rings["member_recall_any"][kind])] for kind, recall in rings["entity_recall"].items()]
    body += [[kind, "innocent", _fmt(flagged), "", ""] for kind, flagged in rings["innocent_flagged"].items()]
    body.append(["other entities", str(rings["other_entities_alerted"]), _fmt(rings["other_entities_flagged"], 4), "", ""])
    if "users_named" in rings:
        body.append(["users named, share outside rings", str(rings["users_named"]), _fmt(rings["named_outside_rings"]),
                     "", ""])
    return ["entities", "count", "entity recall / flagged", "members named", "members caught (any alert)"], body


def _markdown(r: Evaluation) -> str:
    doc = ["# Detection quality", ""] + [f"- {h}" for h in _headline(r)] + [""]
    doc += ["## Ranking", ""] + _grid(*_summary_table(r), markdown=True) + [""]
    doc += ["![ROC curves](roc.png) ![Precision-recall curves](pr.png)", ""]
    doc += ["## At the model's threshold", ""] + _grid(*_threshold_table(r), markdown=True) + [""]
    doc += ["## Per scenario", ""] + _grid(*_scenario_table(r), markdown=True) + [""]
    doc += ["![Score distributions by scenario](scores_by_scenario.png)", ""]
    if r.daily is not None:
        body = [[d["day"], str(d["events"]), str(d["alerts"]), _fmt(d["rate"], 4), _fmt(d["well_behaved_rate"], 4)]
                for d in r.daily["days"]]
        header = ["day", "events", "alerts", "alert rate", "alert rate, well-behaved users"]
        doc += ["## Alert rate per day", ""] + _grid(header, body, markdown=True) + [""]
    if r.rings is not None:
        doc += ["## Rings", ""] + _grid(*_ring_table(r.rings), markdown=True) + [""]
    if r.notes:
        doc += ["## Notes", ""] + [f"- {n}" for n in r.notes] + [""]
    doc += ["Definitions: see the docstring of `models/evaluate.py`.", ""]
    return "\n".join(doc)
