"""Read one source file (a CRM export) faithfully: every value as text, with where it came from.

``read_source(path, sheet=None, encoding=None) -> Source`` reads CSV (or TAB/``;``/``|``
delimited text), XLSX and Parquet. ``Source.frame`` has one ``pl.String`` column per source
header, as written (stripped of surrounding blanks and a BOM), plus ``_line`` (Int64): for CSV
the physical line where the record starts (header = line 1); for XLSX the spreadsheet row
(header = row 1 when it is the first row); for Parquet the data row (first = 1). Blank lines and
rows are skipped; the numbers of the others are kept. Empty cells are null.

Anything that cannot be read faithfully raises ``SourceError``, whose problems name the file,
the line or row, the column and the value where known: bytes that do not decode in the detected
or declared encoding, text that looks garbled (UTF-8 read as cp1252, ``Ã©`` for ``é``), NUL
bytes, records with more or fewer fields than the header, duplicate or empty header names, a
field over ``MAX_FIELD_CHARS``, a file over ``max_bytes``, a workbook that is not one (or would
unpack past ``max_bytes``), an unknown sheet, an unreadable Parquet file.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import charset_normalizer
import polars as pl
import python_calamine

from channel import csvtext
from channel.loader import Problem

LINE = "_line"
MAX_BYTES = 2 * 1024**3  # default size limit of a source file
MAX_FIELD_CHARS = 1_000_000
MAX_SHOWN = 20  # problems of one kind listed; the rest are counted
MAX_UNZIP_RATIO = 1000  # an XLSX part that unpacks to more than this times its size is a bomb
DELIMITERS = (",", ";", "\t", "|")  # tried in this order; the most frequent in the header wins
CSV_SUFFIXES = (".csv", ".txt", ".tsv", ".tab")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet",)


@dataclasses.dataclass
class Source:
    name: str  # file name as given, plus "#Sheet" for a named sheet
    frame: pl.DataFrame  # source headers (all pl.String) plus LINE (Int64)
    line_word: str  # "line" (CSV) or "row" (XLSX, Parquet)
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "cp1252", ...; "xlsx"/"parquet" otherwise
    headers: list[str]


class SourceError(Exception):
    """A source file that cannot be read faithfully; ``problems`` says where and why."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        head = f"cannot read the source: {n} problem{'s' if n != 1 else ''}"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


def parse_source_arg(text: str) -> tuple[Path, str | None]:
    """``"deals.xlsx#Q3 export"`` -> (Path("deals.xlsx"), "Q3 export"); no ``#`` -> no sheet.
    Only the last ``#`` counts, and only after a spreadsheet name, so ``a#b.csv`` stays a path."""
    head, sep, sheet = text.rpartition("#")
    if sep and head.lower().endswith(XLSX_SUFFIXES) and sheet:
        return Path(head), sheet
    return Path(text), None


