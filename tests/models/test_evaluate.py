"""``riskmon evaluate``: every metric against hand-computed answers on tiny files,
the report files, and the raw-field baseline on a small simulation end to end."""

from __future__ import annotations

import inspect
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from models.baseline import LOAN_FIELDS, MAX_SAMPLES, N_ESTIMATORS, REPAYMENT_FIELDS, baseline_scores, raw_features
from models.evaluate import Row, evaluate_files, join_rows
from models.outcomes import OutcomeRules
from stream.core.contract import parse_document

CST = timezone(timedelta(hours=8))

# (event_id, user_id, event_type, score, alert, label, scenario, user_anomalous), in time order.
# Well-behaved: u1 (quiet), u2 (one false alert).  Misbehaving: u3 (loan_stacking, caught on
# its 2nd anomalous event), u4 (account_takeover, 3rd), u5 (loan_stacking, 1st), u6 (never).
CASES = [
    ("e1", "u1", "loan", 0.10, False, 0, "normal", False),
    ("e2", "u2", "loan", 0.70, True, 0, "normal", False),
    ("e3", "u3", "loan", 0.20, False, 0, "normal", True),
    ("e4", "u3", "loan", 0.90, False, 1, "loan_stacking", True),
    ("e5", "u3", "loan", 0.95, True, 1, "loan_stacking", True),
    ("e6", "u4", "loan", 0.30, False, 1, "account_takeover", True),
    ("e7", "u4", "repayment", 0.60, False, 1, "account_takeover", True),
    ("e8", "u4", "repayment", 0.99, True, 1, "account_takeover", True),
    ("e9", "u5", "loan", 0.80, True, 1, "loan_stacking", True),
    ("e10", "u6", "loan", 0.50, False, 1, "borrow_to_repay", True),
]
THRESHOLD = 0.75
#: What fired on the alerted events (default: the model alone); e8 and e9 are rule-only alerts.
FIRED_BY = {"e5": ["model", "loan_stacking"], "e8": ["account_takeover"], "e9": ["loan_stacking"]}
#: The forest's own score where a rule lifted the risk score (elsewhere the two are equal).
MODEL_SCORE = {"e8": 0.40, "e9": 0.45}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_case(tmp_path: Path, cases=CASES, model_score: bool = True) -> tuple[Path, Path]:
    scores = [
        {"event_id": e, "user_id": u, "event_type": t, "score": s, "threshold": THRESHOLD, "alert": a,
         "severity": "high" if a else "none", "fired_by": FIRED_BY.get(e, ["model"]) if a else [], "reasons": []}
        | ({"model_score": MODEL_SCORE.get(e, s)} if model_score else {})
        for e, u, t, s, a, *_ in cases
    ]
    labels = [{"event_id": e, "label": y, "scenario": sc, "user_anomalous": ua} for e, _, _, _, _, y, sc, ua in cases]
    return write_jsonl(tmp_path / "scores.jsonl", scores), write_jsonl(tmp_path / "labels.jsonl", labels)


def contract_event(event_id: str, user_id: str, event_type: str, ts: datetime) -> dict:
    base = {"event_id": event_id, "event_type": event_type, "user_id": user_id, "ts": ts.isoformat(),
            "amount": 100.0, "loan_id": f"l-{event_id}"}
    if event_type == "loan":
        return {**base, "product": "cash_loan", "term_days": 30, "credit_limit": 5000, "segment": "individual",
                "channel": "app"}
    return {**base, "days_late": 0}


