"""The Import data page (pages/import_data.py), through app.py in AppTest.

Each test runs the app on a copy of the tiny database in ``tmp_path``, with a settings file of
its own (``allow_import = true``) and the upload folders redirected under ``tmp_path`` (the page
keeps them under ``tempfile.gettempdir()``). Fixtures: tests/data/crm/; the tables they import to
are worked out by hand in tests/test_ingest_import.py.
"""

from __future__ import annotations

import fcntl
import io
import shutil
import tempfile
import tomllib
import zipfile
from pathlib import Path

import polars as pl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from channel.cli import main
from channel.contract import TABLES
from channel.ingest import readers
from channel.ingest import workbench as wb
from channel.runner import database
from tests.helpers import digest

APP = Path(__file__).resolve().parent.parent / "app.py"
CRM = Path(__file__).parent / "data" / "crm"
SF = CRM / "salesforce" / "opportunities.csv"
HUBSPOT = CRM / "hubspot" / "deals.csv"
EURO = [CRM / "european" / "konten.csv", CRM / "european" / "auftraege.csv"]
SAMPLE = [
    CRM / "crm_sample" / f"{n}.csv"
    for n in ("accounts", "sales_pipeline", "sales_teams", "products")
]
PROBLEM_COLUMNS = ["file", "line", "column", "value", "problem", "rule"]

# A saved mapping written by hand for the Salesforce report, without the preset's "*" stage
# fallback: a stage it does not name stops the import.
SF_SAVED = b"""
[defaults]
date_format = "%m/%d/%Y"

[deals]
file = "opportunities.csv"

[deals.columns]
deal_id = "Opportunity ID"
partner_id = "Partner Account"
amount = "Amount"
closed_on = "Close Date"
created_on = "Created Date"
status = { column = "Stage", map = { "Closed Won" = "won", "Closed Lost" = "lost" } }

[partners]
from_deals = true

[partners.columns]
partner_name = "Partner Account"
"""


def rows(db: Path, sql: str) -> list[tuple]:
    """``sql`` on ``db`` through the app's own connection, which follows a load's swap (a plain
    ``duckdb.connect`` in this process would get DuckDB's cached instance of the old file while
    the app still holds it open)."""
    with database(db).cursor() as cur:
        return cur.sql(sql).fetchall()


def tables(db: Path) -> dict[str, list[tuple]]:
    """Every contract table and partner_quarter, rows sorted."""
    names = [t.name for t in TABLES] + ["partner_quarter"]
    with database(db).cursor() as cur:
        return {n: sorted(cur.table(n).fetchall(), key=repr) for n in names}


class Page:
    """The app in AppTest, opened on the Import data page, with helpers for its widgets."""

    def __init__(self, db: Path, uploads: Path):
        self.db = db
        self.uploads = uploads  # tempfile.gettempdir() for this test
        self.at = AppTest.from_file(str(APP), default_timeout=60).run()
        assert not self.at.exception
        self.at.switch_page("pages/import_data.py").run()
        assert not self.at.exception

    def upload(self, *files: Path | tuple[str, bytes], mime: str = "text/csv") -> Page:
        for f in files:
            name, data = (f.name, f.read_bytes()) if isinstance(f, Path) else f
            self.at.file_uploader[0].upload(name, data, mime)
        self.at.run()
        return self

    def start_from(self, start: str, saved: bytes | None = None) -> Page:
        self.at.radio(key="import_start").set_value(start).run()
        if saved is not None:
            self.at.file_uploader[1].upload("mapping.toml", saved, "application/toml").run()
        return self

    def button(self, suffix: str):
        (button,) = [b for b in self.at.button if b.key and b.key.endswith(f":{suffix}")]
        return button

    def check(self) -> Page:
        self.button("check").click().run()
        return self

    def load(self) -> Page:
        self.button("load").click().run()
        return self

    def boxes(self) -> dict[str, object]:
        """Every mapping select box by its key without the generation (``deals:amount:src``)."""
        return {
            b.key.split(":", 1)[1]: b.value for b in self.at.selectbox if b.key.startswith("imp")
        }

    def box(self, key: str):
        (box,) = [b for b in self.at.selectbox if b.key and b.key.split(":", 1)[-1] == key]
        return box

    def problems(self) -> list[dict]:
        """The full problem listing (the table under "Every problem listed")."""
        tables = [d.value for d in self.at.dataframe if list(d.value.columns) == PROBLEM_COLUMNS]
        assert len(tables) == 1
        return tables[0].astype(object).where(tables[0].notna(), None).to_dict("records")

    def head(self, table: str):
        """A preview table by its columns' first name (``deal_id``: deals)."""
        first = {"deals": "deal_id", "partners": "partner_id", "targets": "partner_id"}
        wanted = {"deals": "amount", "partners": "segment", "targets": "target_amount"}[table]
        found = [
            d.value
            for d in self.at.dataframe
            if list(d.value.columns)[:1] == [first[table]] and wanted in d.value.columns
        ]
        assert len(found) == 1
        return found[0]

    @property
    def state(self) -> dict:
        return self.at.session_state["import_state"]

    def folders(self) -> list[Path]:
        return sorted(self.uploads.glob(f"{wb.UPLOAD_PREFIX}*"))

    def shown(self) -> str:
        """Every message, caption and table cell the run drew, as one string."""
        parts = []
        for kind in ("error", "warning", "info", "success", "caption", "markdown", "code"):
            parts += [str(e.value) for e in getattr(self.at, kind)]
        parts += [d.value.to_csv() for d in self.at.dataframe]
        parts += [str(e.label) for e in self.at.get("expandable")]
        return "\n".join(parts)


