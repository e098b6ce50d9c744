"""Property test: a valid contract folder corrupted at random either loads or fails with
problems that name a file, and the existing database stays byte-for-byte the same.

Runs a bounded number of examples in `make test`; `HYPOTHESIS_PROFILE=fuzz` runs many more.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from channel.loader import LoadError, load
from tests.conftest import DATA

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

FILES = sorted(p.name for p in (DATA / "tiny").glob("*.csv"))
NASTY = [
    "",
    "2025-Q0",
    "2025Q5",
    "FY25",
    "2025-02-30",
    "-1",
    "NaN",
    "inf",
    "1e308",
    "P99",
    "x" * 10_000,
    '"unclosed',
    "a,b",
    "line\nbreak",
    "\x00\x01\x02",
    "é",
    "\ufeff",
    "' OR 1=1 --",
]


def _corrupt(data: bytes, kind: str, pick: int, value: str) -> bytes | None:
    text = data.decode("utf-8", errors="surrogateescape")  # earlier corruptions may not be UTF-8
    lines = text.splitlines()
    row = 1 + pick % max(len(lines) - 1, 1)
    if kind == "cell" and len(lines) > 1:
        cells = lines[row].split(",")
        cells[pick % len(cells)] = value
        lines[row] = ",".join(cells)
    elif kind == "header" and lines:
        cells = lines[0].split(",")
        cells[pick % len(cells)] = value
        lines[0] = ",".join(cells)
    elif kind == "duplicate_row" and len(lines) > 1:
        lines.insert(row, lines[row])
    elif kind == "drop_column" and lines:
        col = pick % len(lines[0].split(","))
        lines = [",".join(c for i, c in enumerate(line.split(",")) if i != col) for line in lines]
    elif kind == "truncate":
        return data[: pick % (len(data) + 1)]
    elif kind == "latin1":
        return text.replace("a", "\xe9", 1).encode("latin-1", errors="replace")
    elif kind == "semicolons":
        return text.replace(",", ";").encode(errors="surrogateescape")
    elif kind == "crlf_bom":
        return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(errors="surrogateescape")
    elif kind == "garbage":
        return bytes((pick * 7 + i * 13) % 256 for i in range(200))
    elif kind == "directory":
        return None
    return ("\n".join(lines) + "\n").encode("utf-8", errors="surrogateescape")


CORRUPTION = st.tuples(
    st.sampled_from(FILES),
    st.sampled_from(
        [
            "cell",
            "cell",
            "cell",
            "header",
            "duplicate_row",
            "drop_column",
            "truncate",
            "latin1",
            "semicolons",
            "crlf_bom",
            "garbage",
            "directory",
        ]
    ),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(NASTY),
)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "live.duckdb"
    load(DATA / "tiny", db)
    return db, hashlib.sha256(db.read_bytes()).hexdigest()


@given(corruptions=st.lists(CORRUPTION, min_size=1, max_size=3))
def test_corrupted_folder_loads_or_fails_cleanly(baseline, tmp_path_factory, corruptions):
    db, digest = baseline
    folder = tmp_path_factory.mktemp("src")
    for name in FILES:
        shutil.copy(DATA / "tiny" / name, folder / name)
    for name, kind, pick, value in corruptions:
        path: Path = folder / name
        if not path.is_file():
            continue
        changed = _corrupt(path.read_bytes(), kind, pick, value)
        path.unlink()
        if changed is None:
            path.mkdir()
        else:
            path.write_bytes(changed)
    scratch = folder.parent / f"{folder.name}.duckdb"
    shutil.copy(db, scratch)
    try:
        load(folder, scratch)
        event("loaded")
    except LoadError as err:
        event("rejected")
        assert err.problems, "a failed load names at least one problem"
        for problem in err.problems:
            assert problem.file and problem.reason
        assert hashlib.sha256(scratch.read_bytes()).hexdigest() == digest
    assert not list(folder.parent.glob(f".{scratch.name}.tmp-*"))
