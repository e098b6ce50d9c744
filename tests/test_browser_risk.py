"""The miss forecast in a real browser: Debian's Chromium driven by Playwright.

Builds a 300-partner demo database (``python -m channel demo``, whose load fits the forecast
and writes ``partner_risk``), starts ``streamlit run serve.py`` over it, and opens Missed
targets → Next quarter (both charts, the early-warning and recovery lists, the backtest), the
partner page of the first early-warning partner (the risk card), and the Portfolio worklist
(the Miss risk column). Screenshots go to
tests/screenshots/risk-*.png, taken at the page's full height.

Without Chromium this skips with install instructions; in CI (CI=true) a skip is a failure.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    NO_FILTERS,
    REPO,
    SHOTS,
    cli_env,
    grid_rows,
    require_chromium,
    serve,
)

VIEWPORT = {"width": 1400, "height": 1700}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    require_chromium()
    db = tmp_path_factory.mktemp("risk_demo") / "demo.duckdb"
    subprocess.run(
        [sys.executable, "-m", "channel", "demo", "--partners", "300", "--db", str(db)],
        cwd=REPO,
        env=cli_env(),
        check=True,
        capture_output=True,
    )
    return db


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_context(viewport=VIEWPORT).new_page()
        finally:
            browser.close()


def _settle(page) -> None:
    page.wait_for_selector(IDLE, state="attached", timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, state="attached", timeout=60_000)


def _main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, _main_text(page)


def _shoot(page, name: str) -> None:
    """A screenshot at the page's full height (Streamlit scrolls inside stMain)."""
    page.mouse.move(1, 1)
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
    page.wait_for_timeout(600)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    page.set_viewport_size(VIEWPORT)
    page.wait_for_timeout(200)


def _percent(text: str) -> float | None:
    text = text.replace("%", "").replace(",", "").strip()
    return float(text) if text else None


def test_the_miss_forecast_in_the_browser(demo_db, page):
    from channel.runner import run

    status = run("risk_model_status", db=demo_db, as_of=None).row(0, named=True)
    assert status["risk_rows"] > 0, status
    target = status["target_quarter"]
    lists = run("risk_lists", db=demo_db, as_of=None, min_risk=0.5, limit=None, **NO_FILTERS)
    warned = lists.filter(lists["list"] == "early_warning")["partner_id"].to_list()
    partner = warned[0] if warned else lists["partner_id"][0]

    with serve(demo_db) as url:
        # Missed targets → Next quarter
        page.goto(url + "/missed_targets?missed_view=Next+quarter")
        _settle(page)
        page.get_by_role("heading", name="Did the forecast hold?").wait_for(timeout=30_000)
        _no_exception(page)
        text = _main_text(page)
        assert f"chance of missing {target}" in text and "not a verdict" in text
        page.locator(".js-plotly-plot g.trace").nth(1).wait_for(timeout=30_000)
        assert page.locator(".js-plotly-plot").count() == 2
        assert "Early warning" in text and "Recovery" in text
        _shoot(page, "risk-1-next-quarter.png")

        # the partner's risk card, and its link back to the tab
        page.goto(url + f"/partner?partner={partner}")
        _settle(page)
        _no_exception(page)
        card = page.locator(".st-key-risk_card")
        card.wait_for(timeout=30_000)
        assert f"chance of missing {target}" in card.inner_text()
        _shoot(page, "risk-2-partner.png")

        # the worklist's risk column, next to the status
        page.goto(url + "/portfolio")
        _settle(page)
        _no_exception(page)
        grid = page.locator("[data-testid='stDataFrame']").first
        column = f"Miss risk {target}"
        rows = grid_rows(grid)
        assert column in rows[0], rows[0].keys()
        # every shown value is a percentage between 0 and 100 (a partner without a forecast: blank)
        values = [_percent(r[column]) for r in rows]
        assert any(v is not None for v in values)
        assert all(v is None or 0 <= v <= 100 for v in values)
        _shoot(page, "risk-3-portfolio.png")
