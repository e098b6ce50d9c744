"""The loader on Parquet files: they load like the same CSV files, typed or not, and a bad value
is named by its row.

How the loader tests work (the folder ``BASE``, the database ``db``, ``expect_problem``): see
tests/README.md, "The loader tests"."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from channel import loader
from tests.helpers import (
    BASE,
    EMPTY_CLOSED_ON,
    expect_problem,
    load_ok,
    query,
    snapshot,
)

# ---------------------------------------------------------------------------------------------
# Parquet


def _parquet_folder(folder: Path, edit: dict[str, Callable[[pl.DataFrame], pl.DataFrame]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in BASE.items():
        frame = pl.read_csv(io.StringIO(text), infer_schema=False)
        frame = edit.get(name, lambda f: f)(frame)
        frame.write_parquet(folder / f"{name}.parquet")
    return folder


TYPED = {
    "deals": lambda f: f.with_columns(
        pl.col("amount").cast(pl.Float64),
        pl.col("closed_on").str.to_date(),
        pl.col("created_on").str.to_date(),
    ),
    "targets": lambda f: f.with_columns(pl.col("target_amount").cast(pl.Int64)),
    "contacts": lambda f: f.with_columns(pl.col("is_certified") == "true"),
    "vendor_priorities": lambda f: f.with_columns(
        pl.col("fiscal_year").cast(pl.Int64), pl.col("priority_weight").cast(pl.Float64)
    ),
    "partners": lambda f: f.rename({"partner_id": "Partner_ID"}),
}


@pytest.mark.parametrize("typed", [False, True], ids=["text columns", "typed columns"])
def test_parquet_folder_loads_like_the_baseline(tmp_path, db, baseline_db, typed):
    folder = _parquet_folder(tmp_path / "pq", TYPED if typed else {})
    load_ok(tmp_path, db, source=folder)
    assert snapshot(db) == snapshot(baseline_db)


@pytest.mark.parametrize(
    ("name", "column", "edit", "value"),
    [
        (
            "deals",
            "amount",
            lambda f: f.with_columns(pl.Series("amount", [1200.0, 300.5, -4000.0, 500.0])),
            ("-4000",),
        ),
        (
            "deals",
            "amount",
            lambda f: f.with_columns(pl.Series("amount", [1.0, 2.0, float("nan"), 3.0])),
            ("NaN",),
        ),
        (
            "deals",
            "status",
            lambda f: f.with_columns(pl.Series("status", ["won", "lost", "maybe", "open"])),
            "maybe",
        ),
        (
            "targets",
            "fiscal_quarter",
            lambda f: f.with_columns(
                pl.Series("fiscal_quarter", ["2025-Q1", "2025-Q2", "2025-Q9", "2025-Q2"])
            ),
            "2025-Q9",
        ),
    ],
    ids=["negative amount", "NaN amount", "bad status", "bad quarter"],
)
def test_bad_value_in_parquet_reports_the_row(tmp_path, db, name, column, edit, value):
    folder = _parquet_folder(tmp_path / "pq", {name: edit})
    err, p = expect_problem(
        tmp_path,
        db,
        {},
        source=folder,
        file=f"{name}.parquet",
        line=3,  # the third data row
        column=column,
        value=value,
        reason="must be",
        line_word="row",
    )
    assert f"{name}.parquet, row 3, column {column}" in err.report()


def _closed_on_dropped(deal_id: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def edit(frame: pl.DataFrame) -> pl.DataFrame:
        dropped = pl.when(pl.col("deal_id") != deal_id).then(pl.col("closed_on"))
        return TYPED["deals"](frame).with_columns(dropped.alias("closed_on"))

    return edit


def test_parquet_open_deal_without_closed_on_loads(tmp_path, db):
    folder = _parquet_folder(tmp_path / "pq", {"deals": _closed_on_dropped("D4")})
    load_ok(tmp_path, db, source=folder)
    assert query(db, "select closed_on, quarter_idx from deals where deal_id = 'D4'") == [
        (None, None)
    ]


def test_parquet_won_deal_without_closed_on_is_refused(tmp_path, db, monkeypatch):
    monkeypatch.setattr(loader, "BATCH_ROWS", 2)  # D3, the third row, is in the second batch
    folder = _parquet_folder(tmp_path / "pq", {"deals": _closed_on_dropped("D3")})
    err, _ = expect_problem(
        tmp_path,
        db,
        {},
        source=folder,
        file="deals.parquet",
        line=3,
        column="closed_on",
        reason=EMPTY_CLOSED_ON,
        line_word="row",
    )
    assert len(err.problems) == 1
