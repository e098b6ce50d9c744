"""Bounded memory at 1,000,000 partners: the demo generates partners in chunks and the
loader validates and stages each file in batches. Tiny chunk and batch sizes put the boundaries
inside these small inputs; every check must give what a whole-file pass gives."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import types
from pathlib import Path

import polars as pl
import pytest

from channel import demo, loader
from channel.loader import LoadError, load
from channel.settings import Settings
from tests.helpers import BASE, digest, snapshot, write_folder

CSV_HEADER = "deal_id,partner_id,amount,closed_on,status,vertical,created_on\n"


def _read(folder: Path) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(folder / f"{name}.parquet") for name in demo.FILES}


# ---------------------------------------------------------------------------------------------
# Demo: chunks of partners


@pytest.fixture(scope="module")
def chunked(tmp_path_factory) -> dict[str, pl.DataFrame]:
    out = tmp_path_factory.mktemp("chunked")
    as_of = demo.generate(
        out, partners=230, quarters=6, end_quarter="2025-Q4", chunk_partners=100, workers=1
    )
    assert as_of == dt.date(2025, 12, 31)  # the last day of the end quarter: it is complete
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.parquet" for n in demo.FILES)
    return _read(out)


def test_chunks_make_one_program(chunked):
    partners, deals = chunked["partners"], chunked["deals"]
    assert partners["partner_id"].to_list() == [f"P{i:06d}" for i in range(1, 231)]
    # deal ids run from 1 without a gap, in creation order across the three chunks
    by_id = deals.sort("deal_id")
    assert by_id["deal_id"].to_list() == [f"D{i:08d}" for i in range(1, deals.height + 1)]
    assert by_id["created_on"].is_sorted()
    for name in ("contacts", "partner_verticals", "targets", "deals", "investments"):
        assert set(chunked[name]["partner_id"]) <= set(partners["partner_id"]), name
    # every chunk has deals and contacts (partners 1-100, 101-200, 201-230)
    chunk_of = (deals["partner_id"].str.slice(1).cast(pl.Int64) - 1) // 100
    assert set(chunk_of) == {0, 1, 2}
    assert chunked["contacts"]["partner_id"].n_unique() == 230
    # one manager roster for the whole program: managers own partners in several chunks
    spread = partners.with_columns(
        chunk=(pl.col("partner_id").str.slice(1).cast(pl.Int64) - 1) // 100
    )
    assert spread.group_by("partner_manager").agg(pl.col("chunk").n_unique())["chunk"].max() > 1


def test_chunked_generation_is_deterministic(chunked, tmp_path):
    demo.generate(tmp_path, partners=230, quarters=6, end_quarter="2025-Q4", chunk_partners=100)
    again = _read(tmp_path)
    for name in demo.FILES:
        assert again[name].equals(chunked[name]), name


def test_worker_processes_write_the_same_files(chunked, tmp_path):
    """Two processes generate the three chunks side by side (the third queued behind the first
    two): the files are the ones one process writes, row for row, and no spill file is left."""
    demo.generate(
        tmp_path, partners=230, quarters=6, end_quarter="2025-Q4", chunk_partners=100, workers=2
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.parquet" for n in demo.FILES)
    again = _read(tmp_path)
    for name in demo.FILES:
        assert again[name].equals(chunked[name]), name
    with pytest.raises(ValueError, match="workers"):
        demo.generate(tmp_path, partners=10, workers=0)


def test_workers_do_not_run_the_parent_script_again(chunked, tmp_path, monkeypatch):
    """Streamlit (and AppTest) install the page script as ``__main__``; multiprocessing's spawn
    re-runs ``__main__`` in every worker, which ran app.py there. The workers must not."""
    ran = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(ran)!r}, 'w').close()\nraise SystemExit('ran in a worker')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    out = tmp_path / "out"
    demo.generate(
        out, partners=230, quarters=6, end_quarter="2025-Q4", chunk_partners=100, workers=2
    )
    assert not ran.exists()
    assert _read(out)["deals"].equals(chunked["deals"])


def test_chunk_size_is_part_of_the_data_and_is_refused_below_one(chunked, tmp_path):
    demo.generate(tmp_path, partners=230, quarters=6, end_quarter="2025-Q4", chunk_partners=230)
    whole = _read(tmp_path)
    assert whole["partners"]["partner_id"].equals(chunked["partners"]["partner_id"])
    assert not whole["deals"].equals(chunked["deals"])  # other random streams per chunk
    with pytest.raises(ValueError):
        demo.generate(tmp_path, partners=10, chunk_partners=0)


def test_ids_widen_with_the_program():
    width = max(6, len(str(1_000_000)))  # as generate() sets it for 1,000,000 partners
    assert demo._ids("P", [1, 1_000_000], width).to_list() == ["P0000001", "P1000000"]


# ---------------------------------------------------------------------------------------------
# Loader: batches of records


@pytest.fixture
def batches_of(monkeypatch):
    def set_size(n: int) -> None:
        monkeypatch.setattr(loader, "BATCH_ROWS", n)

    return set_size


def _deal_rows(rows: list[str]) -> dict[str, str]:
    return {**BASE, "deals": CSV_HEADER + "".join(rows)}


def _fail(folder: Path, db: Path) -> LoadError:
    with pytest.raises(LoadError) as info:
        load(folder, db, settings=Settings())
    return info.value


def test_problem_in_a_later_batch_names_its_line(tmp_path, batches_of):
    batches_of(2)
    rows = [f"D{i},P01,{i},2025-01-0{i},won,,\n" for i in range(1, 6)]
    rows[4] = "D5,P01,-5,2025-01-05,won,,\n"  # record 4: the third batch, line 6
    err = _fail(write_folder(tmp_path / "src", _deal_rows(rows)), tmp_path / "x.duckdb")
    assert [str(p) for p in err.problems] == [
        "deals.csv, line 6, column amount, value '-5': must be a finite number between 0 and "
        "1,000,000,000,000"
    ]


def test_parquet_rows_are_counted_across_batches(tmp_path, batches_of):
    batches_of(3)
    folder = tmp_path / "pq"
    folder.mkdir()
    for name, text in BASE.items():
        (folder / f"{name}.csv").write_text(text)
    deals = pl.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(30)],
            "partner_id": ["P01"] * 29 + ["P99"],
            "amount": [float(-i) if i % 2 else 10.0 for i in range(30)],  # 15 bad, odd rows
            "closed_on": ["2025-01-05"] * 30,
        }
    )
    (folder / "deals.csv").unlink()
    deals.write_parquet(folder / "deals.parquet")
    err = _fail(folder, tmp_path / "x.duckdb")
    amounts = [p for p in err.problems if p.column == "amount"]
    assert [p.line for p in amounts] == list(range(2, 31, 2))  # row = record + 1
    orphan = [p for p in err.problems if "not in partners" in p.reason]
    assert [(p.line, p.value, p.line_word) for p in orphan] == [(30, "P99", "row")]


def test_twenty_shown_and_the_rest_counted_across_batches(tmp_path, batches_of):
    batches_of(4)
    rows = [f"X{i},P01,-{i + 1},2025-01-01,won,,\n" for i in range(27)]
    rows += [f"Y{i},P01,1,2025-01-02,won,,2025-02-0{1 + i % 9}\n" for i in range(25)]
    rows += ["X3,P01,1,2025-01-01,won,,\n"] * 22  # duplicates of record 3 (line 5)
    err = _fail(write_folder(tmp_path / "src", _deal_rows(rows)), tmp_path / "x.duckdb")
    amounts = [p for p in err.problems if p.column == "amount"]
    assert [p.line for p in amounts] == list(range(2, 22))
    backwards = [p for p in err.problems if p.reason == "created_on is after closed_on"]
    assert [p.line for p in backwards] == list(range(29, 49))
    dups = [p for p in err.problems if p.reason.startswith("duplicate")]
    assert [p.line for p in dups] == list(range(54, 74))
    assert {p.reason for p in dups} == {"duplicate deal_id (first on line 5)"}
    assert [(f, c, n) for f, c, _, n in err.more] == [
        ("deals.csv", "amount", 7),
        ("deals.csv", "deal_id", 2),
        ("deals.csv", "created_on", 5),
    ]
    assert err.report().splitlines()[0] == "load failed: 74 problems"


def test_batches_load_exactly_what_one_pass_loads(tmp_path, batches_of):
    """Verticals keep their first spelling across files and batches; the tables match."""
    content = dict(BASE)
    content["deals"] = CSV_HEADER + "".join(
        f"D{i},P0{1 + i % 2},{100 + i},2025-02-1{i % 9},won,{v},\n"
        for i, v in enumerate(["RETAIL", "Energy", "energy", "", "finance", "ENERGY", "Retail"])
    )
    folder = write_folder(tmp_path / "src", content)
    whole, batched = tmp_path / "whole.duckdb", tmp_path / "batched.duckdb"
    load(folder, whole, settings=Settings())
    batches_of(1)
    load(folder, batched, settings=Settings())
    assert snapshot(batched) == snapshot(whole)
    verticals = {row[5] for row in snapshot(batched)["deals"]}
    assert verticals == {"Retail", "Finance", "Energy", None}


def test_damaged_parquet_is_a_problem_not_a_crash(tmp_path, batches_of):
    batches_of(10)
    folder = write_folder(tmp_path / "src", BASE)
    (folder / "deals.csv").unlink()
    deals = pl.DataFrame({"deal_id": [f"D{i}" for i in range(200)], "partner_id": ["P01"] * 200})
    deals = deals.with_columns(amount=pl.lit(1.0), closed_on=pl.lit("2025-01-01"))
    deals.write_parquet(folder / "deals.parquet", row_group_size=50)
    data = (folder / "deals.parquet").read_bytes()
    # keep the footer, cut a hole in the data pages: the header reads, the rows do not
    (folder / "deals.parquet").write_bytes(data[:100] + data[-2000:])
    db = tmp_path / "x.duckdb"
    err = _fail(folder, db)
    assert [p.file for p in err.problems] == ["deals.parquet"]
    assert err.problems[0].reason.startswith("cannot be read as Parquet")
    assert not db.exists() and not list(tmp_path.glob(".x.duckdb.tmp-*"))


def test_a_crashed_loads_spill_folder_is_removed(tmp_path):
    db = tmp_path / "x.duckdb"
    spill = tmp_path / ".x.duckdb.tmp-999999.spill"
    spill.mkdir()
    (spill / "duckdb_temp_block-0.block").write_bytes(b"spilled")
    load(write_folder(tmp_path / "src", BASE), db, settings=Settings())
    assert not spill.exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        ".x.duckdb.lock",
        "src",
        "x.duckdb",
    ]
    before = digest(db)
    shutil.rmtree(tmp_path / "src")
    with pytest.raises(LoadError):
        load(tmp_path / "src", db, settings=Settings())
    assert digest(db) == before


def test_parquet_in_a_folder_named_like_a_glob_pattern(tmp_path, batches_of):
    batches_of(2)
    folder = tmp_path / "exports [2025]"
    folder.mkdir()
    for name, text in BASE.items():
        pl.read_csv(text.encode(), infer_schema=False).write_parquet(folder / f"{name}.parquet")
    load(folder, tmp_path / "x.duckdb", settings=Settings())
    assert snapshot(tmp_path / "x.duckdb")["partners"][0][0] == "P01"