@pytest.fixture
def page(tmp_path, tiny_db, monkeypatch):
    """``page()`` -> a fresh ``Page`` on a copy of the tiny database, import allowed."""
    db = tmp_path / "live.duckdb"
    shutil.copyfile(tiny_db, db)
    settings = tmp_path / "channel.toml"
    settings.write_text("allow_import = true\n")
    uploads = tmp_path / "tmp"
    uploads.mkdir()
    monkeypatch.setenv("CHANNEL_DB", str(db))
    monkeypatch.setenv("CHANNEL_SETTINGS", str(settings))
    monkeypatch.setattr(tempfile, "tempdir", str(uploads))
    yield lambda: Page(db, uploads)
    for path in (db, tmp_path / "cli.duckdb"):
        database(path).close()


@pytest.fixture
def downloads(monkeypatch):
    """Every ``(file name, data)`` a run hands to a download button; a CSV made when clicked
    (``ui.download_csv``) is made here as the click would."""
    seen: list[tuple[str | None, bytes]] = []
    real_add, real_defer = MediaFileManager.add, MediaFileManager.add_deferred

    def add(self, path_or_data, mimetype, coordinates, file_name=None, **kwargs):
        data = path_or_data.encode() if isinstance(path_or_data, str) else path_or_data
        seen.append((file_name, data))
        return real_add(self, path_or_data, mimetype, coordinates, file_name, **kwargs)

    def defer(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        seen.append((file_name, data_callable()))
        return real_defer(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", defer)
    return seen


def without_header(toml_text: str) -> str:
    return "\n".join(line for line in toml_text.splitlines() if not line.startswith("#"))


# ---------------------------------------------------------------------------------------------
# Each fixture, from each way to start the mapping

FIXTURES = {
    "salesforce-suggested": (
        [SF],
        "suggest",
        None,
        {
            "deals:file": "opportunities.csv",
            "deals:deal_id:src": "Opportunity ID",
            "deals:partner_id:src": "Partner Account",
            "deals:amount:src": "Amount",
            "deals:closed_on:src": "Close Date",
            "deals:closed_on:fmt": "%m/%d/%Y",
            "deals:status:src": "Stage",
            "deals:status:stage:Closed Won": "won",
            "deals:status:stage:Closed Lost": "lost",
            "deals:status:stage:Negotiation/Review": "open",
            "deals:vertical:src": "Industry",
            "deals:created_on:src": "Created Date",
            "deals:created_on:fmt": "%m/%d/%Y",
            "partners:partner_name:src": "Partner Account",
            "defaults:amounts": "1,234.50",
        },
        6,
    ),
    "salesforce-preset": (
        [SF],
        "salesforce",
        None,
        {
            "deals:deal_id:src": "Opportunity ID",
            "deals:partner_id:src": "Partner Account",
            "deals:closed_on:src": "Close Date",
            "deals:closed_on:fmt": "%m/%d/%Y",
            # the preset's patterns: "Closed Won*" won, "Closed Lost*" lost, "*" open
            "deals:status:stage:Closed Won": "won",
            "deals:status:stage:Closed Lost": "lost",
            "deals:status:stage:Negotiation/Review": "open",
            "partners:partner_name:src": "Partner Account",
            "partners:partner_manager:src": "(an expression)",
        },
        6,
    ),
    "hubspot-suggested": (
        [HUBSPOT],
        "suggest",
        None,
        {
            "deals:deal_id:src": "Record ID",
            "deals:partner_id:src": "Associated Company",
            "deals:amount:src": "Amount",
            "deals:closed_on:src": "Close Date",
            "deals:closed_on:fmt": "iso",
            "deals:status:stage:Closed won": "won",
            "deals:status:stage:Closed lost": "lost",
            "deals:status:stage:Appointment scheduled": "open",
            "deals:created_on:src": "Create Date",
        },
        5,
    ),
    "hubspot-preset": (
        [HUBSPOT],
        "hubspot",
        None,
        {
            "deals:deal_id:src": "Record ID",
            "deals:partner_id:src": "Associated Company",
            "deals:closed_on:fmt": "iso",
            "deals:status:stage:Closed won": "won",
            "deals:status:stage:Appointment scheduled": "open",
            "deals:vertical:src": "— not mapped —",
        },
        5,
    ),
    "european-suggested": (
        EURO,
        "suggest",
        None,
        {
            "deals:file": "auftraege.csv",
            "deals:deal_id:src": "Auftrag",
            "deals:partner_id:src": "Kundennummer",
            "deals:amount:src": "Betrag",
            "deals:closed_on:fmt": "%d.%m.%Y",
            "deals:status:stage:Gewonnen": "won",
            "deals:status:stage:Verloren": "lost",
            "deals:status:stage:In Verhandlung": "open",
            "partners:file": "konten.csv",
            "partners:partner_id:src": "Kundennummer",
            "partners:partner_name:src": "Firma",
            "partners:partner_manager:src": "Betreuer",
            "defaults:amounts": "1.234,50",
        },
        5,
    ),
    "european-saved": (
        EURO,
        "saved",
        CRM / "european" / "mapping.toml",
        {
            "deals:file": "auftraege.csv",
            "deals:closed_on:src": "Abschluss",
            "deals:closed_on:fmt": "%d.%m.%Y",
            "deals:vertical:src": "Branche",
            "partners:file": "konten.csv",
            "partners:segment:src": "(an expression)",
            "defaults:amounts": "1.234,50",
        },
        5,
    ),
    "crm-sample-suggested": (
        SAMPLE,
        "suggest",
        None,
        {
            "deals:file": "sales_pipeline.csv",
            "deals:deal_id:src": "opportunity_id",
            "deals:partner_id:src": "account",
            "deals:closed_on:src": "close_date",
            "deals:closed_on:fmt": "iso",
            "deals:status:stage:Won": "won",
            "deals:status:stage:Lost": "lost",
            "deals:status:stage:Engaging": "open",
            "deals:status:stage:Prospecting": "open",
            "partners:file": "accounts.csv",
            "partners:region:src": "office_location",
        },
        8,
    ),
    "crm-sample-saved": (
        SAMPLE,
        "saved",
        CRM / "crm_sample" / "mapping.toml",
        {
            "deals:file": "sales_pipeline.csv",
            "deals:amount:src": "(an expression)",
            "deals:vertical:src": "(an expression)",
            "partners:file": "accounts.csv",
            "partners:partner_manager:src": "(an expression)",
        },
        8,
    ),
}


@pytest.mark.parametrize(
    ("files", "start", "saved", "expected", "deals"), FIXTURES.values(), ids=list(FIXTURES)
)
def test_each_fixture_prefills_the_mapping_and_checks(page, files, start, saved, expected, deals):
    p = page().upload(*files)
    assert not p.at.exception
    if start != "suggest":
        p.start_from(start, saved.read_bytes() if saved else None)
        assert not p.at.exception
    boxes = p.boxes()
    assert {k: boxes.get(k) for k in expected} == expected
    assert not [b for b in p.at.button if b.key.endswith(":load")]  # no load before a check
    p.check()
    assert not p.at.exception
    assert not p.at.error, [e.value for e in p.at.error]
    assert [s.value for s in p.at.success] == ["Every row passed. The load will do this:"]
    assert len(p.head("deals")) == deals
    assert not p.button("load").disabled


# ---------------------------------------------------------------------------------------------
# A check with problems, fixed on the page


def _bad_created_date(text: str) -> bytes:
    lines = text.splitlines()
    lines[3] = lines[3].replace("1/10/2025", "31/01/2025")  # line 4, 006A003's Created Date
    return ("\n".join(lines) + "\n").encode()


def test_problems_name_file_line_column_value_and_rule_until_fixed(page):
    p = page().upload(("opportunities.csv", _bad_created_date(SF.read_text())))
    p.start_from("saved", SF_SAVED)
    assert p.box("deals:status:stage:Negotiation/Review").value == "— unmapped —"
    p.check()
    assert not p.at.exception
    assert p.at.error[0].value.startswith("2 problems to fix before the load.")
    assert p.problems() == [
        {
            "file": "opportunities.csv",
            "line": 4,
            "column": "Created Date",
            "value": "31/01/2025",
            "problem": "not a date in the format M/D/YYYY",
            "rule": "deals.created_on",
        },
        {
            "file": "opportunities.csv",
            "line": 7,
            "column": "Stage",
            "value": "Negotiation/Review",
            "problem": "no rule maps this value (add it to the value map)",
            "rule": "deals.status",
        },
    ]
    (groups,) = [d.value for d in p.at.dataframe if list(d.value.columns)[:2] == ["file", "column"]]
    assert groups.to_dict("records") == [
        {k: r[k] for k in ("file", "column", "problem", "rule")} | {"rows": 1} for r in p.problems()
    ]
    assert p.button("load").disabled

    # the stage, fixed with its select box: the date is still wrong
    p.box("deals:status:stage:Negotiation/Review").set_value("open").run()
    assert "The mapping changed since the check" in p.at.warning[0].value
    assert p.button("load").disabled
    p.check()
    assert [r["column"] for r in p.problems()] == ["Created Date"]
    assert p.button("load").disabled

    # created_on is optional: leave it unmapped, and the check passes
    p.box("deals:created_on:src").set_value("— not mapped —").run()
    p.check()
    assert not p.at.error
    assert [s.value for s in p.at.success] == ["Every row passed. The load will do this:"]
    assert not p.button("load").disabled
    assert p.state["checked"][0]["deals"]["columns"]["status"]["map"] == {
        "Closed Won": "won",
        "Closed Lost": "lost",
        "Negotiation/Review": "open",
    }

    # a change after a passing check turns the load off again
    p.box("deals:status:stage:Negotiation/Review").set_value("lost").run()
    assert "The mapping changed since the check" in p.at.warning[0].value
    assert p.button("load").disabled


def test_the_problem_list_downloads_as_csv(page, downloads):
    p = page().upload(("opportunities.csv", _bad_created_date(SF.read_text())))
    p.start_from("saved", SF_SAVED).check()
    (button,) = [b for b in p.at.get("download_button") if b.key == "import_problems_csv"]
    assert button.label == "Download CSV"
    csv = [data for name, data in downloads if name == "import-problems.csv"][-1].decode()
    assert csv.splitlines() == [
        "file,line,column,value,problem,rule,rows",
        "opportunities.csv,4,Created Date,31/01/2025,not a date in the format M/D/YYYY,"
        "deals.created_on,1",
        "opportunities.csv,7,Stage,Negotiation/Review,no rule maps this value (add it to the "
        "value map),deals.status,1",
    ]


# ---------------------------------------------------------------------------------------------
# Loads


def test_a_load_replaces_the_data_and_removes_the_uploads(page):
    p = (
        page()
        .upload(*SAMPLE)
        .start_from("saved", (CRM / "crm_sample" / "mapping.toml").read_bytes())
    )
    assert len(p.folders()) == 1
    folder = p.state["folder"]
    assert sorted(f.name for f in folder.iterdir()) == sorted(f.name for f in SAMPLE)
    p.check()
    assert rows(p.db, "select count(*) from partners") == [(10,)]  # the check wrote nothing
    p.load()
    assert not p.at.exception
    assert [s.value[:10] for s in p.at.success] == ["Loaded on "]
    assert "Every open page shows the new data" in p.at.success[0].value
    (report,) = [c.value for c in p.at.code]
    assert "partners                      5" in report
    assert "deals                         8" in report
    assert [link.proto.label for link in p.at.get("page_link")] == ["Open the Overview"]
    # the tables of tests/test_ingest_import.py's crm_sample test
    assert rows(
        p.db, "select partner_id, segment, region, partner_manager from partners order by 1"
    ) == [
        ("Acme Corporation", "Midmarket", "United States", "Melvin Marxen"),
        ("Betasoloin", "SMB", "United States", "Celia Rouche"),
        ("Cancity", "Midmarket", "United States", "Dustin Brinkmann"),
        ("Codehow", "Midmarket", "United States", "Dustin Brinkmann"),
        ("Konex", "Enterprise", "United States", "Melvin Marxen"),
    ]
    assert rows(
        p.db, "select partner_id, fiscal_quarter, target_amount from targets order by 1"
    ) == [
        ("Cancity", "2018-Q1", 1214.4),
        ("Codehow", "2018-Q1", 646.8),
        ("Konex", "2018-Q1", 4965.4),
    ]
    # the uploads are gone, and the page says so
    assert not folder.exists()
    assert p.folders() == []
    assert "The uploaded files were removed" in p.shown()
    # the Overview shows the new data
    p.at.switch_page("pages/overview.py").run()
    assert not p.at.exception
    assert "Data as of 2017-06-20 (latest deal date)" in p.shown()


def test_a_failed_load_leaves_the_database_byte_for_byte(page):
    p = page().upload(SF).check()
    assert not p.button("load").disabled
    before = digest(p.db)
    with open(p.db.with_name(f".{p.db.name}.lock"), "a+") as held:  # a load by someone else
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        p.load()
    assert not p.at.exception
    assert digest(p.db) == before
    errors = " ".join(e.value for e in p.at.error)
    assert "another load into this database is running" in errors
    assert "nothing was changed" in errors
    assert "loaded" not in p.state
    assert p.folders() == [p.state["folder"]]  # kept: the analyst can load again
    # once the other load has ended, the same load works
    p.load()
    assert [s.value[:10] for s in p.at.success] == ["Loaded on "]
    assert rows(p.db, "select partner_id from partners order by 1") == [
        ("Contoso Partners",),
        ("Northwind Systems",),
    ]


def test_a_saved_mapping_round_trip_and_the_command_line(page, downloads, tmp_path):
    """The European export (decimal commas, D.M.YYYY, an accounts file) mapped from the
    suggestion with one edit on the page; saved, uploaded again, loaded; and the command line
    given the same TOML builds the same tables."""
    p = page().upload(*EURO)
    p.box("deals:status:stage:Verloren").set_value("open").run()  # an edit on the page
    boxes = p.boxes()
    saved = [d for name, d in downloads if name == "channel-mapping.toml"][-1].decode()
    assert saved.startswith("# Channel Lens import mapping, saved from the Import data page")
    doc = tomllib.loads(saved)
    assert doc["deals"]["columns"]["status"]["map"]["Verloren"] == "open"
    assert (doc["defaults"]["decimal"], doc["defaults"]["thousands"]) == (",", ".")

    again = page().upload(*EURO).start_from("saved", saved.encode())
    assert again.state["origin"] == "the saved mapping"
    assert again.state["doc"] == doc
    assert again.boxes() == boxes
    downloads.clear()
    again.at.run()
    (resaved,) = [d for name, d in downloads if name == "channel-mapping.toml"]
    assert without_header(resaved.decode()) == without_header(saved)
    again.check().load()
    assert [s.value[:10] for s in again.at.success] == ["Loaded on "]
    assert rows(again.db, "select deal_id, amount from deals where status = 'open' order by 1") == [
        ("A-2", 12000.0),  # Verloren, open by the edit
        ("A-4", 2500.0),
    ]

    mapping = tmp_path / "channel-mapping.toml"
    mapping.write_text(saved)
    cli_db = tmp_path / "cli.duckdb"
    shutil.copyfile(again.db, cli_db)  # a database to replace, like the page's
    sources = [str(f) for f in EURO]
    assert main(["import", *sources, "--mapping", str(mapping), "--db", str(cli_db)]) == 0
    assert tables(cli_db) == tables(again.db)
    meta = "select data_as_of, targets_derived, target_rows from meta"
    assert rows(cli_db, meta) == rows(again.db, meta)


# ---------------------------------------------------------------------------------------------
# Hostile uploads: a clear message, no exception


def test_a_path_in_the_file_name_stays_inside_the_upload_folder(page):
    p = page().upload(("../../etc/passwd.csv", SF.read_bytes()))
    assert not p.at.exception
    folder = p.state["folder"]
    assert folder.parent == p.uploads and folder.name.startswith(wb.UPLOAD_PREFIX)
    assert [f.name for f in folder.iterdir()] == ["passwd.csv"]
    assert p.state["paths"] == [folder / "passwd.csv"]
    assert sorted(f.name for f in p.uploads.iterdir()) == [folder.name]  # nothing beside it
    assert not (p.uploads.parent / "etc").exists()
    assert "Files: passwd.csv." in p.shown()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("..\\..\\Windows\\win.ini.csv", "win.ini.csv"),
        ("/etc/shadow.csv", "shadow.csv"),
        ("..", "upload"),
        ("a\x00b.csv", "ab.csv"),
        ("deals; rm -rf ~.csv", "deals_ rm -rf _.csv"),
    ],
)
def test_safe_names(name, expected):
    assert wb.safe_name(name) == expected