def read_source(
    path: Path,
    sheet: str | None = None,
    encoding: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> Source:
    """Read ``path`` by its suffix (.csv/.txt/.tsv/.tab, .xlsx/.xlsm, .parquet)."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise SourceError([Problem(name, None, None, None, "is not a file")])
    size = path.stat().st_size
    if size > max_bytes:
        reason = f"is {size:,} bytes, over the limit of {max_bytes:,}"
        raise SourceError([Problem(name, None, None, None, reason)])
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in XLSX_SUFFIXES:
        raise SourceError([Problem(name, None, None, None, "has no sheets: it is not XLSX")])
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, sheet, max_bytes)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, encoding)
    reason = "unknown kind of file: expected .csv, .txt, .tsv, .xlsx or .parquet"
    raise SourceError([Problem(name, None, None, None, reason)])


# ---------------------------------------------------------------------------------------------
# Headers and the finished frame


def _clean_header(name: object) -> str:
    return ("" if name is None else str(name)).strip().lstrip("\ufeff").strip()


def _check_headers(file: str, headers: list[str], line: int | None, word: str) -> None:
    problems, seen = [], set()
    for i, h in enumerate(headers, start=1):
        if not h:
            problems.append(Problem(file, line, None, None, f"header {i} is empty", word))
        elif h == LINE:
            reason = f"header {i} is {LINE!r}, a name this reader keeps for itself"
            problems.append(Problem(file, line, h, None, reason, word))
        elif h in seen:
            reason = f"header {i} repeats an earlier header name"
            problems.append(Problem(file, line, h, None, reason, word))
        seen.add(h)
    if problems:
        raise SourceError(problems)


def _check_field_lengths(file: str, frame: pl.DataFrame, word: str) -> None:
    problems = []
    for c in frame.columns:
        if c == LINE:
            continue
        long = frame.filter(pl.col(c).str.len_chars() > MAX_FIELD_CHARS)
        for line, value in long.select(LINE, c).head(MAX_SHOWN).rows():
            reason = f"a value of {len(value):,} characters, over the limit of {MAX_FIELD_CHARS:,}"
            problems.append(Problem(file, line, c, value, reason, word))
    if problems:
        raise SourceError(problems)


# ---------------------------------------------------------------------------------------------
# CSV: encoding

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Scripts that charset-normalizer may name for a text that cp1252 reads right. A best guess
# outside these (Cyrillic, Greek, CJK, ...) means the file is not cp1252.
_LATIN_ALPHABETS = {
    "Basic Latin",
    "Control character",
    "Latin-1 Supplement",
    "Latin Extended-A",
    "Latin Extended-B",
    "Latin Extended Additional",
    "Currency Symbols",
    "General Punctuation",
    "Letterlike Symbols",
    "Spacing Modifier Letters",
}
# UTF-8 read as cp1252: a lead byte (Â-ô) then continuation bytes (0x80-0xBF as cp1252 shows
# them). Such text is refused; a match is confirmed by turning it back into UTF-8.
_CONT = re.escape(bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore"))
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df][{_CONT}]|[\u00e0-\u00ef][{_CONT}]{{2}}|[\u00f0-\u00f4][{_CONT}]{{3}}"
)


def _decode(path: Path, data: bytes, declared: str | None) -> tuple[str, str]:
    """(text without a BOM, encoding used)."""
    name = path.name
    if declared is not None:
        try:
            encoding = codecs.lookup(declared).name
        except LookupError:
            raise SourceError([Problem(name, None, None, declared, "unknown encoding")]) from None
        if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
    else:
        encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding is None:
        _refuse_nul(name, data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = _guess_single_byte(path, data)
        else:
            _refuse_mojibake(name, text, "utf-8")
            return text, "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        bad = data[e.start : e.end]
        hint = "" if declared else "; pass the right encoding (e.g. encoding='cp1250')"
        reason = f"bytes {bad.hex(' ')} at byte {e.start:,} are not {encoding} text{hint}"
        raise SourceError([Problem(name, line, None, repr(bad)[2:-1], reason)]) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SourceError([Problem(name, line, None, None, "contains NUL characters")])
    _refuse_mojibake(name, text, encoding)
    return text, encoding


def _refuse_nul(name: str, data: bytes) -> None:
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        reason = (
            "contains NUL bytes: not a text file (or UTF-16 without a byte order mark; "
            "pass encoding='utf-16-le' if so)"
        )
        raise SourceError([Problem(name, line, None, None, reason)])


def _guess_single_byte(path: Path, data: bytes) -> str:
    """Not UTF-8: cp1252 (Excel's "CSV" on Windows) unless charset-normalizer is sure the text
    is in another script. Central European cp1250 text also decodes as cp1252, wrongly: such a
    file needs ``encoding='cp1250'``."""
    try:
        data.decode("cp1252")
        fits = True
    except UnicodeDecodeError:
        fits = False
    best = charset_normalizer.from_bytes(data[:1_000_000]).best()
    other = best is not None and not set(best.alphabets) <= _LATIN_ALPHABETS
    if fits and not other:
        return "cp1252"
    if best is not None:
        reason = (
            f"is neither UTF-8 nor cp1252; it looks like {best.encoding} "
            f"({best.language}): pass encoding={best.encoding!r} to read it"
        )
    else:
        reason = "is neither UTF-8 nor cp1252 and its encoding cannot be told: save it as UTF-8"
    raise SourceError([Problem(path.name, None, None, None, reason)])


def _refuse_mojibake(name: str, text: str, encoding: str) -> None:
    for m in _MOJIBAKE.finditer(text):
        try:
            fixed = m.group().encode("cp1252").decode("utf-8")
        except UnicodeError:
            continue
        line = text.count("\n", 0, m.start()) + 1
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        value = text[start : end if end >= 0 else len(text)].rstrip("\r")
        if encoding.startswith("utf-8"):
            why = "garbled before this file was saved (UTF-8 that was read as cp1252 and saved)"
        else:
            why = f"this is UTF-8 read as {encoding}: pass encoding='utf-8'"
        reason = f"{m.group()!r} looks like {fixed!r} garbled: {why}"
        raise SourceError([Problem(name, line, None, value, reason)])


# ---------------------------------------------------------------------------------------------
# CSV: records


def _read_csv(path: Path, declared: str | None) -> Source:
    name = path.name
    data = path.read_bytes()
    text, encoding = _decode(path, data, declared)
    del data
    if not text.strip():
        reason = "file is empty: expected a header line naming the columns"
        raise SourceError([Problem(name, 1, None, None, reason)])
    first = text.split("\n", 1)[0]
    counts = [csvtext.count_outside_quotes(first, d) for d in DELIMITERS]
    delimiter = DELIMITERS[counts.index(max(counts))]
    limit = csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = next(reader)
        header_lines = reader.line_num
    except csv.Error as e:
        reason = f"the header line cannot be read ({e})"
        raise SourceError([Problem(name, 1, None, None, reason)]) from None
    finally:
        csv.field_size_limit(limit)
    headers = [_clean_header(h) for h in header]
    _check_headers(name, headers, 1, "line")
    width = len(headers)
    utf8 = text.encode("utf-8")
    try:
        frame = pl.read_csv(
            io.BytesIO(utf8),
            separator=delimiter,
            has_header=True,
            new_columns=headers,
            infer_schema=False,
            row_index_name=LINE,
            raise_if_empty=False,
            truncate_ragged_lines=False,  # more fields than the header: an error
        )
    except pl.exceptions.PolarsError as e:
        line, value, reason = csvtext.locate_csv_error(text, delimiter, width)
        raise SourceError(
            [Problem(name, line, None, value, reason or f"cannot be read as CSV: {e}")]
        ) from None
    del utf8
    shown, total = _short_records(text, delimiter, width, frame, header_lines)
    if total:
        problems = [
            Problem(name, line, None, value, f"has {n} fields but the header names {width}")
            for line, n, value in shown
        ]
        if total > len(shown):
            more = f"{total - len(shown):,} more records have fewer fields than the header"
            problems.append(Problem(name, None, None, None, more))
        raise SourceError(problems)

    # record r starts on line r + 1 + header_lines unless a quoted field spans lines
    no_multiline = '"' not in text and "\r" not in text.replace("\r\n", "")
    one_line_each = text.count("\n") + (not text.endswith("\n")) == frame.height + header_lines
    if no_multiline or one_line_each:
        lines = pl.col(LINE).cast(pl.Int64) + 1 + header_lines
    else:
        starts = csvtext.record_start_lines(text, delimiter)
        if len(starts) != frame.height:  # the two readers disagree: say so, never guess
            reason = (
                f"Polars read {frame.height:,} records and Python's csv module "
                f"{len(starts):,}: {csvtext.QUOTE_HINT}"
            )
            raise SourceError([Problem(name, None, None, None, reason)])
        lines = pl.Series(LINE, starts, dtype=pl.Int64)
    frame = frame.with_columns(lines.alias(LINE) if isinstance(lines, pl.Expr) else lines)
    cells = [pl.col(h).str.strip_chars().fill_null("") == "" for h in headers]
    frame = frame.filter(~pl.all_horizontal(cells)).select(*headers, LINE)
    _check_field_lengths(name, frame, "line")
    return Source(name, frame, "line", encoding, headers)


# The helpers below are copied from channel/loader.py (its CSV reader), so that a reader does not
# depend on the loader's private functions. They could move to one module below both.


def _short_records(
    text: str, delimiter: str, width: int, frame: pl.DataFrame, header_lines: int
) -> tuple[list[tuple[int, int, str]], int]:
    """Records with fewer fields than the header and not blank: (start line, fields, record
    text) of the first MAX_SHOWN, and how many there are. Polars fills missing fields with
    nulls, so the delimiters in the data lines, less those inside values, add up to
    (width - 1) per record exactly when no record is short; otherwise Python's csv module
    reads the file once more to find them."""
    if frame.height == 0:
        return [], 0
    cells = [pl.col(c) for c in frame.columns if c != LINE]
    values = 0
    if '"' in text:
        inside = pl.sum_horizontal(c.str.count_matches(delimiter, literal=True) for c in cells)
        values = frame.select(inside.cast(pl.Int64)).to_series().sum()
    body_start = 0
    for _ in range(header_lines):
        body_start = text.find("\n", body_start) + 1
    separators = text.count(delimiter, body_start) - values
    if separators == (width - 1) * frame.height:
        return [], 0
    return csvtext.short_records_csv(text, delimiter, width)


# ---------------------------------------------------------------------------------------------
# XLSX


def _read_xlsx(path: Path, sheet: str | None, max_bytes: int) -> Source:
    file = path.name
    _check_zip(path, max_bytes)
    try:
        book = python_calamine.load_workbook(path)
        names = list(book.sheet_names)
        if sheet is not None and sheet not in names:
            listed = ", ".join(repr(n) for n in names)
            reason = f"has no sheet named {sheet!r}; its sheets are {listed}"
            raise SourceError([Problem(file, None, None, None, reason)])
        if not names:
            raise SourceError([Problem(file, None, None, None, "the workbook has no sheets")])
        chosen = sheet if sheet is not None else names[0]
        grid = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except SourceError:
        raise
    except BaseException as e:  # calamine's errors, and a Rust panic on a damaged file
        if not (isinstance(e, Exception) or type(e).__name__ == "PanicException"):
            raise
        reason = f"not a readable XLSX workbook ({type(e).__name__}: {e})"
        raise SourceError([Problem(file, None, None, None, reason)]) from None
    name = f"{file}#{sheet}" if sheet is not None else file
    rows = [[_cell_text(v) for v in row] for row in grid]
    del grid
    first = next((i for i, r in enumerate(rows) if any(v is not None for v in r)), None)
    if first is None:
        reason = "the sheet is empty: expected a header row naming the columns"
        raise SourceError([Problem(name, 1, None, None, reason, "row")])
    header = rows[first]
    keep = [
        j
        for j in range(len(header))
        if header[j] is not None or any(len(r) > j and r[j] is not None for r in rows[first:])
    ]
    headers = [_clean_header(header[j]) for j in keep]
    _check_headers(name, headers, first + 1, "row")
    columns: dict[str, list[str | None]] = {h: [] for h in headers}
    lines = []
    for i in range(first + 1, len(rows)):
        row = rows[i]
        values = [row[j] if j < len(row) else None for j in keep]
        if all(v is None or not v.strip(csvtext.WHITE_SPACE) for v in values):
            continue
        for h, v in zip(headers, values, strict=True):
            columns[h].append(v)
        lines.append(i + 1)
    schema = {h: pl.String for h in headers} | {LINE: pl.Int64}
    frame = pl.DataFrame(columns | {LINE: lines}, schema=schema)
    _check_field_lengths(name, frame, "row")
    return Source(name, frame, "row", "xlsx", headers)


def _check_zip(path: Path, max_bytes: int) -> None:
    """Refuse a file that is not a zip archive, or whose parts would unpack past ``max_bytes``
    or at a ratio only a zip bomb has, before calamine unpacks anything. The sizes are those
    the archive declares."""
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        reason = f"not a readable XLSX workbook (not a zip archive: {e})"
        raise SourceError([Problem(path.name, None, None, None, reason)]) from None
    total = sum(p.file_size for p in parts)
    bomb = any(
        p.file_size > 10 * 1024**2 and p.file_size > MAX_UNZIP_RATIO * max(p.compress_size, 1)
        for p in parts
    )
    if total > max_bytes or bomb:
        reason = (
            f"not a readable XLSX workbook: it would unpack to {total:,} bytes "
            f"(limit {max_bytes:,}; ratio limit {MAX_UNZIP_RATIO})"
        )
        raise SourceError([Problem(path.name, None, None, None, reason)])


def _cell_text(value: object) -> str | None:
    """A cell as the text a user sees, near enough: dates in ISO, numbers in plain decimals
    with at most 15 significant digits (Excel's precision), no ``.0`` on whole numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _number_text(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    text = format(Decimal(f"{x:.15g}"), "f")
    return "0" if text in ("-0", "0") else text


# ---------------------------------------------------------------------------------------------
# Parquet


def _read_parquet(path: Path) -> Source:
    """``glob=False``: a folder named like ``exports [2025]`` is a path, not a pattern."""
    file = path.name
    try:
        frame = pl.scan_parquet(path, glob=False).collect()
    except BaseException as e:  # any reader failure, even a Rust panic, but not an interrupt
        if not (isinstance(e, Exception) or type(e).__name__ == "PanicException"):
            raise
        reason = f"cannot be read as Parquet ({type(e).__name__}: {e})"
        raise SourceError([Problem(file, None, None, None, reason, "row")]) from None
    headers = [_clean_header(c) for c in frame.columns]
    _check_headers(file, headers, None, "row")
    problems, texts = [], []
    for original, h in zip(frame.columns, headers, strict=True):
        col, dtype = pl.col(original), frame.schema[original]
        if dtype == pl.Date:
            expr = col.dt.to_string("%Y-%m-%d")
        elif isinstance(dtype, pl.Datetime):
            expr = col.dt.to_string("%Y-%m-%dT%H:%M:%S%.f")
        elif dtype.is_float():
            # shortest round-trip text; whole numbers without ".0", as in a spreadsheet
            expr = col.cast(pl.String).str.strip_suffix(".0")
        elif dtype.is_nested() or dtype in (pl.Binary, pl.Object):
            reason = f"holds {dtype} values, which have no text form here"
            problems.append(Problem(file, None, h, None, reason, "row"))
            continue
        else:
            expr = col.cast(pl.String)
        texts.append(expr.alias(h))
    if problems:
        raise SourceError(problems)
    frame = frame.select(texts).with_row_index(LINE, offset=1)
    frame = frame.with_columns(pl.col(LINE).cast(pl.Int64)).select(*headers, LINE)
    _check_field_lengths(file, frame, "row")
    return Source(file, frame, "row", "parquet", headers)
