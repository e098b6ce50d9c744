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
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from channel import SCHEMA_VERSION
from channel.contract import EXTENSIONS, MAX_AMOUNT, TABLES, Column, Table
from channel.runner import BUILD_DIR, execute_file
from channel.settings import Settings

Progress = Callable[[str], None]
ROW = "_row"  # 0-based record index added to every frame while validating
MAX_SHOWN_PER_RULE = 20  # problems listed per (file, column, reason); the rest are counted


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
        self, problems: list[Problem], more: list[tuple[str, str, str, int]] | None = None
    ):
        self.problems = problems
        self.more = more or []
        super().__init__(self.report())

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        lines += [
            f"{f}, column {c}: {n:,} more rows with the same problem ({r})"
            for f, c, r, n in self.more
        ]
        total = len(self.problems) + sum(n for *_, n in self.more)
        head = f"load failed: {total:,} problem{'s' if total != 1 else ''}"
        return "\n".join([head, *("  " + line for line in lines)])


@dataclasses.dataclass
class LoadSummary:
    db_path: Path
    rows: dict[str, int]
    warnings: list[str]
    seconds: float
    default_as_of: str | None

    def report(self) -> str:
        width = max(len(k) for k in self.rows)
        lines = [f"loaded {self.db_path} in {self.seconds:.1f} s"]
        lines += [f"  {k:<{width}}  {v:>12,}" for k, v in self.rows.items()]
        lines.append(f"  default as-of quarter: {self.default_as_of or '(none: no targets)'}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Reading one file


@dataclasses.dataclass
class Source:
    table: Table
    path: Path
    frame: pl.DataFrame  # lower-case contract columns (raw values) + ROW
    line_of: Callable[[list[int]], list[int]]  # record indexes -> line numbers
    line_word: str


class _Collector:
    """Collects problems, keeping at most MAX_SHOWN_PER_RULE per (file, column, reason)."""

    def __init__(self) -> None:
        self.shown: list[Problem] = []
        self.more: dict[tuple[str, str, str], int] = {}
        self.warnings: list[str] = []

    def add(self, problem: Problem) -> None:
        self.shown.append(problem)

    def add_rows(self, src: Source, bad: pl.DataFrame, column: str, reason: str) -> None:
        """``bad`` holds ROW and the offending raw ``column`` values."""
        if bad.height == 0:
            return
        shown = bad.head(MAX_SHOWN_PER_RULE)
        lines = src.line_of(shown[ROW].to_list())
        for line, value in zip(lines, shown[column].to_list(), strict=True):
            self.shown.append(
                Problem(src.path.name, line, column, _text(value), reason, src.line_word)
            )
        if bad.height > MAX_SHOWN_PER_RULE:
            self.more[(src.path.name, column, reason)] = bad.height - MAX_SHOWN_PER_RULE

    def raise_if_any(self) -> None:
        if self.shown:
            raise LoadError(self.shown, [(f, c, r, n) for (f, c, r), n in self.more.items()])


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
        ";" if _count_outside_quotes(first, ";") > _count_outside_quotes(first, ",") else ","
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
        )
    except pl.exceptions.PolarsError as e:
        line, value, reason = _locate_csv_error(text, delimiter, len(names))
        out.add(Problem(path.name, line, None, value, reason or f"cannot be read as CSV: {e}"))
        return None

    # record r sits on line r + 2 unless a quoted field spans lines: with no quotes (and no bare
    # CR), or with exactly one line per record, skip the slow csv pass that finds record starts
    no_multiline = '"' not in text and "\r" not in text.replace("\r\n", "")
    one_line_each = text.count("\n") + (not text.endswith("\n")) == frame.height + 1
    simple = no_multiline or one_line_each

    def line_of(rows: list[int]) -> list[int]:
        if simple:
            return [r + 2 for r in rows]
        starts = _record_start_lines(text, delimiter)
        return [starts[r] if r < len(starts) else r + 2 for r in rows]

    keep = [c.name for c in table.columns if c.name in names]
    cells = [pl.col(c).str.strip_chars().fill_null("") == "" for c in frame.columns if c != ROW]
    frame = frame.filter(~pl.all_horizontal(cells))  # blank lines; ROW keeps line numbers
    return Source(table, path, frame.select(ROW, *keep), line_of, "line")


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def _record_start_lines(text: str, delimiter: str) -> list[int]:
    """Physical line (1-based) on which each data record starts; only used to report problems."""
    limit = csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        next(reader, None)
        starts, line = [], reader.line_num + 1
        for _ in reader:
            starts.append(line)
            line = reader.line_num + 1
    finally:
        csv.field_size_limit(limit)
    return starts