def test_binary_junk_named_csv_is_refused(page):
    p = page().upload(("junk.csv", bytes(range(256)) * 64))
    assert not p.at.exception
    assert p.at.error[0].value.startswith("1 problem to fix before the load.")
    (problem,) = p.problems()
    assert problem["file"] == "junk.csv"
    assert problem["problem"].startswith("contains NUL bytes: not a text file")
    assert not p.at.selectbox  # no mapping to edit
    assert p.folders() == []  # the refused upload was removed


def test_formulas_in_cells_are_stored_as_text(page):
    link = '=HYPERLINK("http://x","y")'
    data = (
        b"id,partner,amount,closed,stage\n"
        b'1,"=HYPERLINK(""http://x"",""y"")",5,2025-03-04,won\n'
        b"2,=1+2,6,2025-03-05,lost\n"
        b"3,@SUM(A1),7,2025-03-06,won\n"
    )
    p = page().upload(("formulas.csv", data)).check()
    assert not p.at.exception
    assert sorted(p.head("deals")["partner_id"]) == ["=1+2", link, "@SUM(A1)"]
    p.load()
    assert [s.value[:10] for s in p.at.success] == ["Loaded on "]
    assert rows(p.db, "select partner_id, partner_name from partners order by 1") == [
        ("=1+2", "=1+2"),
        (link, link),
        ("@SUM(A1)", "@SUM(A1)"),
    ]


