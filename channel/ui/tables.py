"""Tables and their columns: one label, one help text and one named format per column,
wherever it shows.

``columns(filters, "partner_link", "revenue_t4q", status={"width": "small"}, finding="Finding")``
gives the ``column_config`` of a table. A name from ``COLUMNS`` is configured from the registry,
with the keyword of the same name (a label, or a dict of ``Column`` fields) overriding it; any
other keyword is a page's own column config, passed through unchanged.

Also here: the partner links of a table and the status labels of a frame.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from channel.definitions import explain
from channel.filters import Filters
from channel.ui.core import currency, db_settings


@dataclasses.dataclass(frozen=True)
class Column:
    """A column's label, help and named format. ``{to_date}`` in the label and ``{as_of_label}``
    in the help are filled in from the filters; ``kpi`` takes the help from
    ``channel.definitions`` instead."""

    label: str
    help: str | None = None
    fmt: str = "text"  # one of FORMATS
    width: str | int | None = None
    kpi: str | None = None


# The named formats. A "money" column is compact and carries the currency in its label.
FORMATS = {
    "text": lambda label, **kw: st.column_config.TextColumn(label, **kw),
    "int": lambda label, **kw: st.column_config.NumberColumn(label, **kw),
    "count": lambda label, **kw: st.column_config.NumberColumn(label, format="localized", **kw),
    "pct": lambda label, **kw: st.column_config.NumberColumn(label, format="percent", **kw),
    "money": lambda label, **kw: st.column_config.NumberColumn(label, format="compact", **kw),
    "score": lambda label, **kw: st.column_config.NumberColumn(label, format="%.2f", **kw),
    "link": lambda label, **kw: st.column_config.LinkColumn(
        label, display_text=r"partner=([^&]*)", **kw
    ),
}

# The partner-level columns that several tables share.
COLUMNS: dict[str, Column] = {
    "partner_link": Column("ID", "Open the partner page", "link", "small"),
    "partner_name": Column("Partner", width="medium"),
    "segment": Column("Segment", width="small"),
    "partner_manager": Column("Partner manager"),
    "program_tier": Column("Program tier", width="small"),
    "earned_tier": Column("Earned tier", width="small", kpi="earned_tier"),
    "status": Column("Status"),
    "missed_streak": Column(
        "Streak",
        "Missed quarters in a row up to the as-of quarter; quarters without a target are skipped",
        "int",
        "small",
    ),
    "missed_last_8": Column(
        "Missed/8", "Missed quarters among the 8 ending at the as-of quarter", "int", "small"
    ),
    "attainment": Column(
        "Attainment{to_date}",
        "Won revenue / target in {as_of_label}; empty without a target",
        "pct",
        "small",
    ),
    "pace": Column(
        "Pace",
        "Attainment to date / share of the quarter elapsed: 100% means on course to meet the "
        "target if the rest of the quarter goes as it has so far",
        "pct",
        "small",
    ),
    "revenue_t4q": Column(
        "Revenue 4Q", "Won revenue, the as-of quarter and the three before it", "money", "small"
    ),
    "won_deals_t4q": Column("Won deals 4Q", "Won deals, trailing four quarters", "int"),
    "investment_t4q": Column(
        "Invested 4Q", "Investment in the as-of quarter and the three before it", "money"
    ),
    "shortfall": Column(
        "Shortfall", "Target minus won revenue in the as-of quarter, when missed", "money"
    ),
    "tier_gap": Column(
        "Tier gap", "Tiers held above (+) or below (−) the tier earned", "int", "small"
    ),
    "miss_risk": Column(
        "Miss risk",
        "The forecast's chance that the partner misses the next quarter to end (the one after "
        "the as-of quarter, or the quarter in progress itself): a probability learned from past "
        "quarters, not a verdict. Empty without a forecast (README, Miss forecast).",
        "pct",
        "small",
    ),
    "revenue_at_stake": Column(
        "Revenue at stake", "Miss risk × that quarter's target", "money", "small"
    ),
    "risk_drivers": Column(
        "Largest drivers",
        "The three features that moved this partner's forecast most from the average partner's; "
        "contributions, not causes",
        width="large",
    ),
    "alignment_score": Column(
        "Alignment score",
        "0 to 1: the partner's focus weighted by the vendor's priorities for the as-of fiscal "
        "year (README, KPI definitions). Empty without declared focus or won deals.",
        "score",
    ),
}


def column(name: str, filters: Filters, symbol: str, settings: dict, **changes: object) -> object:
    """The ``st.column_config`` of registry column ``name``, with ``changes`` to its fields."""
    spec = dataclasses.replace(COLUMNS[name], **changes)
    label = spec.label.format(to_date=" to date" if filters.in_progress else "")
    if spec.fmt == "money":
        label = f"{label} ({symbol})"
    help_text = explain(spec.kpi, settings, symbol) if spec.kpi else spec.help
    if help_text:
        help_text = help_text.format(as_of_label=filters.as_of_label)
    return FORMATS[spec.fmt](label, help=help_text, width=spec.width)


def columns(filters: Filters, *names: str, **configs: object) -> dict[str, object]:
    """``column_config`` for a table: the registry ``names``, and one entry per keyword. For a
    registry name the keyword is a new label, or a dict of ``Column`` fields to change (``None``
    clears a help or a width); anything else (a page's own column, or a whole
    ``st.column_config`` for a registry name) is passed through as is."""
    symbol, settings = currency(), db_settings()
    out: dict[str, object] = {}
    for name in [*names, *(k for k in configs if k not in names)]:
        change = configs.get(name)
        if name not in COLUMNS and name not in configs:
            continue  # a column of the table's own, shown as Streamlit shows it
        if isinstance(change, str) and name in COLUMNS:
            out[name] = column(name, filters, symbol, settings, label=change)
        elif name in COLUMNS and (change is None or change.keys() <= _FIELDS):
            out[name] = column(name, filters, symbol, settings, **(change or {}))
        else:  # the page's own column, or its own config of a registry column
            out[name] = change
    return out


_FIELDS = {f.name for f in dataclasses.fields(Column)}


def table(
    frame: pl.DataFrame,
    filters: Filters,
    order: list[str] | None = None,
    *,
    key: str | None = None,
    on_select: str = "ignore",
    selection_mode: str = "multi-row",
    height: int | str = "auto",
    **configs: object,
):
    """``st.dataframe`` of ``frame`` across the page, without the index: the columns in
    ``order`` (all, when None), configured by ``columns(filters, *order, **configs)``."""
    return st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=height,
        column_order=order,
        column_config=columns(filters, *(order or ()), **configs),
        key=key,
        on_select=on_select,
        selection_mode=selection_mode,
    )


def partner_url(partner_id: str) -> str:
    """Relative URL of the partner page for ``partner_id`` (the id is URL-encoded)."""
    return "partner?" + urlencode({"partner": partner_id})


def with_partner_links(frame: pl.DataFrame, id_column: str = "partner_id") -> pl.DataFrame:
    """Add a ``partner_link`` column (URL of each row's partner page) as the first column."""
    links = [partner_url(p) for p in frame[id_column].to_list()]
    return frame.select(pl.Series("partner_link", links, dtype=pl.String), pl.all())


def with_labels(frame: pl.DataFrame, **mappings: dict[str, str]) -> pl.DataFrame:
    """``frame`` with its ``status`` codes (when it has them) shown as words, and each column
    named in ``mappings`` mapped the same way (e.g. ``signal=SIGNAL_LABELS``)."""
    from channel.charts import STATUS_LABELS  # the one mapping; plotly only once it is used

    if "status" in frame.columns:
        mappings = {"status": STATUS_LABELS, **mappings}
    return frame.with_columns(
        pl.col(name).replace_strict(mapping).alias(name) for name, mapping in mappings.items()
    )
