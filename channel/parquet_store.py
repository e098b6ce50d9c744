"""The database as a folder of Parquet files, for data that outgrows one DuckDB file.

``python -m channel export-parquet OUT`` writes every table of a built database to ``OUT``: tables
with a ``quarter_idx`` column as folders partitioned by fiscal quarter (``quarter_idx=8103/…``),
the others as single files. When ``CHANNEL_DB`` names such a folder, the runner opens an in-memory
DuckDB with one view per table and the build macros, so every ``queries/*.sql`` runs unchanged.

The export writes ``.OUT.tmp-PID`` and then renames it into place: readers see the old folder or
the new one. ``meta.parquet`` is rewritten by every export, so its (inode, mtime) is the folder's
identity for the runner's refresh check.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from channel.sqlfiles import BUILD_DIR, execute_file

IDENTITY_FILE = "meta.parquet"
_NOT_PARTITIONED = {"quarters"}  # small, and read whole by every page


def macro_files() -> list[Path]:
    """The build files that define macros (not tables): re-created over the views."""
    return [
        f
        for f in sorted(BUILD_DIR.glob("*.sql"))
        if "create macro" in f.read_text(encoding="utf-8").lower()
    ]


def export(db_path: str | os.PathLike, out_dir: str | os.PathLike) -> dict[str, int]:
    """Write every table of ``db_path`` under ``out_dir``; returns rows per table."""
    out = Path(out_dir)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows: dict[str, int] = {}
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        names = [
            r[0]
            for r in con.sql(
                "select table_name from duckdb_tables() where schema_name = 'main' order by 1"
            ).fetchall()
        ]
        for name in names:
            table = con.table(name)
            rows[name] = table.count("*").fetchall()[0][0]
            # an empty table stays one file, so that its columns are still there to read
            if rows[name] and "quarter_idx" in table.columns and name not in _NOT_PARTITIONED:
                table.write_parquet(str(tmp / name), partition_by=["quarter_idx"])
            else:
                table.write_parquet(str(tmp / f"{name}.parquet"))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        con.close()
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.rename(out, old)  # two renames: a reader opening in between gets a clear "missing"
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    return rows


def open_folder(folder: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per exported table, and the build macros."""
    con = duckdb.connect()
    try:
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                relation = con.read_parquet(str(entry / "**" / "*.parquet"), hive_partitioning=True)
                relation.to_view(entry.name)
            elif entry.suffix == ".parquet":
                con.read_parquet(str(entry)).to_view(entry.stem)
        for macro in macro_files():
            execute_file(con, macro, {})
    except BaseException:
        con.close()
        raise
    return con
