"""Loader: read a contract folder, validate everything, then swap in a new DuckDB file atomically.

``load(source_dir, db_path)`` either returns a ``LoadSummary`` or raises ``LoadError``. On any
error the existing database is untouched: the new one is built at a temporary path beside it,
checkpointed, closed and moved over the old one with ``os.replace``. A lock file beside the
database keeps two loads from racing; a later load removes the temporary files of a crashed one.

Problems name the file, the line (CSV: the physical line where the record starts, header = 1;
Parquet: the data row, first = 1), the column and the value, with a short reason.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import fcntl
import io
import itertools
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from channel import SCHEMA_VERSION, csvtext
from channel.contract import EXTENSIONS, MAX_AMOUNT, TABLES, Column, Table
from channel.settings import Settings
from channel.sqlfiles import BUILD_DIR, execute_file

Progress = Callable[[str], None]
ROW = "_row"  # 0-based record index added to every frame while validating
MAX_SHOWN_PER_RULE = 20  # problems listed per (file, column, reason); the rest are counted
BATCH_ROWS = 1_000_000  # records validated and staged at a time: bounds the loader's memory


@dataclasses.dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str
    line_word: str = "line"  # "row" for Parquet

    def __str__(self) -> str:
        where = self.file + (f", {self.line_word} {self.line}" if self.line is not None else "")
        what = f", column {self.column}" if self.column else ""
        value = "" if self.value is None else f", value {_show(self.value)}"
        return f"{where}{what}{value}: {self.reason}"


def _show(value: str, limit: int = 60) -> str:
    text = value if len(value) <= limit else value[:limit] + f"… ({len(value):,} characters)"
    return repr(text)


class LoadError(Exception):
    """Bad input or a failed write.

    ``problems`` holds every problem shown; ``more`` counts the rest, per file, column and reason.
    """

    def __init__(
        self,
        problems: list[Problem],
        more: list[tuple[str, str, str, int]] | None = None,
        what: str = "load",  # "import" for the CRM import's problems
    ):
        self.problems = problems
        self.more = more or []
        self.what = what
        super().__init__(self.report())

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        lines += [
            f"{f}, column {c}: {n:,} more rows with the same problem ({r})"
            for f, c, r, n in self.more
        ]
        total = len(self.problems) + sum(n for *_, n in self.more)
        head = f"{self.what} failed: {total:,} problem{'s' if total != 1 else ''}"
        return "\n".join([head, *("  " + line for line in lines)])


@dataclasses.dataclass
class LoadSummary:
    db_path: Path
    rows: dict[str, int]
    warnings: list[str]
    seconds: float
    default_as_of: str | None
    data_as_of: dt.date | None = None
    data_as_of_source: str = ""
    quarter_states: str = ""  # what the data's date implies, e.g. "2017-Q4 complete; ..."

    def report(self) -> str:
        width = max(len(k) for k in self.rows)
        lines = [f"loaded {self.db_path} in {self.seconds:.1f} s"]
        lines += [f"  {k:<{width}}  {v:>12,}" for k, v in self.rows.items()]
        if self.data_as_of is not None:
            lines.append(
                f"  data as of {self.data_as_of.isoformat()} ({self.data_as_of_source}): "
                f"{self.quarter_states}"
            )
        lines.append(f"  default as-of quarter: {self.default_as_of or '(none: no targets)'}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# Where the data's date came from, in the order they are tried (``resolve_data_as_of``).
AS_OF_GIVEN = "--data-as-of"
AS_OF_SETTING = "data_as_of in the settings"
AS_OF_DEALS = "latest deal date"
AS_OF_TODAY = "day of the load: the deals have no dates"


# ---------------------------------------------------------------------------------------------
# Reading one file


@dataclasses.dataclass
class Source:
    """One readable contract file, whose records come in batches of raw values (lower-case
    contract columns plus ROW). A CSV file is parsed whole into ``frame`` and sliced; a Parquet
    file is read a batch at a time through ``read_slice(offset, n)``."""

    table: Table
    path: Path
    frame: pl.DataFrame | None  # CSV: every record; dropped once the file is staged
    line_of: Callable[[list[int]], list[int]]  # record indexes -> line numbers
    line_word: str
    read_slice: Callable[[int, int], pl.DataFrame] | None = None  # Parquet
    height: int = 0  # records

    def __post_init__(self) -> None:
        if self.frame is not None:
            self.height = self.frame.height

    def batches(self, size: int) -> Iterator[pl.DataFrame]:
        for offset in range(0, self.height, size):
            if self.frame is not None:
                yield self.frame.slice(offset, size)
            else:
                assert self.read_slice is not None
                yield self.read_slice(offset, size)


class _Unreadable(Exception):
    """A Parquet file failed part way through; the message is the reader's."""


