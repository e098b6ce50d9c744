"""Property: random mappings over random sources either import, or fail with named problems.

Whatever hypothesis draws (headers, cells in many date and amount shapes, blanks, stray text,
mappings with constants, expressions, value maps, aliases and bad options), ``import_sources``
returns a summary or raises MappingError, LoadError or SourceError whose every problem names a
file and a reason. Any other exception is a bug. A failed import leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channel.ingest.importer import import_sources
from channel.ingest.mapping import MappingError, parse_mapping
from channel.ingest.readers import SourceError
from channel.loader import LoadError

HEADERS = ["id", "Partner", "Amount", "Close Date", "Stage", "Industry", "Owner", "n", "Empty"]
CELLS = [
    "",
    " ",
    "P1",
    "P2",
    "p1",
    "Won",
    "Closed Won",
    "lost",
    "Open",
    "x",
    "0",
    "12",
    "1,234.50",
    "1.234,50",
    "$5",
    "(3.00)",
    "-4",
    "€ 7,00",
    "USD 9",
    "3/4/2025",
    "2025-03-04",
    "2025-03-04T10:00:00Z",
    "31/02/2025",
    "45000",
    "15.03.2025",
    "Health care",
    "technolgy",
    'quote"d',
    "a,b",
    "1e400",
    "NaN",
    "9999999999999",
]
FITTING = {  # values that fit the base columns, drawn most of the time
    "id": ["D1", "D2", "D3", "D4", "D5", "D6", "D7"],
    "Partner": ["P1", "P2", "P3", ""],
    "Amount": ["100", "2500.50", "0", ""],
    "Close Date": ["2025-01-15", "2025-04-01", "2024-12-31", "2024-03-31", ""],
    "Stage": ["won", "lost", "open", "Closed Won"],
}
COLUMNS = ["deal_id", "partner_id", "amount", "closed_on", "status", "vertical", "created_on"]


def _rule(draw, headers: list[str]) -> str:
    kind = draw(
        st.sampled_from(["column"] * 4 + ["table"] * 4 + ["value", "expr", "expr"] + ["junk"])
    )
    col = draw(st.sampled_from(headers * 8 + ["Missing"]))
    if kind == "column":
        return f'"{col}"'
    if kind == "value":
        return "{ value = " + draw(st.sampled_from(['"P1"', '"won"', "5", '"2025-01-01"'])) + " }"
    if kind == "expr":
        other = draw(st.sampled_from(headers))
        expr = draw(
            st.sampled_from(
                [
                    f"first_nonempty(`{col}`, `{other}`)",
                    f'concat(`{col}`, " ", `{other}`)',
                    f'bands(`{col}`, [10, 100], ["SMB", "Midmarket", "Enterprise"])',
                    f"most_frequent(`{col}`)",
                    f'lookup("s.csv", `{col}`, `{other}`)',
                    f'first_nonempty(`{col}`, "0")',
                    "nope(x)",
                ]
            )
        )
        return "{ expr = '" + expr + "' }"
    if kind == "table":
        opts = draw(
            st.lists(
                st.sampled_from(
                    [
                        'format = "%m/%d/%Y"',
                        'format = "iso"',
                        'format = "%Q"',
                        'decimal = ","',
                        'thousands = "."',
                        'map = { "Closed Won" = "won", "*" = "open" }',
                        'map = { won = "won" }',
                        'aliases = { technolgy = "Technology" }',
                        'currency_column = "Owner"',
                        "if_present = []",
                        'format = "%d.%m.%Y"',
                        'format = "excel"',
                        'map = { "*" = "won" }',
                        "case_sensitive = true",
                    ]
                ),
                max_size=3,
                unique=True,
            )
        )
        return "{ " + ", ".join([f'column = "{col}"', *opts]) + " }"
    return draw(st.sampled_from(["5", "[1, 2]", "{ }", '{ column = "" }']))


@st.composite
def cases(draw):
    extra = draw(st.lists(st.sampled_from(HEADERS[4:]), max_size=5, unique=True))
    headers = ["id", "Partner", "Amount", "Close Date", *extra]

    def cell(header: str):
        fitting = FITTING.get(header)
        if fitting is None:
            return st.sampled_from(CELLS)
        return st.one_of(
            st.sampled_from(fitting),
            st.sampled_from(fitting),
            st.sampled_from(fitting),
            st.sampled_from(CELLS),
        )

    body = draw(st.lists(st.tuples(*[cell(h) for h in headers]), max_size=8))
    base = {
        "deal_id": '"id"',
        "partner_id": '"Partner"',
        "amount": '"Amount"',
        "closed_on": draw(
            st.sampled_from(
                [
                    '"Close Date"',
                    '{ column = "Close Date", format = "%m/%d/%Y" }',
                    '{ column = "Close Date", format = "iso" }',
                ]
            )
        ),
    }
    cols = draw(st.lists(st.sampled_from(COLUMNS), max_size=7, unique=True))
    lines = ["[deals]", 'file = "s.csv"', "[deals.columns]"]
    rules = {**base, **{c: _rule(draw, headers) for c in cols}}
    lines += [f"{c} = {r}" for c, r in rules.items()]
    if draw(st.booleans()):
        lines += [
            "[partners]",
            "from_deals = true",
            "[partners.columns]",
            f"partner_manager = {_rule(draw, headers)}",
        ]
    if draw(st.booleans()):
        rule = draw(st.sampled_from(['"prior_year"', '"trailing_mean"', '"median"']))
        lines += ["[targets]", f"rule = {rule}", "growth = 0.1"]
    if draw(st.booleans()):
        lines += [
            "[defaults]",
            draw(
                st.sampled_from(
                    ['currency = "USD"', 'date_format = "iso"', 'decimal = ","\nthousands = "."']
                )
            ),
        ]
    return headers, body, "\n".join(lines) + "\n"


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"') else value


def _named(problems) -> bool:
    return bool(problems) and all(p.file and p.reason and str(p) for p in problems)


@settings(
    max_examples=int(os.environ.get("IMPORT_FUZZ_EXAMPLES", "80")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cases())
def test_random_mappings_import_or_fail_with_named_problems(case):
    headers, body, toml = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = folder / "s.csv"
        text = "\n".join(",".join(_csv_cell(c) for c in row) for row in [headers, *body])
        src.write_text(text + "\n", encoding="utf-8")
        db = folder / "live.duckdb"
        db.write_bytes(b"not touched")
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        try:
            mapping = parse_mapping(toml, "m.toml")
        except MappingError as e:
            assert _named(e.problems), toml
            return
        try:
            summary = import_sources([str(src)], mapping, db)
        except (MappingError, LoadError, SourceError) as e:
            assert _named(e.problems), (toml, text)
            assert hashlib.sha256(db.read_bytes()).hexdigest() == before
            return
        assert summary.load.rows["deals"] >= 0
