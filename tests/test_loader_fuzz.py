"""Property test of the loader: valid contract folders, corrupted at random.

Each example copies tests/data/tiny, applies one to four corruptions from ``KINDS`` (columns
are picked from channel/contract.py, so the test follows the contract) and loads the result
over a copy of a valid database. Every case must end one of two ways:

* the load succeeds and the new database holds exactly what the files say: every table is
  compared with an independent reading of the files (Python's csv module plus the contract's
  rules written out again here, not the loader's code), partner_ids resolve, keys are unique,
  amounts are finite and in range;
* or it raises ``LoadError`` whose problems name the file and, for anything inside a file, the
  line, the column and the value (checked against the record found on that line), with no
  traceback in the message, and the database loaded before stays byte-for-byte the same.

Nothing else may be raised, and no temporary file may be left. When every corruption is one the
contract accepts (BOM, CRLF, semicolons, a quoted newline, a 100 kB name, ...), the load must
succeed. ``make test`` runs the "ci" profile (300 examples, about a minute on 2 cores);
``make fuzz`` runs HYPOTHESIS_PROFILE=fuzz (3,000). One fixed example per corruption lives in
tests/test_loader_hostile.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings

from channel.loader import LoadError, load
from tests.corruptions import (
    CORRUPTIONS,
    TINY,
    Corruption,
    check_loaded,
    check_problem,
    contract_accepts,
    corrupt,
    tiny_docs,
    write_docs,
)

# deadline=None: one load takes 30-300 ms, and a busy 2-core machine can stall any of them.
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz",
    max_examples=3000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---------------------------------------------------------------------------------------------
# The property


@dataclasses.dataclass(frozen=True)
class Baseline:
    db: Path
    digest: str


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Baseline:
    db = tmp_path_factory.mktemp("fuzz") / "live.duckdb"
    load(TINY, db)
    return Baseline(db, sha(db))


def run_case(base: Baseline, work: Path, corruptions: list[Corruption]) -> str:
    """Build, load and judge one corrupted folder; returns "loaded" or "rejected"."""
    docs = tiny_docs()
    for c in corruptions:
        corrupt(docs, c)
    folder = write_docs(work / "src", docs)
    scratch = work / "live.duckdb"
    shutil.copyfile(base.db, scratch)
    try:
        load(folder, scratch)
    except LoadError as err:
        report = err.report()
        assert err.problems, "a failed load names at least one problem"
        assert "Traceback" not in report and "Traceback" not in str(err)
        assert all(str(p) in report for p in err.problems)
        for p in err.problems:
            event(f"problem: {check_problem(p, folder, docs)} level")
        assert sha(scratch) == base.digest, "a failed load changed the database"
        outcome = "rejected"
    else:
        check_loaded(folder, docs, scratch)
        outcome = "loaded"
    assert not list(work.glob(".live.duckdb.tmp-*")), "temporary files left behind"
    if contract_accepts(corruptions):
        assert outcome == "loaded", f"the contract accepts {corruptions}"
    return outcome


@given(corruptions=CORRUPTIONS)
def test_corrupted_folder_loads_correctly_or_fails_clearly(baseline, tmp_path_factory, corruptions):
    for c in corruptions:
        event(f"kind: {c.kind}")
    event(run_case(baseline, tmp_path_factory.mktemp("case"), corruptions))
