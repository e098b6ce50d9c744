"""Settings: the TOML file, its errors, and that each threshold reaches the KPIs."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from channel import fiscal
from channel.loader import load
from channel.runner import run
from channel.settings import DEFAULT_SETTINGS_FILE, Settings, SettingsError, load_settings
from channel.sqlfiles import BUILD_DIR, execute_file
from tests.helpers import DATA, NO_FILTERS


def test_shipped_settings_file_holds_the_defaults():
    assert load_settings(DEFAULT_SETTINGS_FILE) == Settings()


def test_file_overrides(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("miss_below = 0.9\nfiscal_year_start_month = 4\n[tier_floors]\nGold = 2_000_000\n")
    s = load_settings(f)
    assert (s.miss_below, s.fiscal_year_start_month, s.tier_floor_gold) == (0.9, 4, 2_000_000)
    assert s.tier_floor_platinum == 5_000_000


def test_env_names_the_file(tmp_path, monkeypatch):
    f = tmp_path / "env.toml"
    f.write_text("watch_streak = 1\n")
    monkeypatch.setenv("CHANNEL_SETTINGS", str(f))
    assert load_settings().watch_streak == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n", "colour: unknown setting"),
        ("miss_below = 'high'\n", "miss_below = 'high': expected a number"),
        ("watch_streak = 2.5\n", "expected a number (int)"),
        ("watch_streak = 4\n", "watch_streak <= at_risk_streak"),
        ("fiscal_year_start_month = 13\n", "between 1 and 12"),
        ("[tier_floors]\nGold = 9_000_000\n", "Platinum >= Gold"),
        ("[tier_floors]\nBronze = 1\n", "Bronze: unknown tier"),
        ("miss_below = \n", "not valid TOML"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path, text, message):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(SettingsError, match="bad.toml") as err:
        load_settings(f)
    assert message in str(err.value)


def test_named_file_must_exist(tmp_path):
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def _scorecard(db):
    frame = run("scorecard", db=db, as_of=None, **NO_FILTERS)
    return {r["partner_id"]: r for r in frame.iter_rows(named=True)}


def test_thresholds_reach_the_kpis(tmp_path):
    # miss_below 0.5: P04's 0.8 and 0.5 quarters become hits, so P04 is no longer on watch;
    # Silver floor 300k: P01 (250k) and P06 (270k) drop to Registered, P07 (300k) stays Silver.
    db = tmp_path / "t.duckdb"
    load(DATA / "tiny", db, Settings(miss_below=0.5, tier_floor_silver=300_000))
    rows = _scorecard(db)
    assert rows["P04"]["status"] == "ok" and rows["P04"]["missed_streak"] == 0
    assert rows["P01"]["earned_tier"] == "Registered"
    assert rows["P06"]["earned_tier"] == "Registered"
    assert rows["P07"]["earned_tier"] == "Silver"
    assert run("settings", db=db)["miss_below"][0] == 0.5


def test_status_thresholds(tmp_path):
    # watch at 1 in a row puts P07 (streak 1) on watch; replace_review at 5 of 8 catches P07 (5)
    db = tmp_path / "t.duckdb"
    load(DATA / "tiny", db, Settings(watch_streak=1, replace_review_missed=5))
    rows = _scorecard(db)
    assert rows["P07"]["status"] == "replace_review"
    assert rows["P04"]["status"] == "watch"  # streak 2, below at_risk 3


@pytest.mark.parametrize("start_month", range(1, 13))
def test_sql_fiscal_quarters_match_python(start_month):
    days = [dt.date(2023, 12, 31) + dt.timedelta(days=d) for d in range(0, 800, 7)]
    days += [dt.date(2024, m, 1) for m in range(1, 13)] + [dt.date(2024, 12, 31)]
    con = duckdb.connect()
    con.sql(
        "create table stage_deals as select 'D' || i as deal_id, 'P' as partner_id, 1.0 as amount,"
        " d as closed_on, 'won' as status, null::varchar as vertical, null::date as created_on"
        " from (select unnest($days) as d, generate_subscripts($days, 1) as i)",
        params={"days": days},
    )
    con.sql("create table partners as select 'P' as partner_id, 1 as partner_key")
    execute_file(con, BUILD_DIR / "05_fiscal_quarter_idx.sql", {})
    execute_file(con, BUILD_DIR / "06_fiscal_quarter_start.sql", {})
    params = {"fiscal_year_start_month": start_month, "data_as_of": max(days)}
    execute_file(con, BUILD_DIR / "12_deals.sql", params)
    got = dict(con.sql("select closed_on, quarter_idx from deals").fetchall())
    labels = dict(con.sql("select closed_on, fiscal_quarter from deals").fetchall())
    for day in days:
        expected = fiscal.quarter_of(day, start_month)
        assert got[day] == expected, (start_month, day)
        assert labels[day] == fiscal.quarter_label(expected)
        assert fiscal.quarter_start(expected, start_month) <= day
        assert day <= fiscal.quarter_end(expected, start_month)
    # the first day of each quarter, as the quarters grid computes it
    for index in range(min(got.values()) - 1, max(got.values()) + 2):
        first = con.sql(
            "select fiscal_quarter_start($i, $m)", params={"i": index, "m": start_month}
        ).fetchall()[0][0]
        assert first == fiscal.quarter_start(index, start_month), (start_month, index)
