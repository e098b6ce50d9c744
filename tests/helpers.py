"""Shared test helpers: paths, the filter parameters, and small datasets written from code.

Test modules import from here (or take a fixture from tests/conftest.py), never from each other.

* ``NO_FILTERS``: the filter parameters of a page query over every partner.
* The loader's folder (``BASE``): a small valid contract folder, and helpers that break one cell
  and check the refusal (``expect_problem``). Used by tests/test_loader_*.py and
  tests/test_batches.py; the fixtures ``baseline_db`` and ``db`` are in tests/conftest.py.
* The quarter-states dataset: three partners with targets of 100, deals on chosen dates around
  quarter edges. Its hand-worked answers are in tests/test_quarter_states.py.
* Real browsers: ``CHROMIUM``, ``require_chromium()`` and ``serve(db)``, a server on a free
  port (tests/test_browser.py, tests/test_browser_import.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from channel.contract import TABLES
from channel.filters import no_filters
from channel.loader import LoadError, Problem, load
from channel.settings import Settings

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"  # the hand-built datasets tiny and tiny_fy_april

# Every partner filter (and the viewer's scope) set to null: all partners. Add as_of yourself.
NO_FILTERS = no_filters()

# The scorecard's columns in order: the dashboard's table and the CLI export (written out once).
SCORECARD_COLUMNS = [
    "partner_id",
    "partner_name",
    "segment",
    "region",
    "partner_type",
    "program_tier",
    "partner_manager",
    "earned_tier",
    "revenue_t4q",
    "won_deals_t4q",
    "attainment",
    "as_of_state",
    "revenue_to_date",
    "target_share_elapsed",
    "pace",
    "missed_streak",
    "missed_last_8",
    "alignment_score",
    "status",
    "miss_risk_next",
    "risk_drivers",
]


def cli_env() -> dict[str, str]:
    """The environment for ``python -m channel`` in a subprocess: this checkout on the path, no
    settings or database chosen by the caller's shell."""
    env = {k: v for k, v in os.environ.items() if k not in ("CHANNEL_SETTINGS", "CHANNEL_DB")}
    env["PYTHONPATH"] = str(REPO)
    return env


# ---------------------------------------------------------------------------------------------
# The loader's folder

# A small valid folder. Line numbers in the tests below refer to these texts (header = line 1).
BASE: dict[str, str] = {
    "partners": (
        "partner_id,partner_name,segment,region,partner_type,program_tier,partner_manager,joined_on\n"
        "P01,Alpha Systems,SMB,North,Reseller,Gold,Ann Lee,2020-01-15\n"
        "P02,Bravo Inc,Enterprise,South,Integrator,Silver,Ben Ortiz,2019-05-05\n"
        "P03,Charlie Global,Midmarket,East,,,,\n"
    ),
    "contacts": (
        "partner_id,contact_name,role,is_certified\n"
        "P01,Maria Alvarez,Sales,true\n"
        "P02,Tom Becker,Technical,false\n"
    ),
    "partner_verticals": (
        "partner_id,vertical,focus_share\nP01,Finance,60\nP01,Retail,40\nP02,Finance,1\n"
    ),
    "vendor_priorities": (
        "fiscal_year,vertical,priority_weight\n2025,Finance,3\n2025,Retail,1\n2024,Retail,2\n"
    ),
    "targets": (
        "partner_id,fiscal_quarter,target_amount\n"
        "P01,2025-Q1,1000\n"
        "P01,2025-Q2,1000\n"
        "P02,2025-Q1,5000\n"
        "P03,2025-Q2,0\n"
    ),
    "deals": (
        "deal_id,partner_id,amount,closed_on,status,vertical,created_on\n"
        "D1,P01,1200,2025-02-10,won,Finance,2025-01-05\n"
        "D2,P01,300.50,2025-05-10,lost,Retail,\n"
        "D3,P02,4000,2025-03-31,won,Finance,2025-03-01\n"
        "D4,P03,500,2025-04-01,open,,\n"
    ),
    "investments": (
        "partner_id,fiscal_quarter,program,amount\nP01,2025-Q1,MDF,5000\nP02,2025-Q2,Rebates,750\n"
    ),
}
REQUIRED = ("partners", "targets", "deals")
OPTIONAL = tuple(name for name in BASE if name not in REQUIRED)
CONTRACT_TABLES = [t.name for t in TABLES]
REQUIRED_COLUMNS = [
    (t.name, c.name) for t in TABLES for c in t.columns if c.required and t.name in BASE
]
# The reason given for a won or lost deal without closed_on (an open deal may leave it empty).
EMPTY_CLOSED_ON = "only an open deal may leave it empty"

