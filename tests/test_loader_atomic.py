"""The loader replaces the database whole or not at all: a load killed at any moment leaves the
old database or the complete new one, a load is refused while another holds the lock, and the
next load removes a crashed load's temporary files.

How the loader tests work (the folder ``BASE``, the database ``db``, ``expect_problem``): see
tests/README.md, "The loader tests"."""

from __future__ import annotations

import fcntl
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from channel.loader import LoadError, load
from channel.runner import run
from channel.settings import Settings
from tests.helpers import (
    BASE,
    NO_FILTERS,
    REPO,
    cell,
    cli_env,
    digest,
    expect_problem,
    load_ok,
    query,
    write_folder,
)

# ---------------------------------------------------------------------------------------------
# Atomicity and concurrency


def _scorecard(db: Path, scratch: Path) -> pl.DataFrame:
    """The scorecard read from a fresh copy of ``db`` (the runner caches a connection per path)."""
    copy = scratch / f"check-{time.perf_counter_ns()}.duckdb"
    shutil.copyfile(db, copy)
    return run("scorecard", db=copy, as_of=None, **NO_FILTERS)


def _write_big_folder(folder: Path, partners: int = 3000, deals: int = 30000) -> Path:
    folder.mkdir(parents=True)
    segments = ("SMB", "Midmarket", "Enterprise", "Mixed")
    (folder / "partners.csv").write_text(
        "partner_id,partner_name,segment,region\n"
        + "".join(f"B{i:05d},Partner {i},{segments[i % 4]},R{i % 5}\n" for i in range(partners))
    )
    (folder / "targets.csv").write_text(
        "partner_id,fiscal_quarter,target_amount\n"
        + "".join(
            f"B{i:05d},{2023 + q // 4}-Q{q % 4 + 1},{1000 + (i * 37 + q) % 5000}\n"
            for i in range(partners)
            for q in range(12)
        )
    )
    (folder / "deals.csv").write_text(
        "deal_id,partner_id,amount,closed_on,status,vertical\n"
        + "".join(
            f"D{j:07d},B{j % partners:05d},{(j * 7919) % 9000 + 100},"
            f"{2023 + (j % 36) // 12}-{j % 12 + 1:02d}-{j % 28 + 1:02d},"
            f"{('won', 'lost', 'open')[j % 3]},V{j % 6}\n"
            for j in range(deals)
        )
    )
    return folder


def _start_load(folder: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "channel", "load", str(folder), "--db", str(db)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )


def _wait_for(proc: subprocess.Popen, marker: str) -> None:
    """Block until the loader prints ``marker`` (its progress goes to stderr, flushed)."""
    assert proc.stderr is not None
    for line in proc.stderr:
        if marker in line:
            return
    raise AssertionError(f"the loader ended before printing {marker!r}")


def _temp_files(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.tmp-*"))


def test_killed_load_leaves_the_previous_database_intact(tmp_path, db):
    big = _write_big_folder(tmp_path / "big")
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    # The database a complete load of ``big`` produces, and how long its write phase takes.
    reference = tmp_path / "reference" / "channel.duckdb"
    reference.parent.mkdir()
    proc = _start_load(big, reference)
    _wait_for(proc, "validated")
    t0 = time.perf_counter()
    assert proc.wait(timeout=60) == 0
    write_time = time.perf_counter() - t0
    new_card = _scorecard(reference, scratch)
    assert new_card.height == 3000

    old_bytes = digest(db)
    old_card = _scorecard(db, scratch)
    assert old_card.height == 3 and not old_card.equals(new_card)

    rng = random.Random(20250)
    kills, killed, mid_write = 5, 0, 0
    for k in range(kills):
        proc = _start_load(big, db)
        _wait_for(proc, "validated")  # from here on it writes the temporary database
        time.sleep(0.9 * write_time * (k + rng.random()) / kills)  # spread over the write phase
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()
        killed += proc.returncode == -signal.SIGKILL
        mid_write += bool(_temp_files(db))
        # Either the old file, untouched, or (killed after the swap) the complete new one.
        assert query(db, "select count(*) from partners")[0][0] in (3, 3000)  # opens read-only
        card = _scorecard(db, scratch)
        if digest(db) == old_bytes:
            assert card.equals(old_card)
        else:
            assert card.equals(new_card), f"kill {k}: the database is neither old nor new"
            old_bytes, old_card = digest(db), card
    assert killed >= 3, f"only {killed} of {kills} loads were still running when killed"
    assert mid_write >= 1, "no kill landed while the temporary database was being written"

    proc = _start_load(big, db)
    assert proc.wait(timeout=60) == 0
    if proc.stderr is not None:
        proc.stderr.close()
    assert _scorecard(db, scratch).equals(new_card)
    assert _temp_files(db) == []


def test_load_refused_while_another_holds_the_lock(tmp_path, db):
    before = digest(db)
    folder = write_folder(tmp_path / "src", BASE)
    with open(db.with_name(f".{db.name}.lock"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LoadError) as info:
            load(folder, db, settings=Settings())
        assert digest(db) == before
        fcntl.flock(handle, fcntl.LOCK_UN)
    assert "another load" in str(info.value)
    assert [p.file for p in info.value.problems] == [str(db)]
    # once the lock is free, the same load goes through
    load(folder, db, settings=Settings())


def test_next_load_removes_a_crashed_loads_leftovers(tmp_path, db):
    leftover = db.with_name(f".{db.name}.tmp-999999")
    leftover.write_bytes(b"half-written by a crashed load")
    (db.parent / (leftover.name + ".wal")).write_bytes(b"wal")
    expect_problem(tmp_path, db, cell("deals", 2, "amount", "-1"), file="deals.csv", line=2)
    load_ok(tmp_path, db, BASE)
    assert _temp_files(db) == []
