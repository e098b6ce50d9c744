"""A real browser against a real server: Debian's Chromium driven by Playwright.

Starts ``streamlit run app.py`` on a free port over the tiny hand-built database, opens every
page, checks that each draws without an exception and that its charts render, changes a filter
and checks that the URL and the numbers follow, then reopens that URL in a fresh page and checks
the view is the same. Screenshots go to tests/screenshots/ (git-ignored).

Without Chromium this skips with install instructions; in CI (CI=true) a skip is a failure.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, SHOTS, free_port, require_chromium, serve

# (url path and query, a heading the page must show, how many charts it draws at least)
PAGES = [
    ("", "Channel overview", 2),
    ("overview", "Channel overview", 2),
    ("tiers", "Partner tiers", 2),
    ("alignment", "Vertical alignment", 2),
    ("missed_targets", "Missed targets", 2),
    ("portfolio?partner_manager=Dan+Wu", "Partner manager portfolio", 2),
    ("portfolio", "Partner manager portfolio", 1),
    ("partner?partner=P06", "Foxtrot Solutions", 4),
]

VIEWPORT = {"width": 1400, "height": 1700}
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tiny_db):
    require_chromium()
    with serve(tiny_db) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _settle(page) -> None:
    """Wait until the script finished this run (stApp reports notRunning)."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']",
        state="attached",
        timeout=30_000,
    )
    page.wait_for_timeout(300)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']",
        state="attached",
        timeout=30_000,
    )


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the sidebar multiselect ``label``. The dropdown can miss a click while
    the app is still wiring up the widget under load, so open it again until the option shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(
        has_text=label
    )
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        _settle(page)
        box.locator("input").first.click()
        try:
            choice.wait_for(state="visible", timeout=4_000)
        except PlaywrightTimeout:  # the dropdown did not open: try again
            page.keyboard.press("Escape")
            continue
        choice.click()
        page.keyboard.press("Escape")
        return
    pytest.fail(f"the {label} dropdown never offered {option}")


def _metrics_when(page, condition, timeout: float = 20.0) -> dict[str, str]:
    """The page's metrics once ``condition(metrics)`` holds on a finished run (or the last seen)."""
    deadline = time.monotonic() + timeout
    while True:
        _settle(page)
        seen = _metrics(page)
        if condition(seen) or time.monotonic() > deadline:
            return seen
        page.wait_for_timeout(250)


_READ_METRICS = """() => Array.from(document.querySelectorAll("[data-testid='stMetric']")).map(
    m => [m.querySelector("[data-testid='stMetricLabel']")?.innerText.trim(),
          m.querySelector("[data-testid='stMetricValue']")?.innerText.trim()])"""


def _metrics(page) -> dict[str, str]:
    """Label -> value of every metric, read in one pass so a rerun cannot split the read."""
    return dict(page.evaluate(_READ_METRICS))


@pytest.mark.parametrize(("path", "heading", "charts"), PAGES)
def test_every_page_draws(browser, server, path, heading, charts):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server}/{path}")
    _settle(page)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=15_000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator(".js-plotly-plot").nth(charts - 1).wait_for(timeout=15_000)
    # a drawn Plotly chart has trace groups with marks in it
    page.locator(".js-plotly-plot g.trace").nth(charts - 1).wait_for(timeout=15_000)
    assert page.locator("[data-testid='stException']").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_") or "home"
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.close()


def test_filter_follows_url_and_link_reproduces_view(browser, server):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(server + "/")
    _settle(page)
    before = _metrics(page)
    _pick(page, "Segment", "Enterprise")
    page.wait_for_url(re.compile(r"segment=Enterprise"), timeout=15_000)
    after = _metrics_when(page, lambda m: m != before)
    assert after != before, "the numbers did not follow the segment filter"
    assert page.locator("[data-testid='stException']").count() == 0
    shared = page.url
    page.screenshot(path=str(SHOTS / "filtered.png"), full_page=True)

    fresh = browser.new_page(viewport=VIEWPORT)
    fresh.goto(shared)
    assert _metrics_when(fresh, lambda m: m == after) == after
    assert "segment=Enterprise" in fresh.url
    page.close()
    fresh.close()


