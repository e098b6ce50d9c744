"""The loader's report: every problem of a folder is named (up to twenty per rule, then a count),
and ``python -m channel load`` prints it without a traceback.

How the loader tests work (the folder ``BASE``, the database ``db``, ``expect_problem``): see
tests/README.md, "The loader tests"."""

from __future__ import annotations

import subprocess
import sys

import pytest

from channel.loader import MAX_SHOWN_PER_RULE
from tests.helpers import (
    BASE,
    REPO,
    cell,
    cli_env,
    digest,
    expect_problem,
    files,
    set_cell,
    write_folder,
)

# ---------------------------------------------------------------------------------------------
# Reporting every problem


def test_every_problem_is_reported(tmp_path, db):
    text = set_cell(BASE["deals"], 2, "amount", "abc")
    text = set_cell(text, 3, "status", "bogus")
    text = set_cell(text, 5, "closed_on", "2025-13-01")
    err, _ = expect_problem(tmp_path, db, files(deals=text), file="deals.csv", line=2)
    found = {(p.file, p.line, p.column, p.value) for p in err.problems}
    assert found == {
        ("deals.csv", 2, "amount", "abc"),
        ("deals.csv", 3, "status", "bogus"),
        ("deals.csv", 5, "closed_on", "2025-13-01"),
    }
    assert err.more == []
    assert err.report().splitlines()[0] == "load failed: 3 problems"


def test_problems_in_several_files_are_all_reported(tmp_path, db):
    content = files(
        partners=set_cell(BASE["partners"], 4, "segment", "Tiny"),
        targets=set_cell(BASE["targets"], 2, "target_amount", "-3"),
        investments=set_cell(BASE["investments"], 2, "fiscal_quarter", "Q1"),
    )
    err, _ = expect_problem(tmp_path, db, content, file="partners.csv", line=4, column="segment")
    assert {(p.file, p.line, p.column) for p in err.problems} == {
        ("partners.csv", 4, "segment"),
        ("targets.csv", 2, "target_amount"),
        ("investments.csv", 2, "fiscal_quarter"),
    }


def test_more_than_twenty_problems_of_one_rule_are_counted(tmp_path, db):
    bad_rows = "".join(f"X{i},P01,-{i + 1},2025-01-01,won,,\n" for i in range(27))
    err, _ = expect_problem(
        tmp_path, db, files(deals=BASE["deals"] + bad_rows), file="deals.csv", line=6
    )
    assert MAX_SHOWN_PER_RULE == 20
    shown = [p for p in err.problems if p.column == "amount"]
    assert [p.line for p in shown] == list(range(6, 26))
    assert [p.value for p in shown] == [f"-{i}" for i in range(1, 21)]
    assert len(err.more) == 1
    file, column, reason, count = err.more[0]
    assert (file, column, count) == ("deals.csv", "amount", 7)
    assert "finite number" in reason
    assert "7 more rows" in err.report()
    assert err.report().splitlines()[0] == "load failed: 27 problems"


def test_more_than_twenty_duplicates_are_counted(tmp_path, db):
    dups = "".join(f"D1,P01,{i},2025-01-01,won,,\n" for i in range(23))
    err, _ = expect_problem(
        tmp_path, db, files(deals=BASE["deals"] + dups), file="deals.csv", reason="duplicate"
    )
    assert len([p for p in err.problems if "duplicate" in p.reason]) == 20
    assert [n for f, c, r, n in err.more if f == "deals.csv" and c == "deal_id"] == [3]


# ---------------------------------------------------------------------------------------------
# CLI


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (cell("deals", 3, "amount", "-5"), "deals.csv, line 3, column amount, value '-5'"),
        (
            cell("targets", 4, "fiscal_quarter", "FY25"),
            "targets.csv, line 4, column fiscal_quarter",
        ),
        (files(partners=BASE["partners"].replace("\n", "\r")), "partners.csv, line 1"),
        (files(deals=None), "deals.csv: required file is missing"),
    ],
    ids=["bad amount", "bad quarter", "bare CR", "missing file"],
)
def test_cli_load_reports_without_traceback(tmp_path, db, content, expected):
    before = digest(db)
    folder = write_folder(tmp_path / "bad", content)
    result = subprocess.run(
        [sys.executable, "-m", "channel", "load", str(folder), "--db", str(db)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(),
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert expected in result.stderr
    assert digest(db) == before
