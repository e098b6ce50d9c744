"""channel.ingest.readers: every source file is written here from bytes or from code, in tmp_path,
and every expected value is spelled out by hand."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from channel.ingest import readers
from channel.ingest.readers import (
    MAX_FIELD_CHARS,
    SourceError,
    open_source,
    parse_source_arg,
    read_source,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rows(src) -> list[tuple]:
    return src.frame.rows()


def refusal(path: Path, **kwargs) -> str:
    with pytest.raises(SourceError) as e:
        read_source(path, **kwargs)
    return str(e.value)


# ---------------------------------------------------------------------------------------------
# CSV encodings


def test_utf8_with_bom_strips_it_from_the_first_header(tmp_path):
    src = read_source(write(tmp_path, "a.csv", b"\xef\xbb\xbfPartner, Amount \r\nP01,12\r\n"))
    assert src.headers == ["Partner", "Amount"]
    assert src.encoding == "utf-8-sig"
    assert src.line_word == "line"
    assert src.name == "a.csv"
    assert src.frame.schema == {"Partner": pl.String, "Amount": pl.String, "_line": pl.Int64}
    assert rows(src) == [("P01", "12", 2)]


def test_utf16_le_with_bom_and_tabs_is_excel_unicode_text(tmp_path):
    text = "Partner\tCity\tAmount\r\nP01\tZürich\t1.234,50\r\nP02\tMünchen\t7\r\n"
    src = read_source(write(tmp_path, "u.txt", b"\xff\xfe" + text.encode("utf-16-le")))
    assert src.encoding == "utf-16"
    assert src.headers == ["Partner", "City", "Amount"]
    assert rows(src) == [("P01", "Zürich", "1.234,50", 2), ("P02", "München", "7", 3)]


def test_cp1252_is_detected_when_the_file_is_not_utf8(tmp_path):
    # 0xE9 é, 0x80 €, 0xFC ü: Excel's "CSV" on Windows
    data = b"Partner,Note\r\nP01,caf\xe9\r\nP02,\x80 5 f\xfcr Z\xfcrich\r\n"
    src = read_source(write(tmp_path, "w.csv", data))
    assert src.encoding == "cp1252"
    assert rows(src) == [("P01", "café", 2), ("P02", "€ 5 für Zürich", 3)]


def test_explicit_encoding_overrides_detection(tmp_path):
    src = read_source(write(tmp_path, "w.csv", b"a\n\xe9\n"), encoding="latin-1")
    assert src.encoding == "iso8859-1"
    assert rows(src) == [("é", 2)]


def test_utf8_declared_as_cp1252_is_refused_as_mojibake(tmp_path):
    path = write(tmp_path, "m.csv", "Partner,City\nP01,Zürich\nP02,Málaga\n".encode())
    message = refusal(path, encoding="cp1252")
    assert "m.csv, line 2" in message
    assert "'Ã¼' looks like 'ü' garbled" in message
    assert "encoding='utf-8'" in message


def test_utf8_file_holding_garbled_text_is_refused(tmp_path):
    path = write(tmp_path, "g.csv", "Partner,City\nP01,ZÃ¼rich\n".encode())
    message = refusal(path)
    assert "g.csv, line 2, value 'P01,ZÃ¼rich'" in message
    assert "garbled before this file was saved" in message


def test_bytes_undecodable_in_the_declared_encoding_name_the_line(tmp_path):
    path = write(tmp_path, "b.csv", b"a,b\n1,2\n3,\xff\xfe\n")
    message = refusal(path, encoding="utf-8")
    assert "b.csv, line 3" in message
    assert "bytes ff at byte 10 are not utf-8 text" in message


def test_cp1252_undefined_byte_is_refused(tmp_path):
    # 0x81 has no character in cp1252; not UTF-8 either
    message = refusal(write(tmp_path, "x.csv", b"a\nok\nbad \x81\xe9\n"))
    assert "x.csv" in message
    assert "is neither UTF-8 nor cp1252" in message or "not cp1252 text" in message


def test_unknown_encoding_name_is_refused(tmp_path):
    message = refusal(write(tmp_path, "a.csv", b"a\n1\n"), encoding="klingon-8")
    assert "value 'klingon-8': unknown encoding" in message


def test_nul_bytes_are_refused_with_the_line(tmp_path):
    message = refusal(write(tmp_path, "junk.csv", b"a,b\n1,2\n\x00\x01\x02PK\n"))
    assert "junk.csv, line 3: contains NUL bytes: not a text file" in message


# ---------------------------------------------------------------------------------------------
# CSV structure


@pytest.mark.parametrize(
    ("delimiter", "name"), [(b";", "semi.csv"), (b"\t", "tab.tsv"), (b"|", "pipe.txt")]
)
def test_delimiter_is_detected_from_the_header(tmp_path, delimiter, name):
    data = b"Partner;Amount\n" + b'P01;"1,5"\n' + b"P02;7\n"
    src = read_source(write(tmp_path, name, data.replace(b";", delimiter)))
    assert src.headers == ["Partner", "Amount"]
    assert rows(src) == [("P01", "1,5", 2), ("P02", "7", 3)]


def test_quoted_multiline_field_keeps_later_line_numbers_right(tmp_path):
    data = b'id,note\r\n1,"first\r\nsecond\r\nthird"\r\n2,plain\r\n3,"x"'  # no final newline
    src = read_source(write(tmp_path, "q.csv", data))
    assert rows(src) == [("1", "first\r\nsecond\r\nthird", 2), ("2", "plain", 5), ("3", "x", 6)]


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    src = read_source(write(tmp_path, "b.csv", b"a,b\n\n1,2\n   \n,\n3,4\n\n"))
    assert rows(src) == [("1", "2", 3), ("3", "4", 6)]


def test_short_record_is_refused_with_its_line(tmp_path):
    message = refusal(write(tmp_path, "s.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8\n"))
    assert "s.csv, line 3, value '4,5': has 2 fields but the header names 3" in message


def test_long_record_is_refused_with_its_line(tmp_path):
    message = refusal(write(tmp_path, "l.csv", b"a,b\n1,2\n3,4\n5,6,7\n"))
    assert "l.csv, line 4, value '5,6,7': has 3 fields but the header names 2" in message


def test_duplicate_and_empty_headers_are_refused(tmp_path):
    message = refusal(write(tmp_path, "h.csv", b"Amount, ,Amount \n1,2,3\n"))
    assert "h.csv, line 1: header 2 is empty" in message
    assert "h.csv, line 1, column Amount: header 3 repeats an earlier header name" in message


def test_formula_text_in_a_csv_cell_is_kept_as_text(tmp_path):
    data = b'name,link\nP01,"=HYPERLINK(""http://x"",""x"")"\n'
    src = read_source(write(tmp_path, "f.csv", data))
    assert rows(src) == [("P01", '=HYPERLINK("http://x","x")', 2)]


def test_long_field_is_kept_and_a_too_long_one_refused(tmp_path):
    ok = "x" * 200_000
    src = read_source(write(tmp_path, "ok.csv", f"a,b\n1,{ok}\n".encode()))
    assert rows(src) == [("1", ok, 2)]
    huge = "y" * (MAX_FIELD_CHARS + 1)
    message = refusal(write(tmp_path, "big.csv", f"a,b\n1,2\n3,{huge}\n".encode()))
    assert "big.csv, line 3, column b" in message
    assert "1,000,001 characters, over the limit of 1,000,000" in message


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    message = refusal(write(tmp_path, "a.csv", b"a\n" + b"1\n" * 50), max_bytes=100)
    assert "a.csv: is 102 bytes, over the limit of 100" in message


def test_empty_file_is_refused(tmp_path):
    assert "file is empty" in refusal(write(tmp_path, "e.csv", b"\r\n"))


# ---------------------------------------------------------------------------------------------
# XLSX


def write_workbook(path: Path) -> Path:
    book = xlsxwriter.Workbook(path)
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    deals = book.add_worksheet("Deals")
    deals.write_row(0, 0, ["Partner", " Closed ", "Amount", "Units", "Total", "Ref"])
    deals.write_string(1, 0, "P01")
    deals.write_datetime(1, 1, dt.date(2024, 3, 31), date)
    deals.write_number(1, 2, 1234.5)
    deals.write_number(1, 3, 42)
    deals.write_formula(1, 4, "=C2*2", None, 2469)  # cached value; never evaluated by us
    deals.write_string(1, 5, "45000")  # looks like a date serial, but is text
    # row 3 is blank
    deals.write_string(3, 0, "P02")
    deals.write_datetime(3, 1, dt.datetime(2024, 4, 1, 13, 5), stamp)
    deals.write_number(3, 2, 0.1 + 0.2)
    deals.write_number(3, 3, -7)
    deals.write_boolean(3, 4, True)
    other = book.add_worksheet("Q3 targets")
    other.write_row(0, 0, ["Partner", "Target"])
    other.write_row(1, 0, ["P09", 100])
    book.close()
    return path


def test_xlsx_first_sheet_cells_read_as_a_user_sees_them(tmp_path):
    src = read_source(write_workbook(tmp_path / "deals.xlsx"))
    assert src.name == "deals.xlsx"
    assert src.line_word == "row"
    assert src.headers == ["Partner", "Closed", "Amount", "Units", "Total", "Ref"]
    assert src.frame.schema["_line"] == pl.Int64
    assert rows(src) == [
        ("P01", "2024-03-31", "1234.5", "42", "2469", "45000", 2),
        ("P02", "2024-04-01T13:05:00", "0.3", "-7", "TRUE", None, 4),
    ]


def test_xlsx_second_sheet_through_the_source_argument(tmp_path):
    write_workbook(tmp_path / "deals.xlsx")
    path, sheet = parse_source_arg(str(tmp_path / "deals.xlsx#Q3 targets"))
    assert (path, sheet) == (tmp_path / "deals.xlsx", "Q3 targets")
    src = read_source(path, sheet=sheet)
    assert src.name == "deals.xlsx#Q3 targets"
    assert rows(src) == [("P09", "100", 2)]


def test_parse_source_arg_without_a_sheet():
    assert parse_source_arg("exports/a#b.csv") == (Path("exports/a#b.csv"), None)
    assert parse_source_arg("x.xlsx") == (Path("x.xlsx"), None)


def test_unknown_sheet_lists_the_sheets(tmp_path):
    message = refusal(write_workbook(tmp_path / "deals.xlsx"), sheet="Q4")
    assert "deals.xlsx: has no sheet named 'Q4'; its sheets are 'Deals', 'Q3 targets'" in message


def test_text_renamed_xlsx_is_refused(tmp_path):
    message = refusal(write(tmp_path, "fake.xlsx", b"a,b\n1,2\n"))
    assert "fake.xlsx: not a readable XLSX workbook (not a zip archive" in message


def test_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "z.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "z.xlsx: not a readable XLSX workbook (" in refusal(path)


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024**2))
    assert "bomb.xlsx: not a readable XLSX workbook: it would unpack to 52,428,800" in refusal(path)


# ---------------------------------------------------------------------------------------------
# Parquet


def test_parquet_dates_and_floats_become_text(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame(
        {
            " Partner": ["P01", "P02", None],
            "Closed": [dt.date(2024, 3, 31), None, dt.date(2023, 12, 1)],
            "Amount": [1234.5, 42.0, 0.1],
            "Units": [1, 2, 3],
        }
    ).write_parquet(path)
    src = read_source(path)
    assert src.headers == ["Partner", "Closed", "Amount", "Units"]
    assert src.line_word == "row"
    assert rows(src) == [
        ("P01", "2024-03-31", "1234.5", "1", 1),
        ("P02", None, "42", "2", 2),
        (None, "2023-12-01", "0.1", "3", 3),
    ]


def test_junk_parquet_is_refused(tmp_path):
    assert "j.parquet: cannot be read as Parquet" in refusal(write(tmp_path, "j.parquet", b"PAR"))


# ---------------------------------------------------------------------------------------------
# Batches: a CSV file is read a chunk of bytes at a time. Tiny chunks put chunk edges inside
# records, quoted fields, multi-byte characters and UTF-16 code units.


def batch_rows(path: Path, size: int, chunk_bytes: int, **kwargs) -> list[list[tuple]]:
    src = open_source(path, chunk_bytes=chunk_bytes, **kwargs)
    batches = list(src.batches(size))
    for b in batches:
        assert b.columns == [*src.headers, "_line"]
        assert b.schema["_line"] == pl.Int64
    return [b.rows() for b in batches]


def flat(batches: list[list[tuple]]) -> list[tuple]:
    return [r for b in batches for r in b]


def refusal_in_batches(path: Path, size: int = 2, chunk_bytes: int = 7, **kwargs) -> tuple:
    """(records yielded before the refusal, the refusal's text)."""
    src = open_source(path, chunk_bytes=chunk_bytes, **kwargs)  # the header alone: no error
    seen = []
    with pytest.raises(SourceError) as e:
        for b in src.batches(size):
            seen.extend(b.rows())
    return seen, str(e.value)


MULTILINE = (
    b"id,note,amount\r\n"
    b'1,"first\r\nsecond\r\nthird","$1,234.00"\r\n'
    b"\r\n"
    b'2,plain,"$5.00"\r\n'
    b'3,"a ""quoted"" word\nand a line",7\r\n'
    b"   \r\n"
    b'4,"x",8'  # no final newline
)
MULTILINE_ROWS = [
    ("1", "first\r\nsecond\r\nthird", "$1,234.00", 2),
    ("2", "plain", "$5.00", 6),
    ("3", 'a "quoted" word\nand a line', "7", 7),
    ("4", "x", "8", 10),
]


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 8, 13, 21, 1000])
@pytest.mark.parametrize("size", [1, 2, 3, 100])
def test_batches_hold_the_frames_records_and_lines_at_any_chunk_edge(tmp_path, chunk_bytes, size):
    path = write(tmp_path, "q.csv", MULTILINE)
    assert read_source(path).frame.rows() == MULTILINE_ROWS
    batches = batch_rows(path, size, chunk_bytes)
    assert flat(batches) == MULTILINE_ROWS
    assert [len(b) for b in batches[:-1]] == [size] * (len(batches) - 1)
    assert 1 <= len(batches[-1]) <= size