def test_hostile_url_shows_notice_not_traceback(browser, server):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(server + "/?segment=%27%20OR%201%3D1%20--&as_of=2025-Q9&region=" + "x" * 5000)
    _settle(page)
    page.get_by_text("Ignored unknown segment").first.wait_for(timeout=15_000)
    page.locator(".js-plotly-plot").nth(1).wait_for(timeout=15_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Ignored unknown segment").count() == 1
    page.close()


def test_deep_link_on_a_fresh_server(browser, tiny_db):
    """The first request after a restart is a shared link to a partner: it must draw the page
    (Streamlit's pages/-folder compatibility mode would otherwise run the page without app.py)."""
    with serve(tiny_db) as url:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url + "/partner?partner=P04&segment=SMB")
        _settle(page)
        page.get_by_role("heading", name="Delta Direct").wait_for(timeout=15_000)
        assert page.locator("[data-testid='stException']").count() == 0
        assert "segment=SMB" in page.url
        page.close()


def test_a_row_on_the_overview_opens_its_partner(browser, server):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(server + "/")
    _settle(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=15_000)
    box = grid.bounding_box()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # the first data row's selection box: rows are 35 px under a 35 px header; under load the
    # grid can take a click before it is interactive, so click again until the page changes
    for _ in range(4):
        _settle(page)
        page.mouse.click(box["x"] + 14, box["y"] + 35 + 17)
        try:
            page.wait_for_url(re.compile(r"/partner\?(.*&)?partner=P06"), timeout=6_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        pytest.fail("selecting the first attention row never opened its partner")
    _settle(page)
    page.get_by_role("heading", name="Foxtrot Solutions").wait_for(timeout=15_000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(SHOTS / "partner_from_overview.png"), full_page=True)
    # back on the overview, the old selection does not send us away again
    page.get_by_role("link", name="Overview").click()
    _settle(page)
    page.get_by_role("heading", name="Channel overview").wait_for(timeout=15_000)
    page.wait_for_timeout(1_000)
    assert "/partner" not in page.url
    page.close()


HOSTILE_NAME = "<img src=x onerror=alert(1)> **bold** [link](http://x) $x$"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    """The tiny dataset with P06 (on every list: replacement review) renamed to markup."""
    import polars as pl

    from channel.loader import load
    from tests.helpers import DATA

    folder = tmp_path_factory.mktemp("hostile_src")
    for csv in (DATA / "tiny").glob("*.csv"):
        (folder / csv.name).write_bytes(csv.read_bytes())
    partners = pl.read_csv(folder / "partners.csv", infer_schema=False)
    partners = partners.with_columns(
        pl.when(pl.col("partner_id") == "P06")
        .then(pl.lit(HOSTILE_NAME))
        .otherwise(pl.col("partner_name"))
        .alias("partner_name")
    )
    partners.write_csv(folder / "partners.csv")
    db = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    load(folder, db)
    return db


def test_partner_names_render_as_text(browser, hostile_db):
    with serve(hostile_db) as url:
        page = browser.new_page(viewport=VIEWPORT)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in ["partner?partner=P06", "missed_targets", "portfolio", "tiers", "alignment"]:
            page.goto(f"{url}/{path}")
            _settle(page)
            page.wait_for_timeout(500)
            assert page.locator("[data-testid='stException']").count() == 0, path
            # no element was created from the name: no <img src=x>, no bold, no link to x
            assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0, path
            assert page.locator("[data-testid='stMain'] a[href='http://x']").count() == 0, path
        page.goto(f"{url}/partner?partner=P06")
        _settle(page)
        heading = page.locator("[data-testid='stMain'] h2").first.inner_text()
        assert heading.strip() == HOSTILE_NAME
        assert not dialogs
        page.close()


MID_QUARTER_PAGES = ["", "tiers", "alignment", "missed_targets", "portfolio", "partner?partner=C"]


def test_every_page_shows_the_quarter_in_progress(browser, mid_quarter_db):
    """Data exported mid-quarter (2026-02-15) with the plan ahead: the default is the last
    complete quarter; picking the quarter in progress labels it "to date" on every page."""
    from urllib.parse import quote

    in_progress = quote("2026-Q1 (in progress)")
    with serve(mid_quarter_db) as url:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url + "/")
        _settle(page)
        assert "Data as of 2026-02-15 (latest deal date)" in page.inner_text("body")
        assert "As of 2025-Q4" in page.inner_text("body")
        page.locator(".js-plotly-plot g.trace").first.wait_for(timeout=15_000)
        page.screenshot(path=str(SHOTS / "mid_quarter_default.png"), full_page=True)
        for path in MID_QUARTER_PAGES:
            joiner = "&" if "?" in path else "?"
            page.goto(f"{url}/{path}{joiner}as_of={in_progress}")
            _settle(page)
            body = page.inner_text("body")
            name = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_") or "overview"
            page.screenshot(path=str(SHOTS / f"mid_quarter_{name}.png"), full_page=True)
            assert page.locator("[data-testid='stException']").count() == 0, path
            assert "2026-Q1 is in progress" in body, path
            assert "As of 2026-Q1 · in progress" in body, path
            assert "as_of=2026-Q1%20%28in%20progress%29" in page.url, path  # the link keeps it
            if path in ("", "partner?partner=C"):
                assert "Attainment 2026-Q1 to date" in body, path
        page.close()