def _locate_csv_error(text: str, delimiter: str, width: int) -> tuple[int | None, str | None, str]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        line = 1
        for record in reader:
            if len(record) > width:
                return (
                    line,
                    delimiter.join(record)[:80],
                    f"has {len(record)} fields but the header names {width}",
                )
            line = reader.line_num + 1
    except csv.Error as e:
        return reader.line_num, None, f"malformed CSV: {e}"
    return None, None, ""


def _read_parquet(table: Table, path: Path, out: _Collector) -> Source | None:
    try:
        frame = pl.read_parquet(path)
    except Exception as e:  # any reader failure is a problem with this file
        out.add(Problem(path.name, None, None, None, f"cannot be read as Parquet: {e}"))
        return None
    names = [c.strip().lower() for c in frame.columns]
    if not _check_header(table, path.name, names, out, "row"):
        return None
    frame = frame.rename(dict(zip(frame.columns, names, strict=True))).with_row_index(ROW)
    keep = [c.name for c in table.columns if c.name in names]
    return Source(table, path, frame.select(ROW, *keep), lambda rows: [r + 1 for r in rows], "row")


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
            found = ", ".join(n for n in names if n) or "none"
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
_QUARTER_RE = r"^(\d{4})-[Qq]([1-4])$"


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
        values = text.str.to_lowercase().replace_strict(
            lookup, default=None, return_dtype=pl.String
        )
        bad = text.is_not_null() & values.is_null()
        return values.rename(name), bad, "must be one of " + ", ".join(col.choices)
    if col.kind == "quarter":
        parts = text.str.extract_groups(_QUARTER_RE)
        values = (parts.struct.field("1") + "-Q" + parts.struct.field("2")).rename(name)
        bad = text.is_not_null() & values.is_null()
        return values, bad, "must be a fiscal quarter written YYYY-Qn with n in 1..4"
    return text.rename(name), pl.repeat(False, n, eager=True), ""


def _validate(src: Source, out: _Collector) -> pl.DataFrame:
    """Typed frame with every contract column (absent optional ones are null) plus ROW."""
    frame = src.frame
    columns = [frame[ROW]]
    for col in src.table.columns:
        if col.name not in frame.columns:
            default = col.default
            columns.append(
                pl.repeat(default, frame.height, dtype=_dtype(col), eager=True).rename(col.name)
            )
            continue
        raw = frame[col.name]
        values, bad, reason = _parse(col, raw)
        _report(src, out, raw, bad, reason)
        if col.required:
            _report(src, out, raw, values.is_null() & ~bad, "required value is empty")
        elif col.default is not None:
            values = values.fill_null(col.default)
        columns.append(values.cast(_dtype(col)))
    return pl.DataFrame(columns)


def _report(src: Source, out: _Collector, raw: pl.Series, mask: pl.Series, reason: str) -> None:
    """Report the rows under ``mask``; the text view is built only when there are some."""
    if mask.any():
        rows = pl.DataFrame({ROW: src.frame[ROW], raw.name: raw}).filter(mask)
        out.add_rows(src, rows.with_columns(pl.col(raw.name).cast(pl.String)), raw.name, reason)


def _dtype(col: Column) -> pl.DataType:
    return {
        "varchar": pl.String,
        "double": pl.Float64,
        "date": pl.Date,
        "boolean": pl.Boolean,
        "integer": pl.Int32,
    }[col.sql_type]()