class _Collector:
    """Collects problems, keeping at most MAX_SHOWN_PER_RULE per (file, column, reason).

    Files are checked one after the other and in batches, but the report keeps one fixed order:
    file and header problems (contract order), then per file bad values column by column and
    duplicates, then a partners file without rows, unknown partner_ids, deals created after
    they closed. ``section`` is the place in that order where ``add`` and ``add_rows`` file what
    they get; within a section, problems keep the order in which they came.
    """

    def __init__(self) -> None:
        self.section: tuple[int, ...] = (0,)
        self.warnings: list[str] = []
        self._order = itertools.count()
        self._shown: list[tuple[tuple[int, ...], int, Problem]] = []
        self._more: dict[tuple[str, str, str], tuple[tuple[int, ...], int, int]] = {}
        self._counts: dict[tuple[str, str, str], int] = {}

    def add(self, problem: Problem) -> None:
        self._shown.append((self.section, next(self._order), problem))

    def add_rows(
        self, src: Source, bad: pl.DataFrame, column: str, reason: str, total: int | None = None
    ) -> None:
        """``bad`` holds ROW and the offending raw ``column`` values in row order; ``total``
        counts them when ``bad`` holds only the first ones. Calls for the same file, column and
        reason add up (one call per batch): the first ones are shown, the rest counted."""
        total = bad.height if total is None else total
        if total == 0:
            return
        key = (src.path.name, column, reason)
        before = self._counts.get(key, 0)
        self._counts[key] = before + total
        shown = bad.head(max(0, MAX_SHOWN_PER_RULE - before))
        if shown.height:
            lines = src.line_of(shown[ROW].to_list())
            for line, value in zip(lines, shown[column].to_list(), strict=True):
                self.add(Problem(src.path.name, line, column, _text(value), reason, src.line_word))
        self.count_more(key, self._counts[key] - MAX_SHOWN_PER_RULE)

    def count_more(self, key: tuple[str, str, str], more: int) -> None:
        """``more`` rows with the (file, column, reason) ``key`` problem are not shown."""
        if more > 0:
            section, order, _ = self._more.get(key, (self.section, next(self._order), 0))
            self._more[key] = (section, order, more)

    def forget_values(self, file: str) -> None:
        """Drop what the value checks found in ``file`` (it turned out to be unreadable)."""
        self._shown = [e for e in self._shown if e[0][0] == 0 or e[2].file != file]
        self._more = {k: v for k, v in self._more.items() if v[0][0] == 0 or k[0] != file}
        self._counts = {k: v for k, v in self._counts.items() if k[0] != file}

    def raise_if_any(self) -> None:
        if self._shown:
            shown = [p for _, _, p in sorted(self._shown, key=lambda e: e[:2])]
            more = sorted(self._more.items(), key=lambda item: item[1][:2])
            raise LoadError(shown, [(f, c, r, n) for (f, c, r), (_, _, n) in more])


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _find_file(folder: Path, table: Table, out: _Collector) -> Path | None:
    names = {f"{table.name}{ext}" for ext in EXTENSIONS}
    found = sorted(p for p in folder.iterdir() if p.name.lower() in names)
    if len(found) > 1:
        out.add(
            Problem(
                found[1].name,
                None,
                None,
                None,
                f"both {found[0].name} and {found[1].name} exist; keep one",
            )
        )
        return None
    if not found:
        if table.required:
            out.add(
                Problem(
                    f"{table.name}.csv",
                    None,
                    None,
                    None,
                    f"required file is missing from {folder} ({table.name}.csv or .parquet)",
                )
            )
        return None
    path = found[0]
    if not path.is_file():
        out.add(Problem(path.name, None, None, None, "is not a regular file"))
        return None
    return path


def _read_csv(table: Table, path: Path, out: _Collector) -> Source | None:
    data = path.read_bytes()
    if not data.strip():
        out.add(
            Problem(
                path.name,
                1,
                None,
                None,
                "file is empty: expected a header line naming the columns",
            )
        )
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        bad = data[e.start : e.start + 8]
        out.add(
            Problem(
                path.name,
                line,
                None,
                repr(bad)[2:-1],
                "not UTF-8 text: save the file as UTF-8",
            )
        )
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        out.add(Problem(path.name, line, None, None, "contains NUL bytes: not a text file"))
        return None
    first = text.split("\n", 1)[0]
    delimiter = (
        ";"
        if csvtext.count_outside_quotes(first, ";") > csvtext.count_outside_quotes(first, ",")
        else ","
    )
    try:
        header = next(csv.reader([first.rstrip("\r")], delimiter=delimiter))
    except csv.Error as e:
        reason = f"the header line cannot be read ({e}); end lines with LF or CRLF"
        out.add(Problem(path.name, 1, None, None, reason))
        return None
    names = [h.strip().lower() for h in header]
    if not _check_header(table, path.name, names, out, "line"):
        return None
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            separator=delimiter,
            has_header=True,
            new_columns=names,
            infer_schema=False,
            row_index_name=ROW,
            raise_if_empty=False,
            truncate_ragged_lines=False,  # more fields than the header: an error (_short_records)
        )
    except pl.exceptions.PolarsError as e:
        line, value, reason = csvtext.locate_csv_error(text, delimiter, len(names))
        out.add(Problem(path.name, line, None, value, reason or f"cannot be read as CSV: {e}"))
        return None
    shown, total = _short_records(text, delimiter, len(names), frame)
    if total:
        for line, fields, value in shown:
            reason = f"has {fields} fields but the header names {len(names)}"
            out.add(Problem(path.name, line, None, value, reason))
        if total > len(shown):
            more = f"{total - len(shown):,} more records have fewer fields than the header"
            out.add(Problem(path.name, None, None, None, more))
        return None

    # record r sits on line r + 2 unless a quoted field spans lines: with no quotes (and no bare
    # CR), or with exactly one line per record, skip the slow csv pass that finds record starts
    no_multiline = '"' not in text and "\r" not in text.replace("\r\n", "")
    one_line_each = text.count("\n") + (not text.endswith("\n")) == frame.height + 1
    simple = no_multiline or one_line_each

    def line_of(rows: list[int]) -> list[int]:
        if simple:
            return [r + 2 for r in rows]
        starts = csvtext.record_start_lines(text, delimiter)
        return [starts[r] if r < len(starts) else r + 2 for r in rows]

    keep = [c.name for c in table.columns if c.name in names]
    cells = [pl.col(c).str.strip_chars().fill_null("") == "" for c in frame.columns if c != ROW]
    frame = frame.filter(~pl.all_horizontal(cells))  # blank lines; ROW keeps line numbers
    return Source(table, path, frame.select(ROW, *keep), line_of, "line")