def test_two_servers_keep_serving_while_loads_swap_the_file(browser, tmp_path, tiny_db):
    """Two app servers on one database file; loads swap it while both serve pages. No page shows
    an error, and after the last load both show the new data on their next run."""
    import threading

    from channel.loader import load
    from tests.helpers import DATA

    live = tmp_path / "live.duckdb"
    shutil.copy(tiny_db, live)
    other = tmp_path / "other.duckdb"
    load(DATA / "tiny_fy_april", other)
    new_revenue = _revenue_card(other)
    assert new_revenue != "$9.6M"

    with serve(live) as first, serve(live) as second:
        pages = []
        for url, path in ((first, "/"), (second, "/missed_targets")):
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url + path)
            _settle(page)
            pages.append(page)
        done = threading.Event()
        failures: list[BaseException] = []

        def swap() -> None:
            try:
                for source in ("tiny_fy_april", "tiny", "tiny_fy_april", "tiny", "tiny_fy_april"):
                    load(DATA / source, live)
            except BaseException as e:  # reported below, in the test's thread
                failures.append(e)
            finally:
                done.set()

        loader = threading.Thread(target=swap)
        loader.start()
        reloads = 0
        while not done.is_set() or reloads < 4:
            for page in pages:
                page.reload()
                _settle(page)
                assert page.locator("[data-testid='stException']").count() == 0, page.url
                reloads += 1
        loader.join(timeout=60)
        assert not failures, failures
        pages[0].reload()
        shown = _metrics_when(pages[0], lambda m: m.get("Revenue, last 4 quarters") == new_revenue)
        assert shown["Revenue, last 4 quarters"] == new_revenue
        pages[1].goto(second + "/")
        shown = _metrics_when(pages[1], lambda m: m.get("Revenue, last 4 quarters") == new_revenue)
        assert shown["Revenue, last 4 quarters"] == new_revenue
        for page in pages:
            page.close()


