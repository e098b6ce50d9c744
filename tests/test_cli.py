"""``python -m channel``: export formats, filters, and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from channel.cli import main
from channel.runner import run
from tests.helpers import NO_FILTERS
from tests.helpers import SCORECARD_COLUMNS as COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def test_export_csv_to_stdout_is_the_dashboard_query(tiny_db, capsys):
    assert main(["export", "scorecard", "--db", str(tiny_db)]) == 0
    out = capsys.readouterr().out
    exported = pl.read_csv(out.encode(), infer_schema_length=None)
    assert exported.columns == COLUMNS
    same = run("scorecard", db=tiny_db, as_of=None, **NO_FILTERS)
    assert exported["partner_id"].to_list() == same["partner_id"].to_list()
    p08 = exported.filter(pl.col("partner_id") == "P08").row(0, named=True)
    assert p08["attainment"] is None and p08["alignment_score"] is None  # empty = unknown


def test_export_filters_repeat_as_any_of(tiny_db, capsys):
    args = ["export", "scorecard", "--db", str(tiny_db), "--as-of", "2025-Q4"]
    assert main([*args, "--segment", "SMB", "--segment", "Midmarket", "--region", "North"]) == 0
    exported = pl.read_csv(capsys.readouterr().out.encode())
    assert sorted(exported["partner_id"].to_list()) == ["P01", "P10"]


@pytest.mark.parametrize("fmt", ["parquet", "xlsx", "csv"])
def test_export_formats_to_file(tiny_db, tmp_path, fmt):
    out = tmp_path / f"scorecard.{fmt}"
    assert main(["export", "scorecard", "--db", str(tiny_db), "--format", fmt, "-o", str(out)]) == 0
    reader = {"parquet": pl.read_parquet, "xlsx": pl.read_excel, "csv": pl.read_csv}[fmt]
    frame = reader(out)
    assert frame.columns == COLUMNS and frame.height == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2025-Q9"], "--as-of '2025-Q9' is not a quarter in the database"),
        (["--segment", "Huge"], "--segment: unknown value 'Huge'; known values: SMB, Midmarket"),
        (["--partner-manager", "Nobody"], "--partner-manager: unknown value 'Nobody'"),
    ],
)
def test_export_rejects_unknown_values(tiny_db, capsys, args, message):
    assert main(["export", "scorecard", "--db", str(tiny_db), *args]) == 2
    assert message in capsys.readouterr().err


def test_export_without_database_says_how_to_build_one(tmp_path, capsys):
    assert main(["export", "scorecard", "--db", str(tmp_path / "none.duckdb")]) == 1
    err = capsys.readouterr().err
    assert "No database at" in err and "python -m channel demo" in err


def test_cli_errors_print_no_traceback(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "channel",
            "export",
            "scorecard",
            "--db",
            str(tmp_path / "x.duckdb"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "No database at" in proc.stderr


def test_demo_then_export(tmp_path, capsys):
    db = tmp_path / "demo.duckdb"
    assert (
        main(["demo", "--partners", "60", "--quarters", "8", "--seed", "3", "--db", str(db)]) == 0
    )
    assert "loaded" in capsys.readouterr().out
    assert main(["export", "scorecard", "--db", str(db)]) == 0
    exported = pl.read_csv(capsys.readouterr().out.encode(), infer_schema_length=None)
    assert exported.height == 60 and exported.columns == COLUMNS


def test_demo_rejects_bad_end_quarter(tmp_path, capsys):
    assert main(["demo", "--end-quarter", "2025Q5", "--db", str(tmp_path / "d.duckdb")]) == 2
    assert "--end-quarter" in capsys.readouterr().err