def _short_records(
    text: str, delimiter: str, width: int, frame: pl.DataFrame
) -> tuple[list[tuple[int, int, str]], int]:
    """Records with fewer fields than the header (``width``) and not blank: (start line, fields,
    record text) of the first MAX_SHOWN_PER_RULE, and how many there are. ``frame`` is the
    file as Polars read it, blank records included.

    Polars fills missing fields with nulls, and refuses a record with more fields than the
    header. So the delimiters in the data lines, less those inside values, add up to
    (width - 1) per record exactly when no record is short: one count over the text settles the
    common case. Otherwise (short records, or blank lines) the delimiters are counted per
    physical line and, where quoted values hold newlines, summed per record, in Polars; if the
    lines do not add up to Polars' records, Python's csv module reads the file once more."""
    if frame.height == 0:
        return [], 0
    cells = [pl.col(c) for c in frame.columns if c != ROW]
    quoted = '"' in text  # without quotes no value holds a delimiter or a newline

    def inside(char: str) -> pl.Series:
        counts = pl.sum_horizontal(c.str.count_matches(char, literal=True) for c in cells)
        return frame.select(counts.cast(pl.Int64)).to_series()

    values = inside(delimiter) if quoted else pl.zeros(frame.height, pl.Int64, eager=True)
    separators = text.count(delimiter, text.find("\n") + 1) - values.sum()
    if separators == (width - 1) * frame.height:
        return [], 0
    lines = pl.Series(text.split("\n"), dtype=pl.String)  # lines[0] is the header
    body = lines.len() - 1 - text.endswith("\n")  # data lines
    per_line = lines.slice(1, body).str.count_matches(delimiter, literal=True).cast(pl.Int64)
    if body == frame.height:  # one line per record
        spans = pl.ones(frame.height, pl.Int64, eager=True)
    else:
        spans = inside("\n") + 1 if quoted else None  # physical lines of each record
        if spans is None or spans.sum() != body:  # e.g. a quoted header name spans lines
            return csvtext.short_records_csv(text, delimiter, width)
        record = pl.int_range(frame.height, eager=True).repeat_by(spans).explode()
        per_line = (
            pl.DataFrame({"record": record, "n": per_line})
            .group_by("record", maintain_order=True)
            .agg(pl.col("n").sum())["n"]
        )
    short = pl.DataFrame(
        {
            "i": pl.int_range(frame.height, eager=True),
            "fields": per_line - values + 1,
            "start": spans.cum_sum() - spans + 2,
            "spans": spans,
        }
    ).filter(pl.col("fields") < width)
    blank = pl.all_horizontal(c.str.strip_chars().fill_null("") == "" for c in cells)
    short = short.filter(~frame[short["i"]].select(blank).to_series())
    shown = []
    first = short.select("fields", "start", "spans").head(MAX_SHOWN_PER_RULE)
    for fields, start, span in first.rows():
        record = lines.slice(start - 1, span).str.strip_suffix("\r").str.join("\n").item()
        shown.append((start, fields, record))
    return shown, short.height


def _read_parquet(table: Table, path: Path, out: _Collector) -> Source | None:
    """Check the header; the rows are read later, a batch at a time (``Source.read_slice``).
    ``glob=False``: a folder named like ``exports [2025]`` is a path, not a pattern."""
    try:
        original = pl.scan_parquet(path, glob=False).collect_schema().names()
        height = pl.scan_parquet(path, glob=False).select(pl.len()).collect().item()
    except BaseException as e:  # any reader failure (even a panic) is a problem with this file
        if not _is_reader_failure(e):
            raise
        out.add(Problem(path.name, None, None, None, f"cannot be read as Parquet: {e}"))
        return None
    names = [c.strip().lower() for c in original]
    if not _check_header(table, path.name, names, out, "row"):
        return None
    # Only the contract columns are read, in contract order, under their lower-case names.
    found = dict(zip(names, original, strict=True))
    select = [pl.col(found[c.name]).alias(c.name) for c in table.columns if c.name in found]

    def read_slice(offset: int, n: int) -> pl.DataFrame:
        try:
            rows = pl.scan_parquet(path, glob=False).select(select).slice(offset, n).collect()
        except BaseException as e:
            if not _is_reader_failure(e):
                raise
            raise _Unreadable(f"cannot be read as Parquet: {e}") from None
        return rows.with_row_index(ROW, offset=offset)

    return Source(table, path, None, lambda rows: [r + 1 for r in rows], "row", read_slice, height)


