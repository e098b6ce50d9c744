"""``python -m channel``: load, demo, export scorecard, templates.

Every command prints a clear one-paragraph error and exits non-zero on bad input; none prints a
traceback for a user's mistake.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

from channel.filters import FILTERS
from channel.settings import SettingsError, db_path, load_settings


class UsageError(Exception):
    pass


def _progress(start: float):
    def say(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr, flush=True)

    return say


def parse_day(flag: str, text: str | None):
    """A ``YYYY-MM-DD`` option as a date (None stays None); a UsageError naming the flag."""
    import datetime as dt
    import re

    if text is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError(text)
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{flag}: {text!r} is not a date written YYYY-MM-DD (for example 2026-11-15)"
        ) from None


def cmd_load(args: argparse.Namespace) -> int:
    from channel.loader import load

    settings = load_settings(args.settings)
    summary = load(
        args.source,
        args.db,
        settings,
        progress=_progress(time.perf_counter()),
        data_as_of=parse_day("--data-as-of", args.data_as_of),
    )
    print(summary.report())
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from channel.ingest import importer
    from channel.ingest.mapping import load_mapping

    if args.suggest:
        from channel.ingest import suggest

        if args.mapping or args.preset or args.dry_run:
            raise UsageError(
                "--suggest writes a first mapping; use it without --mapping, --preset or --dry-run"
            )
        print(suggest.suggest(args.source), end="")
        return 0
    if args.mapping is None and args.preset is None:
        raise UsageError(
            "say how the columns map: --mapping FILE, --preset NAME, or both (the file's keys "
            "override the preset's). Start one with --suggest > mapping.toml"
        )
    mapping = load_mapping(args.mapping, args.preset)
    settings = load_settings(args.settings)
    summary = importer.import_sources(
        args.source,
        mapping,
        args.db,
        settings,
        progress=_progress(time.perf_counter()),
        data_as_of=parse_day("--data-as-of", args.data_as_of),
        dry_run=args.dry_run,
    )
    print(summary.report())
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    import json

    from channel import forecast
    from channel.runner import database

    database(args.db)  # a missing or outdated database is refused with the usual message
    if args.nowcast:
        return _backtest_nowcast(args)
    if args.share is not None:
        raise UsageError("--share goes with --nowcast")
    frame = forecast.features(args.db)
    try:
        result = forecast.backtest(frame, args.holdout, progress=_progress(time.perf_counter()))
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.json:
        out = {
            "held_out_quarters": result.quarters,
            "scores": result.table.to_dicts(),
            "reliability_logistic": result.reliability("logistic").to_dicts(),
            "early_warning_logistic": dict(
                zip(
                    ("ok_rows", "top_decile_precision", "ok_miss_rate"),
                    result.early_warning("logistic"),
                    strict=True,
                )
            ),
        }
        print(json.dumps(out, indent=2))
    else:
        print(forecast.report(result))
    return 0


def _backtest_nowcast(args: argparse.Namespace) -> int:
    """``backtest --nowcast``: the in-progress quarter's nowcast, scored on past quarters read
    at the same share elapsed (channel/nowcast.py)."""
    import json

    from channel import nowcast

    share = nowcast.default_share(args.db) if args.share is None else args.share
    if not 0 < share <= 1:
        raise UsageError(f"--share {share}: give the share of the quarter elapsed, in (0, 1]")
    try:
        result = nowcast.backtest(
            args.db, share, args.holdout, progress=_progress(time.perf_counter())
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.json:
        out = {
            "share": result.share,
            "held_out_quarters": result.quarters,
            "scores": result.table.to_dicts(),
            "reliability_logistic": result.reliability("logistic").to_dicts(),
        }
        print(json.dumps(out, indent=2))
    else:
        print(nowcast.report(result))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from channel import demo
    from channel.fiscal import parse_quarter
    from channel.loader import load

    settings = load_settings(args.settings)
    if args.end_quarter is not None:
        try:
            parse_quarter(args.end_quarter)
        except ValueError as e:
            raise UsageError(f"--end-quarter: {e}") from None
    data_as_of = parse_day("--data-as-of", args.data_as_of)
    if data_as_of is not None and args.end_quarter is not None:
        raise UsageError("give --end-quarter or --data-as-of, not both")
    if args.partners < 1 or args.quarters < 1:
        raise UsageError("--partners and --quarters must be at least 1")
    say = _progress(time.perf_counter())
    with tempfile.TemporaryDirectory(prefix="channel-demo-") as tmp:
        say(
            f"generating {args.partners:,} partners x {args.quarters} complete quarters"
            f" (seed {args.seed})"
        )
        as_of = demo.generate(
            Path(tmp),
            partners=args.partners,
            quarters=args.quarters,
            end_quarter=args.end_quarter,
            seed=args.seed,
            fiscal_year_start_month=settings.fiscal_year_start_month,
            progress=say,
            data_as_of=data_as_of,
        )
        summary = load(
            tmp, args.db, settings, progress=say, data_as_of=as_of, data_as_of_source="demo"
        )
    print(summary.report())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from channel.access import viewer_for_email
    from channel.runner import run

    db = args.db
    grid = run("as_of_quarters", db=db)
    quarters = grid.filter(grid["is_pickable"])["fiscal_quarter"].to_list()
    planned = grid.filter(~grid["is_pickable"])["fiscal_quarter"].to_list()
    if args.as_of is not None and args.as_of in planned:
        data_as_of = run("data_freshness", db=db)["data_as_of"][0]
        raise UsageError(
            f"--as-of {args.as_of!r} is a planned quarter: it starts after the data's date "
            f"{data_as_of.isoformat()}, so nobody has hit or missed it yet. Pick one of "
            f"{', '.join(quarters[:4])} …"
        )
    if args.as_of is not None and args.as_of not in quarters:
        shown = ", ".join(quarters[:12]) + (" …" if len(quarters) > 12 else "")
        raise UsageError(f"--as-of {args.as_of!r} is not a quarter in the database ({shown})")
    viewer = viewer_for_email(args.viewer)
    if not viewer.allowed:
        raise UsageError(
            f"--viewer {args.viewer!r} is neither under leadership nor under partner_managers in "
            "the [access] settings"
        )
    options = run("filter_options", db=db, scope=viewer.scope)
    params: dict[str, object] = {"as_of": args.as_of, "scope": viewer.scope}
    for name in FILTERS:
        chosen = getattr(args, name)
        if chosen:
            known = options.filter(options["filter"] == name)["value"].to_list()
            unknown = [v for v in chosen if v not in known]
            if unknown:
                flag = "--" + name.replace("_", "-")
                raise UsageError(
                    f"{flag}: unknown value {unknown[0]!r}; known values: {', '.join(known)}"
                )
        params[name] = chosen or None
    frame = run(args.what, db=db, **params)
    out = args.output
    if args.format == "csv":
        if out is None:
            sys.stdout.write(frame.write_csv())
        else:
            frame.write_csv(out)
    elif args.format == "parquet":
        if out is None:
            buffer = io.BytesIO()
            frame.write_parquet(buffer)
            sys.stdout.buffer.write(buffer.getvalue())
        else:
            frame.write_parquet(out)
    else:
        target = out if out is not None else io.BytesIO()
        frame.write_excel(target, worksheet=args.what, autofit=True)
        if out is None:
            sys.stdout.buffer.write(target.getvalue())
    if out is not None:
        print(f"wrote {frame.height:,} rows to {out}", file=sys.stderr)
    return 0


def cmd_export_parquet(args: argparse.Namespace) -> int:
    from channel.parquet_store import export
    from channel.runner import database

    database(args.db).identity()  # a clear error when the database is missing
    rows = export(args.db, args.folder)
    print(f"wrote {len(rows)} tables ({sum(rows.values()):,} rows) to {args.folder}")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    from channel.contract import TABLES

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        path = folder / f"{table.name}.csv"
        header = ",".join(c.name for c in table.columns)
        example = ",".join(_csv_cell(c.example) for c in table.columns)
        path.write_text(f"{header}\n{example}\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


def _csv_cell(value: str) -> str:
    return f'"{value}"' if "," in value else value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m channel", description="Channel Lens: load CRM exports, export scorecards."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db",
            type=Path,
            default=db_path(),
            help="database file (default: $CHANNEL_DB or %(default)s)",
        )

    def settings_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--settings",
            type=Path,
            default=None,
            help="settings TOML (default: $CHANNEL_SETTINGS or channel.toml)",
        )

    p = sub.add_parser("load", help="validate a folder of contract files and rebuild the database")
    p.add_argument(
        "source", type=Path, help="folder with partners, targets, deals (.csv or .parquet) …"
    )
    p.add_argument(
        "--data-as-of",
        metavar="YYYY-MM-DD",
        default=None,
        help="the date the data describes (default: data_as_of in the settings, else the latest "
        "deal date, at most today): quarters ending by then are complete, the one containing it "
        "is in progress, later ones are planned",
    )
    db_option(p)
    settings_option(p)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser(
        "import",
        help="import CRM exports (CSV, XLSX, Parquet) through a column mapping",
        description="Map CRM exports onto the import contract, then validate and load them "
        "like `load` (nothing changes unless everything is valid). Start with --suggest.",
    )
    p.add_argument(
        "source",
        nargs="+",
        metavar="SOURCE",
        help="CSV, XLSX (first sheet, or FILE.xlsx#Sheet) or Parquet files",
    )
    p.add_argument("--mapping", type=Path, default=None, help="mapping TOML")
    p.add_argument(
        "--preset",
        default=None,
        metavar="NAME",
        help="a built-in mapping: salesforce or hubspot (with --mapping: overrides on top)",
    )
    p.add_argument(
        "--suggest",
        action="store_true",
        help="print a first mapping guessed from the headers and values; loads nothing",
    )
    p.add_argument("--dry-run", action="store_true", help="validate and summarise; write nothing")
    p.add_argument(
        "--data-as-of",
        metavar="YYYY-MM-DD",
        default=None,
        help="the date the data describes (default: as for load)",
    )
    db_option(p)
    settings_option(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "backtest",
        help="score the miss forecast on held-out quarters against simple baselines",
        description="Rolling origin: for each of the last HOLDOUT quarters with an outcome, fit "
        "on the outcomes known before it and score it (AUC, Brier, log loss, calibration, "
        "top-decile precision), for the models and the baselines.",
    )
    p.add_argument("--holdout", type=int, default=6, help="held-out quarters (default: 6)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument(
        "--nowcast",
        action="store_true",
        help="score the nowcast instead: will the quarter in progress end missed, from what was "
        "known at --share of past quarters",
    )
    p.add_argument(
        "--share",
        type=float,
        default=None,
        help="with --nowcast: the share of the quarter elapsed, in (0, 1] (default: the "
        "in-progress quarter's, else 0.5)",
    )
    db_option(p)
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("demo", help="generate realistic demo data and load it")
    p.add_argument("--partners", type=int, default=2000)
    p.add_argument(
        "--quarters",
        type=int,
        default=12,
        help="complete quarters of history (default: %(default)s); the quarter in progress on "
        "the data's date comes on top",
    )
    p.add_argument(
        "--data-as-of",
        metavar="YYYY-MM-DD",
        default=None,
        help="the date the data describes: its quarter is in progress (complete on its last "
        "day), targets cover its whole fiscal year (default: today)",
    )
    p.add_argument(
        "--end-quarter",
        metavar="YYYY-Qn",
        default=None,
        help="instead, complete quarters ending at this one, as of its last day, with targets "
        "up to it",
    )
    p.add_argument("--seed", type=int, default=7)
    db_option(p)
    settings_option(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("export", help="export a table, e.g. the partner scorecard")
    p.add_argument("what", choices=["scorecard"])
    db_option(p)
    p.add_argument(
        "--as-of",
        default=None,
        help="YYYY-Qn, a complete quarter or the one in progress (default: the latest complete "
        "quarter with targets)",
    )
    for name in FILTERS:
        p.add_argument(
            "--" + name.replace("_", "-"),
            action="append",
            default=[],
            metavar=name.upper(),
            help="repeat for several values (any of them)",
        )
    p.add_argument(
        "--viewer",
        metavar="EMAIL",
        default=None,
        help="export only what this address may see under the [access] settings (a partner "
        "manager gets their own partners); default: every partner",
    )
    p.add_argument("--format", choices=["csv", "parquet", "xlsx"], default="csv")
    p.add_argument("-o", "--output", type=Path, default=None, help="file (default: stdout)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "export-parquet",
        help="write every table as Parquet (partitioned by fiscal quarter) for CHANNEL_DB=FOLDER",
    )
    p.add_argument("folder", type=Path)
    db_option(p)
    p.set_defaults(func=cmd_export_parquet)

    p = sub.add_parser("templates", help="write an example CSV per contract file")
    p.add_argument("folder", nargs="?", default="data/templates")
    p.set_defaults(func=cmd_templates)
    return parser


def main(argv: list[str] | None = None) -> int:
    from channel.ingest.mapping import MappingError
    from channel.ingest.readers import SourceError
    from channel.loader import LoadError
    from channel.runner import DatabaseError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LoadError as e:
        print(e.report(), file=sys.stderr)
        return 1
    except (MappingError, SourceError) as e:
        print(str(e), file=sys.stderr)
        return 1
    except (DatabaseError, SettingsError, UsageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2 if isinstance(e, UsageError) else 1
    except BrokenPipeError:
        return 0
