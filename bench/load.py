"""``make load``: concurrent headless Chromium sessions against one app server.

    .venv/bin/python -m bench.load [--db PATH] [--sessions 10] [--seconds 300]
                                   [--max-navigations N] [--port P] [--json OUT] [--seed 7]

Starts one ``streamlit run app.py`` on 127.0.0.1 over ``--db`` (default: the cached 100,000-partner
benchmark database, built by bench.run's ``ensure_db`` when missing or stale), then drives
``--sessions`` browser contexts at once in headless Chromium. Each session visits every page in
turn, with sidebar filters drawn at random (seeded) from the values in the database and put in the
URL, and now and then adds a filter value through the sidebar multiselect instead. It stops at the
time budget or at its navigation cap. The clock of each navigation runs until the page is drawn,
by the same criterion as ``make bench`` (bench.run ``DRAWN_JS``).

Errors: an exception element or an error alert on a page, "Traceback" in the page, a page not
drawn within ``--page-timeout``, a page error or console error in the browser, an HTTP error or
failed request on the server, a Traceback in the server log, and a server that exits. The exit
status is 1 when there was any. See bench/README.md, "make load".
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

from bench.run import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN_CONFIRM_MS,
    DRAWN_JS,
    MB,
    RESULTS,
    ROOT,
    RssSampler,
    _free_port,
    _proc_status,
    _tree_pids,
    ensure_db,
    registered_pages,
    start_server,
    stop_server,
    versions,
    wait_healthy,
)

HOST = "127.0.0.1"  # the only host this load test will ever talk to
DEFAULT_PARTNERS = 100_000
DEFAULT_JSON = RESULTS / "load-latest.json"
VIEWPORT = {"width": 1400, "height": 1000}
# The browser resolves no host name except 127.0.0.1, so no request can leave the machine even
# when a page asks for one (Material icons from fonts.gstatic.com: counted, not an error).
BROWSER_ARGS = [
    *CHROMIUM_ARGS,
    "--disable-dev-shm-usage",
    "--no-first-run",
    f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {HOST}",
]
POLL_MS = 50  # how often the drawn check runs inside the page

# The sidebar filters: URL key -> the multiselect's label (channel/ui.py FILTERS), and as_of.
FILTER_LABELS = {
    "segment": "Segment",
    "region": "Region",
    "partner_type": "Partner type",
    "program_tier": "Program tier",
    "partner_manager": "Partner manager",
}
UI_FILTERS = ("segment", "region", "partner_type", "program_tier")  # short lists, no scrolling
P_FILTER = 0.25  # chance that a navigation sets each multiselect filter in its URL
P_AS_OF = 0.3  # chance that it sets as_of
P_UI_CHANGE = 0.35  # chance that a drawn page then gets one more filter value via the sidebar

# Streamlit's frontend, opened on /<page>, first looks for its server under that path: these
# two 404s happen on every deep link and are counted apart, not as errors.
PROBE_404 = re.compile(r"^/[^/]+/_stcore/(health|host-config)$")

NOT_RUNNING_JS = """() => !!document.querySelector(
    "[data-testid='stApp'][data-test-script-state='notRunning']")"""
ERRORS_JS = """() => {
    const out = [];
    const first = (e) => e.innerText.trim().split('\\n')[0].slice(0, 400);
    for (const e of document.querySelectorAll("[data-testid='stException']"))
        out.push('exception on the page: ' + first(e));
    for (const e of document.querySelectorAll("[data-testid='stAlertContentError']"))
        if (!e.closest("[data-testid='stException']"))
            out.push('error alert on the page: ' + first(e));
    const main = document.querySelector("[data-testid='stApp']") || document.body;
    if (main.innerText.includes('Traceback')) out.push('"Traceback" in the page text');
    return out;
}"""


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (those still running)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def pss_bytes(pids: list[int]) -> int:
    """Proportional set size of these processes: shared pages counted once in all, not once per
    process as a sum of RSS would (Chromium's processes share most of their pages)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return total


def client_pids(server_pid: int) -> list[int]:
    """The browsers and their Playwright driver: every process under this one but the server."""
    server, me = set(_tree_pids(server_pid)), os.getpid()
    return [p for p in _tree_pids(me) if p != me and p not in server]


def cpu_split(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: the server's process tree, the browsers with their Playwright driver,
    and this process."""
    return {
        "server": cpu_seconds(_tree_pids(server_pid)),
        "browsers": cpu_seconds(client_pids(server_pid)),
        "this_process": cpu_seconds([os.getpid()]),
    }


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_s": statistics.median(values) if values else None,
        "p95_s": percentile(values, 95),
        "max_s": max(values, default=None),
    }


# ---------------------------------------------------------------------------------------------
# What to browse: pages from app.py, filter values and partner ids from the database


def read_plan(db: str) -> dict:
    """The values each filter offers (as queries/filter_options.sql lists them), the as-of
    quarters, and partner ids, read once from the database (read-only, then closed)."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    try:
        options = {
            key: [
                r[0]
                for r in con.sql(
                    f"select distinct {key} from partners where {key} is not null order by 1"  # noqa: S608
                ).fetchall()
            ]
            for key in FILTER_LABELS
        }
        quarters = [
            r[0] for r in con.sql("select fiscal_quarter from quarters order by 1").fetchall()
        ]
        partner_ids = [
            r[0] for r in con.sql("select partner_id from partners order by 1").fetchall()
        ]
    finally:
        con.close()
    return {
        "pages": registered_pages(),
        "options": options,
        "quarters": quarters,
        "partner_ids": partner_ids,
        "partners": len(partner_ids),
    }


def random_query(rng: random.Random, plan: dict, page: str) -> dict[str, list[str]]:
    """A random combination of real filter values (repeated keys for several values)."""
    params: dict[str, list[str]] = {}
    if page == "partner":
        params["partner"] = [rng.choice(plan["partner_ids"])]
    for key, values in plan["options"].items():
        wanted = P_FILTER * (2 if key == "partner_manager" and page == "portfolio" else 1)
        if values and rng.random() < wanted:
            params[key] = rng.sample(values, k=min(len(values), rng.choice((1, 1, 2))))
    if plan["quarters"] and rng.random() < P_AS_OF:
        params["as_of"] = [rng.choice(plan["quarters"])]
    return params


def page_url(base: str, page: dict, params: dict[str, list[str]]) -> str:
    url = f"{base}/{page['url_path']}"
    return url + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")


# ---------------------------------------------------------------------------------------------
# One browser session


class Run:
    """What every session records: navigations, errors and the noise that is not an error."""

    def __init__(self) -> None:
        self.navigations: list[dict] = []
        self.errors: list[dict] = []
        self.noise: Counter = Counter()
        self.stop = asyncio.Event()
        self.t0 = time.perf_counter()

    def error(self, session: int, where: str, kind: str, text: str) -> None:
        entry = {
            "t_s": round(time.perf_counter() - self.t0, 2),
            "session": session,
            "where": where,
            "kind": kind,
            "text": text[:600],
        }
        self.errors.append(entry)
        if len(self.errors) <= 20:
            log(f"ERROR session {session} {where}: {kind}: {text[:300]}")


async def wait_drawn(tab, t0: float, limit: float) -> tuple[float | None, dict | None]:
    """bench.run ``_open_page``'s criterion with every placed chart drawn: drawn, then still
    drawn DRAWN_CONFIRM_MS later. Seconds from ``t0`` to the first of the two, and the state."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    while (remaining := limit - (time.perf_counter() - t0)) > 0:
        try:
            await tab.wait_for_function(
                DRAWN_JS, arg="placed", polling=POLL_MS, timeout=remaining * 1000
            )
        except PlaywrightTimeout:
            break
        drawn_at = time.perf_counter() - t0
        await tab.wait_for_timeout(DRAWN_CONFIRM_MS)
        state = await tab.evaluate(DRAWN_JS, "placed")
        if state is not None:
            return drawn_at, state
    return None, None


async def pick_in_sidebar(tab, key: str, value: str, limit: float) -> float | None:
    """Add ``value`` to the sidebar multiselect ``key``; the time of the click on the option, or
    None when the dropdown never offered it. Under load the dropdown can miss a click while the
    app wires the widget up, so wait for a finished run and open it again, five times at most."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    box = tab.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(
        has_text=FILTER_LABELS[key]
    )
    option = tab.get_by_role("option", name=value, exact=True)
    for _ in range(5):
        try:
            await tab.wait_for_function(NOT_RUNNING_JS, polling=POLL_MS, timeout=limit * 1000)
            await box.locator("input").first.click(timeout=15_000)
            await option.wait_for(state="visible", timeout=8_000)
            t0 = time.perf_counter()
            await option.click(timeout=8_000)
        except PlaywrightTimeout:
            await tab.keyboard.press("Escape")
            continue
        await tab.keyboard.press("Escape")
        return t0
    return None


class Session:
    """One browser context: a user who opens page after page, each on its own URL."""

    def __init__(self, index: int, context, args: argparse.Namespace, plan: dict, base: str, run):
        self.index, self.context, self.args = index, context, args
        self.plan, self.base, self.run = plan, base, run
        self.rng = random.Random(f"{args.seed}-{index}")
        self.where = "start"
        self.count = 0

    def _watch(self, tab) -> None:
        """Browser-side errors of whatever this session is doing when they happen."""
        s, run = self.index, self.run

        def on_console(msg) -> None:
            # "Failed to load resource" carries no URL: the response and requestfailed
            # handlers below judge those requests, with their URL
            if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
                run.error(s, self.where, "console error", msg.text)

        def on_response(response) -> None:
            if response.status < 400:
                return
            url = urllib.parse.urlsplit(response.url)
            if response.status == 404 and PROBE_404.match(url.path):
                run.noise["streamlit base-path probe (404)"] += 1
            else:
                run.error(s, self.where, "http", f"{response.status} {response.url}")

        def on_request_failed(request) -> None:
            host = urllib.parse.urlsplit(request.url).hostname
            failure = request.failure or ""
            if host != HOST:
                run.noise[f"blocked request to {host} (only {HOST} is allowed)"] += 1
            elif "ERR_ABORTED" in failure:
                run.noise["request aborted by the next navigation"] += 1
            else:
                run.error(s, self.where, "request failed", f"{failure} {request.url}")

        tab.on("console", on_console)
        tab.on("pageerror", lambda exc: run.error(s, self.where, "page error", str(exc)))
        tab.on("response", on_response)
        tab.on("requestfailed", on_request_failed)
        tab.on("crash", lambda _: run.error(s, self.where, "crash", "the page crashed"))

    async def _finish(self, tab, page: dict, kind: str, url: str, t0: float) -> dict:
        drawn_s, state = await wait_drawn(tab, t0, self.args.page_timeout)
        nav = {
            "session": self.index,
            "first": self.count == 0,  # all sessions open their first page at the same moment
            "start_s": round(t0 - self.run.t0, 2),
            "page": page["name"],
            "kind": kind,
            "url": url,
            "drawn_s": drawn_s,
            "charts": state["charts"] if state else None,
        }
        if drawn_s is None:
            nav["error"] = f"not drawn within {self.args.page_timeout:.0f} s"
            self.run.error(self.index, self.where, "not drawn", nav["error"])
        else:
            found = await tab.evaluate(ERRORS_JS)
            path = urllib.parse.urlsplit(tab.url).path.strip("/")
            if path != page["url_path"]:
                found.append(f"landed on /{path} instead of /{page['url_path']}")
            for text in found:
                self.run.error(self.index, self.where, "on the page", text)
            if found:
                nav["error"] = found[0]
        self.run.navigations.append(nav)
        self.count += 1
        return nav

    def _more(self, deadline: float) -> bool:
        return (
            not self.run.stop.is_set()
            and time.perf_counter() < deadline
            and self.count < self.args.max_navigations
        )

    def _failed(self, page: dict, kind: str, url: str, kind_of_error: str, text: str) -> None:
        """A navigation that broke off before the drawn check: an error, and counted."""
        self.run.error(self.index, self.where, kind_of_error, text)
        self.run.navigations.append(
            {"session": self.index, "first": self.count == 0, "page": page["name"],
             "kind": kind, "url": url, "drawn_s": None, "charts": None, "error": text[:300]}
        )  # fmt: skip
        self.count += 1

    async def browse(self, deadline: float) -> None:
        tab = await self.context.new_page()
        self._watch(tab)
        pages = self.plan["pages"]
        turn = self.index * max(1, len(pages) // max(1, self.args.sessions))
        while self._more(deadline):
            page = pages[turn % len(pages)]
            turn += 1
            params = random_query(self.rng, self.plan, page["name"])
            url = page_url(self.base, page, params)
            self.where = f"{page['name']} {url.removeprefix(self.base)}"
            t0 = time.perf_counter()
            try:
                await tab.goto(url, wait_until="commit", timeout=self.args.page_timeout * 1000)
                nav = await self._finish(tab, page, "url", url, t0)
            except Exception as e:  # a crashed or closed page: record it and open a new one
                self._failed(page, "url", url, "navigation", f"{type(e).__name__}: {e}")
                await tab.close()
                tab = await self.context.new_page()
                self._watch(tab)
                continue
            if nav.get("error") or not self._more(deadline):
                continue
            if self.rng.random() < self.args.ui_share:
                await self._change_in_sidebar(tab, page, params)

    async def _change_in_sidebar(self, tab, page: dict, params: dict[str, list[str]]) -> None:
        choices = [
            (key, value)
            for key in UI_FILTERS
            for value in self.plan["options"].get(key, [])
            if value not in params.get(key, [])
        ]
        if not choices:
            return
        key, value = self.rng.choice(choices)
        self.where = f"{page['name']} sidebar {key} += {value}"
        try:
            t0 = await pick_in_sidebar(tab, key, value, self.args.page_timeout)
            if t0 is None:
                text = f"the {key} dropdown never offered {value}"
                self._failed(page, "sidebar", tab.url, "sidebar", text)
                return
            # the rerun has started once the widget wrote the value to the URL
            await tab.wait_for_function(
                "([k, v]) => new URL(location.href).searchParams.getAll(k).includes(v)",
                arg=[key, value],
                polling=POLL_MS,
                timeout=self.args.page_timeout * 1000,
            )
            await self._finish(tab, page, "sidebar", tab.url, t0)
        except Exception as e:
            self._failed(page, "sidebar", tab.url, "sidebar", f"{type(e).__name__}: {e}")


# ---------------------------------------------------------------------------------------------
# The run


async def drive(args: argparse.Namespace, plan: dict, base: str, server) -> dict:
    from playwright.async_api import async_playwright

    run = Run()
    out: dict = {}
    async with async_playwright() as p:
        browsers = [
            await p.chromium.launch(executable_path=args.chromium, args=BROWSER_ARGS)
            for _ in range(max(1, min(args.browsers, args.sessions)))
        ]
        try:
            # one visit before the clock starts: the server's first script run pays the imports
            context = await browsers[0].new_context(viewport=VIEWPORT)
            tab = await context.new_page()
            t0 = time.perf_counter()
            try:
                await tab.goto(page_url(base, plan["pages"][0], {}), wait_until="commit")
                out["warmup_drawn_s"], _ = await wait_drawn(tab, t0, args.page_timeout)
            except Exception as e:
                run.error(-1, "warm-up", "navigation", f"{type(e).__name__}: {e}")
                out["warmup_drawn_s"] = None
            await context.close()
            if out["warmup_drawn_s"] is None:
                run.error(-1, "warm-up", "not drawn", "the first page never drew")

            contexts = [
                await browsers[i % len(browsers)].new_context(viewport=VIEWPORT)
                for i in range(args.sessions)
            ]
            sessions = [Session(i, c, args, plan, base, run) for i, c in enumerate(contexts)]
            run.t0 = time.perf_counter()
            deadline = run.t0 + args.seconds
            cpu_start = cpu_split(server.pid)
            loads = [os.getloadavg()[0]]
            client_pss = [0]

            async def watch_server() -> None:
                last = last_pss = time.perf_counter()
                while not run.stop.is_set():
                    if server.poll() is not None:
                        run.error(-1, "server", "server exited", f"exit code {server.returncode}")
                        run.stop.set()
                        return
                    loads.append(os.getloadavg()[0])
                    now = time.perf_counter()
                    if now - last_pss >= 5:
                        last_pss = now
                        client_pss.append(pss_bytes(client_pids(server.pid)))
                    if now - last >= args.progress:
                        last = now
                        done = [n["drawn_s"] for n in run.navigations if n["drawn_s"] is not None]
                        log(
                            f"{now - run.t0:5.0f} s: {len(run.navigations)} navigations, "
                            f"p50 {statistics.median(done) if done else 0:.2f} s, "
                            f"{len(run.errors)} errors, server RSS "
                            f"{_proc_status(server.pid).get('VmRSS', 0) / MB:,.0f} MB, "
                            f"load {loads[-1]:.1f}"
                        )
                    await asyncio.sleep(0.5)

            watcher = asyncio.create_task(watch_server())
            hard_limit = args.seconds + args.page_timeout * 2 + 30
            try:
                await asyncio.wait_for(
                    asyncio.gather(*(s.browse(deadline) for s in sessions)), hard_limit
                )
            except TimeoutError:
                run.error(-1, "run", "hard limit", f"sessions still busy after {hard_limit:.0f} s")
            out["wall_s"] = time.perf_counter() - run.t0
            cpu_end = cpu_split(server.pid)
            out["cpu_s"] = {k: round(cpu_end[k] - cpu_start[k], 1) for k in cpu_end}
            run.stop.set()
            await watcher
            out["loadavg_max_1m"] = round(max(loads), 2)
            out["browsers_peak_pss_bytes"] = max(client_pss)
            for c in contexts:
                await c.close()
        finally:
            for b in browsers:
                await b.close()
    out["run"] = run
    return out


def report_of(args, plan: dict, db: str, driven: dict, server_info: dict) -> dict:
    run: Run = driven["run"]
    navs = run.navigations
    drawn = [n for n in navs if n["drawn_s"] is not None]
    by_page: dict[str, list[float]] = defaultdict(list)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for n in drawn:
        by_page[n["page"]].append(n["drawn_s"])
        by_kind[n["kind"]].append(n["drawn_s"])
    names = [p["name"] for p in plan["pages"]]
    errors_by_page = Counter(n["page"] for n in navs if n.get("error"))
    return {
        "started": server_info["started"],
        "args": {k: v for k, v in vars(args).items()},
        "db": db,
        "partners": plan["partners"],
        "sessions": args.sessions,
        "seconds": args.seconds,
        "wall_s": round(driven.get("wall_s", 0.0), 1),
        "browsers": max(1, min(args.browsers, args.sessions)),
        "server": {
            "url": server_info["base"],
            "start_s": server_info["start_s"],
            "warmup_drawn_s": driven.get("warmup_drawn_s"),
            "exited_during_run": server_info["exited"],
        },
        "navigations": {
            "total": len(navs),
            "drawn": len(drawn),
            "by_kind": dict(Counter(n["kind"] for n in navs)),
            "by_page": {name: sum(1 for n in navs if n["page"] == name) for name in names},
            "drawn_by_page": {name: len(by_page.get(name, [])) for name in names},
            "without_charts": sum(1 for n in drawn if n["charts"] == 0),
        },
        "drawn_s": {
            "overall": summary([n["drawn_s"] for n in drawn]),
            "after_first_page": summary([n["drawn_s"] for n in drawn if not n["first"]]),
            "by_page": {name: summary(by_page.get(name, [])) for name in names},
            "by_kind": {kind: summary(v) for kind, v in by_kind.items()},
        },
        "errors": {
            "count": len(run.errors),
            "by_kind": dict(Counter(e["kind"] for e in run.errors)),
            "by_page": {name: errors_by_page.get(name, 0) for name in names},
            "first": run.errors[:10],
        },
        "not_errors": dict(run.noise),
        "peak_rss_mb": server_info["peak_rss_bytes"] / MB,
        "peak_tree_rss_sampled_mb": server_info["peak_tree_rss_bytes"] / MB,
        "browsers_peak_pss_sampled_mb": driven.get("browsers_peak_pss_bytes", 0) / MB,
        "idle_rss_mb": server_info["idle_rss_bytes"] / MB,
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_start": server_info["loadavg_start"],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "loadavg_max_1m": driven.get("loadavg_max_1m"),
            # CPU seconds during the run (processes alive at its end; about, not exact)
            "cpu_s_during_run": driven.get("cpu_s"),
            "versions": versions(),
        },
        "method": {
            "drawn": "page.goto(url, wait_until=commit), or the click on a sidebar option, to: "
            "stApp notRunning, an h1, no skeleton, every stPlotlyChart drawn by Plotly; still "
            f"so {DRAWN_CONFIRM_MS} ms later (bench.run DRAWN_JS with need='placed')",
            "memory": "VmHWM of the streamlit run process (/proc); 1 MB = 10^6 bytes",
            "pages": "each session visits every page of app.py in turn; filters drawn from the "
            f"database's values (each filter with p={P_FILTER}, as_of with p={P_AS_OF}); after a "
            f"drawn page, with p={args.ui_share}, one more value through the sidebar multiselect",
        },
        "navigation_log": navs,
    }


def print_table(r: dict) -> None:
    w = sys.stdout.write
    nav = r["navigations"]
    m = r["machine"]
    w("\nChannel Lens load test\n")
    w(
        f"  {r['sessions']} sessions for {r['seconds']} s ({r['wall_s']} s wall) in "
        f"{r['browsers']} headless Chromium, one streamlit run at {r['server']['url']}\n"
    )
    w(f"  database {r['db']} ({r['partners']:,} partners)\n")
    w(
        f"  {m['cpus']} cores; load average {m['loadavg_start']} at start, {m['loadavg_end']} at "
        f"end, highest 1-minute {m['loadavg_max_1m']}\n"
    )
    if m.get("cpu_s_during_run"):
        c = m["cpu_s_during_run"]
        w(
            f"  CPU seconds in the run: server {c['server']:,.0f}, Chromium and Playwright "
            f"{c['browsers']:,.0f}, this driver {c['this_process']:,.0f} "
            f"(of {m['cpus'] * r['wall_s']:,.0f} available)\n"
        )
    w(
        f"  navigations {nav['total']:,} ({nav['by_kind'].get('url', 0):,} by URL, "
        f"{nav['by_kind'].get('sidebar', 0):,} filter changes in the sidebar), drawn "
        f"{nav['drawn']:,}, of them without a chart (no partner matched) {nav['without_charts']}\n"
    )
    w(
        f"  server peak RSS (VmHWM) {r['peak_rss_mb']:,.0f} MB; idle after start "
        f"{r['idle_rss_mb']:,.0f} MB; Chromium and Playwright, sampled peak PSS "
        f"{r['browsers_peak_pss_sampled_mb']:,.0f} MB\n\n"
    )
    w(f"  {'time to a drawn page':<22} {'navs':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} errors\n")

    def row(label: str, s: dict, navs: int | str, errors: int | str) -> None:
        f = lambda v: f"{v:7.2f}" if v is not None else f"{'—':>7}"  # noqa: E731
        w(f"  {label:<22} {navs:>6} {f(s['p50_s'])} {f(s['p95_s'])} {f(s['max_s'])} {errors:>6}\n")

    for name, s in r["drawn_s"]["by_page"].items():
        row(name, s, nav["by_page"][name], r["errors"]["by_page"][name])
    for kind, s in r["drawn_s"]["by_kind"].items():
        row(f"({'URL' if kind == 'url' else 'sidebar change'})", s, nav["by_kind"][kind], "")
    after = r["drawn_s"]["after_first_page"]
    row("(after the first page)", after, after["n"], "")
    row("all", r["drawn_s"]["overall"], nav["total"], r["errors"]["count"])
    w(f"\n  errors: {r['errors']['count']}\n")
    for e in r["errors"]["first"][:5]:
        w(f"    session {e['session']} {e['where'][:70]}: {e['kind']}: {e['text'][:200]}\n")
    if r["not_errors"]:
        w("  not errors: " + "; ".join(f"{k} x{v}" for k, v in r["not_errors"].items()) + "\n")
    w("\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="database file (default: the cached 100,000-partner bench db)")
    ap.add_argument(
        "--partners", type=int, default=DEFAULT_PARTNERS, help="bench db size without --db"
    )
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=300.0)
    ap.add_argument("--max-navigations", type=int, default=500, help="per session (default 500)")
    ap.add_argument("--port", type=int, help="server port (default: a free one)")
    ap.add_argument("--host", default=HOST, help=f"only {HOST} is accepted")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the report")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--browsers", type=int, default=1, help="Chromium processes (default 1)")
    ap.add_argument("--ui-share", type=float, default=P_UI_CHANGE)
    ap.add_argument("--page-timeout", type=float, default=60.0)
    ap.add_argument("--progress", type=float, default=15.0, help="seconds between progress lines")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM") or CHROMIUM)
    args = ap.parse_args(argv)
    if args.host != HOST:
        ap.error(f"--host {args.host}: the load test runs against {HOST} only")
    if args.sessions < 1 or args.seconds <= 0 or args.max_navigations < 1:
        ap.error("--sessions, --seconds and --max-navigations must be positive")
    if not Path(args.chromium).exists():
        print(f"{args.chromium} not found (apt-get install chromium)", file=sys.stderr)
        return 2

    db = str(Path(args.db).resolve()) if args.db else ensure_db(args.partners, False)["db"]
    if not Path(db).exists():
        ap.error(f"--db {db}: no such file")
    plan = read_plan(db)
    port = args.port or _free_port()
    base = f"http://{HOST}:{port}"
    info: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "base": base,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    log(
        f"{args.sessions} sessions x {args.seconds:.0f} s against {base} on {db} "
        f"({plan['partners']:,} partners), pages {[p['name'] for p in plan['pages']]}"
    )
    log_file = tempfile.TemporaryFile()
    server = start_server(db, port, log_file)
    sampler = RssSampler(server.pid, interval=0.25)
    sampler.start()
    try:
        info["start_s"] = wait_healthy(server, base, log_file)
        info["idle_rss_bytes"] = _proc_status(server.pid).get("VmRSS", 0)
        driven = asyncio.run(drive(args, plan, base, server))
        info["exited"] = server.poll() is not None
    finally:
        stop_server(server)
        sampler.stop()
    info["peak_rss_bytes"] = sampler.hwm
    info["peak_tree_rss_bytes"] = sampler.peak_tree_rss
    log_file.seek(0)
    server_log = log_file.read().decode(errors="replace")
    log_file.close()
    run: Run = driven["run"]
    lines = server_log.splitlines()
    for i, line in enumerate(lines):
        if "Traceback (most recent call last)" in line:
            # the exception itself is the first line after the indented stack
            last = next((x for x in lines[i + 1 :] if x and not x[0].isspace()), line)
            run.error(-1, "server log", "traceback", last)
        elif re.search(r"\b(ERROR|CRITICAL)\b", line):
            run.error(-1, "server log", "error line", line)

    report = report_of(args, plan, db, driven, info)
    report["server_log_tail"] = server_log.splitlines()[-30:]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    print_table(report)
    try:
        shown = args.json.resolve().relative_to(ROOT)
    except ValueError:
        shown = args.json
    print(f"wrote {shown}")
    return 1 if report["errors"]["count"] else 0


if __name__ == "__main__":
    sys.exit(main())