def _is_reader_failure(e: BaseException) -> bool:
    """An error raised by the Parquet reader, including a Rust panic on a damaged file
    (``pyo3_runtime.PanicException`` derives from BaseException), but not an interrupt."""
    return isinstance(e, Exception) or type(e).__name__ == "PanicException"


def _check_header(table: Table, file: str, names: list[str], out: _Collector, word: str) -> bool:
    ok = True
    line = 1 if word == "line" else None
    seen: set[str] = set()
    for name in names:
        if name == "":
            out.add(Problem(file, line, None, "", "the header has an empty column name"))
            ok = False
        elif name in seen:
            out.add(Problem(file, line, name, name, "column appears more than once in the header"))
            ok = False
        seen.add(name)
    for col in table.columns:
        if col.required and col.name not in seen:
            found = ", ".join(n if n.isprintable() else repr(n) for n in names if n) or "none"
            out.add(
                Problem(file, line, col.name, None, f"required column is missing (found: {found})")
            )
            ok = False
    extra = [n for n in names if n and n not in {c.name for c in table.columns}]
    if extra:
        out.warnings.append(f"{file}: ignored extra column(s): {', '.join(extra)}")
    return ok


# ---------------------------------------------------------------------------------------------
# Validating values


_DATE_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_QUARTER_RE = r"^([0-9]{4})-[Qq]([1-4])$"  # ASCII digits: the build casts the year to integer


def _clean_text(s: pl.Series) -> pl.Series:
    s = s.cast(pl.String, strict=False) if s.dtype != pl.String else s
    s = s.str.strip_chars()
    return s.set(s == "", None) if s.len() else s


def _parse(col: Column, raw: pl.Series) -> tuple[pl.Series, pl.Series, str]:
    """Return (typed values, bad-mask, reason). Empty cells come back null and are not bad here."""
    name = col.name
    n = raw.len()
    if col.kind in ("amount", "share"):
        if raw.dtype.is_numeric():
            values = raw.cast(pl.Float64)
            empty = values.is_null()
        else:
            text = _clean_text(raw)
            empty = text.is_null()
            values = text.cast(pl.Float64, strict=False)
            nan_text = text.str.to_lowercase().is_in(["nan", "inf", "-inf", "+inf", "infinity"])
            values = values.set(nan_text.fill_null(False), float("nan")) if n else values
        bad_number = ~empty & values.is_null()
        finite = values.is_finite().fill_null(True)
        bad = (
            bad_number
            | ~finite
            | (values < 0).fill_null(False)
            | (values > MAX_AMOUNT).fill_null(False)
        )
        reason = f"must be a finite number between 0 and {MAX_AMOUNT:,.0f}"
        return values.rename(name), bad.fill_null(False), reason
    if col.kind == "year":
        if raw.dtype.is_integer():
            values = raw.cast(pl.Int32)
            empty = values.is_null()
        else:
            text = _clean_text(raw)
            empty = text.is_null()
            values = text.str.extract(r"^(\d{4})$").cast(pl.Int32, strict=False)
        bad = (~empty & values.is_null()) | ~values.is_between(1900, 2200).fill_null(True)
        return values.rename(name), bad.fill_null(False), "must be a year written YYYY"
    if col.kind == "date":
        if raw.dtype == pl.Date:
            values = raw
            empty = values.is_null()
        elif isinstance(raw.dtype, pl.Datetime):
            values = raw.dt.date()
            empty = values.is_null()
        else:
            text = _clean_text(raw)
            empty = text.is_null()
            shaped = text.str.contains(_DATE_RE).fill_null(False)
            values = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
            values = values.set(~shaped, None) if n else values
        in_range = values.is_between(dt.date(1900, 1, 1), dt.date(2200, 12, 31)).fill_null(True)
        bad = (~empty & values.is_null()) | ~in_range
        return values.rename(name), bad.fill_null(False), "must be a real date written YYYY-MM-DD"
    if col.kind == "bool":
        if raw.dtype == pl.Boolean:
            return raw.rename(name), pl.repeat(False, n, eager=True), ""
        text = _clean_text(raw).str.to_lowercase()
        values = (
            pl.DataFrame({"t": text})
            .select(
                pl.when(pl.col("t").is_in(_TRUE))
                .then(True)
                .when(pl.col("t").is_in(_FALSE))
                .then(False)
                .otherwise(None)
            )
            .to_series()
        )
        bad = text.is_not_null() & values.is_null()
        return values.rename(name), bad, "must be true or false"
    text = _clean_text(raw)
    if col.kind == "enum":
        lookup = {c.lower(): c for c in col.choices}
        values = _by_lower_case(text, lambda _value, key: lookup.get(key))
        bad = text.is_not_null() & values.is_null()
        return values.rename(name), bad, "must be one of " + ", ".join(col.choices)
    if col.kind == "quarter":
        parts = text.str.extract_groups(_QUARTER_RE)
        values = (parts.struct.field("1") + "-Q" + parts.struct.field("2")).rename(name)
        bad = text.is_not_null() & values.is_null()
        return values, bad, "must be a fiscal quarter written YYYY-Qn with n in 1..4"
    return text.rename(name), pl.repeat(False, n, eager=True), ""


