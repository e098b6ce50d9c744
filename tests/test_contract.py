"""The contract, its templates and its documentation agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from channel.cli import main
from channel.contract import TABLES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _contract_rows() -> dict[str, str]:
    rows = {}
    for line in README.splitlines():
        m = re.match(r"\| `(\w+)`( \(required\))? \| (.*?) \| (.*) \|$", line)
        if m:
            rows[m.group(1)] = line
    return rows


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_readme_documents_every_file_and_column(table):
    row = _contract_rows().get(table.name)
    assert row, f"README's contract table has no row for {table.name}"
    assert ("(required)" in row) == table.required
    for col in table.columns:
        shown = f"**{col.name}**" if col.required else col.name
        assert shown in row, f"README: {table.name}.{col.name} missing or required-ness wrong"
        for choice in col.choices:
            assert choice in row, f"README: {table.name}.{col.name} choice {choice}"


def test_templates_are_current_and_load(tmp_path):
    assert main(["templates", str(tmp_path / "t")]) == 0
    for table in TABLES:
        committed = ROOT / "data" / "templates" / f"{table.name}.csv"
        assert committed.read_text() == (tmp_path / "t" / f"{table.name}.csv").read_text()
    assert main(["load", str(ROOT / "data" / "templates"), "--db", str(tmp_path / "t.duckdb")]) == 0


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
