"""Command line: parses arguments and calls the library, nothing more."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import sys
from collections.abc import Callable
from typing import NoReturn

import duckdb

from generator.outputs import OutputError, stopped_by_signals
from generator.params import Override, load, overrides_table, parse_set, read_params
from generator.scenario import ScenarioError
from generator.simulate import append_days, generate

DEFAULT_SCENARIO = "scenarios/study_assistant.yml"
MAX_WORKERS = 2 * (os.cpu_count() or 1)
EXPORT_FORMATS = ("parquet", "csv", "json")  # more only wait for the one writer


class _Parser(argparse.ArgumentParser):
    """A bad command line is one line and exit status 2, like any bad input."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m generator", description="Proving Ground's product-data simulator."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="simulate a scenario into a DuckDB warehouse")
    gen.add_argument("--scenario", help=f"scenario YAML file (default: {DEFAULT_SCENARIO})")
    gen.add_argument("--users", type=int, help="override the scenario's number of users")
    gen.add_argument("--seed", type=int, help="seed of every random stream (default: 42)")
    gen.add_argument(
        "--db",
        default=os.environ.get("DUCKDB_PATH", "warehouse.duckdb"),
        help="DuckDB file to write (default: $DUCKDB_PATH or warehouse.duckdb)",
    )
    gen.add_argument("--workers", type=int, default=1, help="worker processes")
    gen.add_argument(
        "--export",
        nargs=2,
        metavar=("FORMAT", "DIR"),
        help=f"also write every raw table into DIR as {', '.join(EXPORT_FORMATS)}",
    )
    gen.add_argument("--parquet", metavar="DIR", help="the same as --export parquet DIR")
    gen.add_argument("--quiet", action="store_true", help="no progress bars")
    gen.add_argument(
        "--lake",
        metavar="DIR",
        help="write the world as Parquet files into DIR (one per table and shard) "
        "instead of a DuckDB warehouse",
    )
    gen.add_argument(
        "--spark",
        metavar="MASTER",
        nargs="?",
        const="local",
        help="with --lake: run the shards as Spark tasks (MASTER: a cluster's URL; "
        "default local[WORKERS])",
    )
    gen.add_argument(
        "--through",
        metavar="YYYY-MM-DD",
        type=_day,
        help="write only the raw rows that arrived by the end of this day",
    )
    gen.add_argument(
        "--append-days",
        metavar="N",
        type=int,
        help="add the next N days' arrivals to a warehouse written with --through "
        "(its scenario, seed and size come from the warehouse)",
    )
    _overrides(gen)
    val = sub.add_parser("validate", help="only validate a scenario")
    val.add_argument("--scenario", default=DEFAULT_SCENARIO)
    _overrides(val)
    exp = sub.add_parser(
        "expect", help="check a warehouse's raw tables against the scenario (Great Expectations)"
    )
    exp.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML file")
    exp.add_argument("--users", type=int, help="the user count the warehouse was made with")
    exp.add_argument("--db", default=os.environ.get("DUCKDB_PATH", "warehouse.duckdb"))
    _overrides(exp)
    rep = sub.add_parser("report", help="write the HTML report over a built warehouse's marts")
    rep.add_argument("--db", default=os.environ.get("DUCKDB_PATH", "warehouse.duckdb"))
    rep.add_argument("--out", default="target/report.html", help="HTML file to write")
    rep.add_argument("--sql-dir", default="reports", help="folder of the report's queries")
    ask = sub.add_parser("ask", help="answer a question in words from the closest template")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--db", default=os.environ.get("DUCKDB_PATH", "warehouse.duckdb"))
    ask.add_argument("--rows", type=int, default=20, help="rows to print")
    dek = sub.add_parser("deck", help="write the executive deck (PowerPoint) over the marts")
    dek.add_argument("--db", default=os.environ.get("DUCKDB_PATH", "warehouse.duckdb"))
    dek.add_argument("--out", default="target/deck.pptx", help=".pptx file to write")
    das = sub.add_parser("dashboard", help="serve the dashboard over a built warehouse")
    das.add_argument("--db", default=os.environ.get("DUCKDB_PATH", "warehouse.duckdb"))
    das.add_argument("--port", type=int, default=8501, help="port on 127.0.0.1")
    fit = sub.add_parser("fit", help="fit a scenario from an event log (CSV or Parquet)")
    fit.add_argument("--events", required=True, help="event log: user id, time, event name")
    fit.add_argument("--users", help="users file: user id, signup time, attributes")
    fit.add_argument("--out", required=True, help="scenario YAML file to write")
    fit.add_argument("--name", help="the world's name (default: the file's name)")
    fit.add_argument("--currency", help="ISO 4217 code when the log's amounts are money")
    fit.add_argument("--seed", type=int, default=42, help="seed of the segment search")
    fid = sub.add_parser("fidelity", help="compare a fitted world with the log it was fitted from")
    fid.add_argument("--source", required=True, help="the event log the world was fitted from")
    fid.add_argument("--source-users", help="the log's users file, if it has one")
    fid.add_argument("--world", required=True, help="the fitted world's DuckDB warehouse")
    fid.add_argument("--out", default="target/fidelity.html", help="HTML page to write")
    wif = sub.add_parser(
        "whatif", help="run a product change as an experiment arm and print its effect"
    )
    wif.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML file")
    wif.add_argument("--change", required=True, help="change YAML file")
    wif.add_argument("--users", type=int, help="override the scenario's number of users")
    wif.add_argument("--seed", type=int, default=42, help="seed of every random stream")
    wif.add_argument("--workers", type=int, default=2, help="worker processes")
    wif.add_argument("--db", default="target/whatif.duckdb", help="DuckDB file to write")
    wif.add_argument("--quiet", action="store_true", help="no progress bars")
    cal = sub.add_parser(
        "calibrate", help="judge the recovery tests' statistics over many seeds of a world"
    )
    cal.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML file")
    cal.add_argument("--users", type=int, help="override the scenario's number of users")
    cal.add_argument("--seeds", type=int, default=30, help="worlds to build: seeds 1..N")
    cal.add_argument("--first-seed", type=int, default=1, help="the first seed")
    cal.add_argument("--workers", type=int, default=2, help="worker processes per world")
    cal.add_argument("--dir", default="target/calibration", help="folder to write into")
    _overrides(cal)
    return parser


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day as YYYY-MM-DD: {text!r}") from None


