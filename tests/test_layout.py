"""The layout of tests/: shared helpers live in tests/helpers.py (and the other modules whose
names do not start with ``test_``) or in tests/conftest.py fixtures, never in a test module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
MODULES = sorted(TESTS.glob("*.py"))


def imported_modules(source: str) -> list[str]:
    """Every module ``source`` imports, dotted, as written (``.x`` for a relative import), with
    ``from a import b`` also listed as ``a.b`` since b may be a module."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.append(base)
            found += [f"{base.rstrip('.')}.{alias.name}".lstrip(".") for alias in node.names]
    return found


def is_forbidden(module: str) -> bool:
    """A test module or conftest: pytest collects (or loads) them itself, and an import makes a
    second copy whose fixtures and constants drift from the collected one."""
    parts = module.lstrip(".").split(".")
    return any(part.startswith("test_") or part == "conftest" for part in parts)


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_module_imports_a_test_module(path: Path):
    bad = [m for m in imported_modules(path.read_text()) if is_forbidden(m)]
    assert not bad, (
        f"{path.name} imports {bad}: move what it needs to tests/helpers.py or to a fixture in "
        "tests/conftest.py"
    )


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("from tests.test_scorecard import COLUMNS", True),
        ("import tests.test_loader", True),
        ("from tests import test_loader", True),
        ("from test_loader_fuzz import TINY", True),
        ("from . import test_tiers", True),
        ("def f():\n    from tests.conftest import DATA", True),
        ("from tests.helpers import DATA, NO_FILTERS", False),
        ("from tests.corruptions import Doc", False),
        ("from channel.runner import run", False),
    ],
)
def test_the_check_sees_every_form_of_import(source, forbidden):
    assert any(is_forbidden(m) for m in imported_modules(source)) is forbidden
