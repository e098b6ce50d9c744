"""Hostile inputs to the loader, one fixed example each.

Every kind of hostile input in ``CASES`` (bad bytes, bad CSV shape, bad headers, bad values, huge
fields, files that are not files), applied once to tests/data/tiny with the corruptions of
tests/corruptions.py, with the exact outcome: the problem that names the file, line, column
and value (and the same words from ``python -m channel load``, with no traceback, and the
database unchanged), or a load whose database holds exactly what the files say. Line numbers
are physical lines of the written file, header = line 1; record r of the tiny file (0-based) is
on line r + 2 unless a quoted newline comes before it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from channel.cli import main as cli_main
from channel.contract import TABLES
from channel.loader import LoadError, load
from tests.corruptions import (
    LONG,
    TINY,
    Corruption,
    Doc,
    check_loaded,
    check_problem,
    corrupt,
    tiny_docs,
    write_docs,
)

Docs = dict[str, Doc]


def C(kind: str, table: str, column: str | None = None, pick: int = 0, value: str = ""):
    return Corruption(kind, table, column, pick, value)


@dataclasses.dataclass(frozen=True)
class Rejected:
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str  # a part of the reason


@dataclasses.dataclass(frozen=True)
class Loaded:
    sql: str = ""  # a query whose rows must equal ``rows``
    rows: tuple = ()
    same_as_tiny: bool = False  # every contract table equals the plain tiny load


def _set_raw(table: str, data: bytes) -> Callable[[Docs], None]:
    def edit(docs: Docs) -> None:
        docs[table].raw = data

    return edit


def _short_row(table: str, row: int, keep: int, before: list | None = None):
    """Record ``row`` of ``table`` keeps only its first ``keep`` cells (after ``before``)."""

    def edit(docs: Docs) -> None:
        for c in before or []:
            corrupt(docs, c)
        docs[table].rows[row] = docs[table].rows[row][:keep]

    return edit


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
CUT = len(tiny_docs()["deals"].to_bytes()) - 10  # in the middle of the last record's cells
AMOUNT_COLUMNS = [
    ("deals", "amount"),
    ("targets", "target_amount"),
    ("investments", "amount"),
    ("partner_verticals", "focus_share"),
    ("vendor_priorities", "priority_weight"),
]
CHILD_TABLES = ["contacts", "partner_verticals", "targets", "deals", "investments"]
EVERY_FILE = [t.name for t in TABLES]

CASES: dict[str, tuple[list | Callable[[Docs], None], Rejected | Loaded]] = {
    # missing and duplicated columns
    "missing required column": (
        [C("missing_column", "deals", "amount")],
        Rejected("deals.csv", 1, "amount", None, "required column is missing"),
    ),
    "missing optional column": (
        [C("missing_column", "deals", "created_on")],
        Loaded("select count(*) from deals where created_on is not null", ((0,),)),
    ),
    "duplicated column": (
        [C("duplicated_column", "partners", "segment", value="same")],
        Rejected("partners.csv", 1, "segment", "segment", "more than once in the header"),
    ),
    "duplicated column in another case": (
        [C("duplicated_column", "targets", "target_amount", value="upper")],
        Rejected("targets.csv", 1, "target_amount", "target_amount", "more than once"),
    ),
    # wrong types, one per kind
    "wrong type: amount": (
        [C("wrong_type", "deals", "amount", 0, "12,5")],
        Rejected("deals.csv", 2, "amount", "12,5", "finite number"),
    ),
    "wrong type: date": (
        [C("wrong_type", "partners", "joined_on", 3, "05/01/2025")],
        Rejected("partners.csv", 5, "joined_on", "05/01/2025", "real date"),
    ),
    "wrong type: bool": (
        [C("wrong_type", "contacts", "is_certified", 1, "maybe")],
        Rejected("contacts.csv", 3, "is_certified", "maybe", "true or false"),
    ),
    "wrong type: year": (
        [C("wrong_type", "vendor_priorities", "fiscal_year", 2, "FY2025")],
        Rejected("vendor_priorities.csv", 4, "fiscal_year", "FY2025", "year written YYYY"),
    ),
    "wrong type: enum": (
        [C("wrong_type", "partners", "segment", 0, "Small business")],
        Rejected("partners.csv", 2, "segment", "Small business", "must be one of"),
    ),
    # duplicate ids
    "duplicated row: partners": (
        [C("duplicate_id", "partners", pick=2, value="row")],
        Rejected("partners.csv", 5, "partner_id", "P03", "duplicate partner_id (first on line 4)"),
    ),
    "duplicated row: deals": (
        [C("duplicate_id", "deals", pick=0, value="row")],
        Rejected("deals.csv", 3, "deal_id", "D0101", "duplicate deal_id (first on line 2)"),
    ),
    "duplicate id on another row: deals": (
        [C("duplicate_id", "deals", pick=5, value="key")],
        Rejected("deals.csv", 8, "deal_id", "D0106", "duplicate deal_id (first on line 7)"),
    ),
    "duplicate key: targets": (
        [C("duplicate_id", "targets", pick=0, value="key")],
        Rejected(
            "targets.csv",
            3,
            "fiscal_quarter",
            "P01 / 2024-Q1",
            "duplicate partner_id and fiscal_quarter (first on line 2)",
        ),
    ),
    "duplicated row where rows may repeat: contacts": (
        [C("duplicate_row", "contacts", pick=0, value="row")],
        Loaded("select count(*) from contacts where contact_name = 'Maria Alvarez'", ((2,),)),
    ),
    # orphan partner_ids
    **{
        f"orphan partner_id: {name}": (
            [C("orphan_partner_id", name, "partner_id", 1, "P99")],
            Rejected(f"{name}.csv", 3, "partner_id", "P99", "partner_id is not in partners"),
        )
        for name in CHILD_TABLES
    },
    # bad quarters and impossible dates
    **{
        f"bad quarter {bad}: {name}": (
            [C("bad_quarter", name, "fiscal_quarter", 4, bad)],
            Rejected(f"{name}.csv", 6, "fiscal_quarter", bad, "YYYY-Qn"),
        )
        for bad in ("2025-Q0", "2025Q5", "FY25", "٢٠٢٥-Q1")
        for name in ("targets", "investments")
    },
    **{
        f"2025-02-30: {name}.{column}": (
            [C("bad_date", name, column, 0, "2025-02-30")],
            Rejected(f"{name}.csv", 2, column, "2025-02-30", "real date"),
        )
        for name, column in (
            ("deals", "closed_on"),
            ("deals", "created_on"),
            ("partners", "joined_on"),
        )
    },
    # negative, NaN, infinite and 1e308 amounts
    **{
        f"amount {bad}: {name}.{column}": (
            [C("bad_amount", name, column, 0, bad)],
            Rejected(f"{name}.csv", 2, column, bad, "finite number between 0 and"),
        )
        for bad in ("-5", "NaN", "inf", "-inf", "1e308")
        for name, column in AMOUNT_COLUMNS
    },
    "amount at the edges: 0 and 1e12": (
        [
            C("good_amount", "deals", "amount", 0, "0"),
            C("good_amount", "deals", "amount", 1, "1e12"),
        ],
        Loaded(
            "select deal_id, amount from deals where deal_id in ('D0101', 'D0102') order by 1",
            (("D0101", 0.0), ("D0102", 1e12)),
        ),
    ),
    # empty files, a header only, a 0-byte file
    "0-byte file": (
        [C("empty_file", "deals", value="zero_byte")],
        Rejected("deals.csv", 1, None, None, "file is empty"),
    ),
    "blank lines only": (
        [C("empty_file", "contacts", value="blank_lines")],
        Rejected("contacts.csv", 1, None, None, "file is empty"),
    ),
    "header only: deals": (
        [C("empty_file", "deals", value="header_only")],
        Loaded("select count(*) from deals", ((0,),)),
    ),
    "header only: partners": (
        [C("empty_file", "partners", value="header_only")],
        Rejected("partners.csv", None, None, None, "has no data rows"),
    ),
    # encodings and CSV dialects
    "Latin-1 bytes": (
        [C("latin1", "partners", "partner_name", 1, "Müller")],
        Rejected("partners.csv", 3, None, "\\xfcller,Mi", "not UTF-8 text"),
    ),
    "UTF-8 BOM": ([C("bom", name) for name in EVERY_FILE], Loaded(same_as_tiny=True)),
    "CRLF line endings": ([C("crlf", name) for name in EVERY_FILE], Loaded(same_as_tiny=True)),
    "semicolons as delimiters": (
        [C("semicolons", name) for name in EVERY_FILE],
        Loaded(same_as_tiny=True),
    ),
    "BOM, CRLF and semicolons together": (
        [C(kind, name) for name in EVERY_FILE for kind in ("bom", "crlf", "semicolons")],
        Loaded(same_as_tiny=True),
    ),
    # quoted newlines
    "quoted newline in a partner name": (
        [C("quoted_newline", "partners", "partner_name", 0, "Acme\nEurope")],
        Loaded("select partner_name from partners where partner_id = 'P01'", (("Acme\nEurope",),)),
    ),
    "quoted CRLF and quotes in a contact name": (
        [C("crlf", "contacts"), C("quoted_newline", "contacts", "contact_name", 2, 'A\r\n"B"')],
        Loaded("select contact_name from contacts where partner_id = 'P02'", (('A\r\n"B"',),)),
    ),
    "bad value after a quoted newline: the physical line": (
        [
            C("quoted_newline", "partners", "partner_name", 0, "Acme\n\nEurope"),
            C("wrong_type", "partners", "segment", 2, "Tiny"),
        ],
        Rejected("partners.csv", 6, "segment", "Tiny", "must be one of"),  # P03: 4 + 2
    ),
    # stray and unclosed quotes
    "stray quote in an unquoted field": (
        [C("raw_cell", "partners", None, 1, "Joe's 12\" Shop")],
        Rejected(
            "partners.csv",
            2,
            None,  # the first 80 characters of the line:
            "P01,Joe's 12\" Shop,smb,North,Reseller,Silver,Ann Lee,2019-03-01,exact hit + Silv",
            "has a stray double quote",
        ),
    ),
    "unclosed quote": (
        [C("raw_cell", "deals", None, 2, '"unclosed')],
        Rejected(
            "deals.csv", 3, None, 'D0102,P01,"unclosed,2024-05-10,won,Finance,,crm', "malformed"
        ),
    ),
    "stray quote after a 200 kB quoted field: the physical line": (
        [
            C("quoted_newline", "partners", "partner_name", 0, "<200 kB of x, a newline, y>"),
            C("raw_cell", "partners", None, 6, 'mid"quote'),  # line 7: P05, after 2 + 1 + 3
        ],
        Rejected(
            "partners.csv",
            7,
            None,
            'P05,Echo Partners,ENTERPRISE,West,Integrator,Gold,mid"quote,2017-02-20,at_risk a',
            "has a stray double quote",
        ),
    ),
    # records with fewer fields than the header
    "file cut in the middle of the last record": (
        [C("truncate", "deals", pick=CUT)],
        Rejected(
            "deals.csv",
            77,
            None,
            "D1004,P10,100000,2025-10-15,WON,HEALTH",
            "has 6 fields but the header names 8",
        ),
    ),
    "record missing its last cells": (
        _short_row("deals", 3, 5),
        Rejected(
            "deals.csv", 5, None, "D0104,P01,50000,2024-12-31,won", "has 5 fields but the header"
        ),
    ),
    "short record after a quoted newline: the physical line": (
        _short_row(
            "deals", 3, 2, [C("quoted_newline", "deals", "vertical", 1, "Line 1\n\nLine 3")]
        ),
        Rejected("deals.csv", 7, None, "D0104,P01", "has 2 fields but the header names 8"),
    ),
    # very long fields
    "100 kB partner name": (
        [C("long_field", "partners", "partner_name", 9, "<100 kB of N>")],
        Loaded(
            "select partner_name from partners where partner_id = 'P10'",
            ((LONG["<100 kB of N>"],),),
        ),
    ),
    "100 kB segment": (
        [C("long_field", "partners", "segment", 9, "<100 kB of N>")],
        Rejected("partners.csv", 11, "segment", LONG["<100 kB of N>"], "must be one of"),
    ),
    "100 kB amount": (
        [C("long_field", "deals", "amount", 0, "<60,000 x é>")],
        Rejected("deals.csv", 2, "amount", LONG["<60,000 x é>"], "finite number"),
    ),
    # binary garbage
    "binary garbage (a PNG header)": (
        _set_raw("deals", PNG),
        Rejected("deals.csv", 1, None, "\\x89PNG\\r\\n\\x1a\\n", "not UTF-8 text"),
    ),
    "NUL bytes": (
        _set_raw("targets", b"partner_id,fiscal_quarter,target_amount\nP01,2025-Q1,\x00\x00\n"),
        Rejected("targets.csv", 2, None, None, "contains NUL bytes"),
    ),
    "control characters (valid UTF-8)": (
        _set_raw("investments", "\x01\x07\x1b\x7f\u2028\ufffd\n\x01\x02\n".encode()),
        Rejected("investments.csv", 1, "partner_id", None, "required column is missing"),
    ),
    # a directory where a file should be
    "directory instead of a required file": (
        [C("directory", "deals")],
        Rejected("deals.csv", None, None, None, "is not a regular file"),
    ),
    "directory instead of an optional file": (
        [C("directory", "contacts")],
        Rejected("contacts.csv", None, None, None, "is not a regular file"),
    ),
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def contract_tables(db: Path) -> dict[str, list[tuple]]:
    return {t.name: sorted(rows(db, f"select * from {t.name}"), key=repr) for t in TABLES}  # noqa: S608


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("hostile") / "tiny.duckdb"
    load(TINY, db)
    return db


def build(tmp_path: Path, edits) -> tuple[Path, Docs]:
    docs = tiny_docs()
    if callable(edits):
        edits(docs)
    else:
        for c in edits:
            corrupt(docs, c)
    return write_docs(tmp_path / "src", docs), docs


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_hostile_input(tmp_path, tiny, case):
    edits, expected = CASES[case]
    folder, docs = build(tmp_path, edits)
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny, db)
    before = sha(db)
    if isinstance(expected, Loaded):
        load(folder, db)
        check_loaded(folder, docs, db)
        if expected.sql:
            assert rows(db, expected.sql) == list(expected.rows)
        if expected.same_as_tiny:
            assert contract_tables(db) == contract_tables(tiny)
        return
    with pytest.raises(LoadError) as info:
        load(folder, db)
    err = info.value
    assert sha(db) == before, "a failed load changed the database"
    assert not list(tmp_path.glob(".live.duckdb.tmp-*"))
    assert "Traceback" not in err.report()
    for p in err.problems:
        check_problem(p, folder, docs)
    wanted = (expected.file, expected.line, expected.column, expected.value)
    found = [p for p in err.problems if (p.file, p.line, p.column, p.value) == wanted]
    assert found, f"no problem {wanted} in:\n{err.report()}"
    assert expected.reason in found[0].reason
    assert "  " + str(found[0]) in err.report().splitlines()


# every third rejected case: the command line only adds printing to the same load
@pytest.mark.parametrize("case", [c for c, (_, e) in CASES.items() if isinstance(e, Rejected)][::3])
def test_hostile_input_from_the_command_line(tmp_path, tiny, capsys, monkeypatch, case):
    """``python -m channel load`` prints the same problem, without a traceback, and exits 1."""
    monkeypatch.delenv("CHANNEL_SETTINGS", raising=False)
    monkeypatch.chdir(tmp_path)  # no channel.toml here: default settings
    edits, expected = CASES[case]
    folder, _ = build(tmp_path, edits)
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny, db)
    before = sha(db)
    assert cli_main(["load", str(folder), "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    where = expected.file + (f", line {expected.line}" if expected.line is not None else "")
    where += f", column {expected.column}" if expected.column else ""
    assert where in err
    assert sha(db) == before


def test_long_value_is_shortened_in_the_message(tmp_path, tiny):
    folder, _ = build(tmp_path, [C("long_field", "partners", "segment", 9, "<100 kB of N>")])
    with pytest.raises(LoadError) as info:
        load(folder, tmp_path / "new.duckdb")
    line = next(ln for ln in info.value.report().splitlines() if "column segment" in ln)
    assert "(100,000 characters)" in line and len(line) < 300
