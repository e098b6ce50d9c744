"""The load test in its CI size: ``python -m bench.load`` with 3 headless Chromium sessions for
30 s against one ``streamlit run`` over a 300-partner demo database (``make load`` is 10 sessions
for 5 minutes at 100,000 partners).

Asserts that nothing went wrong (no exception or error on a page, no page left undrawn, no browser
or server error), that every page was drawn, and that the sessions did navigate. Speed is never
asserted. Without Chromium this skips; in CI (CI=true) a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import CHROMIUM, require_chromium

ROOT = Path(__file__).resolve().parent.parent
SESSIONS, SECONDS = 3, 30


@pytest.fixture(scope="module")
def load_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, dict]:
    require_chromium()
    folder = tmp_path_factory.mktemp("load")
    db = folder / "demo.duckdb"
    subprocess.run(
        [sys.executable, "-m", "channel", "demo", "--partners", "300", "--db", str(db)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    out = folder / "load.json"
    cmd = [sys.executable, "-m", "bench.load", "--db", str(db), "--json", str(out)]
    cmd += ["--sessions", str(SESSIONS), "--seconds", str(SECONDS), "--max-navigations", "60"]
    env = {**os.environ, "CHROMIUM": CHROMIUM}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if not out.exists():
        pytest.fail(f"bench.load wrote no report ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc, json.loads(out.read_text())


@pytest.mark.browser
def test_no_errors_under_load(load_run):
    proc, report = load_run
    errors = report["errors"]
    shown = "\n".join(f"{e['where']}: {e['kind']}: {e['text']}" for e in errors["first"])
    assert errors["count"] == 0, f"{errors['count']} error(s) under load:\n{shown}"
    assert not report["server"]["exited_during_run"]
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.mark.browser
def test_every_page_is_drawn_under_load(load_run):
    from bench.run import registered_pages

    _, report = load_run
    drawn = report["navigations"]["drawn_by_page"]
    pages = [p["name"] for p in registered_pages()]
    assert sorted(drawn) == sorted(pages)
    assert all(drawn[name] >= 1 for name in pages), drawn


@pytest.mark.browser
def test_sessions_navigate_by_url_and_sidebar(load_run):
    _, report = load_run
    navigations = report["navigations"]
    assert report["sessions"] == SESSIONS
    assert navigations["total"] > 0
    assert navigations["drawn"] == navigations["total"]
    assert navigations["by_kind"].get("url", 0) > 0
    # the choices are seeded: the same sessions change a filter in the sidebar on every run
    assert navigations["by_kind"].get("sidebar", 0) > 0


def test_load_refuses_any_host_but_localhost(capsys):
    from bench.load import main

    with pytest.raises(SystemExit) as stopped:
        main(["--host", "0.0.0.0", "--db", "unused.duckdb"])
    assert stopped.value.code == 2
    assert "127.0.0.1 only" in capsys.readouterr().err