def _revenue_card(db: Path) -> str:
    """The Overview's revenue card for ``db``, from the same query and format the page uses."""
    from channel import charts
    from channel.runner import run
    from tests.helpers import NO_FILTERS

    return charts.money(run("overview_kpis", db=db, as_of=None, **NO_FILTERS)["revenue_t4q"][0])


SIGN_IN_ACCESS = """
[access]
leadership = ["vp@example.com"]
[access.partner_managers]
"dan@example.com" = "Dan Wu"
"""


def _sign_in(browser, url: str, idp, email: str):
    """A new browser context signed in as ``email`` through the provider; returns its page."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url + "/partner?partner=P07")
    _settle(page)
    button = page.get_by_role("button", name="Sign in")
    button.wait_for(timeout=30_000)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "Golf Consulting" not in body and "Alpha Systems" not in body
    idp.next_email = email
    button.click()  # st.login: /auth/login -> provider /authorize -> /oauth2callback -> /
    page.wait_for_function(
        "() => !document.body.innerText.includes('shown to signed-in colleagues only')",
        timeout=30_000,
    )
    _settle(page)
    return page


def test_sign_in_scopes_a_partner_manager_in_the_browser(browser, tiny_db, tmp_path):
    """Real OIDC sign-in against a local provider: a partner manager sees only their partners,
    an unknown address is refused, and leadership sees everyone."""
    from tests.oidc_provider import FakeOIDC

    settings = tmp_path / "channel.toml"
    settings.write_text(SIGN_IN_ACCESS)
    port = free_port()
    secrets_file = tmp_path / "secrets.toml"
    with FakeOIDC() as idp:
        secrets_file.write_text(idp.secrets_toml(f"http://127.0.0.1:{port}"))
        with serve(
            tiny_db,
            port=port,
            args=("--secrets.files", str(secrets_file)),
            CHANNEL_SETTINGS=str(settings),
        ) as url:
            contexts = len(browser.contexts)
            try:
                dan = _sign_in(browser, url, idp, "dan@example.com")
                sidebar = dan.locator("[data-testid='stSidebar']")
                sidebar.get_by_text("Partners of Dan Wu").wait_for(timeout=30_000)
                dan.goto(url + "/partner?partner=P07")
                dan.get_by_text("Golf Consulting").first.wait_for(timeout=30_000)
                _settle(dan)
                dan.screenshot(path=str(SHOTS / "signed-in-partner-manager.png"), full_page=True)
                assert sidebar.locator("a[href^='mailto:']").count() == 0
                dan.goto(url + "/partner?partner=P01")
                dan.get_by_text("No such partner among the partners you can see").wait_for(
                    timeout=30_000
                )
                assert "Alpha Systems" not in dan.locator("[data-testid='stMain']").inner_text()
                dan.goto(url + "/missed_targets?partner_manager=Ann+Lee")
                _settle(dan)
                dan.get_by_text("Ignored unknown partner manager").wait_for(timeout=30_000)
                text = dan.locator("[data-testid='stMain']").inner_text()
                charts = dan.locator(".js-plotly-plot").evaluate_all(
                    "els => els.map(e => JSON.stringify(e.data || []))"
                )
                for name in ("Alpha Systems", "Charlie Global", "Foxtrot Solutions"):
                    assert name not in text and not any(name in c for c in charts), name
                assert dan.locator("[data-testid='stException']").count() == 0

                stranger = _sign_in(browser, url, idp, "stranger@example.com")
                stranger.get_by_text("has no access to Channel Lens").wait_for(timeout=30_000)
                stranger.screenshot(path=str(SHOTS / "signed-in-refused.png"))
                stranger.goto(url + "/partner?partner=P07")
                _settle(stranger)
                assert "Golf Consulting" not in stranger.content()

                vp = _sign_in(browser, url, idp, "vp@example.com")
                vp.goto(url + "/partner?partner=P01")
                vp.get_by_text("Alpha Systems").first.wait_for(timeout=30_000)
            finally:
                for context in browser.contexts[contexts:]:
                    context.close()
