"""Every query's answers on one database, saved and compared: proof that a refactor changed
no number.

    python -m bench.answers DB [--as-of Q ...] --save before/
    (change the code, rebuild the same database)
    python -m bench.answers DB [--as-of Q ...] --compare before/

For each query in ``queries/`` and each as-of quarter (default: the latest three complete ones
and the one in progress), the query runs twice: with every filter empty, then with two segments,
two regions and half the partner managers as the viewer's scope; its other parameters take a
fixed value. The scorecard export's CSV is kept as the bytes ``python -m channel export
scorecard`` writes (floats to 9 decimals). ``--save`` writes every result to Parquet with a
digest of each in ``index.json``; ``--compare`` reruns them, and each must have the same columns,
types and rows (in any order; floats equal to a relative 1e-9, since DuckDB's parallel sums may
differ in their last bits from run to run). It prints the answers that differ and exits 1 when
any does.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

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
        "min_risk": 0.5,
    }


def _filtered(db: Path, as_of: str) -> dict[str, object]:
    """The same values with a filter on two dimensions and a viewer's scope: the path where a page
    joins the partners it may show."""
    options = run("filter_options", db=db, scope=None)
    first = {
        f: options.filter(pl.col("filter") == f)["value"].to_list()
        for f in ("segment", "region", "partner_manager")
    }
    return {
        **_values(db, as_of),
        "segment": first["segment"][:2],
        "region": first["region"][:1] + first["region"][2:3],
        "scope": first["partner_manager"][: max(1, len(first["partner_manager"]) // 2)],
    }


def _ordered(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in one order whatever the engine's: sorted on every flat column, floats rounded to 10
    significant digits for the sort only (the values themselves are kept)."""
    flat = [c for c, t in frame.schema.items() if not t.is_nested()]
    if not flat:
        return frame
    keys = [pl.col(c).round_sig_figs(10) if frame.schema[c].is_float() else pl.col(c) for c in flat]
    return frame.sort(keys, nulls_last=True, maintain_order=True)


def digest(frame: pl.DataFrame) -> str:
    """A short hash of the rows, floats to 10 significant digits (for the note: two runs may
    differ in the last bits of a parallel sum, so --compare checks values with a tolerance)."""
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    rounded = _ordered(frame).with_columns(pl.col(floats).round_sig_figs(10))
    schema = ";".join(f"{name}:{dtype}" for name, dtype in frame.schema.items())
    # floats inside lists and structs too: reread each JSON line with rounded floats
    lines = [
        json.dumps(json.loads(line, parse_float=lambda t: float(f"{float(t):.10g}")))
        for line in rounded.write_ndjson().splitlines()
    ]
    return hashlib.sha256("\n".join([schema, *lines]).encode()).hexdigest()[:16]


def answers(db: Path, quarters: list[str] | None) -> dict[str, pl.DataFrame]:
    """Every query's result (and the export's CSV, as a one-cell frame), by a readable key."""
    grid = run("as_of_quarters", db=db)
    if not quarters:
        pickable = grid.filter(pl.col("is_pickable"))
        complete = pickable.filter(pl.col("quarter_state") == "complete")
        quarters = complete["fiscal_quarter"].to_list()[:3]
        quarters += pickable.filter(pl.col("quarter_state") == "in_progress")[
            "fiscal_quarter"
        ].to_list()
    out: dict[str, pl.DataFrame] = {}
    for as_of in quarters:
        for label, values in (("", _values(db, as_of)), (" filtered", _filtered(db, as_of))):
            for path in sorted(QUERIES_DIR.glob("*.sql")):
                _, names = load_query(path.stem)
                frame = run(path.stem, db=db, **{n: values[n] for n in names})
                out[f"{path.stem} @ {as_of}{label}"] = frame.drop(VOLATILE, strict=False)
        # the export's bytes, in its own row order, as `python -m channel export scorecard` writes
        export = run("scorecard", db=db, as_of=as_of, **no_filters()).write_csv(float_precision=9)
        out[f"export scorecard CSV @ {as_of}"] = pl.DataFrame({"csv": [export]})
    return out


def differences(before: pl.DataFrame, now: pl.DataFrame) -> str | None:
    """Why two answers differ (None when they agree: same columns and types, same rows, floats
    equal to a relative 1e-9)."""
    tolerance = 1e-9
    if before.columns == ["csv"] and now.columns == ["csv"]:
        tolerance = 2e-9  # written to 9 decimals: one unit in the last place either way
        # the export: the same header and rows once read back, numbers to the same tolerance
        before, now = (
            pl.read_csv(io.StringIO(f["csv"][0]), infer_schema=False) for f in (before, now)
        )
        if before.columns != now.columns or before.height != now.height:
            return f"CSV {before.columns} x {before.height} -> {now.columns} x {now.height}"
        number = pl.col(before.columns).cast(pl.Float64, strict=False)
        numeric = [
            c
            for c in before.columns
            if before.select(number)[c].null_count() == before[c].null_count()
        ]
        before, now = (f.with_columns(pl.col(numeric).cast(pl.Float64)) for f in (before, now))
    if before.schema != now.schema:
        return f"columns {dict(before.schema)} -> {dict(now.schema)}"
    if before.height != now.height:
        return f"{before.height} rows -> {now.height}"
    try:
        assert_frame_equal(_ordered(before), _ordered(now), rel_tol=1e-9, abs_tol=tolerance)
    except AssertionError as error:
        before, now = _ordered(before), _ordered(now)
        words = []
        for column, dtype in before.schema.items():
            if dtype.is_float() or dtype.is_nested():
                continue
            wrong = (before[column].ne_missing(now[column])).arg_true()
            if len(wrong):
                i = wrong[0]
                words.append(
                    f"{column}: {len(wrong):,} of {before.height:,} rows, e.g. "
                    f"{before[column][i]!r} -> {now[column][i]!r}"
                )
        return "; ".join(words) or " ".join(str(error).split())[:300]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("--as-of", action="append", default=[], metavar="YYYY-Qn")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, metavar="DIR", help="write every answer to DIR")
    mode.add_argument("--compare", type=Path, metavar="DIR", help="a DIR written by --save")
    args = parser.parse_args(argv)
    now = answers(args.db, args.as_of)
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
        index = {}
        for n, (key, frame) in enumerate(sorted(now.items())):
            frame.write_parquet(args.save / f"{n:04d}.parquet")
            index[key] = {"file": f"{n:04d}.parquet", "rows": frame.height, "digest": digest(frame)}
        (args.save / "index.json").write_text(json.dumps(index, indent=1) + "\n")
        rows = sum(v["rows"] for v in index.values())
        print(f"{len(index)} answers ({rows:,} rows) saved to {args.save}")
        return 0
    index = json.loads((args.compare / "index.json").read_text())
    changed = 0
    for key in sorted(index.keys() | now.keys()):
        if key not in now or key not in index:
            why = "only before" if key in index else "only now"
        else:
            why = differences(pl.read_parquet(args.compare / index[key]["file"]), now[key])
        if why:
            changed += 1
            print(f"differs: {key}: {why}")
    rows = sum(f.height for f in now.values())
    print(f"{len(now) - changed} of {len(now)} answers ({rows:,} rows) identical; {changed} differ")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
