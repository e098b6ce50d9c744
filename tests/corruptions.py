"""Corrupted contract folders, and an independent judge of what loading one must do.

Shared by the property test (tests/test_loader_fuzz.py) and its fixed examples
(tests/test_loader_hostile.py). ``tiny_docs()`` reads tests/data/tiny into ``Doc``s (header and
records, plus how to write them); ``corrupt()`` applies one ``Corruption`` from ``KINDS`` (columns
are picked from channel/contract.py); ``check_loaded()`` compares a loaded database with a reading
of the files by Python's csv module and the contract's rules written out again here (not the
loader's code); ``check_problem()`` checks that a refusal names what it must for its kind.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import random
import re
from contextlib import contextmanager
from pathlib import Path

import duckdb
from hypothesis import strategies as st

from channel.contract import MAX_AMOUNT, TABLES, TABLES_BY_NAME, Column
from channel.loader import Problem
from tests.helpers import DATA

TINY = DATA / "tiny"
BOM = b"\xef\xbb\xbf"
# Cells are trimmed of Unicode White_Space (Python's str.isspace() also counts \x1c-\x1f).
WS = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace() and ch not in "\x1c\x1d\x1e\x1f")
LONE_CR = "\ue000"  # a private-use character standing in for a CR not followed by LF
TRUE, FALSE = ("true", "t", "yes", "y", "1"), ("false", "f", "no", "n", "0")
# very long fields, named by a short token so that failing examples print readably
LONG = {
    "<100 kB of N>": "N" * 100_000,
    "<60,000 x é>": "é" * 60_000,
    "<200 kB of x, a newline, y>": "x" * 200_000 + "\ny",  # above csv's default field limit
}


# ---------------------------------------------------------------------------------------------
# A contract file before it is written: header and records, plus how to write them


@dataclasses.dataclass
class Doc:
    header: list[str]
    rows: list[list[str]]
    delimiter: str = ","
    newline: str = "\n"
    bom: bool = False
    latin1: bool = False
    raw: bytes | None = None  # replaces the CSV text (0-byte, blank or binary files)
    edits: list[tuple] = dataclasses.field(default_factory=list)  # byte-level, in order
    state: str = "file"  # or "directory", "absent"

    def line(self, cells: list[str]) -> str:
        special = (self.delimiter, '"', "\n", "\r")
        return self.delimiter.join(
            '"' + c.replace('"', '""') + '"' if any(s in c for s in special) else c for c in cells
        )

    def to_bytes(self) -> bytes:
        if self.raw is not None:
            data = self.raw
        else:
            text = "".join(self.line(r) + self.newline for r in [self.header, *self.rows])
            data = (
                text.encode("latin-1", errors="replace")
                if self.latin1
                else text.encode("utf-8", errors="surrogateescape")
            )
            data = BOM + data if self.bom else data
        for edit in self.edits:
            data = _edit_bytes(data, edit, self.delimiter)
        return data

    def column(self, name: str) -> int | None:
        names = [h.strip().lower() for h in self.header]
        return names.index(name) if name in names else None

    def set_cell(self, column: str, pick: int, value: str) -> None:
        """Set ``column`` of record ``pick % len(rows)`` (if the column and a record exist)."""
        i = self.column(column)
        if i is None or not self.rows:
            return
        row = self.rows[pick % len(self.rows)]
        row.extend([""] * (i + 1 - len(row)))
        row[i] = value


def _edit_bytes(data: bytes, edit: tuple, delimiter: str) -> bytes:
    if edit[0] == "truncate":
        return data[: edit[1] % (len(data) + 1)]
    # "raw_cell": write a value into a cell with no quoting at all (may break the CSV shape)
    _, pick, value = edit
    lines = data.decode("utf-8", errors="surrogateescape").split("\n")
    row = pick % max(len(lines) - 1, 1)  # mostly data lines; 0 is the header
    cells = lines[row].split(delimiter)
    cells[pick % len(cells)] = value
    lines[row] = delimiter.join(cells)
    return "\n".join(lines).encode("utf-8", errors="surrogateescape")


def tiny_docs() -> dict[str, Doc]:
    docs = {}
    for table in TABLES:
        with open(TINY / f"{table.name}.csv", newline="", encoding="utf-8") as f:
            header, *rows = list(csv.reader(f))
        docs[table.name] = Doc(header, rows)
    return docs


def write_docs(folder: Path, docs: dict[str, Doc]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        path = folder / f"{name}.csv"
        if doc.state == "directory":
            path.mkdir()
        elif doc.state == "file":
            path.write_bytes(doc.to_bytes())
    return folder


# ---------------------------------------------------------------------------------------------
# Corruptions. Targets come from the contract: (table, column) pairs of the right kind.


@dataclasses.dataclass(frozen=True)
class Corruption:
    kind: str
    table: str
    column: str | None
    pick: int  # which record, line, byte or seed
    value: str


def _cols(pred) -> list[tuple[str, str | None]]:
    return [(t.name, c.name) for t in TABLES for c in t.columns if pred(t, c)]


ALL_COLUMNS = _cols(lambda t, c: True)
TABLE_NAMES = [(t.name, None) for t in TABLES]
CHILD_PARTNER_IDS = _cols(lambda t, c: c.name == "partner_id" and t.name != "partners")
# text cells that no other file points at: a quoted newline or 100 kB there must load
FREE_TEXT = _cols(lambda t, c: c.kind == "text" and c.name != "partner_id")
NUMBERS = _cols(lambda t, c: c.kind in ("amount", "share"))
WRONG = {
    "amount": ["abc", "1 200", "12,5", "$100", "1e", "--5"],
    "share": ["abc", "60%", "one"],
    "date": ["yesterday", "2025/01/05", "05/01/2025", "20250105", "45000"],
    "bool": ["maybe", "2", "ja", "-"],
    "year": ["25", "2025.0", "FY2025", "２０２５"],
    "enum": ["Bronze", "?", "won't", "Small business"],
    "quarter": ["Q1", "2025", "2025-Q", "２０２５-Q1"],
}
NASTY = [
    "",
    "   ",
    "2025-Q0",
    "2025-02-30",
    "-1",
    "NaN",
    "1e308",
    "P99",
    "x" * 1_000,
    '"unclosed',
    'mid"quote',
    '"closed"tail',
    "a,b",
    "a;b",
    "line\nbreak",
    "bare\rcr",
    "\x00\x01\x02",
    "é",
    "\ufeff",
    "\xa0",
    "' OR 1=1 --",
]


PICK = st.integers(0, 10_000)


def _kind(name: str, targets, values):
    return st.sampled_from(targets).flatmap(
        lambda target: st.builds(
            Corruption,
            st.just(name),
            st.just(target[0]),
            st.just(target[1]),
            PICK,
            st.sampled_from(values),
        )
    )


KINDS = {
    "missing_column": _kind("missing_column", ALL_COLUMNS, [""]),
    "duplicated_column": _kind("duplicated_column", ALL_COLUMNS, ["same", "upper", "padded"]),
    "renamed_column": _kind("renamed_column", ALL_COLUMNS, ["", "x", "a,b", '"q"', "\ufeffid"]),
    "wrong_type": st.sampled_from(
        [(t, c, v) for t, c in ALL_COLUMNS for v in WRONG.get(TABLES_BY_NAME[t].column(c).kind, [])]
    ).flatmap(
        lambda tcv: st.builds(
            Corruption,
            st.just("wrong_type"),
            st.just(tcv[0]),
            st.just(tcv[1]),
            PICK,
            st.just(tcv[2]),
        )
    ),
    "duplicate_id": _kind(
        "duplicate_id", [(t.name, None) for t in TABLES if t.unique], ["row", "key"]
    ),
    "duplicate_row": _kind(
        "duplicate_row", [(t.name, None) for t in TABLES if not t.unique], ["row"]
    ),
    "orphan_partner_id": _kind("orphan_partner_id", CHILD_PARTNER_IDS, ["P99", "p01", "P1"]),
    "bad_quarter": _kind(
        "bad_quarter",
        _cols(lambda t, c: c.kind == "quarter"),
        ["2025-Q0", "2025Q5", "FY25", "2025-Q5", "Q3-2025", "٢٠٢٥-Q1"],
    ),
    "bad_date": _kind(
        "bad_date",
        _cols(lambda t, c: c.kind == "date"),
        ["2025-02-30", "2023-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "1899-12-31"],
    ),
    "bad_amount": _kind(
        "bad_amount",
        NUMBERS,
        ["-5", "NaN", "nan", "inf", "-inf", "Infinity", "1e308", "-0.01", "1e13"],
    ),
    "good_amount": _kind("good_amount", NUMBERS, ["0", "1e12", "1e-300", "0.1", " 42 "]),
    "empty_file": _kind("empty_file", TABLE_NAMES, ["zero_byte", "blank_lines", "header_only"]),
    "latin1": _kind("latin1", FREE_TEXT, ["Müller", "Société", "Ærø"]),
    "bom": _kind("bom", TABLE_NAMES, [""]),
    "crlf": _kind("crlf", TABLE_NAMES, [""]),
    "semicolons": _kind("semicolons", TABLE_NAMES, [""]),
    "quoted_newline": _kind(
        "quoted_newline",
        FREE_TEXT,
        ["Acme\nEurope", "Acme\r\nEurope", 'Line 1\n\n"Line 3"', "a,b;c\nd"],
    ),
    "long_field": _kind("long_field", ALL_COLUMNS, list(LONG)),
    "garbage": _kind("garbage", TABLE_NAMES, ["bytes", "controls", "nul"]),
    "directory": _kind("directory", TABLE_NAMES, [""]),
    "delete_file": _kind("delete_file", TABLE_NAMES, [""]),
    "raw_cell": _kind("raw_cell", TABLE_NAMES, NASTY),
    "truncate": _kind("truncate", TABLE_NAMES, [""]),
}
CORRUPTION = st.one_of(*KINDS.values())
# Corruptions the contract accepts one at a time; a quarter of the examples use only these, so
# that enough loads succeed to check what they store.
BENIGN = st.one_of(
    *(KINDS[k] for k in ("bom", "crlf", "semicolons", "quoted_newline", "good_amount")),
    _kind("long_field", FREE_TEXT, list(LONG)),
    _kind("empty_file", [(t.name, None) for t in TABLES if t.name != "partners"], ["header_only"]),
    _kind("delete_file", [(t.name, None) for t in TABLES if not t.required], [""]),
    _kind("missing_column", _cols(lambda t, c: not c.required), [""]),
    KINDS["duplicate_row"],
)
CORRUPTIONS = st.sampled_from(["benign", "any", "any", "any"]).flatmap(
    lambda mix: st.lists(BENIGN if mix == "benign" else CORRUPTION, min_size=1, max_size=4)
)


def _garbage(kind: str, seed: int) -> bytes:
    rng = random.Random(seed)
    if kind == "bytes":
        return rng.randbytes(200 + seed % 300)
    if kind == "controls":  # valid UTF-8, no NUL: control characters and odd code points
        return "".join(
            chr(rng.choice([1, 7, 27, 127, 0x85, 0x2028, 0xFFFD])) for _ in range(300)
        ).encode()
    return b"partner_id,\x00" + bytes(rng.randrange(1, 128) for _ in range(100))


def corrupt(docs: dict[str, Doc], c: Corruption) -> None:
    doc = docs[c.table]
    if doc.state != "file":
        return
    k, i = c.kind, (doc.column(c.column) if c.column else None)
    if k in ("wrong_type", "bad_quarter", "bad_date", "bad_amount", "good_amount"):
        doc.set_cell(c.column, c.pick, c.value)
    elif k in ("quoted_newline", "orphan_partner_id"):
        doc.set_cell(c.column, c.pick, LONG.get(c.value, c.value))
    elif k == "long_field":
        doc.set_cell(c.column, c.pick, LONG[c.value])
    elif k == "latin1":
        doc.set_cell(c.column, c.pick, c.value)
        doc.latin1 = True
    elif k == "missing_column" and i is not None:
        del doc.header[i]
        for row in doc.rows:
            del row[i : i + 1]
    elif k == "duplicated_column" and i is not None:
        name = doc.header[i]
        doc.header.append({"same": name, "upper": name.upper(), "padded": f" {name} "}[c.value])
        for row in doc.rows:
            row.append(row[i] if i < len(row) else "")
    elif k == "renamed_column" and i is not None:
        doc.header[i] = c.value
    elif k in ("duplicate_id", "duplicate_row") and doc.rows:
        r = c.pick % len(doc.rows)
        if c.value == "row" or len(doc.rows) == 1:
            doc.rows.insert(r + 1, list(doc.rows[r]))
        else:  # give another record the same key, keeping its other values
            other = doc.rows[(r + 1) % len(doc.rows)]
            for key in TABLES_BY_NAME[c.table].unique:
                j = doc.column(key)
                if j is not None and j < len(doc.rows[r]):
                    other.extend([""] * (j + 1 - len(other)))
                    other[j] = doc.rows[r][j]
    elif k == "empty_file":
        if c.value == "header_only":
            doc.rows = []
        else:
            doc.raw = b"" if c.value == "zero_byte" else b"\n  \n\t\r\n"
    elif k == "bom":
        doc.bom = True
    elif k == "crlf":
        doc.newline = "\r\n"
    elif k == "semicolons":
        doc.delimiter = ";"
    elif k == "garbage":
        doc.raw = _garbage(c.value, c.pick)
    elif k == "directory":
        doc.state = "directory"
    elif k == "delete_file":
        doc.state = "absent"
    elif k == "raw_cell":
        doc.edits.append(("raw_cell", c.pick, c.value))
    elif k == "truncate":
        doc.edits.append(("truncate", c.pick))


ALWAYS_VALID = {"bom", "crlf", "semicolons"}


def contract_accepts(corruptions: list[Corruption]) -> bool:
    """True when the contract accepts the corrupted folder whatever order or rows were hit:
    every corruption alone is valid, and at most one of them writes a cell (two could collide
    into a duplicate key)."""
    writes = 0
    for c in corruptions:
        table = TABLES_BY_NAME[c.table]
        if c.kind in ALWAYS_VALID:
            continue
        if c.kind in ("quoted_newline", "good_amount") or (
            c.kind == "long_field" and (c.table, c.column) in FREE_TEXT
        ):
            writes += 1
        elif c.kind == "delete_file" and not table.required:
            continue
        elif c.kind == "empty_file" and c.value == "header_only" and c.table != "partners":
            continue
        elif c.kind == "missing_column" and not table.column(c.column).required:
            continue
        elif c.kind == "duplicate_row":
            continue
        else:
            return False
    return writes <= 1


# ---------------------------------------------------------------------------------------------
# An independent reading of a CSV file and of the contract's rules


@contextmanager
def _big_fields():
    old = csv.field_size_limit(1 << 30)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def read_records(path: Path, delimiter: str) -> tuple[list[str], dict[int, list[str]]]:
    """(header names trimmed and lower-cased, {physical start line: cells}) of a CSV file."""
    data = path.read_bytes()
    data = data[len(BOM) :] if data.startswith(BOM) else data
    # lines end with LF or CRLF; a lone CR is an ordinary character (csv would end the line)
    text = re.sub("\r(?!\n)", LONE_CR, data.decode("utf-8"))
    with _big_fields():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        records, line = {}, 1
        for cells in reader:
            records[line] = [c.replace(LONE_CR, "\r") for c in cells]
            line = reader.line_num + 1
    header = [h.strip(WS).lower() for h in records.pop(1, [])]
    return header, records


def expected_value(col: Column, raw: str, where: str, may_be_empty: bool = False):
    """The value the contract stores for cell ``raw``; AssertionError if it refuses the cell.
    ``may_be_empty``: the row is one on which the required column may be left empty."""
    s = raw.strip(WS)
    refused = f"the load succeeded, but the contract refuses {raw[:80]!r} at {where}"
    if not s:
        assert not col.required or may_be_empty, refused + " (required)"
        return col.default
    if col.kind == "text":
        return s.lower() if col.name == "vertical" else s
    if col.kind == "enum":
        found = [c for c in col.choices if c.lower() == s.lower()]
        assert found, refused
        return found[0]
    if col.kind in ("amount", "share"):
        try:
            x = float(s)
        except ValueError:
            raise AssertionError(refused) from None
        assert math.isfinite(x) and 0 <= x <= MAX_AMOUNT, refused
        return x
    if col.kind == "date":
        m = re.fullmatch(
            r"([0-9]{4}-[0-9]{2}-[0-9]{2})([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?", s
        )
        assert m, refused
        try:
            d = dt.date.fromisoformat(m.group(1))
        except ValueError:
            raise AssertionError(refused) from None
        assert dt.date(1900, 1, 1) <= d <= dt.date(2200, 12, 31), refused
        return d
    if col.kind == "bool":
        assert s.lower() in TRUE + FALSE, refused
        return s.lower() in TRUE
    if col.kind == "year":
        assert re.fullmatch(r"[0-9]{4}", s) and 1900 <= int(s) <= 2200, refused
        return int(s)
    assert col.kind == "quarter"
    assert re.fullmatch(r"[0-9]{4}-[Qq][1-4]", s), refused
    return s.upper()


def expected_tables(folder: Path, docs: dict[str, Doc]) -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        path = folder / f"{table.name}.csv"
        out[table.name] = []
        assert path.is_file() or not path.exists(), f"loaded with {path.name} not a file"
        if not path.exists():
            assert not table.required, f"loaded without {path.name}"
            continue
        header, records = read_records(path, docs[table.name].delimiter)
        assert "" not in header, f"loaded {path.name} with an empty column name"
        assert len(set(header)) == len(header), f"loaded {path.name} with a repeated column"
        where = {c.name: header.index(c.name) for c in table.columns if c.name in header}
        for line, cells in records.items():
            if all(not c.strip(WS) for c in cells):
                continue  # blank lines are skipped
            assert len(cells) == len(header), f"loaded {path.name} line {line}: not all fields"
            row = {}
            # a column that may be empty on some rows (empty_when) after the column it looks at
            for col in sorted(table.columns, key=lambda c: c.empty_when is not None):
                i = where.get(col.name)
                raw = cells[i] if i is not None else ""
                rule = col.empty_when
                may_be_empty = rule is not None and row[rule.column] in rule.values
                at = f"{path.name} line {line} {col.name}"
                row[col.name] = expected_value(col, raw, at, may_be_empty)
            out[table.name].append(tuple(row[c.name] for c in table.columns))
    return out


def stored_tables(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in TABLES:
            cols = ", ".join(
                "lower(vertical)" if c.name == "vertical" else c.name for c in table.columns
            )
            out[table.name] = con.sql(f"select {cols} from {table.name}").fetchall()  # noqa: S608
        return out
    finally:
        con.close()


def check_loaded(folder: Path, docs: dict[str, Doc], db: Path) -> None:
    """The new database holds exactly the files' rows, and they hang together."""
    expected, stored = expected_tables(folder, docs), stored_tables(db)
    for table in TABLES:
        want, got = sorted(expected[table.name], key=repr), sorted(stored[table.name], key=repr)
        assert len(got) == len(want), f"{table.name}: {len(got)} rows stored, {len(want)} in file"
        diff = next(((w, g) for w, g in zip(want, got, strict=True) if w != g), None)
        assert got == want, f"{table.name}: file says {diff[0]!r}, stored {diff[1]!r}"
    partners = {r[0] for r in stored["partners"]}
    assert partners, "loaded with no partners"
    for table in TABLES:
        names = [c.name for c in table.columns]
        rows = stored[table.name]
        if "partner_id" in names and table.name != "partners":
            i = names.index("partner_id")
            assert {r[i] for r in rows} <= partners, f"{table.name}: orphan partner_id stored"
        if table.unique:
            keys = [tuple(r[names.index(k)] for k in table.unique) for r in rows]
            assert len(set(keys)) == len(keys), f"{table.name}: duplicate key stored"
        for col in table.columns:
            if col.kind in ("amount", "share"):
                i = names.index(col.name)
                assert all(math.isfinite(r[i]) and 0 <= r[i] <= MAX_AMOUNT for r in rows)
    deals = TABLES_BY_NAME["deals"]
    created, closed = (
        [c.name for c in deals.columns].index(n) for n in ("created_on", "closed_on")
    )
    assert all(
        r[created] is None or r[closed] is None or r[created] <= r[closed] for r in stored["deals"]
    )


