"""The docs stay honest, as in Datasette's test_docs.py: every pointer a reader follows is checked.

* Each query's header comment names exactly the ``$names`` the query takes.
* Each "Defined in queries/<file>.sql." that the help tooltips give (channel/definitions.py)
  names a file that exists and defines that column or macro; one written on a page names a file
  that exists.
* Every module under channel/ has a row in the README's layout table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from channel.definitions import DEFINITIONS, explain
from channel.sqlfiles import FORECAST_DIR, IMPORT_DIR, QUERIES_DIR, sql_params
from tests.helpers import REPO

QUERY_FILES = sorted(
    [*QUERIES_DIR.glob("*.sql"), *IMPORT_DIR.glob("*.sql"), *FORECAST_DIR.glob("*.sql")]
)
NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


# ---------------------------------------------------------------------------------------------
# Query headers


def header(sql: str) -> str:
    """The comment lines a query file opens with, joined into one text."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


def listed_params(sql: str) -> set[str] | None:
    """The ``$names`` of the header's ``Params:`` sentence (up to its full stop), or None when the
    header has no such sentence."""
    found = re.search(r"\bParams:(.*?)(?:\.\s|\.$|$)", header(sql))
    return None if found is None else set(NAME.findall(found.group(1)))


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.stem for p in QUERY_FILES])
def test_every_query_header_lists_exactly_its_params(path: Path):
    """The convention: a query that takes parameters says ``Params:`` in its header, followed by
    every ``$name`` it binds, in one sentence; a query without parameters has no Params sentence.
    Anywhere else in the header, a ``$name`` is one of the query's."""
    sql = path.read_text()
    used = sql_params(sql)
    listed = listed_params(sql)
    if not used:
        assert listed is None, f"{path.name} takes no parameters, but its header lists {listed}"
    else:
        assert listed is not None, f"{path.name}: no 'Params:' sentence for {sorted(used)}"
        assert listed == used, (
            f"{path.name}: the Params sentence lists {sorted(listed)}, the query takes "
            f"{sorted(used)}"
        )
    stray = set(NAME.findall(header(sql))) - used
    assert not stray, f"{path.name}: the header names {sorted(stray)}, which the query never uses"


def test_the_header_check_sees_a_missing_or_stray_name():
    sql = "-- One row.\n-- Params: $as_of and $segment.\nselect $as_of, $segment, $scope\n"
    assert listed_params(sql) == {"as_of", "segment"} != sql_params(sql)
    assert listed_params("-- One row. No params.\nselect 1\n") is None
    assert listed_params("-- Params: $a ('x.y'; null = all), $b.\n-- $c is below.\n") == {"a", "b"}


# ---------------------------------------------------------------------------------------------
# "Defined in" pointers of the help tooltips


def defines(sql: str, name: str) -> bool:
    """``sql`` computes a column ``name`` (``... as name``) or creates a macro of that name."""
    code = re.sub(r"--[^\n]*", " ", sql)
    return bool(
        re.search(rf"\bas\s+{name}\b", code, re.I)
        or re.search(rf"\bcreate\s+(?:or\s+replace\s+)?macro\s+{name}\s*\(", code, re.I)
    )


@pytest.mark.parametrize("key", sorted(DEFINITIONS))
def test_every_definition_names_the_file_that_defines_it(key: str):
    pointer = re.search(r"Defined in (queries/\S+\.sql)\.$", explain(key))
    assert pointer, f"the help for {key} does not say where it is defined"
    path = REPO / pointer.group(1)
    assert path.is_file(), f"{key}: {pointer.group(1)} does not exist"
    assert defines(path.read_text(), key), f"{key} is not defined in {pointer.group(1)}"


HELP_SOURCES = sorted([*(REPO / "pages").glob("*.py"), *(REPO / "channel").rglob("*.py")])
HELP_POINTERS = sorted(
    {
        (path.relative_to(REPO).as_posix(), found)
        for path in HELP_SOURCES
        for found in re.findall(r"[Dd]efined in `?(queries/[\w/]+\.sql)", path.read_text())
    }
)


@pytest.mark.parametrize(("source", "pointer"), HELP_POINTERS)
def test_every_defined_in_pointer_of_a_page_names_a_real_file(source: str, pointer: str):
    """Help texts written on a page ("Defined in queries/x.sql.") name a file that exists."""
    assert (REPO / pointer).is_file(), f"{source} points at {pointer}, which does not exist"


def test_the_definition_check_needs_the_column_itself():
    assert defines("select sum(x) as revenue_t4q from t", "revenue_t4q")
    assert defines("create macro earned_tier(r, p, g, s) as case end", "earned_tier")
    assert not defines("select revenue_t4q from partner_quarter", "revenue_t4q")
    assert not defines("-- x as status\nselect 1", "status")
    assert not defines("select pace_asof as pace_to_date", "pace")


# ---------------------------------------------------------------------------------------------
# The README's layout table


def layout_table(readme: str) -> str:
    """The table under "## How it works": the rows whose first cell is a path."""
    section = readme.split("## How it works", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def channel_modules() -> list[str]:
    """Every module of the channel package, as a path from the repository root."""
    root = REPO / "channel"
    return sorted(
        str(p.relative_to(REPO))
        for p in root.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py") and "__pycache__" not in p.parts
    ) + sorted(f"{p.relative_to(REPO)}/" for p in root.iterdir() if (p / "__init__.py").is_file())


def is_listed(module: str, table: str) -> bool:
    """A row for the module itself, or a mention of its file name in its package's row."""
    if f"| `{module}` |" in table:
        return True
    package, _, name = module.rpartition("/")
    row = next((r for r in table.splitlines() if r.startswith(f"| `{package}/` |")), "")
    return package != "channel" and f"`{name}`" in row


@pytest.mark.parametrize("module", channel_modules())
def test_every_module_is_in_the_readme_layout_table(module: str):
    table = layout_table((REPO / "README.md").read_text())
    assert is_listed(module, table), f"README.md, How it works: add a row for {module}"


def test_the_layout_check_needs_a_row_or_a_mention():
    table = "| `channel/loader.py` | x |\n| `channel/ui/` | `core.py`: y |"
    assert is_listed("channel/loader.py", table)
    assert is_listed("channel/ui/core.py", table)
    assert not is_listed("channel/ui/page.py", table)
    assert not is_listed("channel/runner.py", table)