def test_a_field_over_the_limit_is_refused_and_not_echoed(page):
    huge = "x" * (readers.MAX_FIELD_CHARS + 1)
    data = f"id,partner,amount,closed,stage\n1,P1,5,2025-03-04,won\n2,{huge},6,2025-03-05,won\n"
    p = page().upload(("long.csv", data.encode()))
    assert not p.at.exception
    (problem,) = p.problems()
    assert (problem["file"], problem["line"], problem["column"]) == ("long.csv", 3, "partner")
    assert problem["problem"] == "a value of 1,000,001 characters, over the limit of 1,000,000"
    # the page names the value, but does not send a megabyte of it to the browser
    assert problem["value"].startswith("xxxx") and len(problem["value"]) < 200
    assert "1,000,001 characters" in problem["value"]
    assert max(len(d.value.to_csv()) for d in p.at.dataframe) < 10_000


def test_a_zip_bomb_named_xlsx_is_refused_before_unpacking(page):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024**2))
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    p = page().upload(("report.xlsx", bomb.getvalue()), mime=xlsx)
    assert not p.at.exception
    (problem,) = p.problems()
    assert problem["file"] == "report.xlsx"
    assert problem["problem"].startswith(
        "not a readable XLSX workbook: it would unpack to 52,428,800"
    )
    assert p.folders() == []


