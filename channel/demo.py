"""Realistic, deterministic demo data written in the import contract.

``generate(out_dir, ...)`` writes the seven contract files as Parquet and returns the date they
describe. Partners are generated in chunks (``CHUNK_PARTNERS`` at a time, each chunk with its own
random streams derived from the seed), vectorised within a chunk (numpy arrays of partners x
quarters, then one array per deal); the only Python loops run over chunks, quarters, regions or
segments. Memory stays bounded at any number of partners, and the same arguments always give the
same files.

The data describes a real moment, ``data_as_of`` (by default today). Relative to it a fiscal
quarter is *complete* (ended on or before it), *in progress* (contains it) or *planned* (starts
after it). ``quarters`` counts the complete quarters of history; the quarter in progress comes on
top with its deals to date: won and lost deals closed on or before the date, open deals created
on or before it (their expected close may lie ahead). Targets cover every quarter of the fiscal
year that holds the quarter after the date's (the rest of this fiscal year; in its last quarter,
the whole next one), planned ones included, set the same way as for the others; vendor
priorities cover its fiscal years and investments run to the quarter in progress. On a
quarter's last day that quarter is complete. With ``end_quarter`` the data instead covers
complete quarters ending at that quarter, as of its last day, with targets up to it.

The model behind the numbers, so that the dashboard has something true to find:

* **Partner size** is lognormal per segment (SMB smallest, Enterprise largest; Distributors and
  Systems Integrators bigger), which puts roughly three quarters of the revenue in the top 20%
  of partners. Each partner grows (or, for a few, declines) at its own yearly rate, with
  fiscal-year-end seasonality.
* **Momentum lasts**: around that plan a partner's performance moves with a trend that persists
  for several quarters (a partner gaining or losing ground keeps doing so for a while, then
  levels off), plus a short-lived wobble. Since targets follow last year's run rate, a partner
  losing ground misses for several quarters in a row, and its falling attainment and revenue
  growth show it coming.
* **Deals**: the count per quarter follows the partner's revenue divided by its typical deal size.
  Deal size depends on the segment (SMB many small deals, Enterprise few large ones, Mixed a
  blend) and grows slowly with partner size. Deals bunch towards the end of the quarter, and
  bigger deals have longer sales cycles (about four weeks for $5,000, three months for $75,000).
  About 15% of deals are lost; open deals are expected to close in the last observed quarter (in
  progress, or the last complete one) or the one after it. The quarter in progress gets a whole
  quarter's deals cut at the date, so early in a quarter little revenue is booked yet.
* **The pipeline leads revenue**: a deal exists from its creation, a sales cycle before its
  close, so at the end of a quarter about three quarters of the next quarter's won revenue (a
  third of its deals, the bigger ones) is already in the pipeline. It is no oracle: a partner
  works about the deals its plan calls for and the lost ones follow the plan, not its
  performance, so in a slump its win rate falls and lost deals keep its pipeline fuller than
  the revenue to come; lost deals also run longer before they are given up.
* **Targets** are set from past performance plus growth: last year's run rate for the same
  quarter (the plan and the partner's momentum then, not its dips) times an uplift of 5-20%
  fixed per partner and fiscal year. Partners grow ~27% a year, so most hit often (about 70% of
  partner-quarters), but not always.
* **Partner effects persist**: ~18% of partners dip to 40-72% of their level for a quarter or
  two, then recover at their own pace: those with certified contacts within a quarter or two,
  those without any often only after a year or more. ~3.5% miss chronically (performance far
  below a plan they used to meet); ~3% decline year after year. About 10% joined during the
  window: no targets before they join, then a ramp.
  A target row goes missing now and then, and some new partners get a zero first target.
  ``program_tier`` comes from an earlier review of revenue, so decliners and chronic missers
  hold a tier they no longer earn, and fast growers earn more than they hold.
* **Verticals**: ~90% of partners declare a focus over 1-4 of ten verticals (in percent); deals
  follow the partner's real mix two times in three and are random otherwise; ~3% have no
  vertical. Vendor priorities shift between fiscal years (Healthcare up, Retail down, ...).
* **Investments** (MDF, Enablement, Co-selling, Rebates) broadly follow revenue, but some small
  partners get sizeable strategic MDF, and new partners get enablement before they sell.
* **Contacts** grow with partner size; technical staff are certified more often, and how much a
  partner invests in certification varies (and decides how fast it recovers from a dip).
  Partner managers cover one region each and own portfolios of very uneven size.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from channel import fiscal

# Tier floors on trailing-four-quarter won revenue (the settings defaults); the size model is
# calibrated so that every earned tier is populated.
TIER_FLOORS = (5_000_000.0, 1_000_000.0, 250_000.0)  # Platinum, Gold, Silver
TIERS = ("Platinum", "Gold", "Silver", "Registered")

SEGMENTS = ("SMB", "Midmarket", "Enterprise", "Mixed")
SEGMENT_SHARE = (0.46, 0.26, 0.10, 0.18)
# Median yearly revenue of a partner at the start of the window, and its spread (log scale).
SEGMENT_YEARLY_MEDIAN = (65_000.0, 240_000.0, 900_000.0, 200_000.0)
SEGMENT_SIZE_SIGMA = (1.1, 1.05, 1.05, 1.2)
# Deals: a small and a large profile per segment, the share of large deals, and the deal size
# of a median-sized partner. Mixed partners blend small and large deals.
DEAL_SMALL = (3_500.0, 16_000.0, 75_000.0, 5_000.0)
DEAL_LARGE = (12_000.0, 55_000.0, 260_000.0, 80_000.0)
DEAL_LARGE_SHARE = (0.05, 0.10, 0.15, 0.30)
DEAL_SIZE_SIGMA = 0.6
DEAL_SIZE_ELASTICITY = 0.45  # deal size ~ (partner size) ** elasticity
LOST_PER_WON = 0.18
OPEN_PER_QUARTER = 0.45  # open deals per partner, relative to its deals per quarter
# Sales cycles: the median for a $5,000 deal (longer for bigger ones, _cycle_days), and how
# much longer the deals that end up lost run.
CYCLE_DAYS = 26
LOST_CYCLE = 1.3

REGIONS = ("North America", "EMEA", "APAC", "LATAM")
REGION_SHARE = (0.42, 0.33, 0.16, 0.09)

PARTNER_TYPES = ("Reseller", "VAR", "MSP", "Systems Integrator", "Distributor")
PARTNER_TYPE_SHARE = (  # rows: segments
    (0.45, 0.20, 0.30, 0.03, 0.02),
    (0.25, 0.35, 0.20, 0.15, 0.05),
    (0.10, 0.25, 0.10, 0.45, 0.10),
    (0.30, 0.30, 0.20, 0.12, 0.08),
)
PARTNER_TYPE_SIZE = (1.0, 1.0, 0.9, 1.3, 2.5)

VERTICALS = (
    "Healthcare",
    "Manufacturing",
    "Financial Services",
    "Retail",
    "Public Sector",
    "Education",
    "Technology",
    "Energy & Utilities",
    "Telecommunications",
    "Media & Entertainment",
)
VERTICAL_POPULARITY = (0.14, 0.14, 0.13, 0.12, 0.10, 0.08, 0.12, 0.06, 0.06, 0.05)
# Vendor priority weights (0-5) in the fiscal year before the window, and their yearly drift.
PRIORITY_BASE = (3.0, 3.0, 4.0, 3.5, 2.0, 1.0, 2.5, 1.5, 1.0, 0.5)
PRIORITY_DRIFT = (0.75, 0.25, 0.0, -0.75, 0.5, 0.0, 0.25, 0.25, -0.25, -0.5)
FOCUS_FROM_MIX = 0.65  # share of a partner's deals drawn from its own vertical mix
NO_FOCUS_SHARE = 0.10
EMPTY_VERTICAL_SHARE = 0.03

PROGRAMS = ("MDF", "Enablement", "Co-selling", "Rebates")
ROLES = ("Sales", "Technical", "Marketing", "Executive", "Other")
ROLE_SHARE = (0.36, 0.28, 0.12, 0.14, 0.10)
ROLE_CERTIFIED = (0.20, 0.65, 0.05, 0.03, 0.10)

# Performance against plan on the log scale (_momentum): a level that moves with a lasting
# trend, plus a short-lived wobble. Each quarter the trend keeps TREND_KEEP of itself plus a
# fresh shock, and the level keeps LEVEL_KEEP of itself plus the trend. The level spreads
# partners by about 0.28 around plan, but targets follow it a year later, so what decides a
# miss is its change over a year (about 0.09) plus the wobble (0.05) and the quarter's luck
# (REVENUE_NOISE). Successive quarterly changes of the level correlate at about 0.8.
TREND_KEEP = 0.85
LEVEL_KEEP = 0.95
TREND_SHOCK = 0.015
WOBBLE_KEEP = 0.3
WOBBLE_SHOCK = 0.05
MOMENTUM_BURN_IN = 40  # quarters simulated before the window, so it starts at the long-run spread
REVENUE_NOISE = 0.06
# Dips (_dips): the share of partners with one, and the share of the loss still missing after
# each quarter of recovery for a partner without certified contacts, multiplied by
# RECOVERY_PER_CERTIFIED for each certified contact it has.
DIP_SHARE = 0.18
RECOVERY_KEEP = 0.85
RECOVERY_PER_CERTIFIED = 0.45

# Fiscal quarter seasonality (Q1..Q4): the year-end push.
SEASON = np.array([0.90, 0.97, 0.98, 1.15])  # mean 1

FIRST_NAMES = {
    "North America": (
        "James Mary Michael Jennifer David Sarah Robert Emily Daniel Jessica Chris Ashley Kevin "
        "Megan Brian Laura Jason Rachel Ryan Nicole Priya Wei Carlos Aisha Tyler Hannah Marcus "
        "Dana Jordan Alexis"
    ),
    "EMEA": (
        "Thomas Anna Lukas Sophie Jan Emma Pierre Claire Marco Giulia Lars Ingrid Oliver "
        "Charlotte Ahmed Fatima Pieter Sanne Mateusz Katarzyna Johan Elin Stefan Julia Niamh "
        "Sean Elena Matteo Camille Nils"
    ),
    "APAC": (
        "Wei Mei Hiroshi Yuki Min-jun Ji-woo Arjun Ananya Rahul Priya Jack Olivia Liam Chloe "
        "Siti Budi Thanh Linh Kenji Sakura Vikram Deepa Daniel Grace Raj Aiko Ethan Mia Tao Lan"
    ),
    "LATAM": (
        "Juan María José Ana Luis Carmen Carlos Lucía Pedro Camila Diego Valentina João "
        "Beatriz Rafael Mariana Andrés Sofía Fernando Gabriela Miguel Paula Ricardo Daniela "
        "Jorge Isabela Tomás Renata Pablo Julieta"
    ),
}
LAST_NAMES = {
    "North America": (
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
        "Martin Jackson Thompson White Harris Clark Lewis Walker Hall Young Patel Nguyen Kim "
        "Garcia Whitfield Brooks Bennett Foster"
    ),
    "EMEA": (
        "Müller Schmidt Dubois Martin Rossi Bianchi Jansen de_Vries Andersson Nielsen Kowalski "
        "Nowak O'Brien Murphy Hughes Evans Fischer Weber Moreau Lefebvre Ricci Larsen Virtanen "
        "Haddad Keller Brandt Novak Berg Costa Walsh"
    ),
    "APAC": (
        "Wang Li Zhang Chen Tanaka Suzuki Sato Kim Park Lee Sharma Gupta Singh Iyer Nguyen Tran "
        "Smith Wilson Tan Lim Wong Santos Reyes Kumar Ito Watanabe Choi Das Ong Huang"
    ),
    "LATAM": (
        "García Rodríguez Martínez López González Pérez Sánchez Ramírez Torres Flores Silva "
        "Santos Oliveira Souza Costa Pereira Fernández Gómez Díaz Castro Rojas Vargas Morales "
        "Herrera Medina Aguilar Ribeiro Almeida Navarro Romero"
    ),
}
NAME_PREFIX = (
    "North Blue Iron Silver Red Clear High Bright Stone Green Oak Cedar Eagle Fox Lake Sky Star "
    "West East Falcon"
).split()
NAME_TAIL = (
    "wind peak bridge line wood water point gate field haven ridge path wave crest view stream "
    "forge light rock vale"
).split()
NAME_BRAND = (
    "Apex Vertex Nimbus Quantum Pinnacle Keystone Meridian Horizon Catalyst Sentinel Zenith Atlas "
    "Beacon Vector Nexus Paragon Polaris Orion Titan Vanguard Lumen Kinetic Cobalt Onyx Helix "
    "Strata Axiom Evergreen Arcadia Sterling Trinity Summit Crescent Harbor Pioneer Alpine"
).split()
NAME_CORE = (
    "Systems|Networks|Technologies|Solutions|Data|Cloud Services|IT|Consulting|Digital|"
    "Integration|Computing|Infrastructure|Security|IT Services|Tech|Software|Group|Partners|"
    "IT Solutions|Business Systems"
).split("|")
LEGAL_SUFFIX = {
    "North America": ("Inc.", "LLC", "Corp.", "", "", "Inc.", ""),
    "EMEA": ("Ltd", "GmbH", "AG", "B.V.", "SAS", "S.r.l.", "AB", "plc", "GmbH", "S.L.", "A/S"),
    "APAC": ("Pty Ltd", "Pte Ltd", "K.K.", "Co., Ltd.", "Ltd", "Pvt Ltd", "Limited"),
    "LATAM": ("S.A.", "Ltda.", "S.A. de C.V.", "S.R.L.", "S.A.S.", "SpA"),
}

EPOCH = dt.date(1970, 1, 1)
FILES = (
    "partners",
    "contacts",
    "partner_verticals",
    "vendor_priorities",
    "targets",
    "deals",
    "investments",
)
# Partners generated at a time. Each chunk draws from its own random streams (derived from the
# seed and the chunk number), so memory stays bounded (about 0.9 GB peak for chunks of 25,000
# partners and their ~1.5 million deals) whatever the number of partners. The same arguments
# always give the same files; changing this constant changes the data, as a new seed would.
CHUNK_PARTNERS = 25_000
# Processes that generate chunks side by side (one per CPU, at most this many): each holds one
# chunk, about 0.9 GB at its peak.
MAX_WORKERS = 4


def generate(
    out_dir: Path,
    partners: int = 2000,
    quarters: int = 12,
    end_quarter: str | None = None,
    seed: int = 0,
    fiscal_year_start_month: int = 1,
    progress: Callable[[str], None] | None = None,
    chunk_partners: int = CHUNK_PARTNERS,
    data_as_of: dt.date | None = None,
    workers: int | None = None,
) -> dt.date:
    """Write the seven contract files as Parquet into out_dir; return the date they describe.

    The data describes one moment, ``data_as_of`` (by default today): ``quarters`` complete
    fiscal quarters of history, then the quarter containing that date *in progress* (its deals
    to date) unless the date is the quarter's last day, and targets for every quarter of the
    fiscal year that holds the quarter after it (in a fiscal year's last quarter, the whole next
    year), including the planned ones. With ``end_quarter`` (``"YYYY-Qn"``)
    instead, the data covers ``quarters`` complete quarters ending at that quarter, as of its
    last day, with targets up to it. The same arguments always give the same files (by default
    they depend on today's date only through the date). ``progress`` is called with a short
    message at each stage.

    Partners are generated ``chunk_partners`` at a time, and each file is written one chunk at
    a time (one Parquet file per table, one row group or more per chunk), so memory does not
    grow with ``partners``. Deals go first to a hidden spill file per chunk in ``out_dir``; a
    second pass numbers them in creation order across all chunks into ``deals.parquet``.
    With more than one chunk, ``workers`` processes (default: one per CPU, at most
    ``MAX_WORKERS``) generate the chunks side by side; the files are the same with any number.
    """
    if partners < 1 or quarters < 1:
        raise ValueError("partners and quarters must be at least 1")
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError("fiscal_year_start_month must be between 1 and 12")
    if chunk_partners < 1:
        raise ValueError("chunk_partners must be at least 1")
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    if end_quarter is not None and data_as_of is not None:
        raise ValueError("give end_quarter or data_as_of, not both")
    if data_as_of is not None and not isinstance(data_as_of, dt.date):
        raise TypeError(f"data_as_of must be a datetime.date, not {type(data_as_of).__name__}")
    if isinstance(data_as_of, dt.datetime):
        data_as_of = data_as_of.date()
    say = progress or (lambda _message: None)
    start_month = fiscal_year_start_month
    if end_quarter is not None:
        last = fiscal.parse_quarter(end_quarter)
        as_of = fiscal.quarter_end(last, start_month)
        plan_until = last  # no plan ahead
    else:
        as_of = data_as_of if data_as_of is not None else _today()
        current = fiscal.quarter_of(as_of, start_month)
        last = current if as_of == fiscal.quarter_end(current, start_month) else current - 1
        # targets to the end of the fiscal year of the quarter after the current one: the rest
        # of this fiscal year, and in its last quarter the whole next one (the plan is set by then)
        plan_until = (current + 1) // 4 * 4 + 3
    cal = _Calendar.build(last - quarters + 1, last, plan_until, as_of, start_month)
    # Program-wide draws (the manager roster, vendor priorities) use random stream (0,); the
    # partners of chunk k use stream (1, k).
    r_managers, r_prio = _streams(seed, (0,), 2)
    chunks = range(0, partners, chunk_partners)
    plural = "s" if len(chunks) != 1 else ""
    shape = [f"{cal.labels[0]} to {cal.labels[cal.complete - 1]} complete"]
    if cal.observed > cal.complete:
        shape.append(f"{cal.labels[cal.complete]} in progress")
    if cal.n > cal.observed:
        shape.append(f"targets to {cal.labels[-1]}")
    say(
        f"demo: {partners:,} partners as of {as_of.isoformat()}: {', '.join(shape)}"
        f" ({len(chunks):,} chunk{plural} of up to {chunk_partners:,} partners)"
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
    roster = _manager_roster(r_managers, partners)
    width = max(6, len(str(partners)))
    jobs = [
        _Chunk(seed, k, first, min(chunk_partners, partners - first), cal, roster, width, out_dir)
        for k, first in enumerate(chunks)
    ]
    created: list[tuple[np.ndarray, np.ndarray]] = []  # per chunk: (creation day, deals)
    try:
        with _Writers(out_dir) as out:
            out.write("vendor_priorities", _priorities(r_prio, cal))
            for job, (frames, days, deals) in zip(jobs, _run_chunks(jobs, workers), strict=True):
                created.append(days)
                for name, frame in frames.items():
                    out.write(name, frame)
                say(
                    f"demo: partners {job.first + 1:,} to {job.first + job.n:,}: {deals:,} deals,"
                    " contacts, targets and investments"
                )
            say(f"demo: numbering {sum(int(c.sum()) for _, c in created):,} deals")
            _number_deals(out, [job.spill for job in jobs], created)
    finally:
        for job in jobs:
            job.spill.unlink(missing_ok=True)
    for name in FILES:
        say(f"demo: wrote {name}.parquet ({out.rows[name]:,} rows)")
    return as_of


def _today() -> dt.date:
    """The default date the data describes (a seam for tests)."""
    return dt.date.today()


def _streams(seed: int, key: tuple[int, ...], count: int) -> list[np.random.Generator]:
    """``count`` independent generators for one part of the data (``key``) of one seed."""
    children = np.random.SeedSequence(seed, spawn_key=key).spawn(count)
    return [np.random.default_rng(child) for child in children]


@dataclass(frozen=True)
class _Chunk:
    """One chunk of partners to generate: ``n`` partners numbered from ``first`` + 1, drawn
    from the random streams (1, ``k``) of ``seed``; its deals go to ``spill``."""

    seed: int
    k: int
    first: int
    n: int
    cal: _Calendar
    roster: list[_Roster]
    width: int
    out_dir: Path

    @property
    def spill(self) -> Path:
        return self.out_dir / f".deals-{self.k:06d}.parquet"


ChunkResult = tuple[dict[str, pl.DataFrame], tuple[np.ndarray, np.ndarray], int]


def _make_chunk(job: _Chunk) -> ChunkResult:
    """Generate one chunk (in a worker process, or in this one): its deals are written to
    ``job.spill``; returns its other files' rows (in FILES order), (creation day, deals that
    day) and its number of deals."""
    r_partners, r_focus, r_perf, r_deals, r_contacts, r_invest = _streams(job.seed, (1, job.k), 6)
    m = _partners(r_partners, job.n, job.cal, job.first, job.width)
    _focus(r_focus, m)
    # Contacts before performance: how fast a partner recovers from a dip depends on its
    # certified contacts (each part keeps its own random stream).
    contacts = _contacts(r_contacts, m)
    _performance(r_perf, m, job.cal)
    deals = _deals(r_deals, m, job.cal)
    deals.write_parquet(job.spill, compression="lz4")
    days = deals["created_on"].cast(pl.Int32).to_numpy()
    frames = {
        "partners": _partners_frame(r_partners, m, job.roster),
        "contacts": contacts,
        "partner_verticals": _verticals_frame(m),
        "targets": _targets_frame(m, job.cal),
        "investments": _investments(r_invest, m, job.cal),
    }
    return frames, np.unique(days, return_counts=True), deals.height


def _run_chunks(jobs: list[_Chunk], workers: int) -> Iterator[ChunkResult]:
    """Each job's result, in the jobs' order. With more than one job and worker, ``workers``
    processes run them, at most ``workers`` + 1 ahead of the one being written, so that memory
    stays that of a few chunks."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _make_chunk(job)
        return
    # loky's processes (joblib's, already used for the miss forecast) start a fresh interpreter
    # that does not run the parent's __main__ again: multiprocessing's spawn would re-run a
    # Streamlit script there, and fork would copy Polars' and numpy's threads' locks
    from joblib.externals.loky import get_reusable_executor

    pool = get_reusable_executor(max_workers=min(workers, len(jobs)))
    pending: deque[Future[ChunkResult]] = deque()
    queued = iter(jobs)
    try:
        for job in queued:
            pending.append(pool.submit(_make_chunk, job))
            if len(pending) > workers:
                break
        while pending:
            result = pending.popleft().result()
            job = next(queued, None)
            if job is not None:
                pending.append(pool.submit(_make_chunk, job))
            yield result
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)  # the workers' memory goes back before the load starts


