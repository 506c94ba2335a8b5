"""Command line: parses arguments and calls the library, nothing more."""

from __future__ import annotations

import argparse
import os
import sys

import duckdb

from generator.scenario import ScenarioError, load_scenario
from generator.simulate import generate

DEFAULT_SCENARIO = "scenarios/study_assistant.yml"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator", description="Proving Ground's product-data simulator."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="simulate a scenario into a DuckDB warehouse")
    gen.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML file")
    gen.add_argument("--users", type=int, help="override the scenario's number of users")
    gen.add_argument("--seed", type=int, default=42, help="seed of every random stream")
    gen.add_argument(
        "--db",
        default=os.environ.get("DUCKDB_PATH", "warehouse.duckdb"),
        help="DuckDB file to write (default: $DUCKDB_PATH or warehouse.duckdb)",
    )
    gen.add_argument("--workers", type=int, default=1, help="worker processes")
    gen.add_argument("--parquet", metavar="DIR", help="also export raw tables as Parquet")
    gen.add_argument("--quiet", action="store_true", help="no progress bars")
    sub.add_parser("validate", help="only validate a scenario").add_argument(
        "--scenario", default=DEFAULT_SCENARIO
    )
    exp = sub.add_parser(
        "expect", help="check a warehouse's raw tables against the scenario (Great Expectations)"
    )
    exp.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario YAML file")
    exp.add_argument("--users", type=int, help="the user count the warehouse was made with")
    exp.add_argument("--db", default=os.environ.get("DUCKDB_PATH", "warehouse.duckdb"))
    rep = sub.add_parser("report", help="write the HTML report over a built warehouse's marts")
    rep.add_argument("--db", default=os.environ.get("DUCKDB_PATH", "warehouse.duckdb"))
    rep.add_argument("--out", default="target/report.html", help="HTML file to write")
    rep.add_argument("--sql-dir", default="reports", help="folder of the report's queries")
    return parser


def _expect(scenario, db: str) -> int:
    from generator.expectations import run  # noqa: PLC0415

    if not os.path.exists(db):
        print(f"error: {db}: no such warehouse (make build writes one)", file=sys.stderr)
        return 2
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


def _report(args: argparse.Namespace) -> int:
    from generator.report import ReportError, build_report  # noqa: PLC0415

    try:
        summary = build_report(args.db, args.out, args.sql_dir)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary.lines():
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "report":
        return _report(args)
    try:
        scenario = load_scenario(args.scenario, users=getattr(args, "users", None))
        if args.command == "validate":
            print(f"{args.scenario}: ok ({scenario.name}, {scenario.users:,} users)")
            return 0
        if args.command == "expect":
            return _expect(scenario, args.db)
        if args.workers < 1:
            raise ScenarioError(f"--workers: must be at least 1 (got {args.workers})")
        if args.seed < 0:
            raise ScenarioError(f"--seed: must not be negative (got {args.seed})")
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = generate(
            scenario,
            seed=args.seed,
            db_path=args.db,
            workers=args.workers,
            parquet_dir=args.parquet,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        print(f"interrupted: {args.db} left as it was", file=sys.stderr)
        return 130
    except (OSError, duckdb.Error) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {reason} ({args.db} left as it was)", file=sys.stderr)
        return 1
    for line in summary.lines():
        print(line)
    return 0
