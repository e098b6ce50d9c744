"""Who may see what: the optional sign-in and the partner managers' scope.

The tiny dataset's books (tests/data/tiny/partners.csv): Ann Lee has P01 and P04, Ben Ortiz P02
and P05, Cara Nyman P03 and P06, Dan Wu P07, P09 and P10; P08 has no partner manager.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from pathlib import Path

import pytest

from channel import access
from channel.runner import run
from channel.settings import SettingsError, load_settings
from channel.sqlfiles import QUERIES_DIR, sql_params

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
DAN = {"P07", "P09", "P10"}
DAN_NAMES = {"Golf Consulting", "India Tech", "Juliet Retail IT"}
OTHERS = {"P01", "P02", "P03", "P04", "P05", "P06", "P08"}
OTHER_NAMES = {
    "Alpha Systems",
    "Bravo, Inc.",
    "Charlie Global",
    "Delta Direct",
    "Echo Partners",
    "Foxtrot Solutions",
    "Hotel Referrals",
}
# Queries that say nothing about any partner: the settings, the quarter grid, the load time,
# the vendor's list of verticals and how the miss forecast's model for a quarter was trained.
# Every other query must take $scope.
UNSCOPED = {
    "settings",
    "as_of_quarters",
    "data_freshness",
    "alignment_verticals",
    "risk_model_status",
}
ACCESS_TOML = """
[access]
leadership = ["VP.Sales@example.com"]
[access.partner_managers]
"dan@example.com" = "Dan Wu"
"team@example.com" = ["Ann Lee", "Ben Ortiz"]
"""
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-secret",
    "client_id": "channel-lens",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}


# ---------------------------------------------------------------------------------------------
# The rules and the viewer


def test_rules_parse_and_compare_addresses_case_insensitively():
    import tomllib

    rules = access.parse_rules(tomllib.loads(ACCESS_TOML)["access"])
    assert rules.leadership == {"vp.sales@example.com"}
    assert rules.partner_managers == {
        "dan@example.com": ("Dan Wu",),
        "team@example.com": ("Ann Lee", "Ben Ortiz"),
    }
    signed_in = {"is_logged_in": True, "email": "Dan@Example.com"}
    assert access.resolve(signed_in, True, rules) == access.Viewer(
        access.PARTNER_MANAGER, "dan@example.com", ("Dan Wu",)
    )
    leader = access.resolve({"is_logged_in": True, "email": "vp.sales@example.com"}, True, rules)
    assert leader.role == access.LEADERSHIP and leader.scope is None


@pytest.mark.parametrize(
    ("user", "sign_in", "role", "scope"),
    [
        ({}, False, access.OPEN, None),  # sign-in not configured: as before, everyone sees all
        ({"is_logged_in": True, "email": "x@example.com"}, False, access.OPEN, None),
        ({"is_logged_in": False}, True, access.SIGNED_OUT, []),
        ({}, True, access.SIGNED_OUT, []),
        ({"is_logged_in": True, "email": "stranger@example.com"}, True, access.REFUSED, []),
        ({"is_logged_in": True}, True, access.REFUSED, []),  # no e-mail claim
        (
            {"is_logged_in": True, "email": "dan@example.com", "email_verified": False},
            True,
            access.REFUSED,
            [],
        ),
        ({"is_logged_in": True, "email": "team@example.com"}, True, access.PARTNER_MANAGER, None),
    ],
)
def test_resolve(user, sign_in, role, scope):
    import tomllib

    viewer = access.resolve(user, sign_in, access.parse_rules(tomllib.loads(ACCESS_TOML)["access"]))
    assert viewer.role == role
    if role == access.PARTNER_MANAGER:
        assert viewer.scope == ["Ann Lee", "Ben Ortiz"]
    else:
        assert viewer.scope == scope
    assert viewer.allowed == (role in (access.OPEN, access.LEADERSHIP, access.PARTNER_MANAGER))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[access]\nleadership = "vp@example.com"', "leadership must be a list"),
        ('[access]\nleadership = ["not an address"]', "leadership must be a list"),
        ("[access]\nadmins = []", "admins: unknown setting"),
        ('[access.partner_managers]\n"dan@example.com" = []', "expected an e-mail address"),
        ('[access.partner_managers]\n"dan@example.com" = 3', "expected an e-mail address"),
        ('[access.partner_managers]\n"Dan Wu" = "Dan Wu"', "expected an e-mail address"),
        (
            '[access]\nleadership = ["dan@example.com"]\n'
            '[access.partner_managers]\n"DAN@example.com" = "Dan Wu"',
            "listed both under leadership and under partner_managers",
        ),
    ],
)
def test_bad_rules_name_the_file_and_the_key(tmp_path, text, message):
    file = tmp_path / "channel.toml"
    file.write_text(text)
    with pytest.raises(SettingsError, match=message) as err:
        access.load_rules(file)
    assert str(file) in str(err.value)


def test_the_access_table_is_not_a_load_setting(tmp_path):
    file = tmp_path / "channel.toml"
    file.write_text("miss_below = 0.9\n" + ACCESS_TOML)
    assert load_settings(file).miss_below == 0.9  # [access] is read at run time, not load time
    assert access.load_rules(file).partner_managers["dan@example.com"] == ("Dan Wu",)


# ---------------------------------------------------------------------------------------------
# Scoping happens in the queries, as a bound parameter

QUERY_FILES = sorted(QUERIES_DIR.glob("*.sql"))


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_every_partner_query_takes_the_scope(path):
    params = sql_params(path.read_text())
    if path.stem in UNSCOPED:
        assert "scope" not in params
    else:
        assert "scope" in params, f"{path.name} must narrow its partners to $scope"


def _defaults(params: set[str]) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys(params)
    if "quarters" in params:
        values["quarters"] = 8
    if "limit" in params:
        values["limit"] = 50
    return values


FILTERED = [
    p for p in QUERY_FILES if {"segment", "partner_manager", "scope"} <= sql_params(p.read_text())
]


@pytest.mark.parametrize("path", FILTERED, ids=lambda p: p.stem)
def test_scope_narrows_like_the_manager_filter(tiny_db, tiny_risk_db, path):
    """Every page query answers a scoped manager exactly what the Partner manager filter would
    answer an unscoped user: the scope reaches the same single definition of "which partners"."""
    if "partner_risk" in path.read_text():
        tiny_db = tiny_risk_db
    values = _defaults(sql_params(path.read_text()))
    values["as_of"] = "2025-Q4"
    scoped = run(path.stem, db=tiny_db, **{**values, "scope": ["Dan Wu"]})
    filtered = run(path.stem, db=tiny_db, **{**values, "partner_manager": ["Dan Wu"]})
    assert scoped.equals(filtered, null_equal=True)
    everyone = run(path.stem, db=tiny_db, **values)
    if "partner_id" in scoped.columns:
        assert set(scoped["partner_id"]) <= DAN
        assert set(everyone["partner_id"]) & OTHERS, "the test would pass without the scope"
    # a filter cannot widen the scope: another manager's book is empty for Dan
    both = run(
        path.stem, db=tiny_db, **{**values, "scope": ["Dan Wu"], "partner_manager": ["Ann Lee"]}
    )
    assert both.equals(
        run(path.stem, db=tiny_db, **{**values, "scope": ["Dan Wu"], "segment": ["nothing"]}),
        null_equal=True,
    )


def test_filter_options_offer_only_the_viewers_values(tiny_db):
    options = run("filter_options", db=tiny_db, scope=["Dan Wu"])
    managers = options.filter(options["filter"] == "partner_manager")["value"].to_list()
    assert managers == ["Dan Wu"]
    segments = options.filter(options["filter"] == "segment")["value"].to_list()
    assert segments == ["SMB", "Midmarket", "Enterprise"]  # P10, P09, P07
    everyone = run("filter_options", db=tiny_db, scope=None)
    assert len(everyone.filter(everyone["filter"] == "partner_manager")) == 4


@pytest.mark.parametrize("scope", [["Dan Wu"], []])
def test_one_partner_queries_say_nothing_outside_the_scope(tiny_db, scope):
    one = {"partner_id": "P01", "scope": scope}
    at = {**one, "as_of": "2025-Q4"}
    assert run("partner_profile", db=tiny_db, **at).height == 0
    assert run("partner_deals", db=tiny_db, **one).height == 0
    assert run("partner_investments", db=tiny_db, **at).height == 0
    assert run("partner_quarters", db=tiny_db, **at, quarters=8).height == 0
    assert run("partner_investment_return", db=tiny_db, **at).height == 0
    assert run("partner_search", db=tiny_db, search="Alpha", scope=scope).height == 0
    assert run("partner_contacts", db=tiny_db, **one)["contacts"].sum() == 0
    focus = run("partner_focus", db=tiny_db, **at)
    assert focus["declared_share"].null_count() == focus.height
    assert focus["realised_share"].null_count() == focus.height
    bench = run("partner_benchmarks", db=tiny_db, **at).row(0, named=True)
    assert bench["avg_deal_size"] is None and bench["segment_partners"] == 0
    # the same queries do answer for Ann Lee, whose partner P01 is
    mine = {"partner_id": "P01", "scope": ["Ann Lee"], "as_of": "2025-Q4"}
    assert run("partner_profile", db=tiny_db, **mine).height == 1
    assert run("partner_deals", db=tiny_db, partner_id="P01", scope=["Ann Lee"]).height > 0
    assert (
        run("partner_contacts", db=tiny_db, partner_id="P01", scope=["Ann Lee"])["contacts"].sum()
        > 0
    )


def test_pages_never_pass_a_literal_scope():
    """The scope comes from the sign-in only: no page or helper hard-codes ``scope=None``."""
    offenders = []
    kit = sorted((ROOT / "channel/ui").glob("*.py"))
    for file in [*sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py", *kit]:
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "scope":
                if isinstance(node.value, ast.Constant):
                    offenders.append(f"{file.name}:{node.value.lineno}")
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                if any(isinstance(n, ast.Name) and n.id == "scope" for n in node.targets):
                    offenders.append(f"{file.name}:{node.lineno}")
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "scope":
                        if isinstance(value, ast.Constant):
                            offenders.append(f"{file.name}:{value.lineno}")
    assert not offenders


# ---------------------------------------------------------------------------------------------
# The app, with a user set in AppTest

PAGES = [
    ("pages/overview.py", {}),
    ("pages/tiers.py", {}),
    ("pages/alignment.py", {}),
    ("pages/missed_targets.py", {}),
    ("pages/portfolio.py", {}),
    ("pages/partner.py", {"partner": "P07"}),
]


@pytest.fixture
def signed_in(monkeypatch, tmp_path, tiny_db):
    """``signed_in(email, page=None, **query_params)`` -> AppTest run with sign-in configured."""
    from streamlit.testing.v1 import AppTest

    settings = tmp_path / "channel.toml"
    settings.write_text(ACCESS_TOML)
    monkeypatch.setenv("CHANNEL_SETTINGS", str(settings))
    monkeypatch.setenv("CHANNEL_DB", str(tiny_db))

    def make(email: str | None, page: str | None = None, sign_in=True, **query_params):
        at = AppTest.from_file(str(APP), default_timeout=60)
        if sign_in:
            at.secrets["auth"] = AUTH
        at.user = (
            {"is_logged_in": False} if email is None else {"is_logged_in": True, "email": email}
        )
        for key, value in query_params.items():
            at.query_params[key] = value
        at.run()
        if page:
            at.switch_page(page).run()
        return at

    return make


def _everything_shown(at) -> str:
    """Every text, table cell and chart the run drew, as one string."""
    parts = [str(e.value) for kind in ("markdown", "caption", "title", "header", "subheader")
             for e in getattr(at, kind)]  # fmt: skip
    for kind in ("info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [e.proto.spec for e in at.get("plotly_chart")]
    parts += [json.dumps(e.value) for e in at.get("metric")]
    for box in at.multiselect:
        parts.append(" ".join(map(str, box.options)))
    return re.sub(r"\\(.)", r"\1", "\n".join(parts))  # markdown escapes undone


def test_signed_out_visitors_see_only_a_sign_in_button(signed_in):
    at = signed_in(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.get("plotly_chart") and not at.multiselect
    shown = _everything_shown(at)
    assert not any(name in shown for name in OTHER_NAMES | DAN_NAMES)


@pytest.mark.parametrize("email", ["stranger@example.com", "vp.sales@example.com.evil.test"])
def test_unknown_users_are_refused_politely(signed_in, email):
    at = signed_in(email, partner="P01")
    assert not at.exception
    assert "no access to Channel Lens" in at.info[0].value
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.dataframe and not at.get("plotly_chart") and not at.multiselect


@pytest.mark.parametrize(("page", "query_params"), PAGES, ids=lambda p: str(p))
def test_a_partner_manager_sees_only_their_partners(signed_in, monkeypatch, page, query_params):
    from streamlit.runtime.media_file_manager import MediaFileManager

    import channel.runner
    import channel.ui.core

    calls: list[tuple[str, dict]] = []
    real_run, real_defer = channel.runner.run, MediaFileManager.add_deferred
    downloads = []

    def spy(name, db=None, **params):
        calls.append((name, params))
        return real_run(name, db=db, **params)

    def defer(self, data_callable, *args, **kwargs):
        downloads.append(data_callable)
        return real_defer(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(channel.runner, "run", spy)
    monkeypatch.setattr(channel.ui.core, "run", spy)
    monkeypatch.setattr(MediaFileManager, "add_deferred", defer)

    at = signed_in("dan@example.com", page, **query_params)
    assert not at.exception
    shown = _everything_shown(at)
    leaked = sorted(name for name in OTHER_NAMES if name in shown)
    assert not leaked, f"{page} shows partners of other managers: {leaked}"
    signed = re.sub(r"\\(.)", r"\1", " ".join(c.value for c in at.sidebar.caption))
    assert "Signed in as `dan@example.com`  \nPartners of Dan Wu" in signed
    assert at.sidebar.multiselect(key="partner_manager").options == ["Dan Wu"]
    scoped = [(n, p["scope"]) for n, p in calls if n not in UNSCOPED]
    assert scoped and all(scope == ["Dan Wu"] for _, scope in scoped), scoped
    # the downloads the page offers (built when clicked) hold Dan's partners only
    for make in downloads:
        rows = list(csv.DictReader(io.StringIO(make().decode("utf-8"))))
        ids = {r["partner_id"] for r in rows if r.get("partner_id")}
        assert ids <= DAN, f"{page}: a download holds {sorted(ids - DAN)}"
        names = {r.get("partner_name") for r in rows}
        assert not names & OTHER_NAMES
    if page == "pages/partner.py":
        assert "Golf Consulting" in shown  # the control: Dan's own partner is there


def test_a_manager_cannot_widen_the_scope_through_the_url(signed_in):
    at = signed_in("dan@example.com", partner_manager=["Ann Lee", "Dan Wu"])
    assert not at.exception
    assert any("Ann Lee" in w.value for w in at.warning)  # "Ignored unknown partner manager"
    assert at.sidebar.multiselect(key="partner_manager").value == ["Dan Wu"]
    assert not OTHER_NAMES & set(_everything_shown(at).split("\n"))

    other = signed_in("dan@example.com", "pages/partner.py", partner="P01")
    assert not other.exception
    assert "No such partner among the partners you can see" in other.warning[0].value
    assert "Alpha Systems" not in _everything_shown(other)


def test_several_books_and_leadership(signed_in):
    team = signed_in("team@example.com", "pages/portfolio.py")
    assert team.sidebar.multiselect(key="partner_manager").options == ["Ann Lee", "Ben Ortiz"]
    shown = _everything_shown(team)
    assert "Charlie Global" not in shown and "Golf Consulting" not in shown

    leader = signed_in("vp.sales@example.com", "pages/partner.py", partner="P01")
    assert not leader.exception
    assert "Alpha Systems" in _everything_shown(leader)
    assert len(leader.sidebar.multiselect(key="partner_manager").options) == 4


def test_without_sign_in_the_access_list_is_not_used(signed_in):
    at = signed_in("stranger@example.com", "pages/partner.py", sign_in=False, partner="P01")
    assert not at.exception
    assert "Alpha Systems" in _everything_shown(at)
    assert not at.sidebar.caption or "Signed in" not in at.sidebar.caption[0].value


def test_misconfigured_access_fails_closed(signed_in, tmp_path, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text('[access]\nleadership = "vp@example.com"\n')
    monkeypatch.setenv("CHANNEL_SETTINGS", str(bad))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "vp@example.com"}
    at.run()
    assert not at.exception
    assert "Nobody can see partner data" in at.error[0].value
    assert not at.dataframe and not at.multiselect


# ---------------------------------------------------------------------------------------------
# The command line export


def test_cli_export_for_a_viewer(tmp_path, tiny_db, monkeypatch, capsys):
    from channel.cli import main

    settings = tmp_path / "channel.toml"
    settings.write_text(ACCESS_TOML)
    monkeypatch.setenv("CHANNEL_SETTINGS", str(settings))

    def export(*args: str) -> tuple[int, str, str]:
        code = main(["export", "scorecard", "--db", str(tiny_db), *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = export("--viewer", "DAN@example.com")
    assert code == 0, err
    assert {r["partner_id"] for r in csv.DictReader(io.StringIO(out))} == DAN

    code, out, _ = export()
    assert len(list(csv.DictReader(io.StringIO(out)))) == 10

    code, _, err = export("--viewer", "dan@example.com", "--partner-manager", "Ann Lee")
    assert code == 2 and "unknown value 'Ann Lee'" in err

    code, _, err = export("--viewer", "x@example.com")
    assert code == 2
    assert "'x@example.com' is neither under leadership nor under partner_managers" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# Who may import (the Import data page): [access] import with sign-in on, allow_import without

IMPORT_PAGE = "pages/import_data.py"
IMPORT_TOML = (
    "allow_import = true\n"  # ignored with sign-in on: [access] import decides
    + ACCESS_TOML.replace("[access]\n", '[access]\nimport = ["Team@example.com"]\n')
)
REFUSAL = "You may not import data"


@pytest.fixture
def importing(monkeypatch, tmp_path, tiny_db):
    """``importing(settings_text, email=None, sign_in=True)`` -> (AppTest of app.py after one
    run, the navigation it drew as {section: [titles]}, a function that runs the Import data
    page's file on its own for the same user)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    drawn: list[dict[str, list[str]]] = []
    real = st.navigation

    def spy(pages, *args, **kwargs):
        sections = pages if isinstance(pages, dict) else {"": pages}
        drawn.append({k: [p.title for p in v] for k, v in sections.items()})
        return real(pages, *args, **kwargs)

    monkeypatch.setattr(st, "navigation", spy)
    monkeypatch.setenv("CHANNEL_DB", str(tiny_db))

    def make(text: str, email: str | None = None, sign_in: bool = True):
        settings = tmp_path / "channel.toml"
        settings.write_text(text)
        monkeypatch.setenv("CHANNEL_SETTINGS", str(settings))

        def new(script: Path) -> AppTest:
            at = AppTest.from_file(str(script), default_timeout=60)
            if sign_in:
                at.secrets["auth"] = AUTH
                at.user = {"is_logged_in": True, "email": email}
            return at.run()

        drawn.clear()
        at = new(APP)
        assert not at.exception
        return at, drawn[-1], lambda: new(ROOT / IMPORT_PAGE)

    return make


def _refused(at) -> bool:
    return (
        not at.exception
        and [t.value for t in at.title] == ["Import data"]
        and any(REFUSAL in e.value for e in at.error)
        and not at.file_uploader
    )


@pytest.mark.parametrize("email", ["vp.sales@example.com", "dan@example.com"])
def test_signed_in_without_import_no_page_and_a_refusal(importing, email):
    at, nav, page_alone = importing(IMPORT_TOML, email)
    assert "Data" not in nav
    assert "Import data" not in [title for titles in nav.values() for title in titles]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(IMPORT_PAGE)  # not registered: a link to it opens nothing
    assert _refused(page_alone())  # and the page itself refuses, whatever the navigation


def test_signed_in_under_import_sees_and_uses_the_page(importing):
    at, nav, page_alone = importing(IMPORT_TOML, "team@example.com")
    assert nav["Data"] == ["Import data"]
    at.switch_page(IMPORT_PAGE).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Import data"]
    assert len(at.file_uploader) == 1 and not at.error
    assert not _refused(page_alone())


@pytest.mark.parametrize("text", ["allow_import = false\n", "", ACCESS_TOML])
def test_sign_in_off_without_allow_import_no_page_and_a_refusal(importing, text):
    at, nav, page_alone = importing(text, sign_in=False)
    assert "Data" not in nav and "Overview" in nav["Leadership"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(IMPORT_PAGE)
    assert _refused(page_alone())


def test_sign_in_off_with_allow_import_everyone_may_import(importing):
    at, nav, page_alone = importing("allow_import = true\n", sign_in=False)
    assert nav["Data"] == ["Import data"]
    at.switch_page(IMPORT_PAGE).run()
    assert not at.exception and len(at.file_uploader) == 1
    assert not _refused(page_alone())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[access]\nleadership = ["vp@example.com"]\nimport = ["ops@example.com"]\n',
            "import: ops@example.com is not under leadership or partner_managers",
        ),
        ('[access]\nleadership = ["vp@example.com"]\nimport = "vp@example.com"\n', "import must"),
        ("[access]\nimport = [3]\n", "import must be a list of e-mail addresses"),
        ('allow_import = "yes"\n', "allow_import must be true or false"),
        ("allow_import = 1\n", "allow_import must be true or false"),
    ],
)
def test_bad_import_rules_are_refused(tmp_path, text, message):
    file = tmp_path / "channel.toml"
    file.write_text(text)
    with pytest.raises(SettingsError, match=message) as err:
        access.load_rules(file)
    assert str(file) in str(err.value)


