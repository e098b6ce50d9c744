"""Every query's answers on one database, as digests: proof that a refactor changed no number.

    python -m bench.answers DB [--as-of Q ...] > before.json
    (change the code, rebuild the same database)
    python -m bench.answers DB [--as-of Q ...] --compare before.json

For each query in ``queries/`` and each as-of quarter (default: the latest three complete ones
and the one in progress), the query runs with every filter empty and a fixed value for its other
parameters, and the full result (columns, types and rows, sorted) is hashed as JSON lines. The
scorecard export's CSV bytes are hashed as ``python -m channel export scorecard`` writes them
(floats to 9 decimals: DuckDB's parallel sums may differ in their last bits from run to run).
With ``--compare`` the script prints the answers that differ and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import polars as pl

from channel.filters import no_filters
from channel.runner import run
from channel.sqlfiles import QUERIES_DIR, load_query

# Columns that differ between two loads of the same files: when, and from which folder.
VOLATILE = ["loaded_at", "source"]


def _values(db: Path, as_of: str) -> dict[str, object]:
    """A fixed value for every parameter a query may take (filters empty: every partner)."""
    partner = run("scorecard", db=db, as_of=as_of, **no_filters())["partner_id"].to_list()
    verticals = run("alignment_verticals", db=db)
    return {
        "as_of": as_of,
        **no_filters(),
        "limit": 50,
        "quarters": 8,
        "partner_id": partner[len(partner) // 3] if partner else "none",
        "search": "a",
        "group_by": "segment",
        "rank_by": "revenue",
        "vertical": verticals[verticals.columns[0]][0] if verticals.height else None,
        "floor_platinum": 4_000_000.0,
        "floor_gold": 800_000.0,
        "floor_silver": 200_000.0,
    }


def digest(frame: pl.DataFrame) -> str:
    # DuckDB sums doubles in parallel, in no fixed order: the last bits of a sum may differ from
    # one run to the next, so floats are compared to 10 significant digits
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    frame = frame.with_columns(pl.col(floats).round_sig_figs(10))
    schema = ";".join(f"{name}:{dtype}" for name, dtype in frame.schema.items())
    flat = [c for c, t in frame.schema.items() if not t.is_nested()]
    rows = frame.sort(flat, nulls_last=True, maintain_order=True) if flat else frame
    # floats inside lists and structs too: reread each JSON line with rounded floats
    lines = [
        json.dumps(json.loads(line, parse_float=lambda t: float(f"{float(t):.10g}")))
        for line in rows.write_ndjson().splitlines()
    ]
    return hashlib.sha256("\n".join([schema, *lines]).encode()).hexdigest()[:16]


def answers(db: Path, quarters: list[str] | None) -> dict[str, str]:
    grid = run("as_of_quarters", db=db)
    if not quarters:
        pickable = grid.filter(pl.col("is_pickable"))
        complete = pickable.filter(pl.col("quarter_state") == "complete")
        quarters = complete["fiscal_quarter"].to_list()[:3]
        quarters += pickable.filter(pl.col("quarter_state") == "in_progress")[
            "fiscal_quarter"
        ].to_list()
    out: dict[str, str] = {}
    for as_of in quarters:
        values = _values(db, as_of)
        for path in sorted(QUERIES_DIR.glob("*.sql")):
            _, names = load_query(path.stem)
            frame = run(path.stem, db=db, **{n: values[n] for n in names})
            frame = frame.drop(VOLATILE, strict=False)
            out[f"{path.stem} @ {as_of}"] = digest(frame)
        # the export's bytes, in its own row order, as `python -m channel export scorecard` writes
        export = run("scorecard", db=db, as_of=as_of, **no_filters()).write_csv(float_precision=9)
        out[f"export scorecard CSV @ {as_of}"] = hashlib.sha256(export.encode()).hexdigest()[:16]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("--as-of", action="append", default=[], metavar="YYYY-Qn")
    parser.add_argument("--compare", type=Path, help="a JSON written by an earlier run")
    args = parser.parse_args(argv)
    now = answers(args.db, args.as_of)
    if args.compare is None:
        json.dump(now, sys.stdout, indent=1, sort_keys=True)
        print()
        return 0
    before = json.loads(args.compare.read_text())
    changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for key in changed:
        print(f"differs: {key} ({before.get(key, 'absent')} -> {now.get(key, 'absent')})")
    print(f"{len(now) - len(changed)} of {len(now)} answers identical; {len(changed)} differ")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
