"""Shared fixtures: the hand-built datasets loaded into temporary DuckDB files, and an AppTest
of the app. Plain helpers (paths, ``NO_FILTERS``, dataset writers) are in tests/helpers.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import BASE, DATA, write_folder


@pytest.fixture(scope="session")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/tiny loaded with default settings (January fiscal year start)."""
    from channel.loader import load
    from channel.settings import Settings

    db = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    load(DATA / "tiny", db, settings=Settings())
    return db


@pytest.fixture(scope="session")
def tiny_db_april(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/tiny_fy_april loaded with a fiscal year starting in April."""
    from channel.loader import load
    from channel.settings import Settings

    db = tmp_path_factory.mktemp("tiny_april") / "tiny_april.duckdb"
    load(DATA / "tiny_fy_april", db, settings=Settings(fiscal_year_start_month=4))
    return db


@pytest.fixture(scope="session")
def mid_quarter_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quarter-states dataset (tests/helpers.py) loaded as exported mid-quarter: deals to
    2026-02-15, the latest deal date, so 2026-Q1 is in progress; targets to 2026-Q1 plus the
    plan for 2026-Q2..Q4."""
    import datetime as dt

    from channel.loader import load
    from channel.settings import Settings
    from tests.helpers import DEALS_2025, DEALS_2026, PLAN_2026, QUARTERS_2025
    from tests.helpers import quarter_states_folder as folder

    root = tmp_path_factory.mktemp("mid")
    source = folder(root / "src", DEALS_2025 + DEALS_2026, QUARTERS_2025 + PLAN_2026)
    summary = load(source, root / "mid.duckdb", settings=Settings())
    assert summary.data_as_of == dt.date(2026, 2, 15)
    return root / "mid.duckdb"


@pytest.fixture(scope="session")
def baseline_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The loader's folder (tests/helpers.py ``BASE``) loaded; read it, never write to it."""
    from channel.loader import load
    from channel.settings import Settings

    db = tmp_path_factory.mktemp("baseline") / "baseline.duckdb"
    load(write_folder(db.parent / "src", BASE), db, settings=Settings())
    return db


@pytest.fixture
def db(tmp_path: Path, baseline_db: Path) -> Path:
    """A copy of ``baseline_db`` in ``tmp_path``: the valid database a failing load must leave
    byte-for-byte untouched (the loader tests)."""
    path = tmp_path / "channel.duckdb"
    shutil.copyfile(baseline_db, path)
    return path


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches():
    """Streamlit caches outlive one AppTest inside a pytest process; start every test clean."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture
def app_on(monkeypatch: pytest.MonkeyPatch):
    """``app_on(db, **query_params)`` -> an AppTest of app.py run against ``db``."""
    from streamlit.testing.v1 import AppTest

    app = Path(__file__).resolve().parent.parent / "app.py"

    def make(db: Path, **query_params: str | list[str]) -> AppTest:
        monkeypatch.setenv("CHANNEL_DB", str(db))
        at = AppTest.from_file(str(app), default_timeout=60)
        for key, value in query_params.items():
            at.query_params[key] = value
        return at.run()

    return make


# ---------------------------------------------------------------------------------------------
# Databases without a targets file's plan (tests/test_no_targets.py): none at all, or derived.

DERIVED_TARGETS = "derived by the import: the same quarter of the previous fiscal year + 10%"


@pytest.fixture(scope="session")
def no_targets_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/tiny's partners and deals with a header-only targets.csv: no target at all
    (meta.target_rows = 0), as a CRM import without a plan loads it."""
    from channel.loader import load
    from channel.settings import Settings

    root = tmp_path_factory.mktemp("no_targets")
    source = root / "src"
    source.mkdir()
    for name in ("partners.csv", "deals.csv"):
        shutil.copyfile(DATA / "tiny" / name, source / name)
    (source / "targets.csv").write_text("partner_id,fiscal_quarter,target_amount\n")
    load(source, root / "no_targets.duckdb", settings=Settings())
    return root / "no_targets.duckdb"


@pytest.fixture(scope="session")
def derived_targets_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/tiny loaded as if an import had derived its targets by a plan rule
    (meta.targets_derived = ``DERIVED_TARGETS``)."""
    from channel.loader import load
    from channel.settings import Settings

    db = tmp_path_factory.mktemp("derived") / "derived.duckdb"
    load(DATA / "tiny", db, settings=Settings(), targets_derived=DERIVED_TARGETS)
    return db


# ---------------------------------------------------------------------------------------------
# The miss forecast needs history to learn from: a synthetic demo (tests/test_risk.py,
# tests/test_forecast.py). 2,000 partners, 12 complete quarters, 2026-Q4 in progress.

RISK_DEMO_AS_OF = "2026-11-30"


@pytest.fixture(scope="session")
def risk_demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2,000-partner demo as of 2026-11-30, with partner_risk built at load."""
    from channel.cli import main

    db = tmp_path_factory.mktemp("risk_demo") / "demo.duckdb"
    assert (
        main(["demo", "--partners", "2000", "--db", str(db), "--data-as-of", RISK_DEMO_AS_OF]) == 0
    )
    return db


@pytest.fixture(scope="session")
def tiny_risk_db(tiny_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/tiny with hand-made forecasts (tests/helpers.py write_risk_rows): the loader
    writes none for ten partners, too few to learn from."""
    import duckdb

    from tests.helpers import write_risk_rows

    path = tmp_path_factory.mktemp("tiny_risk") / "risk.duckdb"
    shutil.copyfile(tiny_db, path)
    with duckdb.connect(str(path)) as con:
        write_risk_rows(con)
    return path