def test_hand_computed_metrics(tmp_path: Path) -> None:
    result = evaluate_files(*write_case(tmp_path))
    # loan events: positives e4 .9, e5 .95, e6 .3, e9 .8, e10 .5; negatives e1 .1, e2 .7, e3 .2
    # pairs won: 3 + 3 + 2 + 3 + 2 = 13 of 15.  AP: ranks of positives 1,2,3,5,6 -> (1+1+1+4/5+5/6)/5
    assert result.monitor["roc_auc"] == pytest.approx(13 / 15)
    assert result.monitor["pr_auc"] == pytest.approx(139 / 150)
    # forest alone: e9 drops from .8 to .45 (beats .1, .2 only): 3 + 3 + 2 + 2 + 2 of 15
    assert result.forest["roc_auc"] == pytest.approx(12 / 15)
    assert (result.auc_events, result.auc_positives) == (8, 5)
    alert = result.at_threshold["alert"]  # loan alerts e2, e5, e9; two true of five label-1 loans
    assert (alert["alerts"], alert["true_alerts"], alert["positives"]) == (3, 2, 5)
    assert alert["precision"] == pytest.approx(2 / 3) and alert["recall"] == pytest.approx(2 / 5)
    model_only = result.at_threshold["model_only"]  # loans the model fired on: e2 (false), e5 (true)
    assert model_only["precision"] == 0.5 and model_only["recall"] == pytest.approx(1 / 5)
    assert result.users == {
        "misbehaving": 4, "misbehaving_alerted": 3, "user_recall": 0.75,
        "well_behaved": 2, "well_behaved_flagged": 1, "well_behaved_flagged_share": 0.5,
    }
    # delays: u3 -> 2, u4 -> 3, u5 -> 1, u6 never
    assert result.delay["episodes"] == 4 and result.delay["detected"] == 3
    assert result.delay["median"] == 2.0 and result.delay["p90"] == pytest.approx(2.8)
    stacking, takeover, rollover = (
        result.scenarios[s] for s in ("loan_stacking", "account_takeover", "borrow_to_repay"))
    assert (stacking["events"], stacking["alerted"], stacking["users"], stacking["users_alerted"]) == (3, 2, 2, 2)
    assert stacking["recall"] == pytest.approx(2 / 3) and stacking["delay"]["median"] == 1.5
    assert takeover["recall"] == pytest.approx(1 / 3) and takeover["user_recall"] == 1.0
    assert takeover["delay"]["median"] == 3.0
    assert rollover["recall"] == 0.0 and rollover["user_recall"] == 0.0 and rollover["delay"]["median"] is None
    assert result.baseline is None and result.daily is None
    assert any("--events" in n for n in result.notes)
    json.dumps(result.as_dict())  # JSON-ready for --json
    text = result.as_text()
    assert "ROC-AUC" in text and "0.867" in text and "loan_stacking" in text


def test_auc_on_all_events(tmp_path: Path) -> None:
    from models.evaluate import evaluate, join_rows, read_jsonl

    scores, labels = write_case(tmp_path)
    rows, coverage = join_rows(read_jsonl(scores), read_jsonl(labels))
    # adds positives e7 .6 (beats .1, .2) and e8 .99 (beats all three): 13 + 2 + 3 of 7 * 3
    assert evaluate(rows, coverage, auc_on="all").monitor["roc_auc"] == pytest.approx(18 / 21)
    with pytest.raises(ValueError, match="auc_on"):
        evaluate(rows, coverage, auc_on="repayment")


def test_perfect_and_reversed_scores(tmp_path: Path) -> None:
    perfect = [(f"e{i}", f"u{i}", "loan", s, s > 0.5, y, "loan_stacking" if y else "normal", bool(y))
               for i, (s, y) in enumerate([(0.1, 0), (0.2, 0), (0.8, 1), (0.9, 1)])]
    result = evaluate_files(*write_case(tmp_path, perfect, model_score=False))
    assert result.monitor == {"roc_auc": 1.0, "pr_auc": 1.0}
    assert result.forest is None and "forest-alone AUCs skipped: the scores file has no model_score" in result.notes
    reversed_ = [(e, u, t, 1 - s, a, y, sc, ua) for e, u, t, s, a, y, sc, ua in perfect]
    result = evaluate_files(*write_case(tmp_path, reversed_))
    assert result.monitor["roc_auc"] == 0.0 and result.forest["roc_auc"] == 0.0
    assert result.monitor["pr_auc"] == pytest.approx((1 / 3 + 2 / 4) / 2)  # positives ranked 3rd and 4th


def test_one_class_gives_no_auc_and_no_overlap_is_an_error(tmp_path: Path) -> None:
    normal_only = [c for c in CASES if c[5] == 0]
    result = evaluate_files(*write_case(tmp_path, normal_only))
    assert result.monitor == {"roc_auc": None, "pr_auc": None}
    assert result.users["user_recall"] is None and result.delay["detected_share"] is None
    scores, _ = write_case(tmp_path)
    with pytest.raises(ValueError, match="no scored event has a label"):
        evaluate_files(scores, write_jsonl(tmp_path / "other.jsonl", [
            {"event_id": "x", "label": 0, "scenario": "normal", "user_anomalous": False}]))


