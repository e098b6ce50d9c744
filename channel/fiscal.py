"""Fiscal calendar: quarter labels, quarter indexes and date ranges.

A fiscal year is named by the calendar year in which it ends. With ``start_month = 4`` the
fiscal year 2026 runs from 2025-04-01 to 2026-03-31, and its Q1 is April to June 2025.

A *quarter index* is ``fiscal_year * 4 + (quarter - 1)``: consecutive quarters differ by one,
so "the four quarters ending at q" is ``q - 3 .. q``. The same arithmetic is written in SQL in
``queries/build/05_fiscal_quarter_idx.sql`` and ``06_fiscal_quarter_start.sql``;
``tests/test_settings.py`` checks that the two agree.
"""

from __future__ import annotations

import datetime as dt
import re

QUARTER_RE = re.compile(r"^\s*(\d{4})-[Qq]([1-4])\s*$")


def parse_quarter(text: str) -> int:
    """``"2025-Q3"`` (any case, surrounding blanks allowed) -> quarter index. Raises ValueError."""
    m = QUARTER_RE.match(text or "")
    if not m:
        raise ValueError(f"{text!r} is not a fiscal quarter written YYYY-Qn with n in 1..4")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def quarter_label(index: int) -> str:
    """Quarter index -> ``"YYYY-Qn"``."""
    return f"{index // 4}-Q{index % 4 + 1}"


def quarter_of(day: dt.date, start_month: int = 1) -> int:
    """The quarter index of the fiscal quarter that contains ``day``."""
    shifted = (day.month - start_month) % 12
    fiscal_year = day.year + (1 if start_month > 1 and day.month >= start_month else 0)
    return fiscal_year * 4 + shifted // 3


def quarter_start(index: int, start_month: int = 1) -> dt.date:
    """First day of the fiscal quarter."""
    fiscal_year, q = divmod(index, 4)
    month0 = (start_month - 1) + 3 * q  # months after January of the calendar year it starts in
    year = fiscal_year - (1 if start_month > 1 else 0) + month0 // 12
    return dt.date(year, month0 % 12 + 1, 1)


def quarter_end(index: int, start_month: int = 1) -> dt.date:
    """Last day of the fiscal quarter."""
    return quarter_start(index + 1, start_month) - dt.timedelta(days=1)


def last_complete_quarter(today: dt.date, start_month: int = 1) -> int:
    """The latest fiscal quarter that ended before ``today``."""
    return quarter_of(today, start_month) - 1