def test_a_quoted_field_longer_than_several_chunks_straddles_them(tmp_path):
    # the 300-line note spans many 16-byte chunks: no line break inside it ends a record
    note = "\n".join(f"line {i}, with a comma" for i in range(300))
    data = f'id,note\n1,"{note}"\n2,after\n3,"short"\n'.encode()
    path = write(tmp_path, "long.csv", data)
    expected = [("1", note, 2), ("2", "after", 302), ("3", "short", 303)]
    assert flat(batch_rows(path, 2, 16)) == expected
    assert read_source(path, chunk_bytes=16).frame.rows() == expected


def test_a_multiline_quoted_header_sets_the_first_record_line(tmp_path):
    data = b'"Partner\nname",Amount\nP01,1\nP02,"2\n3"\nP03,4\n'
    path = write(tmp_path, "h.csv", data)
    expected = [("P01", "1", 3), ("P02", "2\n3", 4), ("P03", "4", 6)]
    assert flat(batch_rows(path, 1, 3)) == expected
    assert open_source(path, chunk_bytes=3).headers == ["Partner\nname", "Amount"]


def test_open_source_reads_the_header_only(tmp_path):
    # the bad byte on line 4 is found by batches, not by open_source
    path = write(tmp_path, "b.csv", b"a,b\n1,2\n3,4\n5,\xff\n")
    src = open_source(path, encoding="utf-8", chunk_bytes=4)
    assert (src.headers, src.encoding, src.line_word) == (["a", "b"], "utf-8", "line")
    seen, message = refusal_in_batches(path, size=1, chunk_bytes=4, encoding="utf-8")
    assert seen == [("1", "2", 2), ("3", "4", 3)]
    assert "b.csv, line 4, value '\\\\xff': bytes ff at byte 14 are not utf-8 text" in message


