"""The SQL files: where they live, which ``$names`` they take, and how a build file runs.

The bottom layer under the loader (which runs ``queries/build/``), the runner (which runs
``queries/<name>.sql``) and the Parquet store (which re-creates the build macros): none of those
three imports another for these helpers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import duckdb

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
BUILD_DIR = QUERIES_DIR / "build"
IMPORT_DIR = QUERIES_DIR / "import"  # run by the CRM import in its scratch database
FORECAST_DIR = QUERIES_DIR / "forecast"  # the miss forecast's inputs (channel/forecast.py)

_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRIP_RE = re.compile(r"--[^\n]*|'(?:[^']|'')*'", re.S)
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class QueryParamError(TypeError):
    """A query name that is not a file, or parameters that differ from the file's ``$names``."""


def sql_params(sql: str) -> set[str]:
    """The ``$names`` a SQL text uses, ignoring comments and string literals."""
    return set(_PARAM_RE.findall(_STRIP_RE.sub(" ", sql)))


@lru_cache(maxsize=256)
def _read_sql(path: Path, mtime_ns: int) -> tuple[str, frozenset[str]]:
    sql = path.read_text(encoding="utf-8")
    return sql, frozenset(sql_params(sql))


def load_query(name: str) -> tuple[str, frozenset[str]]:
    """SQL text and parameter names of ``queries/<name>.sql``."""
    if not _NAME_RE.match(name):
        raise QueryParamError(f"bad query name {name!r}")
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise QueryParamError(f"no query named {name!r} (looked for {path})")
    return _read_sql(path, path.stat().st_mtime_ns)


def execute_file(con: duckdb.DuckDBPyConnection, path: Path, params: dict) -> None:
    """Run one build statement, binding only the settings that it uses."""
    sql = path.read_text(encoding="utf-8")
    used = sql_params(sql)
    missing = used - params.keys()
    if missing:
        raise QueryParamError(f"{path.name}: no value for {', '.join(sorted(missing))}")
    con.sql(sql, params={k: params[k] for k in used} or None)
