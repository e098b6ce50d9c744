"""The Import data page in a real browser: Debian's Chromium driven by Playwright.

Starts ``streamlit run serve.py`` (app.py, as in production) on a free port over a copy of the
tiny database, with a settings file that sets ``allow_import = true``, and walks the whole import
of the Salesforce fixture: upload, map (one stage left unmapped, then mapped), check (the problem
named by file, line, column and value; the load button off), check again, load, the Overview on
the new data, and the mapping downloaded and replayed through ``python -m channel import``
into a second database that must hold the same partners, deals and targets.

Screenshots of each step go to tests/screenshots/import-*.png (git-ignored, as for
tests/test_browser.py), taken at the page's full height.

Without Chromium this skips with install instructions; in CI (CI=true) a skip is a failure.
The server and Chromium helpers are shared with tests/test_browser.py (tests/helpers.py).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    SHOTS,
    grid_rows,
    require_chromium,
    serve,
    snapshot,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "crm" / "salesforce" / "opportunities.csv"
VIEWPORT = {"width": 1400, "height": 1700}
STAGE = "Negotiation/Review (1 row)"  # the select box of the one open deal's stage
UNMAPPED = "— unmapped —"

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path, tiny_db):
    """A server over a copy of the tiny database with imports allowed: (url, db, settings)."""
    require_chromium()
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_db, db)
    settings = tmp_path / "channel.toml"
    settings.write_text("allow_import = true\n")
    with serve(db, log_file=tmp_path / "server.log", CHANNEL_SETTINGS=str(settings)) as url:
        yield url, db, settings


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
            yield context.new_page()
        finally:
            browser.close()


def _settle(page) -> None:
    """Wait until the script finished this run (stApp reports notRunning), twice over a pause:
    a click can start its rerun a moment after the last run ended."""
    page.wait_for_selector(IDLE, state="attached", timeout=30_000)
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, state="attached", timeout=30_000)


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, _main_text(page)


def _main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _shoot(page, name: str) -> None:
    """A screenshot at the page's full height. Streamlit scrolls inside stMain, not the document,
    so Playwright's full_page stops at the viewport: grow the viewport to the content first."""
    page.mouse.move(1, 1)  # no hover effects (Plotly's mode bar, tooltips) in the picture
    height = page.evaluate(
        "() => Math.max(...[document.querySelector(\"[data-testid='stMain']\"),"
        " document.querySelector(\"[data-testid='stSidebarContent']\")]"
        ".filter(Boolean).map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
    page.wait_for_timeout(400)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    page.set_viewport_size(VIEWPORT)
    page.wait_for_timeout(200)


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box ``label``; open the dropdown again if a click was lost
    while the app was still wiring up the widget, until the box shows the choice."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.get_by_role("combobox", name=label, exact=True)
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        _settle(page)
        box.click()
        try:
            choice.wait_for(state="visible", timeout=4_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        choice.click()
        _settle(page)
        if box.input_value() == option:
            return
    pytest.fail(f"the select box {label!r} never took {option!r}")


_READ_METRICS = """() => Array.from(document.querySelectorAll("[data-testid='stMetric']")).map(
    m => [m.querySelector("[data-testid='stMetricLabel']")?.innerText.trim(),
          m.querySelector("[data-testid='stMetricValue']")?.innerText.trim()])"""


def test_import_a_salesforce_export_in_the_browser(site, page, tmp_path, capsys):
    from playwright.sync_api import expect

    from channel.cli import main

    url, live, settings = site
    before = snapshot(live)

    # The dashboard first, then the navigation's "Data" section (there only with allow_import)
    page.goto(url + "/")
    _settle(page)
    page.get_by_role("heading", name="Channel overview").wait_for(timeout=30_000)
    assert "Data as of 2025-05-05" not in _main_text(page)
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Import data").click()
    page.wait_for_url(re.compile(r"/import_data(\?.*)?$"), timeout=15_000)
    _settle(page)
    page.get_by_role("heading", name="Import data").wait_for(timeout=15_000)
    page.get_by_text("Upload the export's files to begin.").wait_for(timeout=15_000)

    # 1. Upload: the default start, "Suggested from the files", gives every stage a select box
    page.locator("[data-testid='stFileUploader'] input[type=file]").first.set_input_files(FIXTURE)
    page.get_by_role("button", name="Check the import").wait_for(timeout=30_000)
    _settle(page)
    _no_exception(page)
    expect(page.get_by_role("radio", name="Suggested from the files")).to_be_checked()
    assert "Files: opportunities.csv." in _main_text(page)
    stage = page.get_by_role("combobox", name=STAGE, exact=True)
    assert stage.input_value() == "open"  # guessed, marked CHECK in the suggestion
    _shoot(page, "import-1-upload.png")

    # 2. Map: leave the open deal's stage unmapped
    _choose(page, STAGE, UNMAPPED)
    _no_exception(page)
    _shoot(page, "import-2-map.png")

    # 3. Check: the problem is named, and the load stays off
    load = page.get_by_role("button", name="Load into the dashboard")
    page.get_by_role("button", name="Check the import").click()
    page.get_by_text("1 problem to fix before the load").wait_for(timeout=30_000)
    _settle(page)
    _no_exception(page)
    expect(load).to_be_disabled()
    every = page.locator("[data-testid='stExpander']").filter(has_text="Every problem listed")
    every.get_by_text("Every problem listed").click()
    _settle(page)
    problems = grid_rows(every.locator("[data-testid='stDataFrame']"))
    assert [(p["file"], p["line"], p["column"], p["value"], p["rule"]) for p in problems] == [
        ("opportunities.csv", "7", "Stage", "Negotiation/Review", "deals.status")
    ], problems
    _shoot(page, "import-3-problems.png")

    # Map the stage as open: the old check no longer counts until the import is checked again
    _choose(page, STAGE, "open")
    page.get_by_text("The mapping changed since the check").wait_for(timeout=15_000)
    expect(load).to_be_disabled()
    page.get_by_role("button", name="Check the import").click()
    page.get_by_text("Every row passed").wait_for(timeout=30_000)
    _settle(page)
    _no_exception(page)
    assert "The mapping changed since the check" not in _main_text(page)
    assert "nothing was written (--dry-run)" in _main_text(page)
    assert snapshot(live) == before, "the check wrote to the database"
    expect(load).to_be_enabled()

    # 4. Load
    load.click()
    page.get_by_text("Every open page shows the new data").wait_for(timeout=60_000)
    _settle(page)
    _no_exception(page)
    report = _main_text(page)
    assert "data as of 2025-05-05" in report and "left out 1 direct deal" in report
    _shoot(page, "import-4-loaded.png")

    # 5. The mapping, downloaded as the page offers it after the load
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the mapping (TOML)").click()
    assert download.value.suggested_filename == "channel-mapping.toml"
    mapping = tmp_path / "downloaded.toml"
    download.value.save_as(mapping)

    # 6. The Overview shows the imported data
    page.get_by_role("link", name="Open the Overview").click()
    page.get_by_role("heading", name="Channel overview").wait_for(timeout=30_000)
    page.get_by_text("Data as of 2025-05-05").first.wait_for(timeout=30_000)
    for chart in range(2):  # both charts drawn, with marks in them
        page.locator(".js-plotly-plot").nth(chart).locator("g.trace").first.wait_for(timeout=30_000)
    _settle(page)
    _no_exception(page)
    metrics = dict(page.evaluate(_READ_METRICS))
    assert metrics["Active partners"] == "2", metrics
    _shoot(page, "import-5-overview.png")

    # The same mapping on the command line gives the same database
    imported = snapshot(live)
    assert sorted(p[1] for p in imported["partners"]) == ["Contoso Partners", "Northwind Systems"]
    assert len(imported["deals"]) == 6  # seven deals, the direct one left out
    assert imported["targets"], "the suggested prior-year rule derives targets"
    other = tmp_path / "cli.duckdb"
    argv = ["import", str(FIXTURE), "--mapping", str(mapping), "--db", str(other)]
    assert main([*argv, "--settings", str(settings)]) == 0, capsys.readouterr()
    assert snapshot(other) == imported


def test_a_deep_link_to_import_on_a_fresh_server_goes_through_app_py(site, page):
    url, _, _ = site
    page.goto(url + "/import_data")
    _settle(page)
    page.get_by_role("heading", name="Import data").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    _settle(page)
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Overview" in nav and "Import data" in nav and "app" not in nav.split("\n"), nav