class _Writers:
    """One Parquet writer per contract file; each ``write`` appends a chunk of rows."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows = dict.fromkeys(FILES, 0)

    def __enter__(self) -> _Writers:
        return self

    def write(self, name: str, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        writer = self.writers.get(name)
        if writer is None:
            path = self.folder / f"{name}.parquet"
            writer = self.writers[name] = pq.ParquetWriter(path, table.schema, compression="zstd")
        if frame.height:
            writer.write_table(table.cast(writer.schema))
        self.rows[name] += frame.height

    def __exit__(self, *exc: object) -> None:
        for writer in self.writers.values():
            writer.close()


def _number_deals(
    out: _Writers, spills: list[Path], created: list[tuple[np.ndarray, np.ndarray]]
) -> None:
    """Write the spilled deals to deals.parquet with ids in creation order across all chunks.

    Each spill is sorted by creation day (then close day, then partner). A deal's number is the
    count of all deals created on an earlier day, plus those created on the same day in earlier
    chunks, plus its place among its own chunk's deals of that day: the order a single sort of
    every deal by (creation day, partner chunk) would give, without holding every deal at once.
    """
    total = sum(int(counts.sum()) for _, counts in created)
    width = max(8, len(str(total)))
    day = np.concatenate([days for days, _ in created])
    chunk = np.concatenate([np.full(len(days), k) for k, (days, _) in enumerate(created)])
    count = np.concatenate([counts for _, counts in created])
    order = np.lexsort((chunk, day))
    before = np.empty(len(order), dtype=np.int64)  # deals numbered before each (day, chunk)
    before[order] = np.cumsum(count[order]) - count[order]
    cells = np.cumsum([0] + [len(days) for days, _ in created])

    def numbered(k: int) -> pl.DataFrame:
        deals = pl.read_parquet(spills[k])
        days = deals["created_on"].cast(pl.Int32).to_numpy()
        group = np.searchsorted(created[k][0], days)  # this chunk's (day) cell of each deal
        first_in_day = np.searchsorted(days, days, side="left")
        number = before[cells[k] : cells[k + 1]][group] + (np.arange(len(days)) - first_in_day) + 1
        return deals.insert_column(0, _ids("D", number, width).alias("deal_id"))

    # the next chunk is read and numbered in a thread while this one is written
    with ThreadPoolExecutor(1) as pool:
        ahead = pool.submit(numbered, 0) if spills else None
        for k, spill in enumerate(spills):
            assert ahead is not None
            deals = ahead.result()
            ahead = pool.submit(numbered, k + 1) if k + 1 < len(spills) else None
            out.write("deals", deals)
            spill.unlink()


# --------------------------------------------------------------------------------------------
# Calendar and helpers


@dataclass(frozen=True)
class _Calendar:
    """The quarters the model covers: ``complete`` ones, then (when the data ends inside a
    quarter) the one in progress, then the planned quarters ahead (targets only).
    Quarters with deals are the first ``observed``; the model runs over all ``n``."""

    labels: list[str]  # "YYYY-Qn" per modelled quarter
    starts: np.ndarray  # first day (days since 1970-01-01) of modelled quarters and the next two
    fy: np.ndarray  # fiscal year per modelled quarter
    fq: np.ndarray  # quarter number 0..3 within the fiscal year
    complete: int  # quarters that ended on or before as_of
    observed: int  # quarters with deals: the complete ones and the one in progress, if any
    as_of: int  # the date the data describes (days since 1970-01-01); nothing happens after it

    @staticmethod
    def build(
        first: int, last_complete: int, plan_until: int, as_of: dt.date, start_month: int
    ) -> _Calendar:
        current = fiscal.quarter_of(as_of, start_month)  # last_complete or the one after it
        last = max(plan_until, current)
        idx = np.arange(first, last + 1)
        starts = [
            (fiscal.quarter_start(int(i), start_month) - EPOCH).days for i in range(first, last + 3)
        ]
        return _Calendar(
            labels=[fiscal.quarter_label(int(i)) for i in idx],
            starts=np.array(starts, dtype=np.int64),
            fy=idx // 4,
            fq=idx % 4,
            complete=last_complete - first + 1,
            observed=current - first + 1,
            as_of=(as_of - EPOCH).days,
        )

    @property
    def n(self) -> int:
        return len(self.labels)


def _pick(rng: np.random.Generator, probs, group: np.ndarray | None = None, n: int = 0):
    """Draw a category per row: from ``probs`` (K,) or, per ``group``, from row ``probs[g]``.

    Vectorised and memory-light: one ``searchsorted`` over the rows' cumulative sums, each row
    shifted by its group number.
    """
    p = np.atleast_2d(np.asarray(probs, dtype=float))
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    k = p.shape[1]
    if group is None:
        group = np.zeros(n, dtype=np.int64)
    flat = (cum + np.arange(p.shape[0])[:, None]).ravel()
    u = rng.random(len(group))
    return np.searchsorted(flat, group + u, side="right") - group * k


def _words(text: str | tuple[str, ...]) -> pl.Series:
    words = text.split() if isinstance(text, str) else list(text)
    return pl.Series([w.replace("_", " ") for w in words], dtype=pl.Utf8)


def _tier_of(revenue: np.ndarray) -> np.ndarray:
    """Tier index (0 Platinum .. 3 Registered) for yearly revenue."""
    floors = np.array(TIER_FLOORS)
    return (revenue[:, None] < floors[None, :]).sum(axis=1)


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """Ids like "P000042" for the 1-based ``numbers``, zero-padded to ``width`` digits."""
    digits = pl.Series(np.asarray(numbers, dtype=np.int64)).cast(pl.Utf8).str.zfill(width)
    return pl.select(pl.lit(prefix) + digits).to_series()


# --------------------------------------------------------------------------------------------
# Partners


@dataclass
class _Model:
    """One chunk of partners: ``n`` partners, numbered from ``offset`` + 1 in the whole program."""

    n: int
    offset: int
    id_width: int  # digits in a partner id (at least 6; 7 from 1,000,000 partners)
    segment: np.ndarray
    region: np.ndarray
    ptype: np.ndarray
    base: np.ndarray  # deseasonalised quarterly revenue at the start of the window
    growth: np.ndarray  # yearly growth rate
    join_t: np.ndarray  # covered quarter in which the partner joined (-1: before the window)
    joined_on: np.ndarray  # days since epoch
    chronic: np.ndarray  # bool
    deal_small: np.ndarray  # typical deal sizes for this partner
    deal_large: np.ndarray
    large_share: np.ndarray
    # filled in later
    mix_cum: np.ndarray | None = None  # (n, V) cumulative vertical mix the deals follow
    declared: pl.DataFrame | None = None  # partner_verticals rows
    # (n, Q) over every modelled quarter; revenue over the observed ones only
    plan: np.ndarray | None = None  # revenue the vendor plans with
    actual: np.ndarray | None = None  # expected revenue after dips and chronic misses
    revenue: np.ndarray | None = None  # won revenue realised by the data's date
    target: np.ndarray | None = None  # target (nan: no target row)
    held_tier: np.ndarray | None = None  # tier index, 4 = empty
    certified: np.ndarray | None = None  # certified contacts per partner

    def partner_ids(self, index: np.ndarray | None = None) -> pl.Series:
        """Partner ids of this chunk's partners at ``index`` (default: all, in order)."""
        local = np.arange(self.n) if index is None else np.asarray(index)
        return _ids("P", self.offset + local + 1, self.id_width)


