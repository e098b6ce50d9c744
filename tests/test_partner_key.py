"""Issue 19's storage: the integer partner_key, the partner columns carried by partner_quarter
and the other per-partner tables, partner_quarter built a range of partners at a time, and the
filter values kept at load. Each must give exactly the rows the joins it replaced gave.

The SQL here is built from the test's own table and column names; filter values go in as
parameters."""

# ruff: noqa: S608

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import polars as pl
import pytest

from channel import sqlfiles
from channel.loader import load
from channel.runner import run
from tests.helpers import DATA, NO_FILTERS, query

FILTER_COLUMNS = ["segment", "region", "partner_type", "program_tier", "partner_manager"]

# every single-value filter the tiny data offers, two-value lists, a scope, and a value no
# partner has
CASES = [
    {},
    {"segment": ["SMB"]},
    {"segment": ["SMB", "Enterprise"]},
    {"region": ["North"]},
    {"partner_type": ["Reseller"]},
    {"program_tier": ["Silver", "Gold"]},
    {"partner_manager": ["Ann Lee"]},
    {"scope": ["Ann Lee", "Ben Ortiz"]},
    {"segment": ["SMB"], "scope": ["Dan Wu", "Ben Ortiz"]},
    {"region": ["Nowhere"]},
]


def _args(case: dict) -> dict:
    return {**NO_FILTERS, **case}


def test_partner_key_is_dense_and_follows_partner_id(tiny_db: Path):
    rows = query(tiny_db, "select partner_id, partner_key from partners order by partner_id")
    assert [key for _, key in rows] == list(range(1, len(rows) + 1))
    # every table that carries it agrees with partners
    for table in [
        "partner_quarter",
        "partner_quarter_vertical",
        "partner_verticals",
        "partner_alignment",
        "partner_alignment_by_year",
        "missed_episodes",
    ]:
        wrong = query(
            tiny_db,
            f"select count(*) from {table} as t join partners as p using (partner_id) "
            "where t.partner_key is distinct from p.partner_key",
        )
        assert wrong == [(0,)], table


def test_partner_quarter_carries_the_partner_columns(tiny_db: Path):
    partner_columns = [r[0] for r in query(tiny_db, "describe partners")]
    quarter_columns = [r[0] for r in query(tiny_db, "describe partner_quarter")]
    # the partner's own columns first, in the same order, and partner_key last
    assert quarter_columns[: len(partner_columns) - 1] == partner_columns[:-1]
    assert quarter_columns[-1] == "partner_key" == partner_columns[-1]
    differ = query(
        tiny_db,
        "select count(*) from partner_quarter as pq join partners as p using (partner_id) where "
        + " or ".join(f"pq.{c} is distinct from p.{c}" for c in partner_columns),
    )
    assert differ == [(0,)]


# the "old" query below names the partners columns; test_partner_quarter_carries_the_partner_
# columns checks that partner_quarter starts with exactly those
@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(c) or "none")
def test_filtered_partner_quarters_is_the_join_it_replaced(tiny_db: Path, case: dict):
    args = _args(case)
    values = [args[k] for k in [*FILTER_COLUMNS, "scope"]]
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        bounds = con.sql("select min(quarter_idx), max(quarter_idx) from quarters").fetchall()
        first, last = bounds[0]
        params = {**{f"v{i}": v for i, v in enumerate(values)}, "first": first, "last": last}
        new = con.sql(
            "select * exclude (partner_key) "
            "from filtered_partner_quarters($first + 2, $last, $v0, $v1, $v2, $v3, $v4, $v5) "
            "order by quarter_idx, partner_id",
            params=params,
        ).fetchall()
        old = con.sql(
            "select p.* exclude (partner_key), pq.* exclude (partner_id, partner_name, segment, "
            "region, partner_type, program_tier, partner_manager, joined_on, partner_key) "
            "from filtered_partners($v0, $v1, $v2, $v3, $v4, $v5) as p "
            "join partner_quarter as pq using (partner_id) "
            "where pq.quarter_idx between $first + 2 and $last order by quarter_idx, partner_id",
            params=params,
        ).fetchall()
        focus_new = con.sql(
            "select partner_id, vertical "
            "from filtered_partner_focus($v0, $v1, $v2, $v3, $v4, $v5) order by all",
            params={k: v for k, v in params.items() if k.startswith("v")},
        ).fetchall()
        focus_old = con.sql(
            "select partner_id, vertical from partner_verticals where partner_id in "
            "(select partner_id from filtered_partners($v0, $v1, $v2, $v3, $v4, $v5)) order by all",
            params={k: v for k, v in params.items() if k.startswith("v")},
        ).fetchall()
        revenue_new = con.sql(
            "select partner_id, quarter_idx, vertical, revenue from filtered_vertical_revenue("
            "$first, $last, $v0, $v1, $v2, $v3, $v4, $v5) order by all",
            params=params,
        ).fetchall()
        revenue_old = con.sql(
            "select partner_id, quarter_idx, vertical, revenue from partner_quarter_vertical "
            "where partner_id in (select partner_id from filtered_partners($v0, $v1, $v2, $v3, "
            "$v4, $v5)) and quarter_idx between $first and $last order by all",
            params=params,
        ).fetchall()
    assert new == old
    assert focus_new == focus_old
    assert revenue_new == revenue_old
    if case.get("region") == ["Nowhere"]:
        assert new == [] and focus_new == [] and revenue_new == []
    else:
        assert new  # the case selects somebody: the comparison is not between two empty lists