def _check_unique(src: Source, typed: pl.DataFrame, out: _Collector) -> None:
    keys = list(src.table.unique)
    if not keys or typed.height == 0:
        return
    # verticals match case-insensitively (values are already trimmed), so compare them that way
    cmp = [f"_cmp_{k}" for k in keys]
    complete = typed.drop_nulls(keys).with_columns(
        (pl.col(k).str.to_lowercase() if k == "vertical" else pl.col(k)).alias(f"_cmp_{k}")
        for k in keys
    )
    first = complete.group_by(cmp).agg(pl.col(ROW).min().alias("_first"))
    dups = complete.join(first, on=cmp).filter(pl.col(ROW) != pl.col("_first")).sort(ROW)
    if dups.height == 0:
        return
    label = keys[-1]
    first_lines = src.line_of(dups["_first"].head(MAX_SHOWN_PER_RULE).to_list())
    dups = dups.with_columns(
        pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator=" / ").alias(
            label + "_key"
        )
    )
    shown = dups.head(MAX_SHOWN_PER_RULE)
    lines = src.line_of(shown[ROW].to_list())
    what = " and ".join(keys)
    for line, first_line, value in zip(
        lines, first_lines, shown[label + "_key"].to_list(), strict=True
    ):
        out.add(
            Problem(
                src.path.name,
                line,
                label,
                value,
                f"duplicate {what} (first on {src.line_word} {first_line})",
                src.line_word,
            )
        )
    if dups.height > MAX_SHOWN_PER_RULE:
        out.more[(src.path.name, label, f"duplicate {what}")] = dups.height - MAX_SHOWN_PER_RULE


# ---------------------------------------------------------------------------------------------
# The load


def read_folder(
    source_dir: Path, progress: Progress | None = None
) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """Read and validate every contract file. Returns typed frames (absent optional files give
    empty frames) and warnings, or raises LoadError with every problem found."""
    say = progress or (lambda _msg: None)
    out = _Collector()
    folder = Path(source_dir)
    if not folder.is_dir():
        raise LoadError([Problem(str(folder), None, None, None, "is not a folder")])
    sources: dict[str, Source] = {}
    for table in TABLES:
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
        if src is not None:
            sources[table.name] = src
            say(
                f"read {path.name}: {src.frame.height:,} rows ({time.perf_counter() - start:.1f} s)"
            )
    typed: dict[str, pl.DataFrame] = {}
    for name, src in sources.items():
        typed[name] = _validate(src, out)
        _check_unique(src, typed[name], out)
    partners = typed.get("partners")
    if partners is not None and partners.height == 0 and "partners" in sources:
        out.add(Problem(sources["partners"].path.name, None, None, None, "has no data rows"))
    if partners is not None:
        known = partners.select(pl.col("partner_id").drop_nulls().unique())
        for name, frame in typed.items():
            if name == "partners" or "partner_id" not in frame.columns:
                continue
            orphans = (
                frame.filter(pl.col("partner_id").is_not_null())
                .join(known, on="partner_id", how="anti")
                .sort(ROW)
            )
            out.add_rows(sources[name], orphans, "partner_id", "partner_id is not in partners")
    if "deals" in typed:
        deals = typed["deals"]
        backwards = deals.filter(pl.col("created_on") > pl.col("closed_on")).sort(ROW)
        view = backwards.select(
            ROW,
            pl.col("created_on").cast(pl.String)
            + " > closed_on "
            + pl.col("closed_on").cast(pl.String),
        )
        out.add_rows(
            sources["deals"],
            view.rename({view.columns[1]: "created_on"}),
            "created_on",
            "created_on is after closed_on",
        )
    out.raise_if_any()
    say(f"validated {len(sources)} files")
    for table in TABLES:
        if table.name not in typed:
            typed[table.name] = pl.DataFrame(
                {c.name: pl.Series(c.name, [], dtype=_dtype(c)) for c in table.columns}
            )
        else:
            typed[table.name] = typed[table.name].drop(ROW)
    _canonical_verticals(typed)
    return typed, out.warnings