def _partners(
    rng: np.random.Generator, n: int, cal: _Calendar, offset: int = 0, id_width: int = 6
) -> _Model:
    segment = _pick(rng, SEGMENT_SHARE, n=n)
    region = _pick(rng, REGION_SHARE, n=n)
    ptype = _pick(rng, PARTNER_TYPE_SHARE, segment)

    size = np.exp(
        np.log(np.take(SEGMENT_YEARLY_MEDIAN, segment) / 4)
        + np.take(SEGMENT_SIZE_SIGMA, segment) * rng.standard_normal(n)
    ) * np.take(PARTNER_TYPE_SIZE, ptype)

    # ~10% joined during the window (smaller, they ramp up), by the date the data describes;
    # the rest earlier, recent years more often (the program keeps recruiting).
    new = rng.random(n) < 0.10 if cal.observed > 1 else np.zeros(n, dtype=bool)
    join_t = np.where(new, rng.integers(1, max(cal.observed, 2), n), -1)
    window_start = cal.starts[0]
    joined_from = cal.starts[join_t.clip(0)]
    joined_until = np.minimum(cal.starts[join_t.clip(0) + 1], cal.as_of + 1)
    in_quarter = joined_from + (rng.random(n) * (joined_until - joined_from)).astype(np.int64)
    before = window_start - 30 - np.minimum(rng.exponential(4.5 * 365, n), 22 * 365).astype(int)
    joined_on = np.where(new, in_quarter, before)
    size = np.where(new, size * 0.6, size)

    growth = rng.normal(0.27, 0.04, n)
    decline = rng.random(n) < 0.03
    growth = np.where(decline, rng.uniform(-0.25, -0.05, n), growth)
    chronic = (rng.random(n) < 0.035) & ~new

    # Deal sizes grow slowly with partner size, relative to a median partner of the segment.
    rel = size / (np.take(SEGMENT_YEARLY_MEDIAN, segment) / 4)
    scale = rel**DEAL_SIZE_ELASTICITY
    return _Model(
        n=n,
        offset=offset,
        id_width=id_width,
        segment=segment,
        region=region,
        ptype=ptype,
        base=size,
        growth=growth,
        join_t=join_t,
        joined_on=joined_on,
        chronic=chronic,
        deal_small=np.take(DEAL_SMALL, segment) * scale,
        deal_large=np.take(DEAL_LARGE, segment) * scale,
        large_share=np.take(DEAL_LARGE_SHARE, segment),
    )


