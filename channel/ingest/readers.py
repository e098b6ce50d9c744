"""Read one source file (a CRM export) faithfully: every value as text, with where it came from.

``open_source(path, sheet=None, encoding=None) -> Source`` opens CSV (or TAB/``;``/``|``
delimited text), XLSX and Parquet: it checks the file and its header and, for CSV, tells the
encoding from the first ``SAMPLE_BYTES`` (a declared encoding wins). ``Source.batches(size)``
then yields the records, at most ``size`` at a time and in file order; a CSV file is read
``CHUNK_BYTES`` at a time, so its memory does not grow with its size. ``Source.frame`` holds
every record (read on first use); ``read_source`` is ``open_source`` with ``frame`` read.

Each frame has one ``pl.String`` column per source header, as written (stripped of surrounding
blanks and a BOM), plus ``_line`` (Int64): for CSV the physical line where the record starts
(header = line 1); for XLSX the spreadsheet row (header = row 1 when it is the first row); for
Parquet the data row (first = 1). Blank lines and rows are skipped; the numbers of the others
are kept. Empty cells are null.

Anything that cannot be read faithfully raises ``SourceError``, whose problems name the file,
the line or row, the column and the value where known: bytes that do not decode in the detected
or declared encoding, text that looks garbled (UTF-8 read as cp1252, ``Ã©`` for ``é``), NUL
bytes, records with more or fewer fields than the header, duplicate or empty header names, a
field over ``MAX_FIELD_CHARS``, a file over ``max_bytes``, a workbook that is not one (or would
unpack past ``max_bytes``), an unknown sheet, an unreadable Parquet file. ``open_source``
raises for the file and its header; ``batches`` raises for a record when it reaches it, so a
caller that stages batches must be ready to discard what it staged.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
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
BATCH_ROWS = 200_000  # records per batch from Source.batches
CHUNK_BYTES = 8 * 1024**2  # bytes of a CSV file read and decoded at a time
SAMPLE_BYTES = 4 * 1024**2  # bytes of a CSV file its encoding is told from

Reader = Callable[[int | None], Iterator[pl.DataFrame]]  # batch size (None: any) -> frames


class Source:
    """One source file: ``name`` (the file name, plus ``"#Sheet"`` for a named sheet),
    ``line_word`` ("line" for CSV, "row" for XLSX and Parquet), ``encoding`` ("utf-8",
    "utf-8-sig", "utf-16", "cp1252", ...; "xlsx" or "parquet" otherwise), ``headers``, and the
    records through ``batches(size)`` or ``frame``: the source headers (all pl.String) plus
    LINE (Int64)."""

    def __init__(
        self,
        name: str,
        frame: pl.DataFrame | None,
        line_word: str,
        encoding: str,
        headers: list[str],
        read: Reader | None = None,
    ):
        if frame is None and read is None:
            raise ValueError("a Source needs its frame or a way to read it")
        self.name = name
        self.line_word = line_word
        self.encoding = encoding
        self.headers = headers
        self._frame = frame
        self._read = read

    def __repr__(self) -> str:
        return (
            f"Source({self.name!r}, {self.line_word!r}, {self.encoding!r}, "
            f"{len(self.headers)} headers)"
        )

    @property
    def frame(self) -> pl.DataFrame:
        """Every record; read (and kept) on first use."""
        if self._frame is None:
            assert self._read is not None, "the records were dropped and cannot be read again"
            self._frame = _concat(self._read(None), self.headers)
        return self._frame

    @frame.setter
    def frame(self, frame: pl.DataFrame | None) -> None:
        self._frame = frame  # None drops the records; a file source reads them again

    def batches(self, size: int = BATCH_ROWS) -> Iterator[pl.DataFrame]:
        """The records in file order, at most ``size`` at a time, with the columns of
        ``frame``. Raises ``SourceError`` on reaching a record that cannot be read."""
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        if self._frame is not None:
            for offset in range(0, self._frame.height, size):
                yield self._frame.slice(offset, size)
            return
        assert self._read is not None, "the records were dropped and cannot be read again"
        yield from _rebatch(self._read(size), size)


def _schema(headers: list[str]) -> dict[str, pl.DataType]:
    return {h: pl.String() for h in headers} | {LINE: pl.Int64()}


def _concat(frames: Iterable[pl.DataFrame], headers: list[str]) -> pl.DataFrame:
    parts = [f for f in frames if f.height]
    if not parts:
        return pl.DataFrame(schema=_schema(headers))
    return parts[0] if len(parts) == 1 else pl.concat(parts)


def _rebatch(frames: Iterable[pl.DataFrame], size: int) -> Iterator[pl.DataFrame]:
    """Frames of any height -> frames of ``size`` records (the last may have fewer)."""
    held: list[pl.DataFrame] = []
    count = 0
    for frame in frames:
        if not frame.height:
            continue
        held.append(frame)
        count += frame.height
        if count < size:
            continue
        whole = held[0] if len(held) == 1 else pl.concat(held)
        offset = 0
        while count - offset >= size:
            yield whole.slice(offset, size)
            offset += size
        rest = whole.slice(offset)
        held, count = ([rest] if rest.height else []), rest.height
    if held:
        yield held[0] if len(held) == 1 else pl.concat(held)


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


def open_source(
    path: Path,
    sheet: str | None = None,
    encoding: str | None = None,
    max_bytes: int = MAX_BYTES,
    *,
    chunk_bytes: int = CHUNK_BYTES,
) -> Source:
    """Open ``path`` by its suffix (.csv/.txt/.tsv/.tab, .xlsx/.xlsm, .parquet): check the file
    and its header; read the records later, through ``batches`` or ``frame``. A workbook is
    read whole here. ``chunk_bytes``: how much of a CSV file is read at a time."""
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be at least 1, not {chunk_bytes}")
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
        return _open_parquet(path)
    if suffix in CSV_SUFFIXES:
        return _open_csv(path, encoding, chunk_bytes)
    reason = "unknown kind of file: expected .csv, .txt, .tsv, .xlsx or .parquet"
    raise SourceError([Problem(name, None, None, None, reason)])


def read_source(
    path: Path,
    sheet: str | None = None,
    encoding: str | None = None,
    max_bytes: int = MAX_BYTES,
    *,
    chunk_bytes: int = CHUNK_BYTES,
) -> Source:
    """``open_source``, then read every record into ``frame``."""
    src = open_source(path, sheet, encoding, max_bytes, chunk_bytes=chunk_bytes)
    src.frame  # noqa: B018 - reads the records
    return src


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
# The BOM of an encoding that has one is skipped, and the rest read in the byte order it names.
_BOM_CODECS = {
    "utf-8": ((codecs.BOM_UTF8, "utf-8"),),
    "utf-8-sig": ((codecs.BOM_UTF8, "utf-8"),),
    "utf-16": ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")),
    "utf-32": ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")),
}
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
_CONT_CHARS = bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore")
_CONT = re.escape(_CONT_CHARS)
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df][{_CONT}]|[\u00e0-\u00ef][{_CONT}]{{2}}|[\u00f0-\u00f4][{_CONT}]{{3}}"
)
# The same text in UTF-8 holds a lead (C3 82-C3 B4) then the first byte of a continuation
# character: a quick test on the bytes, before the slow one on the text.
_MAYBE_MOJIBAKE = re.compile(
    b"\xc3[\x82-\xb4][" + re.escape(bytes(sorted({ch.encode()[0] for ch in _CONT_CHARS}))) + b"]"
)
_NUL_BYTES = (
    "contains NUL bytes: not a text file (or UTF-16 without a byte order mark; "
    "pass encoding='utf-16-le' if so)"
)


def _encoding(
    path: Path, sample: bytes, whole: bool, declared: str | None
) -> tuple[str, str, int, str, str]:
    """From the first bytes of a file (``whole``: all of it): (encoding, codec that reads the
    bytes after a BOM, length of the BOM, reason for a NUL, hint for bytes that do not decode).
    """
    name = path.name
    hint = "" if declared else "; pass the right encoding (e.g. encoding='cp1250')"
    nul = "contains NUL characters"
    if declared is not None:
        try:
            encoding = codecs.lookup(declared).name
        except LookupError:
            raise SourceError([Problem(name, None, None, declared, "unknown encoding")]) from None
        if encoding == "utf-8" and sample.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
    else:
        encoding = next((enc for bom, enc in _BOMS if sample.startswith(bom)), None)
    if encoding is None:
        _refuse_nul(name, sample)
        nul = _NUL_BYTES
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        except UnicodeDecodeError:
            encoding = _guess_single_byte(path, sample)
        else:
            encoding = "utf-8"
            if not whole:
                hint = (
                    f"; the first {len(sample):,} bytes read as UTF-8: pass the right "
                    "encoding (e.g. encoding='cp1252')"
                )
    codec, skip = encoding, 0
    for bom, bom_codec in _BOM_CODECS.get(encoding, ()):
        if sample.startswith(bom):
            codec, skip = bom_codec, len(bom)
            break
    return encoding, codec, skip, nul, hint


def _refuse_nul(name: str, data: bytes) -> None:
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise SourceError([Problem(name, line, None, None, _NUL_BYTES)])


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


def _refuse_mojibake(name: str, text: str, encoding: str, first_line: int = 1) -> None:
    """``text`` starts on line ``first_line``."""
    for m in _MOJIBAKE.finditer(text):
        try:
            fixed = m.group().encode("cp1252").decode("utf-8")
        except UnicodeError:
            continue
        line = first_line + text.count("\n", 0, m.start())
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        value = text[start : end if end >= 0 else len(text)].rstrip("\r")
        if encoding.startswith("utf-8"):
            why = "garbled before this file was saved (UTF-8 that was read as cp1252 and saved)"
        else:
            why = f"this is UTF-8 read as {encoding}: pass encoding='utf-8'"
        reason = f"{m.group()!r} looks like {fixed!r} garbled: {why}"
        raise SourceError([Problem(name, line, None, value, reason)])


@dataclasses.dataclass(frozen=True)
class _Text:
    """A CSV file's text, read and decoded ``chunk_bytes`` at a time."""

    path: Path
    encoding: str  # as the Source reports it
    codec: str  # decodes the bytes after the BOM
    skip: int  # bytes of the BOM
    nul: str  # the reason given for a NUL
    hint: str  # added to the reason given for bytes that do not decode
    chunk_bytes: int

    def blocks(self) -> Iterator[str]:
        """The text, without a BOM, in blocks; refuses bytes that do not decode and NULs."""
        name = self.path.name
        decoder = codecs.getincrementaldecoder(self.codec)(errors="strict")
        offset, lines, started = self.skip, 0, False
        with self.path.open("rb") as f:
            f.seek(self.skip)
            while True:
                data = f.read(self.chunk_bytes)
                held = decoder.getstate()[0]
                held = len(held) if isinstance(held, bytes) else 0
                try:
                    text = decoder.decode(data, final=not data)
                except UnicodeDecodeError as e:
                    bad = e.object[e.start : e.end]
                    before = e.object[: e.start].decode(self.codec, errors="replace")
                    line = lines + before.count("\n") + 1
                    reason = (
                        f"bytes {bad.hex(' ')} at byte {offset - held + e.start:,} "
                        f"are not {self.encoding} text{self.hint}"
                    )
                    raise SourceError(
                        [Problem(name, line, None, repr(bad)[2:-1], reason)]
                    ) from None
                if text and not started:
                    text, started = text.removeprefix("\ufeff"), True
                if "\x00" in text:
                    line = lines + text.count("\n", 0, text.index("\x00")) + 1
                    raise SourceError([Problem(name, line, None, None, self.nul)])
                lines += text.count("\n")
                offset += len(data)
                if text:
                    yield text
                if not data:
                    return