# ---------------------------------------------------------------------------------------------
# What a rejection must say


# Problems about a whole file (or folder): no line to name.
FILE_LEVEL = (
    "required file is missing",
    "is not a regular file",
    "both ",
    "has no data rows",
    "cannot be read: ",
    "more records have fewer fields than the header",
)
# Problems about a file's bytes or CSV shape: a line, no column.
LINE_LEVEL = (
    "file is empty",
    "not UTF-8 text",
    "contains NUL bytes",
    "the header line cannot be read",
    "fields but the header names",
    "malformed CSV",
    "stray double quote",
    "the header has an empty column name",
)
# Problems with the header: line 1 and the column.
HEADER_LEVEL = ("column appears more than once", "required column is missing")
# Problems with one value: its line, column and value.
ROW_LEVEL = (
    "must be ",
    "required value is empty",
    "partner_id is not in partners",
    "duplicate ",
    "created_on is after closed_on",
)
CONTRACT_FILES = {f"{t.name}.csv" for t in TABLES}


def check_problem(p: Problem, folder: Path, docs: dict[str, Doc]) -> str:
    """Assert that ``p`` names what it must for its kind; returns the kind."""
    assert p.file in CONTRACT_FILES, f"not a contract file: {p}"
    assert p.reason and p.line_word == "line", str(p)
    assert (p.line is None or p.line >= 1) and "Traceback" not in str(p)
    assert str(p).isprintable(), f"control characters in the message: {p!r}"
    level = next(
        name
        for name, reasons in (
            ("file", FILE_LEVEL),
            ("line", LINE_LEVEL),
            ("header", HEADER_LEVEL),
            ("row", ROW_LEVEL),
            ("unclassified", ("",)),
        )
        if any(r in p.reason for r in reasons)
    )
    assert level != "unclassified", f"a reason this test does not know; classify it: {p}"
    if level == "file":
        assert p.line is None and p.column is None, str(p)
        return level
    assert p.line is not None, f"no line: {p}"
    if level == "line":
        assert p.column is None, str(p)
        if p.value and "quote" in p.reason:  # the value shown is the start of that physical line
            text = (folder / p.file).read_bytes().decode("utf-8-sig")
            assert p.value and text.split("\n")[p.line - 1].startswith(p.value), str(p)
        return level
    table = TABLES_BY_NAME[p.file.removesuffix(".csv")]
    if level == "header":
        assert p.line == 1 and p.column in {c.name for c in table.columns} | {p.value}, str(p)
        return level
    # row level: the record that starts on p.line holds the value in p.column
    assert p.column in {c.name for c in table.columns}, str(p)
    header, records = read_records(folder / p.file, docs[table.name].delimiter)
    assert p.line in records, f"no record starts on line {p.line}: {p}"
    cells = records[p.line]
    i = header.index(p.column)
    cell = cells[i] if i < len(cells) else ""
    if p.reason.startswith("duplicate "):
        assert cell.strip(WS).lower() in (p.value or "").lower(), f"{p} but the cell is {cell!r}"
    elif p.reason.startswith("created_on"):
        assert p.value and cell.strip(WS)[:10] in p.value, f"{p} but the cell is {cell!r}"
    elif p.reason.startswith("required value is empty"):
        assert not cell.strip(WS) and not (p.value or "").strip(WS), str(p)
    else:
        assert p.value is not None, f"no value: {p}"
        assert cell.strip(WS) == p.value.strip(WS), f"{p} but the cell is {cell[:80]!r}"
    return level