def _company_names(rng: np.random.Generator, m: _Model) -> pl.Series:
    """Company names like "Northwind Systems", "Apex IT Solutions GmbH", "Tanaka Data K.K."."""
    n = m.n

    def draw(words: pl.Series, size: int) -> pl.Series:
        return words.gather(rng.integers(0, len(words), size))

    compound = draw(_words(NAME_PREFIX), n) + draw(_words(NAME_TAIL), n)
    brand = draw(_words(NAME_BRAND), n)
    surname = pl.Series([""] * n, dtype=pl.Utf8)
    suffix = pl.Series([""] * n, dtype=pl.Utf8)
    for r, region in enumerate(REGIONS):
        rows = np.flatnonzero(m.region == r)
        surname = surname.scatter(rows, draw(_words(LAST_NAMES[region]), len(rows)))
        suffix = suffix.scatter(rows, draw(pl.Series(LEGAL_SUFFIX[region]), len(rows)))
    core = draw(_words(NAME_CORE), n)
    u = pl.Series(rng.random(n))
    return pl.select(
        pl.concat_str(
            [
                pl.when(pl.lit(u) < 0.45)
                .then(pl.lit(compound))
                .when(pl.lit(u) < 0.75)
                .then(pl.lit(brand))
                .otherwise(pl.lit(surname)),
                pl.lit(core),
                pl.lit(suffix),
            ],
            separator=" ",
        )
        .str.strip_chars()
        .str.replace(r"^de ", "De ")  # "De Vries IT B.V."
    ).to_series()