def _canonical_verticals(typed: dict[str, pl.DataFrame]) -> None:
    """Verticals match case-insensitively; each is stored in its first spelling, looking at
    vendor_priorities, then partner_verticals, then deals."""
    spellings = pl.concat(
        [
            typed[t].select("vertical").drop_nulls().unique(maintain_order=True)
            for t in ("vendor_priorities", "partner_verticals", "deals")
        ]
    )
    canon = spellings.with_columns(key=pl.col("vertical").str.to_lowercase()).unique(
        "key", keep="first", maintain_order=True
    )
    for t in ("vendor_priorities", "partner_verticals", "deals"):
        frame = typed[t]
        typed[t] = (
            frame.with_columns(_key=pl.col("vertical").str.to_lowercase())
            .drop("vertical")
            .join(
                canon.rename({"vertical": "_canon"}),
                left_on="_key",
                right_on="key",
                how="left",
                maintain_order="left",
            )
            .rename({"_canon": "vertical"})
            .select(frame.columns)
        )


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
    return sorted(db_path.parent.glob(f".{db_path.name}.tmp-*"))


def load(
    source_dir: str | os.PathLike,
    db_path: str | os.PathLike,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Validate ``source_dir`` and replace ``db_path`` with a freshly built database."""
    start = time.perf_counter()
    settings = settings or Settings()
    say = progress or (lambda _msg: None)
    db_path = Path(db_path)
    source = Path(source_dir)
    frames, warnings = read_folder(source, say)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(db_path):
        for leftover in _temp_files(db_path):  # a crashed load's; we hold the lock
            leftover.unlink(missing_ok=True)
        tmp = db_path.with_name(f".{db_path.name}.tmp-{os.getpid()}")
        try:
            rows, default_as_of, more = _build(tmp, frames, settings, source, say)
            warnings += more
            os.replace(tmp, db_path)
        except BaseException:
            for leftover in _temp_files(db_path):
                leftover.unlink(missing_ok=True)
            raise
        _fsync_dir(db_path.parent)
    return LoadSummary(db_path, rows, warnings, time.perf_counter() - start, default_as_of)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.sql(sql).fetchall()[0][0]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _build(
    tmp: Path, frames: dict[str, pl.DataFrame], settings: Settings, source: Path, say: Progress
) -> tuple[dict[str, int], str | None, list[str]]:
    con = duckdb.connect(str(tmp))
    try:
        for table in TABLES:
            frame = frames[table.name]
            con.register("incoming", frame)
            cols = ", ".join(f"cast({c.name} as {c.sql_type}) as {c.name}" for c in table.columns)
            con.sql(f"create table stage_{table.name} as select {cols} from incoming")  # noqa: S608 - names from the contract
            con.unregister("incoming")
        params = settings.as_params()
        for sql_file in sorted(BUILD_DIR.glob("*.sql")):
            t0 = time.perf_counter()
            execute_file(con, sql_file, params)
            say(f"built {sql_file.stem} ({time.perf_counter() - t0:.1f} s)")
        warnings = []
        dropped = _scalar(
            con,
            "select count(*) from deals anti join quarters using (quarter_idx)"
            " where status <> 'open'",
        )
        if dropped:
            kept = _scalar(con, "select count(*) from quarters")
            warnings.append(
                f"{dropped:,} won or lost deals fall before the {kept} quarters kept for "
                "quarterly facts (the last 40 quarters with data)"
            )
        for table in TABLES:
            con.sql(f"drop table stage_{table.name}")
        present = [t.name for t in TABLES if frames[t.name].height > 0]
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
                $present::varchar[] as files_present
            """,
            params={
                "schema_version": SCHEMA_VERSION,
                "source": str(source.resolve()),
                "default_as_of": default_as_of,
                "latest_closed": latest_closed,
                "present": present,
            },
        )
        con.sql(
            "create table settings as select " + ", ".join(f"${k} as {k}" for k in params),
            params=params,
        )
        rows = {
            name: _scalar(con, f"select count(*) from {name}")  # noqa: S608 - contract names
            for name in [t.name for t in TABLES] + ["partner_quarter"]
        }
        con.sql("checkpoint")
    finally:
        con.close()
    for wal in tmp.parent.glob(tmp.name + ".wal"):
        wal.unlink()
    return rows, default_as_of, warnings
