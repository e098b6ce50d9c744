"""The import contract: which files a source folder holds, their columns, types and rules.

This module is the single description of the contract. The loader validates against it, the
templates in ``data/templates/`` are written from it (``python -m channel templates``), and
``tests/test_contract.py`` checks that the README documents every column listed here.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

Kind = Literal["text", "enum", "amount", "share", "date", "bool", "quarter", "year"]

SEGMENTS = ("SMB", "Midmarket", "Enterprise", "Mixed")
PROGRAM_TIERS = ("Platinum", "Gold", "Silver", "Registered")
ROLES = ("Sales", "Technical", "Marketing", "Executive", "Other")
DEAL_STATUSES = ("won", "lost", "open")

# Amounts above this are refused as implausible (and so that sums stay finite).
MAX_AMOUNT = 1e12


@dataclasses.dataclass(frozen=True)
class EmptyWhen:
    """The rows on which a required column may still be left empty: those whose ``column``
    (an enum of the same table, after its default is applied) holds one of ``values``.
    ``reason`` is the problem reported for an empty value on any other row."""

    column: str
    values: tuple[str, ...]
    reason: str


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False  # the header must name it, and its values must not be empty ...
    choices: tuple[str, ...] = ()  # for kind == "enum": canonical spellings
    default: str | bool | None = None  # value stored when the cell is empty
    example: str = ""  # shown in the template
    empty_when: EmptyWhen | None = None  # ... except on these rows

    @property
    def sql_type(self) -> str:
        return {
            "text": "varchar",
            "enum": "varchar",
            "amount": "double",
            "share": "double",
            "date": "date",
            "bool": "boolean",
            "quarter": "varchar",
            "year": "integer",
        }[self.kind]


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    required: bool
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()  # columns that together identify a row
    description: str = ""

    def __post_init__(self) -> None:
        for col in self.columns:
            rule = col.empty_when
            if rule is not None:
                other = self.column(rule.column)
                assert col.required, f"{self.name}.{col.name}: empty_when needs required"
                assert other.kind == "enum" and set(rule.values) <= set(other.choices), rule

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, kind: Kind, example: str, required: bool = False, **kw) -> Column:
    return Column(name, kind, required, example=example, **kw)


TABLES: tuple[Table, ...] = (
    Table(
        "partners",
        True,
        (
            _c("partner_id", "text", "P0001", True),
            _c("partner_name", "text", "Northwind Systems", True),
            _c("segment", "enum", "Midmarket", True, choices=SEGMENTS),
            _c("region", "text", "EMEA", True),
            _c("partner_type", "text", "VAR"),
            _c("program_tier", "enum", "Gold", choices=PROGRAM_TIERS),
            _c("partner_manager", "text", "Dana Whitfield"),
            _c("joined_on", "date", "2021-03-15"),
        ),
        unique=("partner_id",),
        description="one row per partner company",
    ),
    Table(
        "contacts",
        False,
        (
            _c("partner_id", "text", "P0001", True),
            _c("contact_name", "text", "Sam Ortiz", True),
            _c("role", "enum", "Technical", True, choices=ROLES),
            _c("is_certified", "bool", "true", default=False),
        ),
        description="the people inside a partner",
    ),
    Table(
        "partner_verticals",
        False,
        (
            _c("partner_id", "text", "P0001", True),
            _c("vertical", "text", "Healthcare", True),
            _c("focus_share", "share", "60", True),
        ),
        unique=("partner_id", "vertical"),
        description="the partner's declared focus; shares on any scale, normalised per partner",
    ),
    Table(
        "vendor_priorities",
        False,
        (
            _c("fiscal_year", "year", "2026", True),
            _c("vertical", "text", "Healthcare", True),
            _c("priority_weight", "share", "3", True),
        ),
        unique=("fiscal_year", "vertical"),
        description="the vendor's priority verticals per fiscal year",
    ),
    Table(
        "targets",
        True,
        (
            _c("partner_id", "text", "P0001", True),
            _c("fiscal_quarter", "quarter", "2026-Q1", True),
            _c("target_amount", "amount", "250000", True),
        ),
        unique=("partner_id", "fiscal_quarter"),
        description="one revenue target per partner and fiscal quarter",
    ),
    Table(
        "deals",
        True,
        (
            _c("deal_id", "text", "D000001", True),
            _c("partner_id", "text", "P0001", True),
            _c("amount", "amount", "48000.00", True),
            _c(
                "closed_on",
                "date",
                "2026-02-27",
                True,
                empty_when=EmptyWhen(
                    "status",
                    ("open",),
                    "required value is empty for a won or lost deal (an empty status means"
                    " won); only an open deal may leave it empty",
                ),
            ),
            _c("status", "enum", "won", choices=DEAL_STATUSES, default="won"),
            _c("vertical", "text", "Healthcare"),
            _c("created_on", "date", "2025-12-01"),
        ),
        unique=("deal_id",),
        description="one row per deal; only won deals count as revenue",
    ),
    Table(
        "investments",
        False,
        (
            _c("partner_id", "text", "P0001", True),
            _c("fiscal_quarter", "quarter", "2026-Q1", True),
            _c("program", "text", "MDF", True),
            _c("amount", "amount", "15000", True),
        ),
        description="resources spent on a partner (MDF, enablement, co-selling, rebates, ...)",
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}
EXTENSIONS = (".csv", ".parquet")