def _partners_frame(rng: np.random.Generator, m: _Model, roster: list[_Roster]) -> pl.DataFrame:
    names = _company_names(rng, m)
    managers = _managers(rng, m, roster)
    tier = pl.Series(list(TIERS) + [None], dtype=pl.Utf8).gather(m.held_tier)
    return pl.DataFrame(
        {
            "partner_id": m.partner_ids(),
            "partner_name": names,
            "segment": pl.Series(SEGMENTS).gather(m.segment),
            "region": pl.Series(REGIONS).gather(m.region),
            "partner_type": pl.Series(PARTNER_TYPES).gather(m.ptype),
            "program_tier": tier,
            "partner_manager": managers,
            "joined_on": _dates(m.joined_on),
        }
    )


def _person_names(rng: np.random.Generator, region: np.ndarray) -> pl.Series:
    """A human name per row, drawn from the row's region."""
    n = len(region)
    out = pl.Series([""] * n, dtype=pl.Utf8)
    for r, name in enumerate(REGIONS):
        rows = np.flatnonzero(region == r)
        if len(rows) == 0:
            continue
        firsts, lasts = _words(FIRST_NAMES[name]), _words(LAST_NAMES[name])
        full = (
            firsts.gather(rng.integers(0, len(firsts), len(rows)))
            + " "
            + lasts.gather(rng.integers(0, len(lasts), len(rows)))
        )
        out = out.scatter(rows, full)
    return out


@dataclass(frozen=True)
class _Roster:
    """The partner managers of one region and the share of its partners each one owns."""

    names: np.ndarray
    weights: np.ndarray


