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