def records(n: int, first: int = 1) -> bytes:
    return b"".join(f'P{i:03},"Name {i}, Inc."\n'.encode() for i in range(first, first + n))


def test_a_byte_that_does_not_decode_in_a_later_batch_names_its_line(tmp_path, monkeypatch):
    # the first 64 bytes read as UTF-8, so the file is taken as UTF-8; line 42 is cp1252
    monkeypatch.setattr(readers, "SAMPLE_BYTES", 64)
    data = b"id,name\n" + records(40) + b"P041,Caf\xe9\n" + records(5, 42)
    seen, message = refusal_in_batches(write(tmp_path, "late.csv", data), size=10, chunk_bytes=50)
    assert len(seen) >= 10 and seen[0] == ("P001", "Name 1, Inc.", 2)
    assert "late.csv, line 42, value '\\\\xe9': bytes e9 at byte 847 " in message
    assert "are not utf-8 text; the first 64 bytes read as UTF-8" in message
    assert "encoding='cp1252'" in message


def test_garbled_text_in_a_later_batch_names_its_line(tmp_path):
    data = b"id,name\n" + records(30) + "P031,ZÃ¼rich AG\n".encode() + records(3, 32)
    seen, message = refusal_in_batches(write(tmp_path, "g.csv", data), size=5, chunk_bytes=40)
    assert seen[:1] == [("P001", "Name 1, Inc.", 2)]
    assert "g.csv, line 32, value 'P031,ZÃ¼rich AG': 'Ã¼' looks like 'ü' garbled" in message


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (
            b"P031,x,extra\n",
            "r.csv, line 32, value 'P031,x,extra': has 3 fields but the header names 2",
        ),
        (b"P031\n", "r.csv, line 32, value 'P031': has 1 fields but the header names 2"),
        (
            b'P031,5" monitor\n',
            "r.csv, line 32, value 'P031,5\" monitor': has a stray double quote",
        ),
        (b"P031,\x00\n", "r.csv, line 32: contains NUL bytes: not a text file"),
    ],
)
def test_a_bad_record_in_a_later_batch_names_its_line(tmp_path, monkeypatch, bad, expected):
    monkeypatch.setattr(readers, "SAMPLE_BYTES", 64)  # a NUL past the sample is found later
    data = b"id,name\n" + records(30) + bad + records(30, 32)
    seen, message = refusal_in_batches(write(tmp_path, "r.csv", data), size=5, chunk_bytes=64)
    assert seen[:1] == [("P001", "Name 1, Inc.", 2)]
    assert expected in message