def _validate(src: Source, index: int, batch: pl.DataFrame, out: _Collector) -> pl.DataFrame:
    """Typed batch with every contract column (absent optional ones get their default) plus
    ROW. Bad values are reported in section (1, index of the file, index of the column, 0 for
    the value's own rule or 1 for an empty required value). A required column with
    ``empty_when`` may be empty on the rows whose other column (typed, default applied) holds
    one of its values, or a bad value (reported already: it cannot tell)."""
    columns = {ROW: batch[ROW]}
    bad_in: dict[str, pl.Series] = {}
    empty_in: list[tuple[int, Column, pl.Series, pl.Series]] = []  # checked once all are typed
    for c, col in enumerate(src.table.columns):
        if col.name not in batch.columns:
            default = col.default
            columns[col.name] = pl.repeat(
                default, batch.height, dtype=_dtype(col), eager=True
            ).rename(col.name)
            continue
        raw = batch[col.name]
        values, bad, reason = _parse(col, raw)
        bad_in[col.name] = bad
        out.section = (1, index, c, 0)
        _report(src, out, batch[ROW], raw, bad, reason)
        if col.required:
            empty_in.append((c, col, raw, values.is_null() & ~bad))
        elif col.default is not None:
            values = values.fill_null(col.default)
        columns[col.name] = values.cast(_dtype(col))
    for c, col, raw, empty in empty_in:
        reason, rule = "required value is empty", col.empty_when
        if rule is not None:
            reason = rule.reason
            allowed = columns[rule.column].is_in(rule.values).fill_null(False)
            if rule.column in bad_in:
                allowed = allowed | bad_in[rule.column]
            empty = empty & ~allowed
        out.section = (1, index, c, 1)
        _report(src, out, batch[ROW], raw, empty, reason)
    return pl.DataFrame(list(columns.values()))


def _report(
    src: Source, out: _Collector, rows: pl.Series, raw: pl.Series, mask: pl.Series, reason: str
) -> None:
    """Report the rows under ``mask``; the text view is built only when there are some."""
    if mask.any():
        bad = pl.DataFrame({ROW: rows, raw.name: raw}).filter(mask)
        out.add_rows(src, bad.with_columns(pl.col(raw.name).cast(pl.String)), raw.name, reason)


def _dtype(col: Column) -> pl.DataType:
    return {
        "varchar": pl.String,
        "double": pl.Float64,
        "date": pl.Date,
        "boolean": pl.Boolean,
        "integer": pl.Int32,
    }[col.sql_type]()


def _check_unique(con: duckdb.DuckDBPyConnection, src: Source, index: int, out: _Collector) -> None:
    """Rows whose key (``table.unique``, all of it non-empty) an earlier row already has. Keys
    are compared in DuckDB on the staged values; verticals case-insensitively (``_cmp_vertical``,
    lower-cased by Polars while staging)."""
    keys = list(src.table.unique)
    if not keys or src.height == 0:
        return
    name = src.table.name
    cmp = ["_cmp_vertical" if k == "vertical" else k for k in keys]
    # first only whether any key repeats: one aggregate, where the rows below need a join
    exists = (
        f"select 1 from _in_{name}"  # noqa: S608 - contract names
        f" where {' and '.join(f'{k} is not null' for k in keys)}"
        f" group by {', '.join(cmp)} having count(*) > 1 limit 1"
    )
    if not con.sql(exists).fetchall():
        return
    firsts = (
        f"select {', '.join(cmp)}, min({ROW}) as _first from _in_{name}"  # noqa: S608 - contract names
        f" where {' and '.join(f'{k} is not null' for k in keys)}"
        " group by all having count(*) > 1"
    )
    dups = con.sql(
        f"select t.{ROW}, {', '.join(f't.{k}' for k in keys)}, d._first,"  # noqa: S608 - contract names
        f" count(*) over () as _total from _in_{name} t join ({firsts}) d"
        f" on {' and '.join(f't.{k} = d.{k}' for k in cmp)}"
        f" where t.{ROW} <> d._first order by t.{ROW} limit {MAX_SHOWN_PER_RULE}"
    ).pl()
    if dups.height == 0:
        return
    out.section = (1, index, len(src.table.columns), 0)
    label = keys[-1]
    what = " and ".join(keys)
    word = src.line_word
    values = dups.select(
        pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator=" / ")
    ).to_series()
    lines = src.line_of(dups[ROW].to_list())
    first_lines = src.line_of(dups["_first"].to_list())
    for line, first_line, value in zip(lines, first_lines, values.to_list(), strict=True):
        reason = f"duplicate {what} (first on {word} {first_line})"
        out.add(Problem(src.path.name, line, label, value, reason, word))
    out.count_more((src.path.name, label, f"duplicate {what}"), dups["_total"][0] - dups.height)


def _check_partner_ids(
    con: duckdb.DuckDBPyConnection, src: Source, index: int, out: _Collector
) -> None:
    """Rows whose partner_id is not in partners (compared exactly, as staged)."""
    orphans = con.sql(
        f"select t.{ROW}, t.partner_id, count(*) over () as _total"  # noqa: S608 - contract names
        f" from _in_{src.table.name} t where t.partner_id is not null and not exists"
        " (select 1 from _in_partners p where p.partner_id = t.partner_id)"
        f" order by t.{ROW} limit {MAX_SHOWN_PER_RULE}"
    ).pl()
    if orphans.height:
        out.section = (3, index)
        reason = "partner_id is not in partners"
        out.add_rows(src, orphans, "partner_id", reason, total=orphans["_total"][0])


