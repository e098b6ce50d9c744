"""The Parquet-folder form of a database answers every query exactly like the DuckDB file."""

from __future__ import annotations

import pytest
from polars.testing import assert_frame_equal

from channel.cli import main
from channel.loader import load
from channel.runner import run
from channel.sqlfiles import QUERIES_DIR, sql_params
from tests.helpers import DATA

QUERIES = sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))
EXAMPLES = {"quarters": 8, "limit": 5, "partner_id": "P06", "search": "a"}


@pytest.fixture(scope="module")
def folder(tiny_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("parquet") / "channel"
    assert main(["export-parquet", str(out), "--db", str(tiny_db)]) == 0
    return out


def _params(name: str, **extra) -> dict:
    params = sql_params((QUERIES_DIR / f"{name}.sql").read_text())
    return {p: extra.get(p, EXAMPLES.get(p)) for p in params}


@pytest.mark.parametrize("name", QUERIES)
def test_every_query_gives_the_same_answer(tiny_db, folder, name):
    params = _params(name)
    expected = run(name, db=tiny_db, **params)
    got = run(name, db=folder, **params)
    assert_frame_equal(got.select(expected.columns), expected, check_dtypes=False)


def test_filters_and_an_earlier_as_of(tiny_db, folder):
    params = _params("scorecard", as_of="2024-Q4", segment=["SMB", "Midmarket"])
    expected = run("scorecard", db=tiny_db, **params)
    assert expected.height == 6
    assert_frame_equal(run("scorecard", db=folder, **params), expected, check_dtypes=False)


def test_quarter_tables_are_partitioned(folder):
    quarters = sorted(p.name for p in (folder / "partner_quarter").iterdir())
    assert quarters[0].startswith("quarter_idx=") and len(quarters) == 9  # 2024-Q1 .. 2026-Q1


def test_a_new_export_is_picked_up(tmp_path, tiny_db):
    out = tmp_path / "live"
    assert main(["export-parquet", str(out), "--db", str(tiny_db)]) == 0
    before = run("partner_count", db=out, **_params("partner_count"))["partners"][0]
    other = tmp_path / "other.duckdb"
    load(DATA / "tiny_fy_april", other)
    assert main(["export-parquet", str(out), "--db", str(other)]) == 0
    after = run("partner_count", db=out, **_params("partner_count"))["partners"][0]
    assert (before, after) == (10, 2)
    assert not list(tmp_path.glob(".live.*"))  # no temporary or old folders left


def test_the_app_runs_on_a_folder(folder, app_on):
    at = app_on(folder)
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Revenue, last 4 quarters"] == "$9.6M"


def test_missing_database_for_export(tmp_path, capsys):
    assert main(["export-parquet", str(tmp_path / "out"), "--db", str(tmp_path / "no.db")]) == 1
    assert "No database at" in capsys.readouterr().err