def test_import_rules_parse():
    import tomllib

    rules = access.parse_rules(tomllib.loads(IMPORT_TOML)["access"], allow_import=True)
    assert rules.importers == {"team@example.com"} and rules.allow_import
    assert access.load_rules(ROOT / "channel.toml").importers == frozenset()  # nobody by default

    def viewer(email):
        return access.resolve({"is_logged_in": True, "email": email}, True, rules)

    assert viewer("TEAM@example.com").can_import
    assert not viewer("vp.sales@example.com").can_import  # leadership alone is not enough
    assert not viewer("dan@example.com").can_import
    assert not access.resolve({}, True, rules).can_import  # signed out
    assert access.resolve({}, False, rules).can_import  # sign-in off: allow_import
    assert not access.resolve({}, False, access.AccessRules()).can_import  # default: nobody


@pytest.mark.parametrize(
    ("address", "sign_in", "allow_import", "warned"),
    [
        ("0.0.0.0", False, True, True),
        ("", False, True, True),  # every interface
        ("192.168.1.20", False, True, True),
        ("127.0.0.1", False, True, False),
        ("localhost", False, True, False),
        ("::1", False, True, False),
        ("0.0.0.0", True, True, False),  # sign-in on: [access] import decides
        ("0.0.0.0", False, False, False),
    ],
)
def test_exposed_import_warning(address, sign_in, allow_import, warned):
    warning = access.exposed_import_warning(address, sign_in, allow_import)
    assert (warning is not None) == warned
    if warned:
        where = address or "every network interface"
        assert warning.startswith(f"the server listens on {where} with sign-in off")
        assert "allow_import = false" in warning