# ---------------------------------------------------------------------------------------------
# CSV: header and records


def _open_csv(path: Path, declared: str | None, chunk_bytes: int) -> Source:
    name = path.name
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
        whole = not f.read(1)
    encoding, codec, skip, nul, hint = _encoding(path, sample, whole, declared)
    del sample
    text = _Text(path, encoding, codec, skip, nul, hint, chunk_bytes)
    blocks = text.blocks()
    head, ended = "", False
    try:
        while not ended:  # read until the header record ends before the text read so far
            block = next(blocks, None)
            ended = block is None
            head += block or ""
            if ended or "\n" in head:
                if ended and not head.strip():
                    reason = "file is empty: expected a header line naming the columns"
                    raise SourceError([Problem(name, 1, None, None, reason)])
                delimiter, header, header_lines, end = _header(name, head)
                if end < len(head):
                    break
            if not ended and len(head) > MAX_FIELD_CHARS + chunk_bytes:
                reason = f"the header line runs past {len(head):,} characters: {csvtext.QUOTE_HINT}"
                raise SourceError([Problem(name, 1, None, head[:80], reason)])
    finally:
        blocks.close()
    _refuse_mojibake(name, head[:end], encoding)
    if not header:
        reason = "the first line is blank: expected a header line naming the columns"
        raise SourceError([Problem(name, 1, None, None, reason)])
    headers = [_clean_header(h) for h in header]
    _check_headers(name, headers, 1, "line")
    body = _Body(name, text, delimiter, headers, end, 1 + header_lines)
    return Source(name, None, "line", encoding, headers, body.frames)


