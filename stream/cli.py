"""``riskmon``: the command line of loan-risk-monitor.

Every setting of ``stream.settings.Settings`` is also a flag (``--broker``,
``--metrics-port`` ...), placed before the command: ``riskmon --broker
host:9092 worker``.  Flags win over ``RISKMON_*`` environment variables, which
win over the defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Callable, Sequence

from stream.gc_tuning import tune_gc
from stream.logs import configure_logging
from stream.settings import ENV_PREFIX, SECRET_FIELDS, Settings, load_settings

log = logging.getLogger("riskmon")

Handler = Callable[[Settings, argparse.Namespace], int]
#: ``stream.core.seed.START_FROM``, spelled out so that parsing the command line imports no pipeline stage.
SEED_START_FROM = ("after-history", "end", "earliest")


def _cmd_kafka(settings: Settings, args: argparse.Namespace) -> int:
    from stream.local import broker

    if args.action == "fetch":
        print(f"Kafka jars ready in {broker.fetch_jars(settings)}")
    elif args.action == "start":
        broker.fetch_jars(settings)
        st = broker.start(settings)
        print(f"Kafka broker {'already running' if st.already_running else 'started'} on {st.bootstrap} (pid {st.pid}, log {st.log_path})")
    elif args.action == "stop":
        print("Kafka broker stopped" if broker.stop(settings) else "Kafka broker was not running")
    else:
        st = broker.status(settings)
        print(f"running={st.running} answers={st.answers} pid={st.pid} bootstrap={st.bootstrap} log={st.log_path}")
        return 0 if st.answers else 1
    return 0


def _cmd_topics(settings: Settings, args: argparse.Namespace) -> int:
    from stream.kafka.topics import ensure_topics

    created = ensure_topics(settings)
    print(f"topics ready ({', '.join(created) if created else 'all existed'})")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _cmd_rescale(settings: Settings, args: argparse.Namespace) -> int:
    from stream.ops.rescale import rescale

    rescale(settings, args.partitions, dry_run=args.dry_run)
    return 0


def _cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from stream.ops.seed import seed

    report = seed(settings, Path(args.model) if args.model else settings.model_dir, Path(args.input),
                  args.start_from, dry_run=args.dry_run)
    _report_invalid(report.read, args.input)
    return 0


def _cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from stream.local.model_store import ensure_model
    from stream.worker.main import run_worker

    # A directory without a model gets the demo's default one (with a warning): see stream/local/model_store.py.
    model = ensure_model(settings)
    if args.processes > 1:
        from stream.local.processes import run_processes

        return run_processes(settings, args.processes)  # each worker loads the model ensured above
    return run_worker(settings, model)


def _cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from stream.offline.simulate import simulate

    return simulate(settings, args)


def _cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    from stream.offline.train import (readers_line, report_early_warning, report_entities, report_rules, storms_line,
                                      train_file, user_cap_lines)

    from stream.offline.jsonl import ReadReport

    if args.alert_rate is not None:  # checked against its range before the history is read
        settings = settings.replace(alert_rate=args.alert_rate)
    report = ReadReport()
    try:
        model, out = train_file(settings, Path(args.input), Path(args.output) if args.output else None, report)
    finally:  # a history refused for too few borrowers may be one of invalid lines
        _report_invalid(report, args.input)
    report_rules(model)
    print(storms_line(model, settings.storm_policy(), model.rules(settings.rule_config())))
    report_early_warning(model)
    report_entities(model)
    print(readers_line(model))
    for line in user_cap_lines(model):
        print(line)
    trained = sum(model.meta["training_events"].values())
    repeats = f" ({report.valid - trained} repeated deliveries skipped)" if report.valid > trained else ""
    print(
        f"model {model.version} trained on {trained} events{repeats} -> {out} "
        + " ".join(f"{t}_threshold={m.threshold:.4f}" for t, m in model.by_type.items())
    )
    return 0


def _cmd_score(settings: Settings, args: argparse.Namespace) -> int:
    from stream.offline.score import score_file

    model_dir = Path(args.model) if args.model else settings.model_dir
    history = Path(args.history) if args.history else None
    alerts = Path(args.alerts) if args.alerts else None
    report, counts, history_report = score_file(settings, model_dir, Path(args.input), Path(args.output), history,
                                                alerts)
    if history_report is not None:
        _report_invalid(history_report, args.history)
    _report_invalid(report, args.input)
    print(f"{counts.line()} -> {args.output}" + (f", alert documents -> {args.alerts}" if alerts else ""))
    return 0


def _cmd_evaluate(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import datetime

    from models.evaluate import evaluate_files
    from models.outcomes import OutcomeRules

    result = evaluate_files(
        Path(args.scores),
        Path(args.labels),
        Path(args.report) if args.report else None,
        events_path=Path(args.events) if args.events else None,
        window_start=datetime.fromisoformat(args.window_start) if args.window_start else None,
        entities_path=Path(args.entities) if args.entities else None,
        outcome_rules=OutcomeRules.from_settings(settings),  # realised outcomes read as training reads them
    )
    print(result.as_text())
    if args.json:
        print(json.dumps(result.as_dict()))
    return 0


def _cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from stream.local.demo import run_demo

    return run_demo(settings, rate=args.rate, users=args.users, duration_s=args.duration)


def _cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    from stream.bench.main import main as run_bench
    from stream.bench.options import BenchOptions

    return run_bench(
        settings,
        BenchOptions(
            events=args.events, users=args.users, latency_rate=args.latency_rate,
            latency_seconds=args.latency_seconds, skip_latency=args.skip_latency, json=args.json,
            restart_users=args.restart_users, skip_restart=args.skip_restart,
            broker=args.bench_broker or "", smoke=args.smoke, profile=args.profile or "", keep_logs=args.keep_logs or "",
        ),
    )


def _cmd_config(settings: Settings, args: argparse.Namespace) -> int:
    for name, value in settings.public_items().items():
        print(f"{name} = {value}")
    from models.tree_walk import compiled_walk_available

    walk = "C" if compiled_walk_available() else "numpy (models/_tree_walk.pyx is not built: run `make setup` with a C compiler)"
    print(f"# tree walk: {walk}")
    return 0


def _report_invalid(report, source: str) -> None:
    if report.invalid:
        print(f"{report.invalid} invalid lines in {source} were skipped; first: {report.first_errors[0]}", file=sys.stderr)
    if report.refused_time:
        counts = ", ".join(f"{n} {reason}" for reason, n in sorted(report.refused_time.items()))
        print(f"events of {source} left out for their time, as the worker would dead-letter them ({counts}); "
              "see future_tolerance_s / stale_tolerance_s", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="riskmon", description="Streaming loan risk monitor.", allow_abbrev=False)
    group = parser.add_argument_group(
        "settings, given before the command (each also RISKMON_<NAME> in the environment; the secrets, "
        f"{', '.join(sorted(SECRET_FIELDS))}, only there: `ps` shows a command line)")
    defaults = Settings().public_items()
    for f in dataclasses.fields(Settings):
        if not f.repr:  # a secret: from the environment alone
            continue
        group.add_argument(
            _flag(f.name), dest=f"setting_{f.name}", metavar="V", help=f"default: {defaults[f.name]}"
        )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    k = sub.add_parser("kafka", help="manage the embedded local Kafka broker")
    k.add_argument("action", choices=["start", "stop", "status", "fetch"])
    k.set_defaults(handler=_cmd_kafka)

    sub.add_parser("topics", help="create the input, alerts, dead-letter and sighting topics").set_defaults(handler=_cmd_topics)
    w = sub.add_parser("worker", help="run the Faust stream worker")
    w.add_argument("--processes", type=_positive_int, default=1,
                   help="run this many worker processes in one consumer group, one per core (process i: "
                        "metrics_port + i, data_dir/process-i); Ctrl-C or SIGTERM stops them all")
    w.set_defaults(handler=_cmd_worker)
    rs = sub.add_parser("rescale", help="move the input topic and the user states to more partitions (workers stopped); "
                                        "run it again to finish an interrupted one")
    rs.add_argument("--partitions", type=int, required=True, help="the new partition count of the input topic")
    rs.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    rs.set_defaults(handler=_cmd_rescale)
    sd = sub.add_parser("seed", help="a first deployment's user and entity states, folded from the history the model "
                                     "was trained on, so the first worker does not read every account as new")
    sd.add_argument("--input", required=True, help="the lender's history (JSONL, as for riskmon train)")
    sd.add_argument("--model", help="model directory (default: the model_dir setting)")
    sd.add_argument("--start-from", choices=SEED_START_FROM, default=SEED_START_FROM[0],
                    help="where the first worker reads the input topic: after-history (the first record stamped "
                         "after the history's last event; default), end (the history is as recent as the topic), "
                         "earliest (the topic holds only events after the history)")
    sd.add_argument("--dry-run", action="store_true", help="fold the history and print the plan, write nothing")
    sd.set_defaults(handler=_cmd_seed)
    sub.add_parser("config", help="print the settings in force (secrets masked)").set_defaults(handler=_cmd_config)

    s = sub.add_parser("simulate", help="generate a synthetic event history, or publish it to Kafka")
    s.add_argument("--users", type=int, default=2000)
    s.add_argument("--days", type=int, default=30)
    s.add_argument("--anomaly-rate", type=float, default=0.03)
    s.add_argument("--festival-day", type=int, default=10, help="day index of a shopping festival (-1: none)")
    s.add_argument("--anomaly-start-day", type=int, default=0)
    s.add_argument("--user-prefix", default="u")
    s.add_argument("--output", help="events JSONL path")
    s.add_argument("--labels", help="labels JSONL path")
    s.add_argument("--kafka", action="store_true", help="publish to the input topic instead of writing files")
    s.add_argument("--rate", type=float, default=0.0, help="events per second when publishing (0 = as fast as possible)")
    s.add_argument("--invalid-rate", type=float, default=0.0, help="share of malformed messages mixed in when publishing")
    s.set_defaults(handler=_cmd_simulate)

    t = sub.add_parser("train", help="fit the model on a JSONL history")
    t.add_argument("--input", required=True)
    t.add_argument("--output", help="model directory (default: the model_dir setting)")
    t.add_argument("--alert-rate", type=float, help="share of training loan events that would alert (default 0.01)")
    t.set_defaults(handler=_cmd_train)

    sc = sub.add_parser("score", help="replay a JSONL file through parse -> features -> score")
    sc.add_argument("--model", help="model directory (default: the model_dir setting)")
    sc.add_argument("--input", required=True)
    sc.add_argument("--output", required=True)
    sc.add_argument("--history", help="events before the input (e.g. the training history): folded into the "
                    "states first and not written, so the input is scored as their continuation; input events "
                    "already in it are skipped")
    sc.add_argument("--alerts", help="also write the alerts sent, one JSON document per line, exactly as the worker "
                    "sends them to the alerts topic (docs/alert.schema.json)")
    sc.set_defaults(handler=_cmd_score)

    e = sub.add_parser("evaluate", help="detection quality of scores against labels")
    e.add_argument("--scores", required=True)
    e.add_argument("--labels", required=True)
    e.add_argument("--report", help="directory for a Markdown report with plots")
    e.add_argument("--events", help="the scored events JSONL: event times, alert rate per day, raw-field baseline")
    e.add_argument("--window-start", help="evaluate only events at or after this time (RFC 3339; needs --events)")
    e.add_argument("--entities", help="planted rings and innocent shared entities (JSONL, python -m stream.worlds "
                   "--rings --entities): adds entity-level ring quality; needs --events")
    e.add_argument("--json", action="store_true", help="also print one JSON object")
    e.set_defaults(handler=_cmd_evaluate)

    r = sub.add_parser("run", help="the demo: local broker, worker, simulator, live alerts, metrics")
    r.add_argument("--rate", type=float, default=150.0, help="simulated events per second")
    r.add_argument("--users", type=int, default=3000)
    r.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (0 = until Ctrl-C)")
    r.set_defaults(handler=_cmd_run)

    b = sub.add_parser("bench", help="throughput, latency, scorer and state-size benchmark (starts a private broker)")
    b.add_argument("--events", type=int, default=200_000, help="events pre-loaded for the throughput runs")
    b.add_argument("--users", type=int, default=20_000, help="simulated users in those events")
    b.add_argument("--latency-rate", type=float, default=2_000.0, help="events per second in the latency run")
    b.add_argument("--latency-seconds", type=float, default=60.0, help="length of the latency run")
    b.add_argument("--skip-latency", action="store_true", help="skip the latency run")
    b.add_argument("--restart-users", type=int, default=1_000_000,
                   help="users' states in the changelog when timing a worker's restart (memory and rocksdb stores)")
    b.add_argument("--skip-restart", action="store_true", help="skip the restart run")
    b.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    b.add_argument("--broker", dest="bench_broker", metavar="HOST:PORT",
                   help="reuse this running broker instead of starting a private one")
    b.add_argument("--smoke", action="store_true", help="tiny sizes (tests): 3,000 events, 500 users, 200 ev/s for 5 s")
    b.add_argument("--profile", metavar="PATH",
                   help="extra monitor pass under py-spy (needs py-spy): .svg flamegraph, .json speedscope, else raw")
    b.add_argument("--keep-logs", metavar="DIR", help="copy the child processes' logs here")
    b.set_defaults(handler=_cmd_bench)
    return parser


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """The command line, with two mistakes named: a secret given as a flag (refused without echoing
    its value, which argparse would print as an invalid command), and a setting given after the
    command (argparse said only "unrecognized arguments", an outside review)."""
    secrets = {_flag(name): ENV_PREFIX + name.upper() for name in SECRET_FIELDS}
    for arg in argv:
        flag = arg.split("=", 1)[0]
        if flag in secrets:
            parser.error(f"{flag} is a secret: set {secrets[flag]} in the environment instead "
                         "(a command line shows in `ps`)")
    args, unknown = parser.parse_known_args(argv)
    settings = {_flag(f.name) for f in dataclasses.fields(Settings)}
    misplaced = [u.split("=", 1)[0] for u in unknown if u.split("=", 1)[0] in settings]
    if misplaced:
        parser.error(f"{misplaced[0]} is a setting: give it before the command, "
                     f"e.g. riskmon {misplaced[0]} V {args.command} ...")
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = _parse(parser, list(sys.argv[1:] if argv is None else argv))
    overrides = {k[len("setting_"):]: v for k, v in vars(args).items() if k.startswith("setting_") and v is not None}
    try:
        settings = load_settings(**overrides)
    except ValueError as exc:
        parser.error(str(exc))
    configure_logging("DEBUG" if settings.log_level == "DEBUG" else "INFO" if args.verbose else settings.log_level)
    tune_gc()  # every command replays or streams many events (stream.gc_tuning)
    try:
        return args.handler(settings, args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the message is the product: say what failed and stop
        if args.verbose:
            raise
        log.error("%s failed: %s", args.command, exc)
        print(f"riskmon {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
