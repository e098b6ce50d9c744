"""The loader, the folder and the shape of its files: files present or missing, the header,
the CSV variants the import contract accepts, encodings and records of the wrong length.

How the loader tests work (the folder ``BASE``, the database ``db``, ``expect_problem``): see
tests/README.md, "The loader tests"."""

from __future__ import annotations

import io
from collections.abc import Callable

import polars as pl
import pytest

from channel import csvtext, loader
from channel.loader import MAX_SHOWN_PER_RULE, Problem
from tests.helpers import (
    BASE,
    OPTIONAL,
    REQUIRED,
    REQUIRED_COLUMNS,
    Files,
    expect_problem,
    files,
    load_ok,
    query,
    set_cell,
    snapshot,
    write_folder,
)

# ---------------------------------------------------------------------------------------------
# Files


@pytest.mark.parametrize("name", REQUIRED)
def test_required_file_missing(tmp_path, db, name):
    _, p = expect_problem(
        tmp_path, db, files(**{name: None}), file=f"{name}.csv", reason="required file is missing"
    )
    assert (p.line, p.column, p.value) == (None, None, None)


@pytest.mark.parametrize("name", OPTIONAL)
def test_optional_file_may_be_absent(tmp_path, db, name):
    summary = load_ok(tmp_path, db, files(**{name: None}))
    assert summary.rows[name] == 0


def test_both_csv_and_parquet(tmp_path, db):
    folder = write_folder(tmp_path / "src", BASE)
    pl.read_csv(folder / "deals.csv", infer_schema=False).write_parquet(folder / "deals.parquet")
    _, p = expect_problem(tmp_path, db, {}, source=folder, file="deals.parquet", reason="both")
    assert "deals.csv" in p.reason and "deals.parquet" in p.reason


def test_directory_named_like_a_file(tmp_path, db):
    folder = write_folder(tmp_path / "src", files(deals=None))
    (folder / "deals.csv").mkdir()
    expect_problem(tmp_path, db, {}, source=folder, file="deals.csv", reason="not a regular file")


def test_source_is_not_a_folder(tmp_path, db):
    missing = tmp_path / "nowhere"
    expect_problem(tmp_path, db, {}, source=missing, file=str(missing), reason="not a folder")


@pytest.mark.parametrize("name", ["partners", "targets", "deals", "contacts"])
def test_zero_byte_file(tmp_path, db, name):
    _, p = expect_problem(tmp_path, db, files(**{name: b""}), file=f"{name}.csv", reason="empty")
    assert p.column is None and p.value is None


def test_header_only_partners_has_no_data_rows(tmp_path, db):
    header_only = {name: BASE[name].split("\n", 1)[0] + "\n" for name in REQUIRED}
    _, p = expect_problem(tmp_path, db, header_only, file="partners.csv", reason="has no data rows")
    assert p.column is None


@pytest.mark.parametrize("names", [("targets",), ("deals",), ("targets", "deals")])
def test_header_only_targets_and_deals_are_valid(tmp_path, db, names):
    summary = load_ok(tmp_path, db, files(**{n: BASE[n].split("\n", 1)[0] + "\n" for n in names}))
    for name in names:
        assert summary.rows[name] == 0
    assert summary.rows["partners"] == 3


# ---------------------------------------------------------------------------------------------
# Header


@pytest.mark.parametrize(("name", "column"), REQUIRED_COLUMNS)
def test_required_column_missing(tmp_path, db, name, column):
    header, rest = BASE[name].split("\n", 1)
    renamed = ",".join("unrelated" if h == column else h for h in header.split(","))
    _, p = expect_problem(
        tmp_path,
        db,
        files(**{name: renamed + "\n" + rest}),
        file=f"{name}.csv",
        line=1,
        column=column,
        reason="required column is missing",
    )
    assert "unrelated" in p.reason  # names what it found instead


@pytest.mark.parametrize("second", ["amount", "Amount", "AMOUNT "])
def test_duplicated_column(tmp_path, db, second):
    text = BASE["deals"].replace("created_on\n", f"{second}\n", 1)
    expect_problem(
        tmp_path,
        db,
        files(deals=text),
        file="deals.csv",
        line=1,
        column="amount",
        reason="more than once",
    )


def test_extra_column_is_ignored_with_a_warning(tmp_path, db, baseline_db):
    lines = BASE["partners"].rstrip("\n").split("\n")
    text = "\n".join([lines[0] + ",Notes"] + [f"{ln},note {i}" for i, ln in enumerate(lines[1:])])
    summary = load_ok(tmp_path, db, files(partners=text + "\n"))
    assert any("partners.csv" in w and "notes" in w.lower() for w in summary.warnings)
    assert snapshot(db) == snapshot(baseline_db)


# ---------------------------------------------------------------------------------------------
# Inputs that must load exactly like the baseline


Texts = dict[str, str]