def _manager_roster(rng: np.random.Generator, partners: int) -> list[_Roster]:
    """~partners/150 (min 5) managers, each covering one region; Zipf-like portfolio sizes."""
    total = max(5, round(partners / 150))
    per_region = np.maximum(1, np.round(np.array(REGION_SHARE) * total).astype(int))
    roster = []
    taken: set[str] = set()
    for r, region in enumerate(REGIONS):
        firsts = FIRST_NAMES[region].split()
        lasts = [x.replace("_", " ") for x in LAST_NAMES[region].split()]
        pool = [f"{f} {x}" for f in firsts for x in lasts]
        if per_region[r] > len(pool) // 2:  # a very large program: add middle initials
            pool = [f"{f} {c}. {x}" for f in firsts for c in "ABCDEHJKLMRST" for x in lasts]
        pool = np.array(sorted(set(pool) - taken))
        names = rng.choice(pool, size=per_region[r], replace=False)
        taken.update(names.tolist())
        # Rank k gets weight 1 / (k + c): a few managers own large portfolios, most small ones.
        k = np.arange(1, per_region[r] + 1)
        roster.append(_Roster(names, 1.0 / (k + max(0.5, per_region[r] / 20))))
    return roster


def _managers(rng: np.random.Generator, m: _Model, roster: list[_Roster]) -> pl.Series:
    """Each partner's manager: one of its region's roster, drawn by portfolio weight."""
    out = np.empty(m.n, dtype=object)
    for r, managers in enumerate(roster):
        rows = np.flatnonzero(m.region == r)
        out[rows] = managers.names[_pick(rng, managers.weights, n=len(rows))]
    return pl.Series(out.tolist(), dtype=pl.Utf8)


# --------------------------------------------------------------------------------------------
# Verticals and priorities


def _focus(rng: np.random.Generator, m: _Model) -> None:
    """Each partner's real vertical mix; ~90% declare it (in percent, rounded to 5)."""
    n, v = m.n, len(VERTICALS)
    k = _pick(rng, (0.25, 0.35, 0.28, 0.12), n=n) + 1
    # Weighted sampling without replacement: Gumbel top-k on the vertical popularity.
    keys = np.log(VERTICAL_POPULARITY)[None, :] + rng.gumbel(size=(n, v))
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    chosen = rank < k[:, None]
    raw = np.where(chosen, rng.gamma(2.0, 1.0, (n, v)), 0.0)
    share = raw / raw.sum(axis=1, keepdims=True)
    pct = np.where(chosen, np.maximum(5.0, np.round(share * 20) * 5), 0.0)
    top = np.argmax(pct, axis=1)
    pct[np.arange(n), top] += 100.0 - pct.sum(axis=1)
    m.mix_cum = np.cumsum(pct / 100.0, axis=1)
    m.mix_cum[:, -1] = 1.0

    declares = rng.random(n) >= NO_FOCUS_SHARE
    p_idx, v_idx = np.nonzero(chosen & declares[:, None])
    m.declared = pl.DataFrame(
        {
            "partner": p_idx,
            "vertical": pl.Series(VERTICALS).gather(v_idx),
            "focus_share": pct[p_idx, v_idx],
        }
    )


def _verticals_frame(m: _Model) -> pl.DataFrame:
    d = m.declared
    return pl.DataFrame(
        {
            "partner_id": m.partner_ids(d["partner"].to_numpy()),
            "vertical": d["vertical"],
            "focus_share": d["focus_share"].cast(pl.Float64),
        }
    )


def _priorities(rng: np.random.Generator, cal: _Calendar) -> pl.DataFrame:
    """One weight per vertical and fiscal year (plus the year before the window)."""
    years = np.arange(int(cal.fy[0]) - 1, int(cal.fy[-1]) + 1)
    steps = np.arange(len(years))[:, None]
    noise = np.cumsum(rng.normal(0.0, 0.35, (len(years), len(VERTICALS))), axis=0)
    noise[0] = 0.0
    w = np.array(PRIORITY_BASE)[None, :] + np.array(PRIORITY_DRIFT)[None, :] * steps + noise
    w = np.clip(np.round(w * 2) / 2, 0.0, 5.0)
    return pl.DataFrame(
        {
            "fiscal_year": pl.Series(np.repeat(years, len(VERTICALS)), dtype=pl.Int32),
            "vertical": pl.Series(list(VERTICALS) * len(years)),
            "priority_weight": w.ravel().astype(np.float64),
        }
    )


# --------------------------------------------------------------------------------------------
# Performance and targets


def _performance(rng: np.random.Generator, m: _Model, cal: _Calendar) -> None:
    """Plan, expected revenue and targets over every modelled quarter, planned ones included."""
    n, q = m.n, cal.n
    t = np.arange(q)[None, :]
    season = SEASON[cal.fq][None, :]
    active = t > m.join_t[:, None]
    ramp = np.where(active, np.clip((t - m.join_t[:, None]) / 4, 0, 1), 0.0)
    ramp = np.where(m.join_t[:, None] < 0, 1.0, ramp)
    g = (1 + m.growth)[:, None]
    plan = m.base[:, None] * g ** (t / 4) * season * ramp

    level, wobble = _momentum(rng, n, q)
    chronic = np.where(m.chronic, rng.uniform(0.30, 0.65, n), 1.0)[:, None]
    m.plan = plan
    m.actual = plan * np.exp(level[:, 4:] + wobble + _dips(rng, m, cal)) * chronic

    # Targets: last year's run rate for the same quarter plus an uplift fixed per fiscal year;
    # the planned quarters ahead get theirs the same way.
    years = cal.fy - cal.fy[0]
    uplift = rng.uniform(1.05, 1.20, (n, int(years.max()) + 1))[:, years]
    # The run rate is the partner's level a year earlier (its momentum, not its dips or a
    # chronic slump, which the plan does not take in).
    run_rate = np.exp(level[:, :q])
    target = m.base[:, None] * g ** ((t - 4) / 4) * season * ramp * uplift * run_rate
    target = np.where(target < 50_000, np.round(target, -2), np.round(target, -3))
    has_target = active & (rng.random((n, q)) >= 0.015)  # a missing row now and then
    # A new partner's first quarter often has a zero "onboarding" target.
    first_q = (t == (m.join_t + 1)[:, None]) & (m.join_t >= 0)[:, None]
    target = np.where(first_q & (rng.random((n, 1)) < 0.3), 0.0, target)
    m.target = np.where(has_target, target, np.nan)

    # The tier held comes from the last program review: yearly plan revenue two fiscal years
    # before the last complete quarter (chronic missers were reviewed before their slump), with
    # some noise.
    review = (
        m.base * (1 + m.growth) ** ((cal.complete - 8) / 4) * 4 * np.exp(rng.normal(0, 0.15, n))
    )
    held = _tier_of(review)
    bump = rng.random(n)
    held = np.where((bump < 0.03) & (held > 0), held - 1, held)  # strategic promotions
    held = np.where(m.join_t >= 0, 3, held)  # new partners start Registered
    held = np.where(bump > 0.98, 4, held)  # no tier recorded
    m.held_tier = held