def test_a_too_long_field_in_a_later_batch_names_its_line(tmp_path):
    huge = b"y" * (MAX_FIELD_CHARS + 1)
    data = b"id,name\n" + records(3) + b"P004," + huge + b"\n" + records(1, 5)
    seen, message = refusal_in_batches(
        write(tmp_path, "big.csv", data), size=1, chunk_bytes=1 << 16
    )
    assert seen[:1] == [("P001", "Name 1, Inc.", 2)]
    assert "big.csv, line 5, column name" in message
    assert "1,000,001 characters, over the limit of 1,000,000" in message


ENCODED_TEXT = 'Partner;City;Note\r\nP01;Zürich;"Straße 5;\r\n2. Stock"\r\nP02;München;€ 7\r\n'
ENCODED_ROWS = [("P01", "Zürich", "Straße 5;\r\n2. Stock", 2), ("P02", "München", "€ 7", 4)]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"\xff\xfe" + ENCODED_TEXT.encode("utf-16-le"), "utf-16"),
        (b"\xfe\xff" + ENCODED_TEXT.encode("utf-16-be"), "utf-16"),
        (b"\xef\xbb\xbf" + ENCODED_TEXT.encode(), "utf-8-sig"),
        (ENCODED_TEXT.encode("cp1252"), "cp1252"),
        (ENCODED_TEXT.encode(), "utf-8"),
    ],
)
@pytest.mark.parametrize("chunk_bytes", [1, 3, 7, 1000])
def test_encodings_read_in_batches(tmp_path, data, encoding, chunk_bytes):
    path = write(tmp_path, "e.csv", data)
    src = open_source(path, chunk_bytes=chunk_bytes)
    assert src.encoding == encoding
    assert src.headers == ["Partner", "City", "Note"]
    assert flat(batch_rows(path, 1, chunk_bytes)) == ENCODED_ROWS