def _header(name: str, text: str) -> tuple[str, list[str], int, int]:
    """(delimiter, header fields, lines of the header record, characters it takes) of a text
    that starts with the header record."""
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
    end = sum(map(len, itertools.islice(io.StringIO(text, newline=""), header_lines)))
    return delimiter, header, header_lines, end


@dataclasses.dataclass(frozen=True)
class _Body:
    """The records of a CSV file, after its header: cut into pieces of whole records, each read
    by Polars and checked the way a whole file is."""

    name: str
    text: _Text
    delimiter: str
    headers: list[str]
    start: int  # characters of text before the first record (the header record)
    first_line: int  # the line the first record starts on

    def frames(self, size: int | None = None) -> Iterator[pl.DataFrame]:
        for piece, line in self.pieces():
            yield self.read(piece, line)

    def pieces(self) -> Iterator[tuple[str, int]]:
        """(text of whole records, the line it starts on), in file order."""
        # A record longer than this holds a field over MAX_FIELD_CHARS, even with every
        # character a doubled quote: it has a quote that is never closed.
        longest = len(self.headers) * (2 * MAX_FIELD_CHARS + 3) + 2 * self.text.chunk_bytes
        skip, pending, line, tried = self.start, "", self.first_line, 0
        for block in self.text.blocks():
            if skip:
                block, skip = block[skip:], max(skip - len(block), 0)
            pending = pending + block if pending else block
            cut = csvtext.last_record_end(pending)
            if not cut and len(pending) > max(2 * tried, 4 * self.text.chunk_bytes):
                # one record this long, or a stray quote misleads the count: ask the csv module
                tried = len(pending)
                cut = csvtext.last_record_end_csv(pending, self.delimiter)
                if not cut and len(pending) > longest:
                    reason = (
                        f"a record starts here and runs past {len(pending):,} characters: "
                        + csvtext.QUOTE_HINT
                    )
                    raise SourceError([Problem(self.name, line, None, pending[:80], reason)])
            if cut:
                piece, pending, tried = pending[:cut], pending[cut:], 0
                yield piece, line
                line += piece.count("\n")
        if pending:
            yield pending, line

    def read(self, piece: str, first: int) -> pl.DataFrame:
        """The records of ``piece`` (starting on line ``first``), checked, blank ones dropped.
        Polars reads it after a stand-in header line, as it reads a whole file; the helpers
        that explain its answer read the same text, so their line k is line first + k - 2."""
        name, delimiter, headers = self.name, self.delimiter, self.headers
        width = len(headers)
        text = delimiter.join(f"c{i}" for i in range(width)) + "\n" + piece
        data = text.encode("utf-8")
        if _MAYBE_MOJIBAKE.search(data):
            _refuse_mojibake(name, piece, self.text.encoding, first)
        try:
            frame = pl.read_csv(
                io.BytesIO(data),
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
            line = None if line is None else line + first - 2
            reason = reason or f"cannot be read as CSV: {e}"
            raise SourceError([Problem(name, line, None, value, reason)]) from None
        del data
        shown, total = _short_records(text, delimiter, width, frame, 1)
        if total:
            problems = [
                Problem(
                    name,
                    line + first - 2,
                    None,
                    value,
                    f"has {n} fields but the header names {width}",
                )
                for line, n, value in shown
            ]
            if total > len(shown):
                last = first + piece.count("\n")
                more = (
                    f"{total - len(shown):,} more records up to line {last:,} "
                    "have fewer fields than the header"
                )
                problems.append(Problem(name, None, None, None, more))
            raise SourceError(problems)

        # record r starts on line first + r unless a quoted field spans lines
        no_multiline = '"' not in piece and piece.count("\r") == piece.count("\r\n")
        one_line_each = piece.count("\n") + (not piece.endswith("\n")) == frame.height
        if no_multiline or one_line_each:
            lines = pl.col(LINE).cast(pl.Int64) + first
        else:
            starts = csvtext.record_start_lines(text, delimiter)
            if len(starts) != frame.height:  # the two readers disagree: say so, never guess
                reason = (
                    f"Polars read {frame.height:,} records and Python's csv module "
                    f"{len(starts):,}: {csvtext.QUOTE_HINT}"
                )
                raise SourceError([Problem(name, first, None, None, reason)])
            lines = pl.Series(LINE, starts, dtype=pl.Int64) + (first - 2)
        frame = frame.with_columns(lines.alias(LINE))
        cells = [pl.col(h).str.strip_chars().fill_null("") == "" for h in headers]
        frame = frame.filter(~pl.all_horizontal(cells)).select(*headers, LINE)
        _check_field_lengths(name, frame, "line")
        return frame


# The helper below is copied from channel/loader.py (its CSV reader), so that a reader does not
# depend on the loader's private functions. It could move to one module below both.


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


def _open_parquet(path: Path) -> Source:
    """Check the schema; the rows are read later, a slice at a time. ``glob=False``: a folder
    named like ``exports [2025]`` is a path, not a pattern."""
    file = path.name
    try:
        schema = pl.scan_parquet(path, glob=False).collect_schema()
        height = pl.scan_parquet(path, glob=False).select(pl.len()).collect().item()
    except BaseException as e:  # any reader failure, even a Rust panic, but not an interrupt
        raise _parquet_problem(file, e) from None
    original = schema.names()
    headers = [_clean_header(c) for c in original]
    _check_headers(file, headers, None, "row")
    problems, texts = [], []
    for name, h in zip(original, headers, strict=True):
        col, dtype = pl.col(name), schema[name]
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

    rows = _ParquetRows(path, texts, headers, height)
    return Source(file, None, "row", "parquet", headers, rows.frames)


@dataclasses.dataclass(frozen=True)
class _ParquetRows:
    path: Path
    texts: list[pl.Expr]  # each column as text, under its header
    headers: list[str]
    height: int

    def frames(self, size: int | None = None) -> Iterator[pl.DataFrame]:
        """The rows, ``size`` at a time (None: all at once), each slice read when it is due."""
        file = self.path.name
        step = size or max(self.height, 1)
        for offset in range(0, self.height, step):
            try:
                scan = pl.scan_parquet(self.path, glob=False)
                frame = scan.slice(offset, step).select(self.texts).collect()
            except BaseException as e:
                raise _parquet_problem(file, e) from None
            frame = frame.with_row_index(LINE, offset=offset + 1)
            frame = frame.with_columns(pl.col(LINE).cast(pl.Int64)).select(*self.headers, LINE)
            _check_field_lengths(file, frame, "row")
            yield frame


def _parquet_problem(file: str, e: BaseException) -> SourceError:
    """A reader failure (even a Rust panic, a BaseException) as a problem; an interrupt
    goes on."""
    if not (isinstance(e, Exception) or type(e).__name__ == "PanicException"):
        raise e
    reason = f"cannot be read as Parquet ({type(e).__name__}: {e})"
    return SourceError([Problem(file, None, None, None, reason, "row")])