def _check_dates(src: Source, typed: pl.DataFrame, out: _Collector) -> None:
    """Deals created after they closed (one batch). Rows without either date are not compared
    (an open deal may have no closed_on): the comparison is null there and the filter drops it."""
    backwards = typed.filter(pl.col("created_on") > pl.col("closed_on"))
    if backwards.height:
        view = backwards.select(
            ROW,
            (
                pl.col("created_on").cast(pl.String)
                + " > closed_on "
                + pl.col("closed_on").cast(pl.String)
            ).alias("created_on"),
        )
        out.section = (4,)
        out.add_rows(src, view, "created_on", "created_on is after closed_on")


# ---------------------------------------------------------------------------------------------
# Staging: every file goes into DuckDB a batch at a time


def append_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append ``frame`` to ``table``, column by name (the loader's and the import's staging)."""
    con.register("_batch", frame)
    try:
        con.sql(f"insert into {table} by name select * from _batch")  # noqa: S608 - our names
    finally:
        con.unregister("_batch")


def _stage_rows(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    index: int,
    spellings: dict[str, str],
    inserter: ThreadPoolExecutor,
    out: _Collector,
) -> None:
    """Check ``src`` BATCH_ROWS records at a time and append each checked batch to
    ``_in_<table>``. DuckDB appends a batch in ``inserter``'s one thread while Polars checks the
    next (a third less time for 64 million deals on 2 cores); one batch at a time, and nothing
    else uses ``con`` until the last batch is in. Raises _Unreadable when a batch cannot be
    read."""
    table = src.table
    pending: Future[None] | None = None
    try:
        for batch in src.batches(BATCH_ROWS):
            typed = _validate(src, index, batch, out)
            if table.name == "deals":
                _check_dates(src, typed, out)
                typed = typed.with_columns(_canonical(typed["vertical"], spellings))
            elif "vertical" in table.unique:
                typed = typed.with_columns(_cmp_vertical=pl.col("vertical").str.to_lowercase())
            if pending is not None:
                pending.result()
            pending = inserter.submit(append_frame, con, f"_in_{table.name}", typed)
    finally:
        if pending is not None:
            pending.result()


def _stage(
    con: duckdb.DuckDBPyConnection, folder: Path, say: Progress
) -> tuple[dict[str, int], list[str]]:
    """Read and validate every contract file, BATCH_ROWS records at a time, and append the typed
    rows to ``_in_<table>`` in ``con`` (with ROW; absent files give empty tables). Checks across
    rows (duplicate keys, unknown partner_ids) then run in DuckDB. Returns records per table and
    warnings, or raises LoadError with every problem found, as a whole-file check would.

    After a clean check, ``stage_<table>`` views show the contract columns, with each vertical
    in its first spelling (looking at vendor_priorities, then partner_verticals, then deals).
    """
    out = _Collector()
    sources: dict[str, Source] = {}
    spellings: dict[str, str] = {}  # lower-case vertical -> first spelling (for deals)
    for table in TABLES:
        extra = ", _cmp_vertical varchar" if "vertical" in table.unique else ""
        cols = ", ".join(f"{c.name} {c.sql_type}" for c in table.columns)
        con.sql(f"create table _in_{table.name} ({ROW} bigint, {cols}{extra})")
    with ThreadPoolExecutor(1, thread_name_prefix="stage") as inserter:
        for index, table in enumerate(TABLES):
            out.section = (0, index)
            path = _find_file(folder, table, out)
            if path is None:
                continue
            start = time.perf_counter()
            try:
                reader = _read_parquet if path.suffix.lower() == ".parquet" else _read_csv
                src = reader(table, path, out)
            except OSError as e:
                out.add(Problem(path.name, None, None, None, f"cannot be read: {e.strerror or e}"))
                continue
            if src is None:
                continue
            if table.name == "deals":
                spellings = _first_spellings(con)
            try:
                _stage_rows(con, src, index, spellings, inserter, out)
            except _Unreadable as e:
                out.forget_values(path.name)
                out.section = (0, index)
                out.add(Problem(path.name, None, None, None, str(e)))
                continue
            src.frame = None  # a CSV file's records are staged now
            sources[table.name] = src
            say(f"read {path.name}: {src.height:,} rows ({time.perf_counter() - start:.1f} s)")
    for index, table in enumerate(TABLES):
        if table.name in sources:
            _check_unique(con, sources[table.name], index, out)
    partners = sources.get("partners")
    if partners is not None and partners.height == 0:
        out.section = (2,)
        out.add(Problem(partners.path.name, None, None, None, "has no data rows"))
    if partners is not None:
        for index, table in enumerate(TABLES):
            src = sources.get(table.name)
            if src is not None and table.name != "partners" and src.height:
                if any(c.name == "partner_id" for c in table.columns):
                    _check_partner_ids(con, src, index, out)
    out.raise_if_any()
    say(f"validated {len(sources)} files")
    _stage_views(con)
    return {t.name: sources[t.name].height if t.name in sources else 0 for t in TABLES}, (
        out.warnings
    )


def _first_spellings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Lower-case vertical -> its first spelling in vendor_priorities, then partner_verticals."""
    return dict(con.sql(_SPELLINGS).fetchall())


_SPELLINGS = f"""
    select key, vertical from (
        select _cmp_vertical as key, vertical, 0 as file, {ROW} from _in_vendor_priorities
        union all
        select _cmp_vertical, vertical, 1, {ROW} from _in_partner_verticals
    )
    where key is not null
    qualify row_number() over (partition by key order by file, {ROW}) = 1
"""  # noqa: S608 - no outside values