def test_events_file_orders_windows_and_counts_alerts_per_day(tmp_path: Path) -> None:
    scores, labels = write_case(tmp_path)
    day0 = datetime(2026, 3, 1, 9, tzinfo=CST)
    # e1..e3 on day 0, the rest on later days; e5 comes before e4 in time, so u3 is caught on its 1st event
    offsets = {"e1": 0, "e2": 0, "e3": 0, "e4": 2.5, "e5": 2, "e6": 3, "e7": 4, "e8": 5, "e9": 6, "e10": 7}
    events = [contract_event(e, u, t, day0 + timedelta(days=offsets[e])) for e, u, t, *_ in CASES]
    events.append(contract_event("h1", "u1", "loan", day0 - timedelta(days=1)))  # unscored history
    events_path = write_jsonl(tmp_path / "events.jsonl", events)

    result = evaluate_files(scores, labels, events_path=events_path)
    assert result.coverage["evaluated"] == 10
    assert result.scenarios["loan_stacking"]["delay"]["median"] == 1.0
    days = {d["day"]: (d["events"], d["alerts"]) for d in result.daily["days"]}
    assert days["2026-03-01"] == (3, 1) and days["2026-03-03"] == (2, 1)
    # rates per day: 1/3, .5 (e4+e5 on 03-03), 0, 0, 1, 1, 0 -> median 1/3, max 1 -> 3x: a flood
    assert result.daily["median_rate"] == pytest.approx(1 / 3)
    assert result.daily["max_ratio"] == pytest.approx(3.0) and result.daily["no_flood"] is False
    # ... but it is the episodes: well-behaved users (u1, u2) act on 03-01 only, at their median rate
    assert (result.daily["well_behaved_max_day"], result.daily["well_behaved_max_ratio"]) == ("2026-03-01", 1.0)
    assert (result.daily["busiest_day"], result.daily["busiest_day_events"]) == ("2026-03-01", 3)
    assert result.daily["busiest_day_ratio"] == pytest.approx(1.0)
    assert "FLOOD" in result.as_text() and "the busiest day, 2026-03-01 (3 events), at 1.00x" in result.as_text()
    assert result.baseline is not None  # fitted on the evaluated events themselves
    assert any("fitted on the evaluated events" in n for n in result.notes)

    windowed = evaluate_files(scores, labels, events_path=events_path,
                              window_start=datetime(2026, 3, 2, tzinfo=CST))
    assert windowed.coverage["before_window"] == 3 and windowed.coverage["evaluated"] == 7
    assert windowed.users["well_behaved"] == 0  # u1 and u2 only acted before the window
    # no repayment before the window to fit on: those events get no baseline score, and the note says so
    everything = evaluate_files(scores, labels, events_path=events_path, auc_on="all",
                                window_start=datetime(2026, 3, 2, tzinfo=CST))
    assert "baseline AUCs on 5 of 7 events (the rest had no baseline score)" in everything.notes

    with pytest.raises(ValueError, match="offset"):
        evaluate_files(scores, labels, events_path=events_path, window_start=datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="events file"):
        join_rows([], [], None, window_start=0.0)


