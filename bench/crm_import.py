"""`make import-bench`: time and peak memory of `python -m channel import` on a large CRM export.

Generates a Salesforce-style opportunity report (US dates, quoted "$12,345.00" amounts, "Closed
Won"/"Closed Lost" stages, a Partner Account column with 5% direct deals) of each size asked for,
imports it with ``--preset salesforce`` in a child process, and reports the child's wall time and
peak resident memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss``). The files are synthetic and live
in a temporary folder that is removed afterwards.

    python -m bench.crm_import [--rows 250000 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
STAGES = ["Closed Won", "Closed Won", "Closed Lost", "Prospecting", "Negotiation/Review"]
INDUSTRIES = ["Healthcare", "Manufacturing", "Technology", "Retail", "Financial Services"]


def write_export(path: Path, rows: int, seed: int = 7) -> None:
    """A Salesforce-style report of ``rows`` opportunities, written in one pass by Polars."""
    rng = np.random.default_rng(seed)
    partners = max(rows // 50, 10)
    start = dt.date(2023, 1, 1)
    close = rng.integers(0, 1400, rows)
    created = close - rng.integers(5, 200, rows)
    partner = rng.integers(0, partners, rows)
    direct = rng.random(rows) < 0.05
    epoch = (start - dt.date(1970, 1, 1)).days
    names = pl.Series([f"Partner {p:06d}" for p in partner])
    frame = pl.DataFrame(
        {
            "Opportunity ID": [f"006{i:012d}" for i in range(rows)],
            "Opportunity Name": [f"Deal {i}" for i in range(rows)],
            "Account Name": [f"Customer {i % 9973}" for i in range(rows)],
            "Partner Account": pl.select(pl.when(pl.Series(~direct)).then(names)).to_series(),
            "Amount": [f"${a:,.2f}" for a in rng.integers(100, 5_000_000, rows) / 100],
            "Amount Currency": ["USD"] * rows,
            "Close Date": pl.Series(close + epoch, dtype=pl.Int32).cast(pl.Date),
            "Created Date": pl.Series(created + epoch, dtype=pl.Int32).cast(pl.Date),
            "Stage": pl.Series(STAGES).gather(rng.integers(0, len(STAGES), rows)),
            "Opportunity Owner": [f"Owner {p % 97}" for p in partner],
            "Industry": pl.Series(INDUSTRIES).gather(rng.integers(0, len(INDUSTRIES), rows)),
            "Type": ["New Business"] * rows,
        }
    )
    us = [  # 3/5/2025: month and day without leading zeros, as Salesforce writes them
        pl.format("{}/{}/{}", pl.col(c).dt.month(), pl.col(c).dt.day(), pl.col(c).dt.year()).alias(
            c
        )
        for c in ("Close Date", "Created Date")
    ]
    frame = frame.with_columns(us)
    frame.write_csv(path, quote_style="necessary")


def run_import(source: Path, db: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the import's own process in MB (``os.wait4`` gives that one
    child's usage; RUSAGE_CHILDREN would be the largest of all children), and its summary."""
    command = [
        sys.executable,
        "-m",
        "channel",
        "import",
        str(source),
        "--preset",
        "salesforce",
        "--db",
        str(db),
        "--data-as-of",
        "2026-11-30",
    ]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"import failed:\n{err.read()[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[250_000, 1_000_000])
    p.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    p.add_argument("--write-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.write_only is not None:
        write_export(args.write_only, args.rows[0])
        return 0
    folder = args.keep or Path(tempfile.mkdtemp(prefix="crm-import-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'rows':>10}  {'CSV MB':>7}  {'import s':>8}  {'peak RSS MB':>11}")
    try:
        for rows in sorted(args.rows):
            source = folder / f"opportunities-{rows}.csv"
            # written by a child process, so that this one stays small: a child's peak RSS
            # counts the pages of the process it was forked from
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.crm_import",
                    "--rows",
                    str(rows),
                    "--write-only",
                    str(source),
                ],
                cwd=ROOT,
                check=True,
            )
            seconds, peak, summary = run_import(source, folder / f"crm-{rows}.duckdb")
            size = source.stat().st_size / 1e6
            print(f"{rows:>10,}  {size:>7.0f}  {seconds:>8.1f}  {peak:>11,.0f}", flush=True)
            last = summary
        print("\nlast summary:\n" + last)
    finally:
        if args.keep is None:
            for f in folder.iterdir():
                f.unlink()
            os.rmdir(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