def test_a_byte_that_does_not_decode_in_utf16_names_its_line(tmp_path):
    # a lone high surrogate (D800) followed by "x" on line 3
    data = b"\xff\xfe" + "a\r\n1\r\n".encode("utf-16-le") + b"\x00\xd8x\x00\r\x00\n\x00"
    _, message = refusal_in_batches(write(tmp_path, "u.csv", data), chunk_bytes=3)
    assert "u.csv, line 3" in message
    assert "are not utf-16 text" in message


def test_frame_of_an_opened_source_is_every_batch(tmp_path):
    path = write(tmp_path, "q.csv", MULTILINE)
    src = open_source(path, chunk_bytes=5)
    assert flat([b.rows() for b in src.batches(2)]) == MULTILINE_ROWS
    assert src.frame.rows() == MULTILINE_ROWS  # read on first use
    assert flat([b.rows() for b in src.batches(3)]) == MULTILINE_ROWS  # now sliced from it
    empty = open_source(write(tmp_path, "h.csv", b"a,b\n\n"))
    assert list(empty.batches()) == []
    assert empty.frame.schema == {"a": pl.String, "b": pl.String, "_line": pl.Int64}
    with pytest.raises(ValueError, match="size must be at least 1"):
        next(src.batches(0))


def test_parquet_batches_are_slices_with_row_numbers(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame(
        {"Partner": [f"P{i}" for i in range(7)], "Amount": [1.5, 2.0] * 3 + [None]}
    ).write_parquet(path)
    src = open_source(path)
    batches = [b.rows() for b in src.batches(3)]
    assert [len(b) for b in batches] == [3, 3, 1]
    assert batches[1] == [("P3", "2", 4), ("P4", "1.5", 5), ("P5", "2", 6)]
    assert flat(batches) == read_source(path).frame.rows()


def test_xlsx_batches_are_slices_of_the_sheet(tmp_path):
    src = open_source(write_workbook(tmp_path / "deals.xlsx"))
    assert [b.rows() for b in src.batches(1)] == [[r] for r in src.frame.rows()]
