"""Many threads query one database while loads swap it: every answer is the old data or the new,
never an error or a mixture (one read-only connection, one cursor per query, reopen on swap)."""

from __future__ import annotations

import shutil
import threading

from channel.loader import load
from channel.runner import run
from tests.helpers import DATA, NO_FILTERS


def _answer(db) -> tuple[int, float]:
    frame = run("scorecard", db=db, as_of=None, **NO_FILTERS)
    return frame.height, round(frame["revenue_t4q"].sum(), 2)


def test_threads_see_old_or_new_data_while_loads_swap_the_file(tmp_path, tiny_db):
    live = tmp_path / "live.duckdb"
    shutil.copy(tiny_db, live)
    other = tmp_path / "other.duckdb"
    load(DATA / "tiny_fy_april", other)  # the same settings as the loads below
    old = _answer(tiny_db)
    new = _answer(other)
    assert old != new  # the two datasets are told apart by (partners, revenue)

    answers: list[tuple[int, float]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                answers.append(_answer(live))
            except BaseException as e:  # any failure is what this test looks for
                errors.append(e)
                return

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        for source in ["tiny_fy_april", "tiny", "tiny_fy_april", "tiny", "tiny_fy_april"]:
            load(DATA / source, live)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors[:3]
    assert len(answers) > 20
    assert set(answers) <= {old, new}
    assert _answer(live) == new  # the last load wins, and is seen at once