def _overrides(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--params",
        metavar="FILE.csv",
        help="override scenario numbers: a CSV of parameter paths and values",
    )
    command.add_argument(
        "--set",
        metavar="PATH=VALUE",
        action="append",
        default=[],
        help="override one scenario number (after --params; may be repeated)",
    )


def _read_overrides(args: argparse.Namespace) -> list[Override]:
    given = read_params(args.params) if args.params else []
    return given + [parse_set(item) for item in args.set]


def _calibrate(args: argparse.Namespace, scenario) -> int:
    from pathlib import Path  # noqa: PLC0415

    from generator.calibration import CalibrationError, calibrate  # noqa: PLC0415

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    try:
        result = calibrate(scenario, seeds, Path(args.dir), Path.cwd(), workers=args.workers)
    except CalibrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in result.lines:
        print(line)
    if not result.ok:
        print("calibration is off: see the rows marked above", file=sys.stderr)
        return 1
    return 0


def _expect(scenario, db: str) -> int:
    from generator.expectations import run  # noqa: PLC0415

    outcomes = run(scenario, db)
    for o in outcomes:
        mark = "ok  " if o.success else "FAIL"
        observed = str(o.observed)
        print(
            f"{mark} {o.frame:<18} {o.expectation:<38} {o.column:<30} {observed:<12} {o.expected}"
        )
    failed = sum(not o.success for o in outcomes)
    print(f"{len(outcomes) - failed} of {len(outcomes)} expectations met on {db}")
    return 1 if failed else 0


def _lines_or_error(make: Callable[[], list[str]], errors: type[Exception]) -> int:
    """Print what a command made, or its error in one line (exit 2)."""
    try:
        lines = make()
    except errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


def _report(args: argparse.Namespace) -> int:
    from generator.report import ReportError, build_report  # noqa: PLC0415

    return _lines_or_error(
        lambda: build_report(args.db, args.out, args.sql_dir).lines(), ReportError
    )


def _deck(args: argparse.Namespace) -> int:
    from generator.deck import DeckError, build_deck  # noqa: PLC0415

    return _lines_or_error(lambda: build_deck(args.db, args.out).lines(), DeckError)


def _ask(args: argparse.Namespace) -> int:
    from generator.ask import AskError, ask  # noqa: PLC0415

    return _lines_or_error(lambda: ask(args.question, args.db).lines(args.rows), AskError)


