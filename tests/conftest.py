"""Shared fixtures: the tiny hand-built datasets loaded into temporary DuckDB files."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


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