def test_report_writes_markdown_and_plots(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    scores, labels = write_case(tmp_path)
    result = evaluate_files(scores, labels, tmp_path / "report")
    assert result.report == str(tmp_path / "report" / "report.md")
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "| ROC-AUC | 0.867 | 0.800 | n/a |" in markdown and "(roc.png)" in markdown
    for name in ("roc.png", "pr.png", "scores_by_scenario.png"):
        assert (tmp_path / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_baseline_forest_matches_the_models_size() -> None:
    from models.train import train

    assert N_ESTIMATORS == inspect.signature(train).parameters["n_estimators"].default
    assert MAX_SAMPLES == inspect.signature(train).parameters["max_samples"].default


def test_raw_features_have_the_documented_width() -> None:
    ts = datetime(2026, 3, 1, 23, 30, tzinfo=CST)
    loan = parse_document({**contract_event("a", "u", "loan", ts), "credit_limit": 0})
    repayment = parse_document(contract_event("b", "u", "repayment", ts))
    assert len(raw_features(loan)) == len(LOAN_FIELDS) and len(raw_features(repayment)) == len(REPAYMENT_FIELDS)
    assert raw_features(loan)[LOAN_FIELDS.index("hour")] == 23
    assert math.isfinite(raw_features(loan)[LOAN_FIELDS.index("amount_over_limit")])


def test_baseline_end_to_end_on_a_small_simulation(tmp_path: Path) -> None:
    from models.model import save
    from models.train import train
    from stream.offline.jsonl import read_events
    from stream.offline.score import score_file
    from stream.settings import Settings
    from stream.sim import SimConfig, generate, write_jsonl as write_sim

    config = SimConfig(users=300, days=20, anomaly_rate=0.05, festival_day=5, anomaly_start_day=10)
    events, labels = generate(config)
    write_sim(tmp_path / "events.jsonl", events)
    write_sim(tmp_path / "labels.jsonl", labels)
    window = config.start + timedelta(days=10)
    history = [e for e in read_events(tmp_path / "events.jsonl") if e.ts < window.timestamp()]
    save(train(history, n_estimators=50), tmp_path / "model")
    _, counts, _ = score_file(Settings(), tmp_path / "model", tmp_path / "events.jsonl", tmp_path / "scores.jsonl")
    written = [json.loads(line) for line in (tmp_path / "scores.jsonl").read_text().splitlines()]
    entity_lines = [d for d in written if d.get("record") == "entity_alert"]
    assert counts.events == len(written) - len(entity_lines) == len(events)
    assert counts.entity_alerts == len(entity_lines)
    assert counts.alerts == sum(bool(d.get("alert")) and not d["suppressed"] for d in written)
    assert counts.suppressed == sum(bool(d.get("alert")) and d["suppressed"] for d in written) > 0

    scores = baseline_scores(read_events(tmp_path / "events.jsonl"), window.timestamp())
    assert scores and all(0.0 < s <= 1.0 for s in scores.values())
    result = evaluate_files(tmp_path / "scores.jsonl", tmp_path / "labels.jsonl",
                            events_path=tmp_path / "events.jsonl", window_start=window)
    assert result.coverage["before_window"] > 0 and result.auc_positives > 0
    for auc in (*result.monitor.values(), *(result.forest or {}).values(), *result.baseline.values()):
        assert 0.0 <= auc <= 1.0
    assert result.daily is not None and len(result.daily["days"]) == 10


def test_cli_passes_events_and_window_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from stream.cli import main

    scores, labels = write_case(tmp_path)
    day0 = datetime(2026, 3, 1, 9, tzinfo=CST)
    events = [contract_event(e, u, t, day0 + timedelta(days=i)) for i, (e, u, t, *_) in enumerate(CASES)]
    events_path = write_jsonl(tmp_path / "events.jsonl", events)
    argv = ["evaluate", "--scores", str(scores), "--labels", str(labels), "--events", str(events_path),
            "--window-start", "2026-03-04T00:00:00+08:00", "--json"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["coverage"]["before_window"] == 3 and printed["daily"] is not None


def test_rules_alone_and_the_early_warning_alone_are_ranked_separately(tmp_path: Path) -> None:
    """Rules alone rank by how many rules fired; the early warning by its probability (when present)."""
    scores_path, labels_path = write_case(tmp_path)
    result = evaluate_files(scores_path, labels_path)
    # loan events: rules fired on e5 and e9 (both label 1); none on the 3 negatives.
    # pairs won: e5, e9 beat all 3 negatives (6); e4, e6, e10 tie with them (3 x 3 x 0.5 = 4.5).
    assert result.rules["roc_auc"] == pytest.approx(10.5 / 15)
    assert result.early_warning is None  # these score lines carry no early-warning probability
    probability = {"e1": 0.01, "e2": 0.2, "e3": 0.05, "e4": 0.3, "e5": 0.1, "e6": 0.6, "e9": 0.02, "e10": 0.4}
    lines = [json.loads(line) for line in scores_path.read_text().splitlines()]
    write_jsonl(scores_path, [{**s, "early_warning_probability": probability.get(s["event_id"])} for s in lines])
    result = evaluate_files(scores_path, labels_path)
    # positives .3 .1 .6 .02 .4 against negatives .01 .2 .05: 3 + 2 + 3 + 1 + 3 = 12 of 15
    assert result.early_warning["roc_auc"] == pytest.approx(12 / 15)


def test_outcomes_judge_the_early_warning_against_what_became_of_the_loans(tmp_path: Path) -> None:
    """``outcome_quality``: loans whose outcome matured in the events file, bad or not, against the
    probability they were scored with; loans still young are left out."""
    from models.evaluate import outcome_quality

    t0 = datetime(2026, 3, 1, tzinfo=CST)
    docs, rows = [], []
    for i in range(240):
        late = 20 if i % 4 == 0 else 0
        docs.append(contract_event(f"l{i}", f"u{i}", "loan", t0))
        docs.append({**contract_event(f"r{i}", f"u{i}", "repayment", t0 + timedelta(days=30 + late)),
                     "loan_id": f"l-l{i}", "days_late": late})
    docs.append(contract_event("young", "u-young", "loan", t0 + timedelta(days=40)))
    events = [parse_document(d) for d in docs]
    scores = [{"event_id": d["event_id"], "user_id": d["user_id"], "event_type": d["event_type"], "score": 0.5,
               "model_score": 0.5, "threshold": 0.9, "alert": False, "fired_by": [], "reasons": [],
               "early_warning_probability": 0.25 if d["event_id"] != "young" else 0.9} for d in docs]
    labels = [{"event_id": d["event_id"], "label": 0, "scenario": "normal", "user_anomalous": False} for d in docs]
    rows, _ = join_rows(scores, labels, events, None)
    out = outcome_quality(rows, events)
    assert (out["loans"], out["bad"]) == (240, 60)  # every fourth loan went 20 days late; "young" never matured
    assert out["ece"] == pytest.approx(0.0)  # predicted 0.25, realised 60 / 240
    assert out["early_warning"]["roc_auc"] == pytest.approx(0.5)
    # ``riskmon evaluate`` reads them with the lender's own outcome settings, as training did.
    paths = [write_jsonl(tmp_path / f"{name}.jsonl", rows_) for name, rows_ in
             (("scores", scores), ("labels", labels), ("events", docs))]
    assert evaluate_files(*paths[:2], events_path=paths[2]).outcomes["bad"] == 60
    lenient = OutcomeRules(late_days=21, grace_days=20)  # the late repayments (day 50) count, and are not late
    out = evaluate_files(*paths[:2], events_path=paths[2], outcome_rules=lenient).outcomes
    assert (out["loans"], out["bad"]) == (240, 0)


def test_events_a_rule_storm_held_are_not_alerts_and_are_counted_apart(tmp_path: Path) -> None:
    scores_path, labels_path = write_case(tmp_path)
    rows = [json.loads(line) for line in scores_path.read_text().splitlines()]
    for r in rows:  # e10 (label 1) and e1 (label 0): rule-only alerts a storm held
        if r["event_id"] in ("e1", "e10"):
            r.update(alert=False, held=True, fired_by=["loan_stacking"])
    result = evaluate_files(write_jsonl(scores_path, rows), labels_path)
    held = result.at_threshold["held"]
    assert (held["alerts"], held["true_alerts"], held["positives"]) == (2, 1, 5)
    assert result.at_threshold["alert"]["alerts"] == 3  # unchanged: held events are not alerts
    assert result.users["misbehaving_alerted"] == 3 and result.users["well_behaved_flagged"] == 1
    assert "held by a storm" in result.as_text()


def day_rows(date: str, events: int, alerts: int) -> list[Row]:
    """``events`` loan rows of well-behaved users on local ``date``, the first ``alerts`` of them alerted."""
    return [Row(f"{date}-{i}", f"u{i}", "loan", 0.5, 0.6, i < alerts, False, None, 0, "normal", False, 0.0, date)
            for i in range(events)]


def test_a_window_edge_on_another_clock_is_listed_but_not_a_flood() -> None:
    """Borrowers in other time zones give the test window a last local date with a handful of
    events; their alerts are no flood, and a full day that doubles the rate still is one."""
    from models.evaluate import PARTIAL_DAY_SHARE, daily_alert_rates

    rows = (day_rows("2026-03-01", 100, 2) + day_rows("2026-03-02", 100, 2) + day_rows("2026-03-03", 100, 3)
            + day_rows("2026-03-04", 3, 2))
    rates = daily_alert_rates(rows)
    edge = next(d for d in rates["days"] if d["day"] == "2026-03-04")
    assert edge["partial"] and edge["events"] < PARTIAL_DAY_SHARE * 100
    assert rates["max_day"] == "2026-03-03" and rates["max_ratio"] == pytest.approx(1.5) and rates["no_flood"]
    flooded = daily_alert_rates(rows + day_rows("2026-03-05", 100, 6))
    assert flooded["max_day"] == "2026-03-05" and flooded["no_flood"] is False


def test_the_busiest_day_is_the_one_with_most_events_not_the_highest_rate() -> None:
    """A spike day (a gold price jump: ten times the events) alerting under the median rate is what the
    festival check asks about; a quiet day's few alerts give the highest rate."""
    from models.evaluate import daily_alert_rates

    rows = (day_rows("2026-03-01", 100, 2) + day_rows("2026-03-02", 100, 2) + day_rows("2026-03-03", 1000, 5)
            + day_rows("2026-03-04", 40, 4) + day_rows("2026-03-05", 100, 2))
    rates = daily_alert_rates(rows)
    assert rates["median_rate"] == pytest.approx(0.02)
    assert rates["max_day"] == "2026-03-04" and rates["max_ratio"] == pytest.approx(5.0)
    assert (rates["busiest_day"], rates["busiest_day_events"]) == ("2026-03-03", 1000)
    assert rates["busiest_day_ratio"] == pytest.approx(0.25)
