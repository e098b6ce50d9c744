"""Named SQL queries -> Polars frames.

``run("scorecard", as_of="2025-Q4", segment=["SMB"], ...)`` reads ``queries/scorecard.sql``,
checks that the keyword arguments are exactly the file's ``$names``, binds them as parameters
(values never become SQL text) and returns a ``polars.DataFrame``.

Connections: one read-only DuckDB connection per database file and process, shared by threads
through one cursor per query. When the file is replaced (a new ``load``), the next query notices
the new (inode, mtime), waits for queries in flight on the old connection, closes it and opens the
new file. DuckDB caches instances by path, so the old connection must be closed before reopening.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from channel import SCHEMA_VERSION
from channel.parquet_store import IDENTITY_FILE, open_folder
from channel.settings import db_path as default_db_path
from channel.sqlfiles import QueryParamError, load_query

__all__ = ["Database", "DatabaseError", "QueryParamError", "database", "run"]


class DatabaseError(RuntimeError):
    """The database is missing, unreadable, or from another version. The message says what to do."""


class Database:
    """A read-only connection to one database file that follows the file when it is replaced."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Condition()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None
        self._busy = 0

    def identity(self) -> tuple[int, int]:
        """(inode, mtime_ns) of the file now (of a Parquet folder: of its IDENTITY_FILE, which
        every export rewrites); raises DatabaseError when it is missing."""
        target = self.path / IDENTITY_FILE if self.path.is_dir() else self.path
        try:
            st = os.stat(target)
        except FileNotFoundError:
            raise DatabaseError(
                f"No database at {self.path}. Build the demo with `python -m channel demo` "
                "or load your own files with `python -m channel load DIR`."
            ) from None
        return st.st_ino, st.st_mtime_ns

    def _open(self) -> duckdb.DuckDBPyConnection:
        try:
            if self.path.is_dir():  # a folder written by `python -m channel export-parquet`
                con = open_folder(self.path)
            else:
                con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as e:
            raise DatabaseError(
                f"{self.path} cannot be opened as a Channel Lens database ({_first_line(e)}). "
                "Rebuild it with `python -m channel load DIR` or `python -m channel demo`."
            ) from None
        try:
            version = con.sql("select schema_version from meta").fetchall()[0][0]
        except duckdb.Error:
            version = None
        if version != SCHEMA_VERSION:
            con.close()
            raise DatabaseError(
                f"{self.path} was built by another version of Channel Lens (layout {version}, "
                f"this version reads {SCHEMA_VERSION}). Rebuild it with "
                "`python -m channel load DIR` or `python -m channel demo`."
            )
        return con

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            identity = self.identity()  # under the lock: never reopen to a stale identity
            if self._con is None or identity != self._identity:
                while self._busy:  # let queries on the old file finish before closing it
                    self._lock.wait()
                if self._con is not None:
                    self._con.close()
                    self._con = None
                self._con = self._open()
                self._identity = identity
            cur = self._con.cursor()
            self._busy += 1
        try:
            yield cur
        finally:
            cur.close()
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()

    def close(self) -> None:
        with self._lock:
            while self._busy:
                self._lock.wait()
            if self._con is not None:
                self._con.close()
            self._con = None
            self._identity = None


def _first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


_databases: dict[Path, Database] = {}
_databases_lock = threading.Lock()


def database(path: str | os.PathLike | None = None) -> Database:
    """The process-wide ``Database`` for ``path`` (default: ``$CHANNEL_DB``)."""
    key = Path(path or default_db_path()).resolve()
    with _databases_lock:
        if key not in _databases:
            _databases[key] = Database(key)
        return _databases[key]


def run(
    name: str, db: str | os.PathLike | Database | None = None, **params: object
) -> pl.DataFrame:
    """Run ``queries/<name>.sql`` with ``params`` bound by name and return a Polars frame.

    Raises QueryParamError when the keyword arguments differ from the file's ``$names``, and
    DatabaseError when the database is missing or unusable.
    """
    sql, expected = load_query(name)
    given = set(params)
    if given != expected:
        missing, extra = sorted(expected - given), sorted(given - expected)
        raise QueryParamError(f"query {name!r}: missing {missing}, unexpected {extra}")
    target = db if isinstance(db, Database) else database(db)
    with target.cursor() as cur:
        return cur.sql(sql, params=params or None).pl()
