"""The demo generator: contract shape, integrity, determinism and the realism the issue asks for.

Reads the Parquet files with polars only (no loader), at small scale so the file runs in seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from channel import demo, fiscal
from channel.contract import TABLES
from channel.settings import Settings

PARTNERS = 2000
QUARTERS = 12
END = "2025-Q4"
# A fiscal year starting in April: FY2026 Q2 is July-September 2025.
END_APRIL = "2026-Q2"

FILES = [t.name for t in TABLES]
AMOUNTS = {"deals": "amount", "targets": "target_amount", "investments": "amount"}


def _generate(out: Path, **kw) -> dict[str, pl.DataFrame]:
    rows = demo.generate(out, **kw)
    frames = {name: pl.read_parquet(out / f"{name}.parquet") for name in FILES}
    assert rows == {name: frames[name].height for name in FILES}
    return frames


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, pl.DataFrame]:
    return _generate(
        tmp_path_factory.mktemp("demo"), partners=PARTNERS, quarters=QUARTERS, end_quarter=END
    )


@pytest.fixture(scope="module")
def data_april(tmp_path_factory) -> dict[str, pl.DataFrame]:
    return _generate(
        tmp_path_factory.mktemp("demo_april"),
        partners=800,
        quarters=QUARTERS,
        end_quarter=END_APRIL,
        seed=3,
        fiscal_year_start_month=4,
    )


def _window(end: str, start_month: int, quarters: int = QUARTERS) -> tuple[dt.date, dt.date]:
    last = fiscal.parse_quarter(end)
    return (
        fiscal.quarter_start(last - quarters + 1, start_month),
        fiscal.quarter_end(last, start_month),
    )


def _labels(end: str, quarters: int = QUARTERS) -> list[str]:
    last = fiscal.parse_quarter(end)
    return [fiscal.quarter_label(i) for i in range(last - quarters + 1, last + 1)]


def _won_t4q(data: dict[str, pl.DataFrame], end: str = END, start_month: int = 1) -> pl.DataFrame:
    """Won revenue over the last four covered quarters, one row per partner (0 when none)."""
    since = fiscal.quarter_start(fiscal.parse_quarter(end) - 3, start_month)
    until = fiscal.quarter_end(fiscal.parse_quarter(end), start_month)
    revenue = (
        data["deals"]
        .filter(pl.col("status") == "won", pl.col("closed_on").is_between(since, until))
        .group_by("partner_id")
        .agg(revenue=pl.col("amount").sum())
    )
    return (
        data["partners"]
        .join(revenue, on="partner_id", how="left")
        .with_columns(pl.col("revenue").fill_null(0.0))
    )


# ------------------------------------------------------------------------------------------
# Shape and integrity


def test_every_contract_column_with_its_type(data):
    types = {
        "text": pl.Utf8,
        "enum": pl.Utf8,
        "quarter": pl.Utf8,
        "amount": pl.Float64,
        "share": pl.Float64,
        "date": pl.Date,
        "bool": pl.Boolean,
    }
    for table in TABLES:
        frame = data[table.name]
        assert frame.columns == [c.name for c in table.columns], table.name
        assert frame.height > 0, table.name
        for column in table.columns:
            dtype = frame.schema[column.name]
            if column.kind == "year":
                assert dtype in (pl.Int32, pl.Int64), (table.name, column.name)
            else:
                assert dtype == types[column.kind], (table.name, column.name, dtype)
            if column.required:
                assert frame[column.name].null_count() == 0, (table.name, column.name)


def test_enumerations_use_canonical_spellings(data):
    for table in TABLES:
        for column in table.columns:
            if column.kind == "enum":
                values = set(data[table.name][column.name].drop_nulls().unique())
                assert values <= set(column.choices), (table.name, column.name, values)
    assert set(data["partners"]["segment"]) == set(demo.SEGMENTS)
    assert set(data["deals"]["status"]) == {"won", "lost", "open"}


def test_ids_are_unique_and_well_formed(data):
    partners, deals = data["partners"], data["deals"]
    assert partners["partner_id"].n_unique() == PARTNERS
    assert deals["deal_id"].n_unique() == deals.height
    assert partners["partner_id"].str.contains(r"^P\d{6}$").all()
    assert deals["deal_id"].str.contains(r"^D\d{8}$").all()
    assert data["targets"].select("partner_id", "fiscal_quarter").is_unique().all()
    assert data["partner_verticals"].select("partner_id", "vertical").is_unique().all()
    assert data["vendor_priorities"].select("fiscal_year", "vertical").is_unique().all()
    assert data["investments"].select("partner_id", "fiscal_quarter", "program").is_unique().all()


def test_every_partner_id_exists_in_partners(data):
    known = data["partners"].select("partner_id")
    for name in ("contacts", "partner_verticals", "targets", "deals", "investments"):
        unknown = data[name].join(known, on="partner_id", how="anti")
        assert unknown.height == 0, name


def test_dates_amounts_and_shares_are_valid(data):
    deals = data["deals"]
    assert (deals["created_on"] <= deals["closed_on"]).all()
    for name, column in AMOUNTS.items():
        amounts = data[name][column]
        assert (amounts >= 0).all(), name
        assert ((amounts * 100).round() - amounts * 100).abs().max() < 1e-6, name  # cents
    assert (data["partner_verticals"]["focus_share"] > 0).all()
    assert (data["vendor_priorities"]["priority_weight"] >= 0).all()
    # Deals only once a partner has joined (closed after joining).
    joined = deals.join(data["partners"].select("partner_id", "joined_on"), on="partner_id")
    assert (joined["closed_on"] >= joined["joined_on"]).all()


def test_fiscal_quarters_are_well_formed_and_inside_the_window(data):
    window = set(_labels(END))
    for name in ("targets", "investments"):
        quarters = set(data[name]["fiscal_quarter"])
        assert all(re.fullmatch(r"\d{4}-Q[1-4]", q) for q in quarters), name
        assert quarters <= window, name
    assert set(data["targets"]["fiscal_quarter"]) == window


@pytest.mark.parametrize(
    ("fixture", "end", "start_month"), [("data", END, 1), ("data_april", END_APRIL, 4)]
)
def test_deals_close_inside_the_covered_quarters(request, fixture, end, start_month):
    data = request.getfixturevalue(fixture)
    first, last = _window(end, start_month)
    deals = data["deals"]
    done = deals.filter(pl.col("status") != "open")
    assert done["closed_on"].min() >= first
    assert done["closed_on"].max() <= last
    # Open deals: expected close in the last covered quarter or the one after it.
    next_end = fiscal.quarter_end(fiscal.parse_quarter(end) + 1, start_month)
    opened = deals.filter(pl.col("status") == "open")
    assert opened["closed_on"].min() >= fiscal.quarter_start(fiscal.parse_quarter(end), start_month)
    assert opened["closed_on"].max() <= next_end
    assert opened["created_on"].max() <= last
    # Every covered fiscal quarter has won deals, and its targets.
    won = deals.filter(pl.col("status") == "won")
    for index in range(fiscal.parse_quarter(end) - QUARTERS + 1, fiscal.parse_quarter(end) + 1):
        start, stop = (
            fiscal.quarter_start(index, start_month),
            fiscal.quarter_end(index, start_month),
        )
        assert won.filter(pl.col("closed_on").is_between(start, stop)).height > 0, index
        label = fiscal.quarter_label(index)
        assert (data["targets"]["fiscal_quarter"] == label).sum() > 0, label


def test_default_end_quarter_is_the_last_complete_quarter(tmp_path):
    frames = _generate(tmp_path, partners=50, quarters=4, fiscal_year_start_month=7)
    last = fiscal.last_complete_quarter(dt.date.today(), 7)
    assert set(frames["targets"]["fiscal_quarter"]) <= set(_labels(fiscal.quarter_label(last), 4))
    won = frames["deals"].filter(pl.col("status") == "won")
    assert won["closed_on"].max() <= fiscal.quarter_end(last, 7)
    assert won["closed_on"].min() >= fiscal.quarter_start(last - 3, 7)


def test_same_seed_same_data_other_seed_other_data(data, tmp_path):
    again = _generate(tmp_path / "again", partners=PARTNERS, quarters=QUARTERS, end_quarter=END)
    for name in FILES:
        assert again[name].equals(data[name]), name
    other = _generate(
        tmp_path / "other", partners=PARTNERS, quarters=QUARTERS, end_quarter=END, seed=1
    )
    assert not other["deals"].equals(data["deals"])
    assert not other["partners"].equals(data["partners"])
    assert not other["targets"].equals(data["targets"])


def test_progress_is_reported(tmp_path):
    messages: list[str] = []
    demo.generate(tmp_path, partners=20, quarters=2, end_quarter=END, progress=messages.append)
    assert len(messages) >= 5
    assert any("deals" in m for m in messages)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError):
        demo.generate(tmp_path, partners=0)
    with pytest.raises(ValueError):
        demo.generate(tmp_path, fiscal_year_start_month=13)
    with pytest.raises(ValueError):
        demo.generate(tmp_path, end_quarter="2025-Q5")


# ------------------------------------------------------------------------------------------
# Realism


def test_revenue_is_heavy_tailed(data):
    revenue = _won_t4q(data)["revenue"].sort(descending=True)
    top = revenue.head(round(0.2 * len(revenue))).sum()
    assert 0.70 <= top / revenue.sum() <= 0.85


def test_segments_behave_differently(data):
    won = data["deals"].filter(pl.col("status") == "won")
    partners = data["partners"]
    by_segment = (
        won.join(partners.select("partner_id", "segment"), on="partner_id")
        .group_by("segment")
        .agg(avg_deal=pl.col("amount").mean(), deals=pl.len())
        .join(partners.group_by("segment").agg(partners=pl.len()), on="segment")
        .with_columns(per_partner=pl.col("deals") / pl.col("partners"))
    )
    seg = {row["segment"]: row for row in by_segment.iter_rows(named=True)}
    assert seg["SMB"]["avg_deal"] * 5 < seg["Enterprise"]["avg_deal"]
    assert seg["SMB"]["avg_deal"] < seg["Midmarket"]["avg_deal"] < seg["Enterprise"]["avg_deal"]
    assert seg["SMB"]["per_partner"] > 1.3 * seg["Enterprise"]["per_partner"]
    # SMB is the most numerous segment.
    assert max(seg, key=lambda s: seg[s]["partners"]) == "SMB"


def test_lost_and_open_deals_are_a_small_share(data):
    share = data["deals"]["status"].value_counts(normalize=True)
    share = dict(zip(share["status"], share["proportion"], strict=True))
    assert 0.05 <= share["lost"] <= 0.30
    assert 0.005 <= share["open"] <= 0.10
    assert share["won"] >= 0.6


def test_every_earned_tier_is_populated(data):
    floors = Settings()
    revenue = _won_t4q(data)["revenue"]
    platinum = (revenue >= floors.tier_floor_platinum).mean()
    gold = ((revenue >= floors.tier_floor_gold) & (revenue < floors.tier_floor_platinum)).mean()
    silver = ((revenue >= floors.tier_floor_silver) & (revenue < floors.tier_floor_gold)).mean()
    registered = (revenue < floors.tier_floor_silver).mean()
    assert 0.005 <= platinum <= 0.08
    assert gold > platinum and silver > gold
    assert registered > 0.45 and registered > silver


def test_held_tier_differs_from_earned_tier_both_ways(data):
    floors = Settings()
    rank = {"Platinum": 0, "Gold": 1, "Silver": 2, "Registered": 3}
    partners = _won_t4q(data).with_columns(
        earned=pl.when(pl.col("revenue") >= floors.tier_floor_platinum)
        .then(0)
        .when(pl.col("revenue") >= floors.tier_floor_gold)
        .then(1)
        .when(pl.col("revenue") >= floors.tier_floor_silver)
        .then(2)
        .otherwise(3),
        held=pl.col("program_tier").replace_strict(rank, default=None),
    )
    tiered = partners.filter(pl.col("held").is_not_null())
    above = (tiered["held"] < tiered["earned"]).sum()  # holds more than it earns
    below = (tiered["held"] > tiered["earned"]).sum()
    assert above >= 0.02 * PARTNERS and below >= 0.02 * PARTNERS
    # ... but most partners hold what they earn, and a few have no tier recorded.
    assert (tiered["held"] == tiered["earned"]).mean() > 0.6
    assert 0 < partners["program_tier"].null_count() < 0.05 * PARTNERS
    # Some Gold or Platinum holders have fallen below their floor.
    fallen = tiered.filter(pl.col("held") <= 1, pl.col("held") < pl.col("earned"))
    assert fallen.height > 0


def test_targets_follow_performance_most_hit_some_miss_chronically(data):
    won = data["deals"].filter(pl.col("status") == "won")
    index = {label: i for i, label in enumerate(_labels(END))}
    revenue = pl.concat(
        [
            won.filter(
                pl.col("closed_on").is_between(
                    fiscal.quarter_start(fiscal.parse_quarter(q)),
                    fiscal.quarter_end(fiscal.parse_quarter(q)),
                )
            )
            .group_by("partner_id")
            .agg(revenue=pl.col("amount").sum())
            .with_columns(fiscal_quarter=pl.lit(q))
            for q in index
        ]
    )
    quarters = (
        data["targets"]
        .filter(pl.col("target_amount") > 0)
        .join(revenue, on=["partner_id", "fiscal_quarter"], how="left")
        .with_columns(
            pl.col("revenue").fill_null(0.0),
            i=pl.col("fiscal_quarter").replace_strict(index, return_dtype=pl.Int64),
        )
        .with_columns(missed=pl.col("revenue") < pl.col("target_amount"))
    )
    hit_rate = 1 - quarters["missed"].mean()
    assert 0.55 <= hit_rate <= 0.85
    # Targets track the partner's size: attainment is near 1 for most partner-quarters.
    attainment = quarters["revenue"] / quarters["target_amount"]
    assert 0.95 <= attainment.median() <= 1.25
    # A few partners miss chronically (6 or more of the last 8 quarters), most do not.
    last8 = (
        quarters.filter(pl.col("i") >= QUARTERS - 8)
        .group_by("partner_id")
        .agg(missed=pl.col("missed").sum())
    )
    chronic = (last8["missed"] >= 6).sum() / PARTNERS
    assert 0.02 <= chronic <= 0.15
    # Partner effects persist: a miss is more likely right after a miss.
    ordered = quarters.sort("partner_id", "i").with_columns(
        before=pl.col("missed").shift(1).over("partner_id")
    )
    after_miss = ordered.filter(pl.col("before") == True)["missed"].mean()  # noqa: E712
    after_hit = ordered.filter(pl.col("before") == False)["missed"].mean()  # noqa: E712
    assert after_miss > after_hit + 0.2


def test_new_partners_join_during_the_window_without_earlier_targets(data):
    first, last = _window(END, 1)
    partners = data["partners"]
    new = partners.filter(pl.col("joined_on") >= first)
    assert 0.05 * PARTNERS <= new.height <= 0.2 * PARTNERS
    assert partners["joined_on"].max() <= last
    starts = {q: fiscal.quarter_start(fiscal.parse_quarter(q), 1) for q in _labels(END)}
    targets = data["targets"].with_columns(
        start=pl.col("fiscal_quarter").replace_strict(starts, return_dtype=pl.Date)
    )
    early = targets.join(new.select("partner_id", "joined_on"), on="partner_id").filter(
        pl.col("start") <= pl.col("joined_on")
    )
    assert early.height == 0
    # So some partner-quarters have no target at all.
    assert data["targets"].height < PARTNERS * QUARTERS


def test_verticals_focus_and_priorities(data):
    partners, focus = data["partners"], data["partner_verticals"]
    no_focus = 1 - focus["partner_id"].n_unique() / PARTNERS
    assert 0.06 <= no_focus <= 0.14
    per_partner = focus.group_by("partner_id").len()["len"]
    assert per_partner.min() >= 1 and per_partner.max() <= 4
    verticals = set(focus["vertical"])
    assert 8 <= len(verticals) <= 12
    # Deals follow the declared focus, but only partly; a few have no vertical.
    deals = data["deals"]
    assert 0.005 <= deals["vertical"].null_count() / deals.height <= 0.08
    declared = deals.drop_nulls("vertical").join(
        focus.select("partner_id").unique(), on="partner_id", how="semi"
    )
    inside = declared.join(focus, on=["partner_id", "vertical"], how="semi").height
    assert 0.6 <= inside / declared.height <= 0.92
    assert set(deals["vertical"].drop_nulls()) == verticals
    # Vendor priorities: every vertical for every fiscal year of the window and the one before;
    # they shift between years, and some verticals weigh 0.
    priorities = data["vendor_priorities"]
    years = {fiscal.parse_quarter(q) // 4 for q in _labels(END)}
    assert set(priorities["fiscal_year"]) == years | {min(years) - 1}
    assert set(priorities["vertical"]) == verticals
    wide = priorities.pivot(on="fiscal_year", index="vertical", values="priority_weight")
    first_year, last_year = str(min(years) - 1), str(max(years))
    assert not wide[first_year].equals(wide[last_year])
    assert (wide[last_year] - wide[first_year]).abs().max() >= 1
    assert (priorities["priority_weight"] == 0).any()
    assert partners.height == PARTNERS


def test_contacts_roles_and_certifications(data):
    contacts = data["contacts"]
    per_partner = contacts.group_by("partner_id").len()
    assert per_partner.height == PARTNERS
    assert per_partner["len"].min() >= 1 and per_partner["len"].max() <= 12
    assert set(contacts["role"]) == set(demo.ROLES)
    rate = contacts.group_by("role").agg(pl.col("is_certified").mean())
    rate = dict(zip(rate["role"], rate["is_certified"], strict=True))
    assert rate["Technical"] > 2 * max(v for k, v in rate.items() if k != "Technical")
    certified_tech = contacts.filter(pl.col("role") == "Technical", pl.col("is_certified"))
    without = 1 - certified_tech["partner_id"].n_unique() / PARTNERS
    assert 0.1 <= without <= 0.7
    # Bigger partners have more people.
    sized = _won_t4q(data).join(per_partner, on="partner_id")
    big = sized.filter(pl.col("revenue") >= pl.col("revenue").quantile(0.9))["len"].mean()
    small = sized.filter(pl.col("revenue") <= pl.col("revenue").quantile(0.5))["len"].mean()
    assert big > small + 1


def test_partner_managers_own_uneven_portfolios(data):
    portfolios = data["partners"].group_by("partner_manager").len()
    assert abs(portfolios.height - PARTNERS / 150) <= 3
    assert portfolios["partner_manager"].null_count() == 0
    assert portfolios["len"].max() >= 2.5 * portfolios["len"].min()
    names = portfolios["partner_manager"]
    assert names.str.contains(r"^\S+( \S\.)? \S.*$").all()


def test_partner_names_are_believable(data):
    names = data["partners"]["partner_name"]
    assert names.str.len_chars().min() >= 5
    assert names.n_unique() > 0.8 * PARTNERS  # need not be unique, but mostly are
    assert names.str.contains(r"^[A-Z]").all()
    assert not names.str.contains("  ").any()


def test_investments_by_program_do_not_always_follow_revenue(data):
    investments = data["investments"]
    assert set(investments["program"]) == set(demo.PROGRAMS)
    invested = investments["partner_id"].n_unique()
    assert 0.2 * PARTNERS <= invested < PARTNERS
    per_partner = (
        _won_t4q(data)
        .join(
            investments.group_by("partner_id").agg(invested=pl.col("amount").sum()),
            on="partner_id",
            how="left",
        )
        .with_columns(pl.col("invested").fill_null(0.0))
    )
    corr = per_partner.select(pl.corr("revenue", "invested", method="spearman")).item()
    assert 0.3 < corr < 0.95
    # Some partners in the bottom half by revenue get more than the median investor.
    median_investment = per_partner.filter(pl.col("invested") > 0)["invested"].median()
    small = per_partner.filter(pl.col("revenue") <= pl.col("revenue").median())
    assert (small["invested"] > 2 * median_investment).sum() >= 0.01 * PARTNERS