@pytest.mark.parametrize("name", ["setup.exe", "report.csv.exe", "notes.pdf", "no_suffix"])
def test_a_file_of_another_type_is_refused_by_its_type(page, name):
    p = page().upload(SF, (name, b"MZ\x90\x00\x03\x00\x00\x00"), mime="application/octet-stream")
    assert not p.at.exception
    (problem,) = p.problems()
    assert problem["file"] == name
    assert problem["problem"].startswith("is not a file the import reads: CSV")
    assert p.folders() == []  # the export that came with it is not kept either


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('deals = "opportunities.csv"\n', "deals: must be a table"),
        ("[deals]\ncolumns = 5\n", "deals.columns: must be a table"),
        ("[deals.columns]\ndeal_id = 5\n", "deals.deal_id"),
        ('[deals.columns]\nstatus = { column = "Stage", map = "won" }\n', "deals.status.map"),
        ('[deals.columns]\nvertical = { column = "Industry", aliases = ["x"] }\n', "aliases"),
        ("[deals]\nfile = [1, 2]\n", "deals.file"),
        ("defaults = 3\n", "defaults: must be a table"),
        ('[defaults]\nrates = { EUR = "x" }\n', "defaults.rates"),
        ('[targets]\nrule = "magic"\n', "targets.rule"),
        ('[targets]\nrule = "prior_year"\ngrowth = "ten"\n', "targets.growth"),
        ('[targets]\nrule = "trailing_mean"\nquarters = "x"\n', "targets.quarters"),
        ("not = [toml\n", "is not a TOML file"),
        (b"\xff\xfe\x00 junk".decode("latin-1"), "is not a TOML file"),
    ],
)
def test_a_malformed_saved_mapping_is_refused_with_its_key(page, text, named):
    p = page().upload(SF).start_from("saved", text.encode("latin-1"))
    assert not p.at.exception
    assert p.at.error, "a malformed saved mapping must be refused"
    problems = p.problems()
    assert any(named in f"{r['column']}: {r['problem']}" for r in problems), problems
    assert all(r["file"] == "the saved mapping" for r in problems)
    assert not p.at.selectbox