def _momentum(rng: np.random.Generator, n: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Performance against plan on the log scale: the level, (n, q + 4), from four quarters
    before the first modelled one (targets follow it a year later), and the wobble, (n, q).

    A partner's level follows a local trend: each quarter the level keeps most of itself and
    adds the trend, and the trend keeps most of itself, so a partner gaining (or losing) ground
    keeps doing so for several quarters before it levels off. Targets are set from last year's
    run rate, so a partner losing ground misses quarter after quarter until its targets catch
    up, and its attainment trend and revenue growth say so before the misses come. A short-lived
    wobble on top adds the quarter-to-quarter noise. Both start from their long-run spread
    (``MOMENTUM_BURN_IN`` quarters before the window), so the first quarters are like the rest.
    """
    trend = np.zeros(n)
    now = np.zeros(n)
    noise = np.zeros(n)
    level = np.empty((n, q + 4))
    wobble = np.empty((n, q))
    for j in range(-MOMENTUM_BURN_IN, q):
        trend = TREND_KEEP * trend + rng.normal(0, TREND_SHOCK, n)
        now = LEVEL_KEEP * now + trend
        noise = WOBBLE_KEEP * noise + rng.normal(0, WOBBLE_SHOCK, n)
        if j >= -4:
            level[:, j + 4] = now
        if j >= 0:
            wobble[:, j] = noise
    return level, wobble


def _dips(rng: np.random.Generator, m: _Model, cal: _Calendar) -> np.ndarray:
    """The dips on the log scale, (n, q): 0 outside a dip.

    A dipping partner (a lost key account, a team that left) falls to 40-72% of its level for
    one or two quarters, then recovers at its own pace: each quarter it wins back a share of
    what is still missing. Partners with certified contacts recover faster (trained people
    rebuild a pipeline sooner), so the ``certified`` count the forecast reads tells a quick
    recovery from a slow one: without any, 85% of the loss is still missing after the first
    quarter of recovery and about half of it a year later; with two, about 17%, then next to
    nothing. Bigger partners have more contacts, so more of them recover quickly.
    """
    n, q = m.n, cal.n
    t = np.arange(q)[None, :]
    dipping = rng.random(n) < DIP_SHARE
    start = rng.integers(0, cal.observed, n)  # a dip starts in a quarter with deals
    hard = rng.integers(1, 3, n)  # quarters at the bottom
    depth = np.log(rng.uniform(0.40, 0.72, n))
    # What is still missing after each quarter of recovery (0: back at once; 1: never).
    keeps = RECOVERY_KEEP * RECOVERY_PER_CERTIFIED ** np.minimum(m.certified, 6)
    keeps = np.clip(keeps * np.exp(rng.normal(0, 0.2, n)), 0.05, 0.92)
    since = t - start[:, None]  # quarters since the dip began
    recovering = np.maximum(since - hard[:, None] + 1, 0)
    shape = keeps[:, None] ** recovering
    return np.where(dipping[:, None] & (since >= 0), depth[:, None] * shape, 0.0)


def _targets_frame(m: _Model, cal: _Calendar) -> pl.DataFrame:
    p_idx, t_idx = np.nonzero(~np.isnan(m.target))
    return pl.DataFrame(
        {
            "partner_id": m.partner_ids(p_idx),
            "fiscal_quarter": pl.Series(cal.labels).gather(t_idx),
            "target_amount": m.target[p_idx, t_idx].astype(np.float64),
        }
    )


# --------------------------------------------------------------------------------------------
# Deals


def _deal_amounts(rng: np.random.Generator, m: _Model, partner: np.ndarray) -> np.ndarray:
    large = rng.random(len(partner)) < m.large_share[partner]
    median = np.where(large, m.deal_large[partner], m.deal_small[partner])
    return median * np.exp(DEAL_SIZE_SIGMA * rng.standard_normal(len(partner)))


def _deal_verticals(rng: np.random.Generator, m: _Model, partner: np.ndarray) -> pl.Series:
    n = len(partner)
    own = _pick(rng, np.diff(m.mix_cum, axis=1, prepend=0.0), partner)
    other = _pick(rng, VERTICAL_POPULARITY, n=n)
    u = rng.random(n)
    v = np.where(u < FOCUS_FROM_MIX, own, other)
    v = np.where(u > 1 - EMPTY_VERTICAL_SHARE, len(VERTICALS), v)
    return pl.Series(list(VERTICALS) + [None], dtype=pl.Utf8).gather(v)


def _close_days(rng: np.random.Generator, cal: _Calendar, t: np.ndarray) -> np.ndarray:
    """A close date in quarter t, bunched towards the end of the quarter (whole quarters: the
    one in progress is cut at the data's date afterwards)."""
    length = cal.starts[t + 1] - cal.starts[t]
    return cal.starts[t] + np.minimum((length * rng.random(len(t)) ** 0.65), length - 1).astype(
        np.int64
    )


def _cycle_days(rng: np.random.Generator, amount: np.ndarray) -> np.ndarray:
    """Sales cycle in days: longer for bigger deals."""
    median = CYCLE_DAYS * (np.maximum(amount, 500) / 5_000) ** 0.45
    return np.clip(median * np.exp(0.5 * rng.standard_normal(len(amount))), 1, 450).astype(np.int64)


def _deals(rng: np.random.Generator, m: _Model, cal: _Calendar) -> pl.DataFrame:
    """Won, lost and open deals of the observed quarters, as of the data's date.

    The quarter in progress gets a whole quarter's deals, drawn like any other's, cut at the
    date: a deal that closes after it is still open on it, with its close date as the expected
    one, if it was created by then, and is left out if it was not. So early in a quarter little
    is booked yet, and the pipeline due by the quarter's end is drawn like a past quarter's seen
    on the same day (the nowcast learns from those, channel/nowcast.py).
    """
    n, q = m.n, cal.observed
    actual = m.actual[:, :q]
    mean_deal = ((1 - m.large_share) * m.deal_small + m.large_share * m.deal_large) * np.exp(
        DEAL_SIZE_SIGMA**2 / 2
    )
    lam = actual / mean_deal[:, None]
    active = actual > 0
    # At least one deal in an active quarter once a partner expects one or more.
    won_n = np.where(lam < 1, rng.poisson(lam), 1 + rng.poisson(np.maximum(lam - 1, 0)))
    won_n = np.where(active, won_n, 0)
    cell = np.repeat(np.arange(n * q), won_n.ravel())
    partner, t = cell // q, cell % q
    raw = _deal_amounts(rng, m, partner)
    # Scale each partner-quarter's deals to its revenue, with a little quarter noise.
    revenue = actual * np.exp(rng.normal(0, REVENUE_NOISE, (n, q)))
    drawn = np.bincount(cell, raw, minlength=n * q)
    factor = np.divide(revenue.ravel(), drawn, out=np.zeros(n * q), where=drawn > 0)
    won_amount = np.round(np.maximum(raw * factor[cell], 100.0), 2)  # no deal below $100

    # A partner works about the deals its plan calls for: the won ones follow its performance,
    # the lost ones its plan. In a slump it wins fewer of the deals it works (its win rate falls
    # with its revenue), and the lost deals keep its pipeline fuller than the revenue to come.
    lost_n = np.where(active, rng.poisson(m.plan[:, :q] / mean_deal[:, None] * LOST_PER_WON), 0)
    lost_cell = np.repeat(np.arange(n * q), lost_n.ravel())
    lost_partner, lost_t = lost_cell // q, lost_cell % q
    lost_amount = np.round(_deal_amounts(rng, m, lost_partner) * 1.15, 2)

    # Open pipeline: expected close in the last observed quarter (the one in progress, or the
    # last complete one; slipping when already past) or the next one.
    expected = m.base * (1 + m.growth) ** ((q - 1) / 4) / mean_deal
    open_n = rng.poisson(expected * OPEN_PER_QUARTER)
    open_partner = np.repeat(np.arange(n), open_n)
    span = cal.starts[q + 1] - cal.starts[q - 1]
    open_close = cal.starts[q - 1] + (rng.random(len(open_partner)) * span).astype(np.int64)
    open_close = np.maximum(open_close, m.joined_on[open_partner] + 7)
    open_amount = np.round(_deal_amounts(rng, m, open_partner), 2)

    partner_all = np.concatenate([partner, lost_partner, open_partner])
    amount = np.concatenate([won_amount, lost_amount, open_amount])
    closed = np.concatenate([_close_days(rng, cal, t), _close_days(rng, cal, lost_t), open_close])
    status = np.concatenate(
        [
            np.zeros(len(partner), np.int8),
            np.ones(len(lost_partner), np.int8),
            np.full(len(open_partner), 2, np.int8),
        ]
    )
    # Deals that end up lost drag on longer before they are given up.
    cycle = _cycle_days(rng, amount)
    cycle = np.where(status == 1, np.round(cycle * LOST_CYCLE).astype(np.int64), cycle)
    created = closed - cycle
    # Nothing is created after the data's date: open deals expected to close later were
    # created in the last weeks. And deals start once a partner joined.
    last_day = cal.as_of
    late = created > last_day
    # won or lost after the date: open on it if it existed then, else not there yet
    pending = (status != 2) & (closed > last_day)
    unborn = pending & late
    status = np.where(pending & ~late, np.int8(2), status)
    created = np.where(late, last_day - rng.integers(0, 91, len(created)), created)
    created = np.minimum(np.maximum(created, m.joined_on[partner_all]), closed)
    vertical = _deal_verticals(rng, m, partner_all)

    # The quarter in progress: won and lost deals only up to the data's date.
    booked = closed[: len(partner)] <= last_day
    m.revenue = np.bincount(cell[booked], won_amount[booked], minlength=n * q).reshape(n, q)
    keep = np.flatnonzero(((status == 2) | (closed <= last_day)) & ~unborn)
    if len(keep) < len(status):
        partner_all, amount, closed = partner_all[keep], amount[keep], closed[keep]
        created, status, vertical = created[keep], status[keep], vertical.gather(keep)

    # Sorted in creation order: deal ids follow it, like a CRM's auto-number (_number_deals).
    order = np.lexsort((partner_all, closed, created))
    return pl.DataFrame(
        {
            "partner_id": m.partner_ids(partner_all[order]),
            "amount": amount[order],
            "closed_on": _dates(closed[order]),
            "status": pl.Series(["won", "lost", "open"]).gather(status[order]),
            "vertical": vertical.gather(order),
            "created_on": _dates(created[order]),
        }
    )


# --------------------------------------------------------------------------------------------
# Contacts and investments


def _contacts(rng: np.random.Generator, m: _Model) -> pl.DataFrame:
    """Contacts of each partner, with roles and certifications; sets ``m.certified``."""
    yearly = m.base * 4
    count = np.round(1.5 + 1.6 * np.log1p(yearly / 50_000) + rng.normal(0, 1.0, m.n))
    count = np.clip(count, 1, 12).astype(np.int64)
    partner = np.repeat(np.arange(m.n), count)
    start = np.repeat(np.cumsum(count) - count, count)
    rank = np.arange(len(partner)) - start  # 0 for a partner's first contact
    # The first contact is the account's sales lead, the second usually its technical lead.
    role = _pick(rng, ROLE_SHARE, n=len(partner))
    role = np.where(rank == 0, 0, np.where((rank == 1) & (rng.random(len(partner)) < 0.8), 1, role))
    # How much a partner invests in certification varies a lot (some none at all).
    keen = rng.beta(1.5, 1.2, m.n) * 1.6
    p_cert = np.take(ROLE_CERTIFIED, role) * keen[partner]
    certified = rng.random(len(partner)) < np.clip(p_cert, 0, 0.95)
    m.certified = np.bincount(partner, certified, minlength=m.n).astype(np.int64)
    return pl.DataFrame(
        {
            "partner_id": m.partner_ids(partner),
            "contact_name": _person_names(rng, m.region[partner]),
            "role": pl.Series(ROLES).gather(role),
            "is_certified": pl.Series(certified, dtype=pl.Boolean),
        }
    )


def _investments(rng: np.random.Generator, m: _Model, cal: _Calendar) -> pl.DataFrame:
    """Investments in the observed quarters (the one in progress included, as committed)."""
    n, q = m.n, cal.observed
    t = np.arange(q)[None, :]
    live = t >= m.join_t[:, None]
    plan = m.plan[:, :q]
    held = m.held_tier[:, None]

    # MDF: most tiered partners, a few Registered, and strategic bets on small partners.
    mdf_in = np.where(m.held_tier <= 2, rng.random(n) < 0.55, rng.random(n) < 0.06)
    bet = (rng.random(n) < 0.03) & (m.base * 4 < TIER_FLOORS[2])
    mdf = np.where(
        mdf_in[:, None],
        np.maximum(2_000, 0.04 * plan * np.exp(rng.normal(0, 0.5, (n, q)))),
        0.0,
    )
    mdf = np.where(bet[:, None], rng.uniform(15_000, 60_000, (n, q)), mdf)
    mdf = np.where(rng.random((n, q)) < 0.7, np.round(mdf, -2), 0.0)

    # Enablement: onboarding for new partners, occasional training for the rest.
    onboarding = (t >= m.join_t[:, None]) & (t <= m.join_t[:, None] + 2) & (m.join_t[:, None] >= 0)
    trains = (rng.random(n) < 0.2)[:, None] & (rng.random((n, q)) < 0.35)
    enable = np.where(
        onboarding | trains, np.round(rng.lognormal(np.log(6_000), 0.5, (n, q)), -2), 0.0
    )

    # Co-selling: vendor sellers' time on large deals, mostly with bigger partners.
    big = (plan.mean(axis=1) * 4 >= TIER_FLOORS[1]) & (rng.random(n) < 0.4)
    cosell_in = big | (rng.random(n) < 0.01)
    cosell = np.where(
        cosell_in[:, None] & (rng.random((n, q)) < 0.6),
        np.round(np.maximum(5_000, 0.015 * plan * np.exp(rng.normal(0, 0.4, (n, q)))), -2),
        0.0,
    )

    # Rebates: a share of the quarter's won revenue, by held tier.
    rate = np.select([held == 0, held == 1, held == 2], [0.04, 0.03, 0.015], 0.0)
    rebates = np.where(rng.random((n, q)) < 0.95, np.round(rate * m.revenue, 2), 0.0)

    amounts = np.stack([mdf, enable, cosell, rebates], axis=2)  # (n, q, program)
    amounts = np.where(live[:, :, None], amounts, 0.0)
    p_idx, t_idx, g_idx = np.nonzero(amounts > 0)
    return pl.DataFrame(
        {
            "partner_id": m.partner_ids(p_idx),
            "fiscal_quarter": pl.Series(cal.labels).gather(t_idx),
            "program": pl.Series(PROGRAMS).gather(g_idx),
            "amount": amounts[p_idx, t_idx, g_idx].astype(np.float64),
        }
    )