def _by_lower_case(values: pl.Series, pick: Callable[[str, str], str | None]) -> pl.Series:
    """Each value replaced by ``pick(value, its lower-case form)`` (null: none), worked out once
    per distinct value, in order of the rows (a handful, where a batch has a million rows)."""
    seen = values.unique(maintain_order=True).drop_nulls()
    keys = seen.str.to_lowercase().to_list()
    found = {v: pick(v, k) for v, k in zip(seen.to_list(), keys, strict=True)}
    return values.replace_strict(found, default=None, return_dtype=pl.String)


def _canonical(values: pl.Series, spellings: dict[str, str]) -> pl.Series:
    """Each vertical of a deals batch in its first spelling; spellings not seen before (in order
    of the rows) are added to ``spellings`` for the batches that follow."""
    return _by_lower_case(values, lambda vertical, key: spellings.setdefault(key, vertical))


def _stage_views(con: duckdb.DuckDBPyConnection) -> None:
    """``stage_<table>``: the contract columns of ``_in_<table>``, read by queries/build."""
    con.sql(f"create table _spellings as {_SPELLINGS}")
    for table in TABLES:
        cols = [f"t.{c.name}" for c in table.columns]
        join = ""
        if "vertical" in table.unique:  # deals were staged in their first spelling already
            cols = [
                "coalesce(s.vertical, t.vertical) as vertical" if c == "t.vertical" else c
                for c in cols
            ]
            join = " left join _spellings s on s.key = t._cmp_vertical"
        con.sql(
            f"create view stage_{table.name} as select {', '.join(cols)}"  # noqa: S608
            f" from _in_{table.name} t{join}"
        )


def _drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        con.sql(f"drop view stage_{table.name}")
        con.sql(f"drop table _in_{table.name}")
    con.sql("drop table _spellings")


