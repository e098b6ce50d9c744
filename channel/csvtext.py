"""CSV text, read the slow and careful way: only to find and name a problem, never to load.

Shared by the loader (contract files) and the CRM import readers (``channel.ingest.readers``):
which physical line each record starts on, records with too many or too few fields, stray
quotes, and blank records. Both read the values with Polars; these helpers run when Polars'
answer needs explaining in lines and fields. Two more say where a large text can be cut into
pieces of whole records, so that it can be read a piece at a time.
"""

from __future__ import annotations

import csv
import io
import itertools

MAX_SHOWN = 20  # short records listed; the rest are counted


def count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def record_start_lines(text: str, delimiter: str) -> list[int]:
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


# What Polars' strip_chars() strips (Unicode White_Space): Python's str.isspace() also counts
# the separators \x1c-\x1f. A record whose cells are all made of these is a blank line.
WHITE_SPACE = "".join(
    ch for ch in map(chr, range(0x3001)) if ch.isspace() and ch not in "\x1c\x1d\x1e\x1f"
)


def is_blank(cells: list[str]) -> bool:
    return not "".join(cells).strip(WHITE_SPACE)


def short_records_csv(
    text: str, delimiter: str, width: int
) -> tuple[list[tuple[int, int, str]], int]:
    """Records with fewer fields than the header (``width``) and not blank, read by Python's csv
    module: (start line, fields, record text) of the first MAX_SHOWN, and how many there are."""
    limit = csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        next(reader, None)
        shown, total, line = [], 0, reader.line_num + 1
        for record in reader:
            if len(record) < width and not is_blank(record):
                total += 1
                if len(shown) < MAX_SHOWN:
                    shown.append((line, len(record), delimiter.join(record)))
            line = reader.line_num + 1
    finally:
        csv.field_size_limit(limit)
    return shown, total


def locate_csv_error(text: str, delimiter: str, width: int) -> tuple[int | None, str | None, str]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    lines = text.split("\n")
    limit = csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        line = 1
        for record in reader:
            if len(record) > width or (len(record) < width and not is_blank(record)):
                return (
                    line,
                    delimiter.join(record)[:80],
                    f"has {len(record)} fields but the header names {width}",
                )
            if reader.line_num == line and lines[line - 1].count('"') % 2:  # a one-line record
                return line, lines[line - 1][:80], "has a stray double quote: " + QUOTE_HINT
            line = reader.line_num + 1
    except csv.Error as e:  # name the line where the record starts and show it
        return line, lines[line - 1][:80], f"malformed CSV ({e}): " + QUOTE_HINT
    finally:
        csv.field_size_limit(limit)
    return None, None, ""


QUOTE_HINT = 'put a field with quotes in double quotes and write each quote inside it as ""'


# Cutting a CSV text into pieces that each hold whole records, to read a large file in parts.


def last_record_end(text: str) -> int:
    """Index just past the last line break (``\\n``) of ``text`` that ends a record, for a
    ``text`` that starts where a record starts; 0 if none does. A line break ends a record when
    an even number of double quotes comes before it, since CSV doubles a quote inside a quoted
    field. A stray quote in a field that is not quoted misleads the count (such a file is
    refused when its records are read); ``last_record_end_csv`` is not misled."""
    total = text.count('"')
    end, after = len(text), 0
    while (brk := text.rfind("\n", 0, end)) >= 0:
        after += text.count('"', brk, end)
        if (total - after) % 2 == 0:
            return brk + 1
        end = brk
    return 0


def last_record_end_csv(text: str, delimiter: str) -> int:
    """As ``last_record_end``, read by Python's csv module (slower): the end of the last record
    but one, as the last may go on past ``text``; 0 if ``text`` holds fewer than two records."""
    limit = csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ends = [reader.line_num for _ in reader]
    except csv.Error:
        return 0
    finally:
        csv.field_size_limit(limit)
    if len(ends) < 2:
        return 0
    return sum(map(len, itertools.islice(io.StringIO(text, newline=""), ends[-2])))
