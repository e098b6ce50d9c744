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


# Partners per statement for a build file that takes $first_key and $last_key: it runs once per
# range of partner_key (partners.partner_key, 1..N), the first creating its table and each next
# one inserting into it, so that its memory is that of a range, not of every partner at once.
CHUNK_KEYS = 250_000
_CHUNK_PARAMS = {"first_key", "last_key"}
_CREATE_RE = re.compile(r"^create table (\w+) as\b", re.I | re.M)


def execute_file(con: duckdb.DuckDBPyConnection, path: Path, params: dict) -> None:
    """Run one build statement, binding only the settings that it uses. A statement that takes
    ``$first_key`` and ``$last_key`` runs over the partners ``CHUNK_KEYS`` at a time."""
    sql = path.read_text(encoding="utf-8")
    used = sql_params(sql)
    chunked = _CHUNK_PARAMS <= used
    missing = used - params.keys() - (_CHUNK_PARAMS if chunked else set())
    if missing:
        raise QueryParamError(f"{path.name}: no value for {', '.join(sorted(missing))}")
    if not chunked:
        con.sql(sql, params={k: params[k] for k in used} or None)
        return
    create = _CREATE_RE.search(_STRIP_RE.sub(lambda m: " " * len(m.group()), sql))
    if create is None:
        raise QueryParamError(f"{path.name}: a chunked build file must be one create table ... as")
    insert = sql[: create.start()] + f"insert into {create.group(1)}" + sql[create.end() :]
    last = con.sql("select coalesce(max(partner_key), 0) from partners").fetchall()[0][0]
    for first in range(1, max(last, 1) + 1, CHUNK_KEYS):
        bound = {**params, "first_key": first, "last_key": first + CHUNK_KEYS - 1}
        con.sql(sql if first == 1 else insert, params={k: bound[k] for k in used})