def _upper_headers(content: Texts) -> Files:
    def up(text: str) -> str:
        header, rest = text.split("\n", 1)
        names = [h.upper() if i % 2 else h.title() for i, h in enumerate(header.split(","))]
        return ",".join(names) + "\n" + rest

    return {k: up(v) for k, v in content.items()}


def _reordered(content: Texts) -> Files:
    out: Files = {}
    for name, text in content.items():
        frame = pl.read_csv(io.StringIO(text), infer_schema=False)
        out[name] = frame.select(reversed(frame.columns)).write_csv()
    return out


def _quoted(content: Texts) -> Files:
    def quote(line: str) -> str:
        return ",".join(f'"{x}"' for x in line.split(",")) if line else ""

    return {k: "\n".join(quote(ln) for ln in v.split("\n")) for k, v in content.items()}


def _padded(content: Texts) -> Files:
    def pad(line: str) -> str:
        return ",".join(f" {x} " if x else x for x in line.split(","))

    return {
        k: "\n".join(ln if i == 0 else pad(ln) for i, ln in enumerate(v.split("\n")))
        for k, v in content.items()
    }


SAME_AS_BASE: dict[str, Callable[[Texts], Files]] = {
    "column names in any case": _upper_headers,
    "columns in another order": _reordered,
    "utf-8 with BOM": lambda c: {k: b"\xef\xbb\xbf" + v.encode() for k, v in c.items()},
    "CRLF line endings": lambda c: {k: v.replace("\n", "\r\n") for k, v in c.items()},
    "semicolon delimiter": lambda c: {k: v.replace(",", ";") for k, v in c.items()},
    "BOM + CRLF + semicolons": lambda c: {
        k: b"\xef\xbb\xbf" + v.replace(",", ";").replace("\n", "\r\n").encode()
        for k, v in c.items()
    },
    "quoted fields": _quoted,
    "cells padded with spaces": _padded,
    "trailing blank lines": lambda c: {k: v + "\n\n" for k, v in c.items()},
    "no final newline": lambda c: {k: v.rstrip("\n") for k, v in c.items()},
}


@pytest.mark.parametrize("variant", SAME_AS_BASE, ids=list(SAME_AS_BASE))
def test_accepted_variants_load_like_the_baseline(tmp_path, db, baseline_db, variant):
    load_ok(tmp_path, db, SAME_AS_BASE[variant](dict(BASE)))
    assert snapshot(db) == snapshot(baseline_db)


def test_quoted_field_with_newline_loads(tmp_path, db):
    text = BASE["partners"].replace("Bravo Inc", '"Bravo\nInc, the ""best"""')
    load_ok(tmp_path, db, files(partners=text))
    names = query(db, "select partner_name from partners where partner_id = 'P02'")
    assert names == [('Bravo\nInc, the "best"',)]


# ---------------------------------------------------------------------------------------------
# Encodings and CSV shape


def test_latin1_bytes_name_the_line(tmp_path, db):
    data = BASE["partners"].replace("Bravo Inc", "Bravo Müller").encode("latin-1")
    _, p = expect_problem(
        tmp_path, db, files(partners=data), file="partners.csv", line=3, reason="UTF-8"
    )
    assert p.value is not None and "fc" in p.value.lower()  # the offending byte \xfc


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    "quoted", ['"Bravo\nInc"', '"Bravo\n\n""Inc""\n"', '"B' + "x" * 200_000 + '\nInc"']
)
def test_line_numbers_after_a_multiline_field(tmp_path, db, newline, quoted):
    extra = quoted.count("\n")
    text = BASE["partners"].replace("Bravo Inc", quoted)
    text = set_cell(text, 4 + extra, "segment", "Mid").replace("\n", newline)
    expect_problem(
        tmp_path,
        db,
        files(partners=text.encode()),
        file="partners.csv",
        line=4 + extra,  # P03's record starts on this physical line
        column="segment",
        value="Mid",
        reason="must be one of",
    )


def test_line_numbers_after_blank_lines(tmp_path, db):
    text = BASE["deals"].replace("\nD3,", "\n\n  \n,,,,,,\nD3,")  # three blank records
    text = text.replace("D4,P03,500", "D4,P03,-500")
    expect_problem(
        tmp_path,
        db,
        files(deals=text),
        file="deals.csv",
        line=8,
        column="amount",
        value="-500",
        reason="finite number",
    )


def test_row_with_more_fields_than_the_header(tmp_path, db):
    text = BASE["deals"].replace("Finance,2025-03-01\n", "Finance,2025-03-01,surplus\n")
    _, p = expect_problem(
        tmp_path, db, files(deals=text), file="deals.csv", line=4, reason="fields"
    )
    assert "8" in p.reason and "7" in p.reason
    assert p.value is not None and "surplus" in p.value


def test_bare_cr_line_endings_are_a_clear_error(tmp_path, db):
    expect_problem(
        tmp_path,
        db,
        files(partners=BASE["partners"].replace("\n", "\r")),
        file="partners.csv",
        line=1,
        reason="line",
    )