def _fit(args: argparse.Namespace) -> int:
    from pathlib import Path  # noqa: PLC0415

    from generator.fit import LogError, fit_world, read_log, write_scenario  # noqa: PLC0415
    from generator.fit.log import scenario_names  # noqa: PLC0415
    from generator.scenario import parse_scenario  # noqa: PLC0415

    name = args.name or scenario_names([Path(args.out).stem])[0]
    try:
        log = read_log(args.events, args.users)
        fitted = fit_world(log, name, seed=args.seed, currency=args.currency)
        parse_scenario(fitted.scenario)
        write_scenario(fitted, args.out)
    except LogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in fitted.lines():
        print(line)
    print(f"wrote {args.out}")
    return 0


def _fidelity(args: argparse.Namespace) -> int:
    from generator.fit import LogError, read_log  # noqa: PLC0415
    from generator.fit.fidelity import compare, write_page  # noqa: PLC0415

    try:
        if not args.world.endswith(".duckdb"):
            raise LogError(f"{args.world}: --world takes a DuckDB warehouse (.duckdb)")
        source = read_log(args.source, args.source_users)
        world = read_log(args.world)
        result = compare(source, world)
        write_page(result, args.out)
    except LogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in result.lines():
        print(line)
    print(f"wrote {args.out}")
    return 0


def _whatif(args: argparse.Namespace) -> int:
    from generator.whatif import compose, predictions  # noqa: PLC0415

    scenario, change = compose(args.scenario, args.change, args.users)
    args.export = args.parquet = args.lake = args.spark = args.through = None
    status = _generate(args, scenario, [])
    if status:
        return status
    exp = scenario.experiments[change.name]
    print(
        f"{change.name}: {exp.variants['changed']:.0%} of users exposed {exp.start}..{exp.end} "
        f"walk the changed product; goal '{change.goal}'"
    )
    print(f"{'predicted (truth, exact)':<44} {'control':>9} {'changed':>9} {'change':>9}")
    for p in predictions(args.db, change.name):
        print(f"{p.metric:<44} {p.control:>9.4f} {p.changed:>9.4f} {p.relative:>+9.1%}")
    print(
        f"measured: DUCKDB_PATH={args.db} dbt build, then fct_experiment_results "
        f"where experiment_key = '{change.name}' (each lift with its 95% CI)"
    )
    return 0


def _check_arguments(args: argparse.Namespace) -> None:
    """Command-line values the scenario does not cover."""
    if getattr(args, "db", None) == "":
        raise ScenarioError("--db: an empty path")
    if getattr(args, "scenario", None) == "":
        raise ScenarioError("--scenario: an empty path")
    if args.command == "fidelity":
        return
    if args.command == "fit":
        if args.currency is not None and not re.fullmatch(r"[A-Z]{3}", args.currency):
            raise ScenarioError(f"--currency: an ISO 4217 code like USD (got {args.currency!r})")
        return
    if getattr(args, "users", None) is not None and args.users < 1:
        raise ScenarioError(f"--users: must be at least 1 (got {args.users})")
    if args.command == "calibrate":
        if args.seeds < 3:
            raise ScenarioError(
                f"--seeds: at least 3 are needed to judge a spread (got {args.seeds})"
            )
        if not 0 <= args.first_seed < 2**63 - args.seeds:
            raise ScenarioError(
                f"--first-seed: must be between 0 and 2^63 - 1 - seeds (got {args.first_seed})"
            )
    if args.command not in ("generate", "calibrate", "whatif"):
        return
    if not 1 <= args.workers <= MAX_WORKERS:
        raise ScenarioError(
            f"--workers: must be between 1 and {MAX_WORKERS} on this machine (got {args.workers})"
        )
    if args.command == "calibrate":
        return
    if args.command == "generate":
        _check_lake(args)
        _check_days(args)
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ScenarioError(f"--seed: must be between 0 and 2^63 - 1 (got {args.seed})")
    if args.command == "whatif":
        return
    if args.parquet == "":
        raise ScenarioError("--parquet: an empty path")
    if args.parquet is not None and args.export is not None:
        raise ScenarioError("--parquet: give it or --export, not both")
    if args.export is not None:
        fmt, folder = args.export
        if fmt not in EXPORT_FORMATS:
            raise ScenarioError(
                f"--export: format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}"
            )
        if folder == "":
            raise ScenarioError("--export: an empty path")


