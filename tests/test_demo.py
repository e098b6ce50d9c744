"""The demo generator: contract shape, integrity, determinism, and realism (heavy-tailed revenue,
segments that differ, held and earned tiers that disagree, chronic and temporary misses).

Reads the Parquet files with polars only (no loader), at small scale so the file runs in seconds.
No test depends on the real date: each passes ``end_quarter`` or ``data_as_of``, or pins "today".
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
# Data that describes a moment inside a quarter: 2026-Q4 is in progress (the last quarter of
# its fiscal year); with an April fiscal year, FY2027 Q3 is in progress and Q4 planned; on
# 2026-05-15, 2026-Q2 is in progress and Q3 and Q4 planned.
AS_OF = dt.date(2026, 11, 15)
AS_OF_SPRING = dt.date(2026, 5, 15)

FILES = [t.name for t in TABLES]
AMOUNTS = {"deals": "amount", "targets": "target_amount", "investments": "amount"}
WROTE = re.compile(r"^demo: wrote (\w+)\.parquet \(([\d,]+) rows\)$")


def _generate(out: Path, expect_as_of: dt.date | None = None, **kw) -> dict[str, pl.DataFrame]:
    """Generate into ``out`` and read the files back; check the rows reported and the date
    returned (``expect_as_of``: by default the last day of ``end_quarter``, else
    ``data_as_of``)."""
    messages: list[str] = []
    as_of = demo.generate(out, progress=messages.append, **kw)
    frames = {name: pl.read_parquet(out / f"{name}.parquet") for name in FILES}
    reported = {m[1]: int(m[2].replace(",", "")) for m in map(WROTE.match, messages) if m}
    assert reported == {name: frames[name].height for name in FILES}
    if expect_as_of is None:
        expect_as_of = kw.get("data_as_of") or fiscal.quarter_end(
            fiscal.parse_quarter(kw["end_quarter"]), kw.get("fiscal_year_start_month", 1)
        )
    assert type(as_of) is dt.date and as_of == expect_as_of
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


# (data_as_of, fiscal year start month) -> generated frames, once per module
MOMENTS = [(AS_OF, 1), (AS_OF, 4), (AS_OF_SPRING, 1)]
MOMENT_PARTNERS = 1000


@pytest.fixture(scope="module", params=MOMENTS, ids=lambda p: f"{p[0]}-fy{p[1]:02d}")
def moment(request, tmp_path_factory) -> tuple[dt.date, int, dict[str, pl.DataFrame]]:
    as_of, start_month = request.param
    frames = _generate(
        tmp_path_factory.mktemp("demo_moment"),
        partners=MOMENT_PARTNERS,
        quarters=QUARTERS,
        data_as_of=as_of,
        seed=5,
        fiscal_year_start_month=start_month,
    )
    return as_of, start_month, frames


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


def test_default_is_data_as_of_today(tmp_path, monkeypatch):
    today = dt.date(2026, 8, 20)  # fiscal years from July: FY2027 Q1 is in progress
    monkeypatch.setattr(demo, "_today", lambda: today)
    frames = _generate(
        tmp_path / "default", today, partners=50, quarters=4, fiscal_year_start_month=7
    )
    current = fiscal.quarter_of(today, 7)
    assert fiscal.quarter_label(current) == "2027-Q1"
    # four complete quarters, then the one in progress; targets for the whole fiscal year
    assert set(frames["targets"]["fiscal_quarter"]) == set(_labels("2027-Q4", 8))
    done = frames["deals"].filter(pl.col("status") != "open")
    assert done["closed_on"].max() <= today
    assert done["closed_on"].min() >= fiscal.quarter_start(current - 4, 7)
    assert frames["deals"]["created_on"].max() <= today
    # the default depends on today only through the date
    explicit = _generate(
        tmp_path / "explicit", partners=50, quarters=4, fiscal_year_start_month=7, data_as_of=today
    )
    for name in FILES:
        assert explicit[name].equals(frames[name]), name


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
    with pytest.raises(ValueError, match="not both"):
        demo.generate(tmp_path, end_quarter=END, data_as_of=AS_OF)
    with pytest.raises(TypeError):
        demo.generate(tmp_path, data_as_of="2026-11-15")


# ------------------------------------------------------------------------------------------
# The moment the data describes: complete, in progress and planned quarters

# The planned quarters (after the one in progress) of each moment, written out.
# The planned quarters: the rest of the fiscal year that holds the quarter after the date's. On
# 2026-11-15 with a January year, 2026-Q4 is the last quarter of FY2026, so the plan is all of
# FY2027; with an April year it is 2027-Q3 (Oct-Dec 2026), so the plan is 2027-Q4.
PLANNED = {
    (AS_OF, 1): ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"],
    (AS_OF, 4): ["2027-Q4"],
    (AS_OF_SPRING, 1): ["2026-Q3", "2026-Q4"],
}


def _span(index: int, start_month: int) -> tuple[dt.date, dt.date]:
    return fiscal.quarter_start(index, start_month), fiscal.quarter_end(index, start_month)


def _in_quarter(frame: pl.DataFrame, index: int, start_month: int, column: str = "closed_on"):
    return frame.filter(pl.col(column).is_between(*_span(index, start_month)))


def test_nothing_happens_after_the_date(moment):
    as_of, start_month, data = moment
    deals = data["deals"]
    done = deals.filter(pl.col("status") != "open")
    assert done["closed_on"].max() <= as_of
    assert deals["created_on"].max() <= as_of
    assert data["partners"]["joined_on"].max() <= as_of
    # The cut is at the date itself, not at the start of its quarter.
    won = deals.filter(pl.col("status") == "won")
    assert won["closed_on"].max() >= as_of - dt.timedelta(days=7)
    # Open deals were created by the date; most are expected to close after it, in the quarter
    # in progress or the next one.
    current = fiscal.quarter_of(as_of, start_month)
    opened = deals.filter(pl.col("status") == "open")
    assert opened.height > 0
    assert opened["closed_on"].min() >= fiscal.quarter_start(current, start_month)
    assert opened["closed_on"].max() <= fiscal.quarter_end(current + 1, start_month)
    assert (opened["closed_on"] > as_of).mean() > 0.5
    # Investments run to the quarter in progress, not into the planned ones.
    invested = set(data["investments"]["fiscal_quarter"])
    assert fiscal.quarter_label(current) in invested
    assert max(invested) == fiscal.quarter_label(current)


def test_the_quarter_in_progress_has_its_deals_to_date(moment):
    as_of, start_month, data = moment
    current = fiscal.quarter_of(as_of, start_month)
    won = data["deals"].filter(pl.col("status") == "won")
    now = _in_quarter(won, current, start_month)
    before = _in_quarter(won, current - 1, start_month)
    assert now.height > 0.1 * MOMENT_PARTNERS
    assert _in_quarter(
        data["deals"].filter(pl.col("status") == "lost"), current, start_month
    ).height
    # Half way through the quarter, and deals bunch towards its end: well under a full
    # quarter is booked yet.
    assert 0.1 * before["amount"].sum() < now["amount"].sum() < 0.7 * before["amount"].sum()
    # --quarters counts complete quarters: QUARTERS of them, each with won deals, before it.
    first = current - QUARTERS
    for index in range(first, current):
        assert _in_quarter(won, index, start_month).height > 0, fiscal.quarter_label(index)
    assert won["closed_on"].min() >= fiscal.quarter_start(first, start_month)


def test_the_rest_of_the_quarter_in_progress_is_open_pipeline(moment):
    """A deal of the quarter in progress that closes after the date was created by then is open
    on it, its close date the expected one: the pipeline the nowcast reads is drawn like a past
    quarter's on the same day. The open deals due by the quarter's end are worth a fair share
    of the booked revenue (at mid-quarter, about as much again)."""
    as_of, start_month, data = moment
    current = fiscal.quarter_of(as_of, start_month)
    end = fiscal.quarter_end(current, start_month)
    deals = data["deals"]
    due = deals.filter(pl.col("status") == "open", pl.col("closed_on").is_between(as_of, end))
    due = due.filter(pl.col("closed_on") > as_of)
    assert due.height > 0.1 * MOMENT_PARTNERS
    assert (due["created_on"] <= as_of).all()
    booked = _in_quarter(deals.filter(pl.col("status") == "won"), current, start_month)
    assert 0.3 * booked["amount"].sum() < due["amount"].sum() < 5 * booked["amount"].sum()


def test_targets_cover_the_whole_fiscal_year(moment):
    as_of, start_month, data = moment
    current = fiscal.quarter_of(as_of, start_month)
    year_end = (current + 1) // 4 * 4 + 3  # the fiscal year of the quarter after the current one
    planned = [fiscal.quarter_label(i) for i in range(current + 1, year_end + 1)]
    assert planned == PLANNED[(as_of, start_month)]
    targets = data["targets"]
    labels = [fiscal.quarter_label(i) for i in range(current - QUARTERS, year_end + 1)]
    assert sorted(set(targets["fiscal_quarter"])) == labels
    by_quarter = targets.group_by("fiscal_quarter").agg(
        total=pl.col("target_amount").sum(), partners=pl.len()
    )
    by_quarter = dict(
        zip(by_quarter["fiscal_quarter"], by_quarter.iter_rows(named=True), strict=True)
    )
    for label in [fiscal.quarter_label(current), *planned]:
        # Nearly every partner has a target, set like the others: last year's same quarter
        # plus growth.
        assert by_quarter[label]["partners"] > 0.85 * MOMENT_PARTNERS, label
        year_before = fiscal.quarter_label(fiscal.parse_quarter(label) - 4)
        growth = by_quarter[label]["total"] / by_quarter[year_before]["total"]
        assert 1.1 < growth < 1.6, (label, growth)
    # No deal closes or is expected in a planned quarter beyond the next one, and none is won
    # or lost in any planned quarter.
    done = data["deals"].filter(pl.col("status") != "open")
    for label in planned:
        assert _in_quarter(done, fiscal.parse_quarter(label), start_month).height == 0


def test_on_a_quarters_last_day_that_quarter_is_complete(tmp_path):
    as_of = dt.date(2026, 6, 30)  # the last day of 2026-Q2
    data = _generate(tmp_path / "as_of", partners=300, quarters=4, data_as_of=as_of, seed=2)
    deals, won = data["deals"], data["deals"].filter(pl.col("status") == "won")
    done = deals.filter(pl.col("status") != "open")
    assert done["closed_on"].max() <= as_of
    assert deals["created_on"].max() <= as_of
    # 2026-Q2 is the last quarter with deals, and a complete one: about as much won as in Q1.
    q1, q2 = (
        _in_quarter(won, fiscal.parse_quarter(q), 1)["amount"].sum() for q in ("2026-Q1", "2026-Q2")
    )
    assert 0.8 * q1 < q2 < 1.6 * q1
    # Four complete quarters end there; targets run on to the end of the fiscal year.
    assert won["closed_on"].min() >= dt.date(2025, 7, 1)
    assert sorted(set(data["targets"]["fiscal_quarter"])) == _labels("2026-Q4", 6)
    assert max(data["investments"]["fiscal_quarter"]) == "2026-Q2"
    # The same quarter given as end_quarter: the same deal window, targets only up to it.
    ended = _generate(tmp_path / "end", partners=300, quarters=4, end_quarter="2026-Q2", seed=2)
    ended_done = ended["deals"].filter(pl.col("status") != "open")
    assert ended_done["closed_on"].max() <= as_of
    assert ended_done["closed_on"].min() >= dt.date(2025, 7, 1)
    assert sorted(set(ended["targets"]["fiscal_quarter"])) == _labels("2026-Q2", 4)


def test_end_quarter_returns_its_last_day_and_plans_nothing_ahead(data, data_april):
    # _generate checked the returned dates (2025-12-31 and 2025-09-30); nothing lies beyond.
    for frames, end, start_month in ((data, END, 1), (data_april, END_APRIL, 4)):
        last_day = fiscal.quarter_end(fiscal.parse_quarter(end), start_month)
        assert max(frames["targets"]["fiscal_quarter"]) == end
        assert max(frames["investments"]["fiscal_quarter"]) == end
        assert frames["deals"]["created_on"].max() <= last_day
        assert frames["partners"]["joined_on"].max() <= last_day
        done = frames["deals"].filter(pl.col("status") != "open")
        assert done["closed_on"].max() > last_day - dt.timedelta(days=7)


def test_same_date_same_data_other_date_other_data(tmp_path):
    kw = dict(partners=300, quarters=6, seed=4, fiscal_year_start_month=4)
    first = _generate(tmp_path / "first", data_as_of=AS_OF, **kw)
    again = _generate(tmp_path / "again", data_as_of=AS_OF, **kw)
    for name in FILES:
        assert again[name].equals(first[name]), name
    later = AS_OF + dt.timedelta(days=14)
    other = _generate(tmp_path / "later", data_as_of=later, **kw)
    assert not other["deals"].equals(first["deals"])
    assert other["deals"].filter(pl.col("status") == "won")["closed_on"].max() > AS_OF
    assert first["deals"].filter(pl.col("status") == "won")["closed_on"].max() <= AS_OF


def test_cli_demo_refuses_a_bad_data_as_of(tmp_path, capsys):
    from channel.cli import main

    db = str(tmp_path / "d.duckdb")
    for bad in ("2026-13-01", "2026-02-30", "15/11/2026", "20261115", "2026-1-5", "today"):
        assert main(["demo", "--data-as-of", bad, "--db", db]) == 2, bad
        err = capsys.readouterr().err
        assert "--data-as-of" in err and "YYYY-MM-DD" in err and "Traceback" not in err, bad
    both = ["demo", "--data-as-of", "2026-11-15", "--end-quarter", "2026-Q3", "--db", db]
    assert main(both) == 2
    assert "not both" in capsys.readouterr().err
    assert not (tmp_path / "d.duckdb").exists()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--data-as-of", "2026-11-15"], AS_OF),
        (["--end-quarter", "2026-Q2"], dt.date(2026, 6, 30)),
    ],
)
def test_cli_demo_loads_with_the_date_the_data_describes(tmp_path, monkeypatch, flags, expected):
    import channel.loader
    from channel.cli import main

    seen: dict = {}

    class Summary:
        def report(self) -> str:
            return "loaded"

    def fake_load(source, db, settings=None, progress=None, **kw):
        deals = pl.read_parquet(Path(source) / "deals.parquet")
        seen.update(kw, last_closed=deals.filter(pl.col("status") != "open")["closed_on"].max())
        return Summary()

    monkeypatch.setattr(channel.loader, "load", fake_load)
    args = ["demo", "--partners", "30", "--quarters", "2", *flags]
    assert main([*args, "--db", str(tmp_path / "d.duckdb")]) == 0
    assert seen["data_as_of"] == expected and type(seen["data_as_of"]) is dt.date
    assert seen["data_as_of_source"] == "demo"
    assert seen["last_closed"] <= expected


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