SHORT = BASE["deals"].replace("D2,P01,300.50,2025-05-10,lost,Retail,\n", "D2,P01,300.50\n")
CUT = BASE["deals"][: BASE["deals"].index("D4,") + len("D4,P03,500,2025-04")]
SHORT_RECORDS = {
    # text, line of the short record, its text, fields
    "file cut in the middle of the last record": (CUT, 5, "D4,P03,500,2025-04", 4),
    "file cut right after a delimiter": (CUT[:-7], 5, "D4,P03,500,", 4),
    "short record in the middle": (SHORT, 3, "D2,P01,300.50", 3),
    "short record after a quoted multi-line field": (
        SHORT.replace("Finance,2025-01-05", '"Fin\nance, the ""best""\n",2025-01-05'),
        5,  # D1's vertical spans lines 2 to 4
        "D2,P01,300.50",
        3,
    ),
    "quoted delimiter in the short record": (
        SHORT.replace("D2,P01,300.50", 'D2,"P01,x",300.50'),
        3,
        'D2,"P01,x",300.50',
        3,
    ),
    "a lone value on a line": (BASE["deals"].replace("\nD3,", "\n  x  \nD3,"), 4, "  x  ", 1),
}


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("case", SHORT_RECORDS, ids=list(SHORT_RECORDS))
def test_record_with_fewer_fields_than_the_header(tmp_path, db, case, delimiter, newline):
    text, line, record, fields = SHORT_RECORDS[case]
    text = text.replace(",", delimiter).replace("\n", newline)
    err, p = expect_problem(
        tmp_path,
        db,
        files(deals=text.encode()),
        file="deals.csv",
        line=line,
        column=None,
        value=record.replace(",", delimiter),
        reason=f"has {fields} fields but the header names 7",
    )
    assert len(err.problems) == 1
    assert f"deals.csv, line {line}, value {record.replace(',', delimiter)!r}: has" in err.report()


def test_many_short_records_are_counted(tmp_path, db):
    text = BASE["deals"] + "".join(f"X{i},P01,5\n" for i in range(MAX_SHOWN_PER_RULE + 5))
    err, _ = expect_problem(tmp_path, db, files(deals=text), file="deals.csv", line=6)
    assert [p.line for p in err.problems[:-1]] == list(range(6, 6 + MAX_SHOWN_PER_RULE))
    assert err.problems[-1] == Problem(
        "deals.csv", None, None, None, "5 more records have fewer fields than the header"
    )
    assert err.report().splitlines()[0] == f"load failed: {MAX_SHOWN_PER_RULE + 1} problems"


def test_short_record_before_a_long_one_is_named_first(tmp_path, db):
    text = SHORT.replace("Finance,2025-03-01\n", "Finance,2025-03-01,surplus\n")
    err, _ = expect_problem(
        tmp_path, db, files(deals=text), file="deals.csv", line=3, reason="has 3 fields"
    )
    assert len(err.problems) == 1


@pytest.mark.parametrize(
    "tail",
    [",,\n", " \t \n", '""\n', '" ", \n', "\n\n"],
    ids=["delimiters", "blanks", "empty quotes", "quoted blank", "blank lines"],
)
def test_short_blank_records_are_skipped(tmp_path, db, baseline_db, tail):
    load_ok(tmp_path, db, files(deals=BASE["deals"] + tail + "D5,P03,1,2025-04-01,open,,\n"))
    assert query(db, "select count(*) from deals") == [(5,)]


@pytest.mark.parametrize("case", SHORT_RECORDS, ids=list(SHORT_RECORDS))
def test_short_records_agree_with_the_csv_module(case):
    """The Polars passes and the csv-module pass (used when lines and records do not add up)
    find the same records on the same lines."""
    text = SHORT_RECORDS[case][0] + "\n,,\n  \nD9,P01\n"
    names = text.split("\n", 1)[0].split(",")
    frame = pl.read_csv(
        text.encode(), new_columns=names, infer_schema=False, row_index_name=loader.ROW
    )
    fast = loader._short_records(text, ",", 7, frame)
    slow = csvtext.short_records_csv(text, ",", 7)
    assert [(line, fields) for line, fields, _ in fast[0]] == [
        (line, fields) for line, fields, _ in slow[0]
    ]
    assert fast[1] == slow[1] == 2


def test_short_record_in_a_big_file_names_its_line(tmp_path, db):
    """The one-pass check and the per-line pass both run on more rows than a chunk of Polars."""
    body = "".join(f"X{i},P01,1,2025-01-01,lost,,\n" for i in range(200_000))
    lines = (BASE["deals"] + body).split("\n")
    lines[150_000] = lines[150_000].rsplit(",", 3)[0]
    expect_problem(
        tmp_path,
        db,
        files(deals="\n".join(lines)),
        file="deals.csv",
        line=150_001,
        value=lines[150_000],
        reason="has 4 fields but the header names 7",
    )