def test_removing_the_files_removes_their_folder(page):
    p = page().upload(SF)
    (folder,) = p.folders()
    p.at.file_uploader[0].clear().run()
    assert not p.at.exception
    assert not folder.exists() and p.folders() == []
    assert "Upload the export's files to begin." in [i.value for i in p.at.info]


def test_problem_csv_cells_never_run_as_formulas():
    # a value from an upload is shown as it was, but a spreadsheet opening the CSV must not run
    # it: =, +, -, @, a tab or a carriage return first get a leading quote
    frame = pl.DataFrame({"value": ['=HYPERLINK("http://x","y")', "+1", "-3", "@SUM(A1)", "ok"]})
    assert wb.csv_safe(frame)["value"].to_list() == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-3",
        "'@SUM(A1)",
        "ok",
    ]


@pytest.mark.parametrize("allowed", [True, False])
def test_a_first_import_without_any_database(tmp_path, monkeypatch, allowed):
    # a fresh installation: no database yet. With import allowed, the set-up page links to the
    # Import data page, which imports; without, the set-up page alone, as before.
    db = tmp_path / "new" / "first.duckdb"
    settings = tmp_path / "channel.toml"
    settings.write_text(f"allow_import = {'true' if allowed else 'false'}\n")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("CHANNEL_DB", str(db))
    monkeypatch.setenv("CHANNEL_SETTINGS", str(settings))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "No database at" in " ".join(e.value for e in at.error)
    links = [link.proto.page for link in at.get("page_link")]
    if not allowed:
        assert links == []
        with pytest.raises(ValueError):  # not registered: only the set-up page exists
            at.switch_page("pages/import_data.py")
        return
    assert links == ["import_data"]
    at.switch_page("pages/import_data.py").run()
    at.file_uploader[0].upload(SF.name, SF.read_bytes(), "text/csv").run()
    check = [b for b in at.button if b.key and b.key.endswith(":check")][0]
    check.click().run()
    load = [b for b in at.button if b.key and b.key.endswith(":load")][0]
    assert not load.disabled
    load.click().run()
    assert not at.exception
    assert [s.value[:10] for s in at.success] == ["Loaded on "]
    assert rows(db, "select count(*) from partners") == [(2,)]
    database(db).close()