def _check_lake(args: argparse.Namespace) -> None:
    """--lake writes files instead of a warehouse: nothing to export, grow or append."""
    if args.spark is not None and args.lake is None:
        raise ScenarioError("--spark: give --lake DIR too (Spark writes a lake of files)")
    if args.lake is None:
        return
    if args.lake == "":
        raise ScenarioError("--lake: an empty path")
    for flag, value in (
        ("--export", args.export),
        ("--parquet", args.parquet),
        ("--through", args.through),
        ("--append-days", args.append_days),
    ):
        if value is not None:
            raise ScenarioError(f"--lake: give it or {flag}, not both")
    if args.spark == "local":
        args.spark = f"local[{args.workers}]"


def _check_days(args: argparse.Namespace) -> None:
    """--append-days takes the world from the warehouse; --through needs a day inside it."""
    if args.append_days is None:
        args.scenario = args.scenario or DEFAULT_SCENARIO
        args.seed = 42 if args.seed is None else args.seed
        return
    given = {
        "--scenario": args.scenario,
        "--users": args.users,
        "--seed": args.seed,
        "--params": args.params,
        "--set": args.set or None,
        "--through": args.through,
        "--export": args.export,
        "--parquet": args.parquet,
    }
    clash = next((flag for flag, value in given.items() if value is not None), None)
    if clash is not None:
        raise ScenarioError(
            f"--append-days: drop {clash}; the world's scenario, seed and size come from "
            "the warehouse, and only a new warehouse is exported"
        )
    if args.append_days < 1:
        raise ScenarioError(f"--append-days: must be at least 1 (got {args.append_days})")


def _lake(args: argparse.Namespace, scenario, overrides):
    if args.spark is not None:
        from generator.spark import generate_on_spark  # noqa: PLC0415 (pyspark: when asked)

        return generate_on_spark(
            scenario, args.seed, args.lake, args.spark, not args.quiet, overrides
        )
    from generator.lake import generate_lake  # noqa: PLC0415

    return generate_lake(scenario, args.seed, args.lake, args.workers, not args.quiet, overrides)


def _generate(args: argparse.Namespace, scenario, overrides: list[Override]) -> int:
    fmt, folder = args.export if args.export else ("parquet", args.parquet)
    if scenario is not None and args.through is not None:
        if not scenario.start <= args.through <= scenario.end:
            print(
                f"error: --through: {args.through} is outside the world "
                f"({scenario.start} to {scenario.end})",
                file=sys.stderr,
            )
            return 2
    target = args.lake if args.lake is not None else args.db
    with stopped_by_signals() as stop:
        try:
            if scenario is None:
                summary = append_days(args.db, args.append_days, args.workers, not args.quiet)
            elif args.lake is not None:
                summary = _lake(args, scenario, overrides_table(args.scenario, overrides))
            else:
                summary = generate(
                    scenario,
                    seed=args.seed,
                    db_path=args.db,
                    workers=args.workers,
                    export_dir=folder,
                    progress=not args.quiet,
                    scenario_path=args.scenario,
                    export_format=fmt,
                    overrides=overrides_table(args.scenario, overrides),
                    through=args.through,
                )
        except OutputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except BaseException as exc:
            if stop.signum or isinstance(exc, KeyboardInterrupt):
                signum = stop.signum or signal.SIGINT
                name = signal.Signals(signum).name
                print(f"interrupted ({name}): {target} left as it was", file=sys.stderr)
                return 128 + signum
            if not isinstance(exc, (OSError, duckdb.Error, MemoryError)):
                raise
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"error: {reason} ({target} left as it was)", file=sys.stderr)
            return 1
    for line in summary.lines():
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _check_arguments(args)
        if args.command == "report":
            return _report(args)
        if args.command == "deck":
            return _deck(args)
        if args.command == "ask":
            return _ask(args)
        if args.command == "dashboard":
            from generator.dashboard import serve  # noqa: PLC0415

            return serve(args.db, args.port)
        if args.command == "fit":
            return _fit(args)
        if args.command == "fidelity":
            return _fidelity(args)
        if args.command == "whatif":
            return _whatif(args)
        if args.command == "generate" and args.append_days is not None:
            return _generate(args, None, [])
        overrides = _read_overrides(args)
        scenario = load(args.scenario, getattr(args, "users", None), overrides)
        if args.command == "validate":
            actors = "".join(
                f", {spec.count:,} {kind} actors" for kind, spec in scenario.actors.items()
            )
            print(f"{args.scenario}: ok ({scenario.name}, {scenario.users:,} users{actors})")
            return 0
        if args.command == "expect":
            return _expect(scenario, args.db)
        if args.command == "calibrate":
            return _calibrate(args, scenario)
    except (ScenarioError, OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _generate(args, scenario, overrides)