Files = dict[str, str | bytes | None]


def files(**changes: str | bytes | None) -> Files:
    """BASE with some files replaced (text or bytes) or removed (None)."""
    out: Files = dict(BASE)
    out.update(changes)
    return out


def set_cell(text: str, line: int, column: str, value: str) -> str:
    """``text`` with the cell at physical ``line`` (header = 1) and ``column`` replaced.
    Only for the simple texts in BASE (no quoted delimiters)."""
    lines = text.split("\n")
    header = [h.lower() for h in lines[0].split(",")]
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    return "\n".join(lines)


def cell(name: str, line: int, column: str, value: str) -> Files:
    """BASE with one cell of one file changed."""
    return files(**{name: set_cell(BASE[name], line, column, value)})


def write_folder(folder: Path, content: Files) -> Path:
    """Write ``content`` as ``<name>.csv`` (names with a suffix are written as given)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in content.items():
        if data is None:
            continue
        path = folder / (name if "." in name else f"{name}.csv")
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_bytes(data.encode("utf-8"))
    return folder


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every contract table of ``db``, rows sorted, read through a read-only connection."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: sorted(con.table(name).fetchall(), key=repr) for name in CONTRACT_TABLES}
    finally:
        con.close()


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


ANY = object()


def expect_problem(
    tmp_path: Path,
    db: Path,
    content: Files,
    *,
    file: str,
    line: int | None | object = ANY,
    column: str | None | object = ANY,
    value: str | None | tuple[str, ...] | object = ANY,
    reason: str = "",
    line_word: str = "line",
    source: Path | None = None,
) -> tuple[LoadError, Problem]:
    """Load ``content`` over ``db`` and check that it fails with a matching problem and leaves
    ``db`` byte-for-byte unchanged. ``value`` as a tuple: substrings the value must contain."""
    before = digest(db)
    folder = source or write_folder(tmp_path / "src", content)
    with pytest.raises(LoadError) as info:
        load(folder, db, settings=Settings())
    err = info.value
    assert digest(db) == before, "a failed load changed the database"

    def matches(p: Problem) -> bool:
        if p.file != file or reason.lower() not in p.reason.lower():
            return False
        if line is not ANY and p.line != line:
            return False
        if column is not ANY and p.column != column:
            return False
        if isinstance(value, tuple):
            return p.value is not None and all(part in p.value for part in value)
        return value is ANY or p.value == value

    found = [p for p in err.problems if matches(p)]
    assert found, (
        f"no problem for {file}, line {line}, column {column}, value {value!r}, "
        f"reason ~{reason!r} in:\n{err.report()}"
    )
    problem = found[0]
    assert problem.line_word == line_word
    # The printed report names the same file, line, column and value on one line.
    text = str(problem)
    assert text in err.report().splitlines()[1:][err.problems.index(problem)]
    assert text.startswith(problem.file)
    if problem.line is not None:
        assert f"{line_word} {problem.line}" in text
    if problem.column:
        assert f"column {problem.column}" in text
    if problem.value and len(problem.value) <= 60:
        assert repr(problem.value) in text
    return err, problem


def load_ok(tmp_path: Path, db: Path, content: Files | None = None, source: Path | None = None):
    """Load ``content`` (or the folder ``source``) over ``db``; it must succeed."""
    folder = source or write_folder(tmp_path / "src", content or {})
    return load(folder, db, settings=Settings())


# ---------------------------------------------------------------------------------------------
# The quarter-states dataset

PARTNERS = """partner_id,partner_name,segment,region
A,Alpha,SMB,North
B,Bravo,Midmarket,North
C,Charlie,Enterprise,South
"""

DEALS_2025 = [
    # deal_id, partner_id, amount, closed_on, status
    ("A1", "A", 50, "2025-02-10", "won"),
    ("A2", "A", 50, "2025-05-10", "won"),
    ("A3", "A", 50, "2025-08-10", "won"),
    ("A4", "A", 150, "2025-11-10", "won"),
    ("A5", "A", 500, "2025-11-11", "lost"),  # lost: never revenue
    ("B1", "B", 100, "2025-01-01", "won"),  # first day of 2025-Q1; exactly at target: a hit
    ("B2", "B", 80, "2025-06-30", "won"),  # last day of 2025-Q2
    ("B3", "B", 90, "2025-09-15", "won"),
    ("B4", "B", 60, "2025-12-31", "won"),  # last day of 2025-Q4: the latest 2025 deal date
    ("C1", "C", 120, "2025-03-31", "won"),
    ("C2", "C", 100, "2025-04-01", "won"),  # first day of 2025-Q2; exactly at target
    ("C3", "C", 40, "2025-07-20", "won"),
    ("C4", "C", 70, "2025-10-20", "won"),
]
DEALS_2026 = [
    ("A6", "A", 30, "2026-01-20", "won"),
    ("C5", "C", 60, "2026-02-15", "won"),  # the latest deal date of the mid-quarter export
    ("B5", "B", 900, "2026-03-20", "open"),  # open: never revenue, whatever its date
    ("B6", "B", 400, "", "open"),  # an open deal without an expected close date loads
]
QUARTERS_2025 = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
PLAN_2026 = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]

STATUS_2025Q4 = {"A": (0, 3, "ok"), "B": (3, 3, "at_risk"), "C": (2, 2, "watch")}


def quarter_states_folder(root: Path, deals: list[tuple], target_quarters: list[str]) -> Path:
    """Write partners, deals and targets (100 per partner and quarter) to ``root``."""
    root.mkdir(parents=True)
    (root / "partners.csv").write_text(PARTNERS)
    rows = ["deal_id,partner_id,amount,closed_on,status"]
    rows += [",".join(str(v) for v in d) for d in deals]
    (root / "deals.csv").write_text("\n".join(rows) + "\n")
    targets = ["partner_id,fiscal_quarter,target_amount"]
    targets += [f"{p},{q},100" for q in target_quarters for p in "ABC"]
    (root / "targets.csv").write_text("\n".join(targets) + "\n")
    return root


# ---------------------------------------------------------------------------------------------
# Real browsers (tests/test_browser.py, tests/test_browser_import.py): Debian's Chromium and a
# `streamlit run serve.py` on a free port.

SHOTS = REPO / "tests" / "screenshots"  # git-ignored
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"  # a page has drawn


def require_chromium() -> None:
    """Skip with install instructions when Chromium is missing; in CI (CI=true), fail."""
    if Path(CHROMIUM).exists():
        return
    message = (
        f"Chromium not found at {CHROMIUM}: install it with `sudo apt-get install -y chromium` "
        "(Debian's package; `playwright install` cannot download browsers here)."
    )
    if os.environ.get("CI") == "true":
        pytest.fail("browser tests are required in CI: " + message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(
    db: Path,
    port: int | None = None,
    args: tuple[str, ...] = (),
    log_file: Path | None = None,
    **env_extra: str,
) -> Iterator[str]:
    """``streamlit run serve.py`` (the production entry point: app.py, warmed up) on a free
    port over ``db``, with ``env_extra`` in its environment; yields the base URL. The server's
    output goes to ``log_file`` (default tests/screenshots/server-<port>.log)."""
    port = port or free_port()
    env = {**os.environ, "CHANNEL_DB": str(db), **env_extra}
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_file = log_file or SHOTS / f"server-{port}.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "serve.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *args,
    ]  # fmt: skip
    with open(log_file, "w") as log:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                        if r.read().decode().strip() == "ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start on {url}: {log_file.read_text()[-3000:]}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------------------------------------
# The miss forecast on tests/data/tiny: forecasts made by hand (tests/test_risk_pages.py)


# (partner, miss_risk, target_amount) at 2025-Q4 for 2026-Q1
FORECASTS = [
    ("P01", 0.60, 100_000.0),
    ("P02", 0.20, 250_000.0),
    ("P03", 0.55, 1_000_000.0),
    ("P04", 0.70, 100_000.0),
    ("P05", 0.90, 200_000.0),
    ("P06", 0.30, 100_000.0),
    ("P07", 0.50, 100_000.0),
    ("P10", 0.49, 100_000.0),
]
# (partner, as-of idx, as-of label, target idx, target label, miss_risk, missed_actual): known
BACKTEST = [
    ("P01", 8102, "2025-Q3", 8103, "2025-Q4", 0.05, 0),
    ("P02", 8102, "2025-Q3", 8103, "2025-Q4", 0.15, 0),
    ("P03", 8102, "2025-Q3", 8103, "2025-Q4", 0.25, 0),
    ("P04", 8102, "2025-Q3", 8103, "2025-Q4", 0.65, 1),
    ("P05", 8102, "2025-Q3", 8103, "2025-Q4", 0.95, 1),
    ("P06", 8102, "2025-Q3", 8103, "2025-Q4", 0.35, 0),
    ("P07", 8102, "2025-Q3", 8103, "2025-Q4", 0.85, 1),
    ("P10", 8102, "2025-Q3", 8103, "2025-Q4", 0.45, 0),
    ("P01", 8101, "2025-Q2", 8102, "2025-Q3", 0.55, 1),
    ("P02", 8101, "2025-Q2", 8102, "2025-Q3", 0.75, 1),
]
DRIVERS = ("pipeline covers 40% of the 2026-Q1 target", "missed 1 quarter in a row", "2 people")
EFFECTS = (0.8, 0.4, -0.1)
NOTE = "too little history to learn from (hand-made note)"


def write_risk_rows(con) -> None:
    """Hand-made partner_risk and risk_model rows over tests/data/tiny's (which has too little
    history for a model): worked by hand in tests/test_risk_pages.py's docstring."""
    con.sql(
        """
        create or replace table partner_risk (
            partner_id varchar, quarter_idx integer, fiscal_quarter varchar, kind varchar,
            target_idx integer, target_quarter varchar, target_amount double, miss_risk double,
            revenue_at_stake double, driver_1 varchar, effect_1 double, driver_2 varchar,
            effect_2 double, driver_3 varchar, effect_3 double, risk_drivers varchar,
            missed_actual integer)
        """
    )
    line = "; ".join(
        f"{d} ({'raises' if e > 0 else 'lowers'} risk)"
        for d, e in zip(DRIVERS, EFFECTS, strict=True)
    )
    rows = [
        (p, 8103, "2025-Q4", "next", 8104, "2026-Q1", t, r, r * t, *_drivers(), line, None)
        for p, r, t in FORECASTS
    ] + [
        (p, q, ql, "next", ti, tl, 100_000.0, r, r * 100_000.0, *_drivers(), line, m)
        for p, q, ql, ti, tl, r, m in BACKTEST
    ]
    con.executemany(
        "insert into partner_risk values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    con.sql(
        """
        create or replace table risk_model as
        select quarter_idx, fiscal_quarter, 'next' as kind,
            lead(fiscal_quarter) over (order by quarter_idx) as target_quarter,
            case when quarter_idx >= 8101 then 'additive logistic regression' end as model,
            case when quarter_idx >= 8101 then 40 end::bigint as trained_rows,
            case when quarter_idx >= 8101 then '2024-Q1' end as trained_from,
            case when quarter_idx >= 8101 then fiscal_quarter end as trained_to,
            case when quarter_idx >= 8101 then 0.3 end as base_rate,
            0::bigint as scored_rows,
            case when quarter_idx < 8101 then $note end as note
        from quarters
        where quarter_state = 'complete'
        """,
        params={"note": NOTE},
    )


def _drivers() -> tuple:
    return (DRIVERS[0], EFFECTS[0], DRIVERS[1], EFFECTS[1], DRIVERS[2], EFFECTS[2])


# ---------------------------------------------------------------------------------------------
# Reading an st.dataframe in Chromium (tests/test_browser_import.py, tests/test_browser_risk.py)

GRID_ROWS_JS = """grid => Array.from(grid.querySelectorAll("[role='row']")).map(row =>
    Array.from(row.querySelectorAll("[role='columnheader'],[role='gridcell']"))
        .map(cell => cell.innerText.trim()))"""


def grid_rows(locator, timeout: float = 15.0) -> list[dict[str, str]]:
    """The rows of an st.dataframe as dicts, read from the grid's accessible table (the canvas
    draws the same cells)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = locator.evaluate(GRID_ROWS_JS)
        if len(rows) > 1 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    header, *body = rows or [[]]
    return [dict(zip(header, row, strict=False)) for row in body]