def test_partner_quarter_a_range_of_partners_at_a_time_is_the_same_table(
    tiny_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # three partners per range: the tiny data's ten partners take four ranges
    monkeypatch.setattr(sqlfiles, "CHUNK_KEYS", 3)
    db = tmp_path / "chunked.duckdb"
    load(DATA / "tiny", db)
    for table in ["partner_quarter", "missed_episodes"]:
        whole = query(tiny_db, f"select * from {table} order by partner_id, quarter_idx")
        ranges = query(db, f"select * from {table} order by partner_id, quarter_idx")
        assert ranges == whole, table
    # each range is stored in quarter order: within one range, quarter_idx never goes down
    keys = query(db, "select partner_key, quarter_idx from partner_quarter")
    by_range = itertools.groupby(keys, key=lambda r: (r[0] - 1) // 3)
    for _, rows in by_range:
        quarters = [q for _, q in rows]
        assert quarters == sorted(quarters)


def test_a_chunked_build_file_must_create_one_table(tmp_path: Path):
    bad = tmp_path / "bad.sql"
    bad.write_text("select $first_key, $last_key", encoding="utf-8")
    with duckdb.connect() as con, pytest.raises(sqlfiles.QueryParamError, match="create table"):
        con.sql("create table partners as select 1 as partner_key")
        sqlfiles.execute_file(con, bad, {})


@pytest.mark.parametrize("scope", [None, ["Ann Lee"], ["Ann Lee", "Cara Nyman"], ["Nobody"]])
def test_filter_values_kept_at_load_are_the_live_answer(tiny_db: Path, scope):
    kept = run("filter_options", db=tiny_db, scope=scope)
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        live = con.sql(
            "select filter, value from filter_option_values($s) "
            "order by filter, rank nulls last, value",
            params={"s": scope},
        ).fetchall()
    assert kept.rows() == live
    if scope == ["Nobody"]:
        assert live == []
    if scope == ["Ann Lee"]:
        # a partner manager is offered only their own partners' values
        assert ("partner_manager", "Ann Lee") in live
        assert not [v for f, v in live if f == "partner_manager" and v != "Ann Lee"]


@pytest.mark.parametrize("limit", [0, 1, 5])
def test_status_list_keeps_the_largest_per_status(risk_demo_db: Path, limit: int):
    # the top rows per status come from max_by now: the same rows a rank over revenue (ties by
    # partner_id) kept, and none for a limit of 0 (the 2,000-partner demo: every status has more
    # than 5 partners, so each limit cuts)
    everyone = run("missed_status_list", db=risk_demo_db, as_of=None, limit=None, **NO_FILTERS)
    assert everyone["status"].value_counts()["count"].min() > 5
    ranked = everyone.sort(["revenue_t4q", "partner_id"], descending=[True, False])
    expected = [
        pid
        for status in ranked["status"].unique(maintain_order=True)
        for pid in ranked.filter(pl.col("status") == status)["partner_id"].to_list()[:limit]
    ]
    got = run("missed_status_list", db=risk_demo_db, as_of=None, limit=limit, **NO_FILTERS)
    assert sorted(got["partner_id"].to_list()) == sorted(expected)
    if limit == 0:
        assert got.height == 0