@contextmanager
def _exclusive(db_path: Path) -> Iterator[None]:
    lock_path = db_path.with_name(f".{db_path.name}.lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoadError(
                [
                    Problem(
                        str(db_path),
                        None,
                        None,
                        None,
                        "another load into this database is running; try again when it ends",
                    )
                ]
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _temp_files(db_path: Path) -> list[Path]:
    """The temporary database of a load, its WAL and DuckDB's spill folder (all ``.tmp-*``)."""
    return sorted(db_path.parent.glob(f".{db_path.name}.tmp-*"))


def _remove_temp_files(db_path: Path) -> None:
    for leftover in _temp_files(db_path):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def load(
    source_dir: str | os.PathLike,
    db_path: str | os.PathLike,
    settings: Settings | None = None,
    progress: Progress | None = None,
    data_as_of: dt.date | None = None,
    data_as_of_source: str = AS_OF_GIVEN,
    source_label: str | None = None,
    targets_derived: str | None = None,
) -> LoadSummary:
    """Validate ``source_dir`` and replace ``db_path`` with a freshly built database.

    ``data_as_of`` is the date the data describes (``resolve_data_as_of`` says what happens
    without it); ``data_as_of_source`` says where it came from, for the summary and ``meta``.
    ``source_label`` is stored as ``meta.source`` instead of the folder's path (the import names
    its source files). ``targets_derived`` says in words how the targets were derived when they
    did not come from a file (``meta.targets_derived``; null for targets from a file).

    Files are validated and staged a batch at a time into the temporary database beside
    ``db_path`` (under the load lock), so memory does not grow with the number of rows of a
    Parquet file. Nothing replaces ``db_path`` unless every check passes and the build succeeds.
    """
    start = time.perf_counter()
    settings = settings or Settings()
    say = progress or (lambda _msg: None)
    db_path = Path(db_path)
    source = Path(source_dir)
    if not source.is_dir():
        raise LoadError([Problem(str(source), None, None, None, "is not a folder")])
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(db_path):
        _remove_temp_files(db_path)  # a crashed load's; we hold the lock
        tmp = db_path.with_name(f".{db_path.name}.tmp-{os.getpid()}")
        try:
            con = duckdb.connect(
                str(tmp),
                config={
                    "temp_directory": str(tmp.with_name(tmp.name + ".spill")),
                    "memory_limit": _memory_limit(),
                },
            )
            try:
                staged, warnings = _stage(con, source, say)
                as_of = resolve_data_as_of(con, data_as_of, data_as_of_source, settings)
                label = source_label or str(source.resolve())
                rows, default_as_of, more, states = _build(
                    con, staged, settings, label, say, as_of, targets_derived
                )
            finally:
                con.close()
            for wal in tmp.parent.glob(tmp.name + ".wal"):
                wal.unlink()
            warnings += more
            os.replace(tmp, db_path)
        finally:
            _remove_temp_files(db_path)
        _fsync_dir(db_path.parent)
    return LoadSummary(
        db_path,
        rows,
        warnings,
        time.perf_counter() - start,
        default_as_of,
        as_of[0],
        as_of[1],
        states,
    )


def resolve_data_as_of(
    con: duckdb.DuckDBPyConnection,
    given: dt.date | None,
    given_source: str,
    settings: Settings,
) -> tuple[dt.date, str]:
    """The date the data describes, and where it came from: ``given`` (the command line), then
    ``data_as_of`` in the settings, then the latest date in the staged deals (``closed_on`` of won
    and lost deals, ``created_on`` of any deal), never later than today; with no deal dates at
    all, today."""
    if given is not None:
        return given, given_source
    if settings.data_as_of is not None:
        return settings.data_as_of, AS_OF_SETTING
    latest = _scalar(
        con,
        "select max(day) from ("
        " select closed_on as day from stage_deals where status in ('won', 'lost')"
        " union all select created_on from stage_deals)",
    )
    today = dt.date.today()
    if latest is None:
        return today, AS_OF_TODAY
    return min(latest, today), AS_OF_DEALS


def _memory_limit() -> str:
    """DuckDB's memory limit while loading: half the machine's memory, at most 4 GB (DuckDB's
    default, 80%, leaves little for anything else). Past it DuckDB spills to ``.tmp-*.spill``.
    A million partners build within it: the build files that hold every partner at once run a
    range of partners at a time (``sqlfiles.CHUNK_KEYS``)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):  # not on Linux or macOS
        total = 16 * 10**9
    return f"{max(1_000, min(4_000, total // 2 // 10**6))}MB"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.sql(sql).fetchall()[0][0]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _build(
    con: duckdb.DuckDBPyConnection,
    staged: dict[str, int],
    settings: Settings,
    source: str,
    say: Progress,
    as_of: tuple[dt.date, str],
    targets_derived: str | None = None,
) -> tuple[dict[str, int], str | None, list[str], str]:
    """Run queries/build on the staged views, drop the staging, write meta and settings.
    Returns rows per table, the default as-of quarter, warnings, and the quarter states."""
    data_as_of, data_as_of_source = as_of
    params = {**settings.as_params(), "data_as_of": data_as_of}
    for sql_file in sorted(BUILD_DIR.glob("*.sql")):
        t0 = time.perf_counter()
        execute_file(con, sql_file, params)
        say(f"built {sql_file.stem} ({time.perf_counter() - t0:.1f} s)")
    warnings = []
    dropped = _scalar(
        con,
        "select count(*) from deals anti join quarters using (quarter_idx) where status <> 'open'",
    )
    if dropped:
        kept = _scalar(con, "select count(*) from quarters")
        warnings.append(
            f"{dropped:,} won or lost deals fall before the {kept} quarters kept for "
            "quarterly facts (the last 40 quarters with data)"
        )
    later = _scalar(con, "select (select count(*) from stage_deals) - (select count(*) from deals)")
    if later:
        warnings.append(
            f"{later:,} deals close or were created after the data's date "
            f"{data_as_of.isoformat()} and are left out"
        )
    beyond = _scalar(con, "select count(*) from targets anti join quarters using (quarter_idx)")
    if beyond:
        warnings.append(
            f"{beyond:,} target rows fall outside the quarters kept (the 40 quarters up to the "
            "data's date and 8 planned quarters after it) and are left out"
        )
    _drop_stage(con)
    present = [t.name for t in TABLES if staged[t.name] > 0]
    default_as_of = _scalar(
        con, "select max(fiscal_quarter) from quarters where quarter_idx = as_of_idx(null)"
    )
    latest_closed = _scalar(con, "select max(closed_on) from deals where status = 'won'")
    con.sql(
        """
        create table meta as select
            $schema_version::integer as schema_version,
            now()::timestamptz as loaded_at,
            $source as source,
            $default_as_of as default_as_of,
            $latest_closed::date as latest_closed_on,
            $present::varchar[] as files_present,
            $data_as_of::date as data_as_of,
            $data_as_of_source as data_as_of_source,
            $targets_derived::varchar as targets_derived,
            (select count(*) from targets) as target_rows
        """,
        params={
            "data_as_of": data_as_of,
            "data_as_of_source": data_as_of_source,
            "schema_version": SCHEMA_VERSION,
            "source": source,
            "targets_derived": targets_derived,
            "default_as_of": default_as_of,
            "latest_closed": latest_closed,
            "present": present,
        },
    )
    con.sql(
        "create table settings as select " + ", ".join(f"${k} as {k}" for k in params),
        params=params,
    )
    from channel import risk  # scikit-learn loads only when a load gets this far

    risk.build(con, say)
    rows = {
        name: _scalar(con, f"select count(*) from {name}")  # noqa: S608 - contract names
        for name in [t.name for t in TABLES] + ["partner_quarter", "partner_risk"]
    }
    con.sql("checkpoint")
    return rows, default_as_of, warnings, _quarter_states(con)


def _quarter_states(con: duckdb.DuckDBPyConnection) -> str:
    """What the data's date implies, in words: the last complete quarter, the quarter in
    progress (with the share of it elapsed) and the planned quarters."""
    states = con.sql(
        "select quarter_state, min(fiscal_quarter), max(fiscal_quarter), count(*),"
        " max(share_elapsed) from quarters group by quarter_state"
    ).fetchall()
    found = {row[0]: row[1:] for row in states}
    parts = []
    if "complete" in found:
        parts.append(f"{found['complete'][1]} complete")
    if "in_progress" in found:
        share = found["in_progress"][3]
        parts.append(f"{found['in_progress'][0]} in progress ({share:.0%} elapsed)")
    if "planned" in found:
        first, last, count, _ = found["planned"]
        parts.append(f"{first} planned" if count == 1 else f"{first} to {last} planned")
    return "; ".join(parts) or "no quarters"
