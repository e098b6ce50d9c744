"""Import CRM exports through a mapping: source files -> contract tables -> the loader.

``import_sources(paths, mapping, db_path, ...)`` reads each source a batch at a time, turns the
mapped columns into contract values (dates, amounts, currencies, value maps, aliases,
expressions), and stages them in a scratch DuckDB beside the database. Partners may be derived
from the deals, deals without a partner (direct deals) are left out and counted, and targets may
come from a plan rule. The contract tables are then written as Parquet into a staging folder and
loaded by ``channel.loader.load``: the same validation and atomic swap as ``python -m channel
load``, so nothing in the database changes unless everything is valid.

Every problem names the source file, its line, the source column and the value, and ends with
the mapping rule that produced it: ``opps.csv, line 14, column 'Close Date', value '31/02/2025':
not a date in the format D/M/YYYY (mapping: deals.closed_on)``. The loader's problems about the
staged files are translated back to the source lines the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from channel import fiscal
from channel.contract import TABLES, Column, Table
from channel.ingest import readers, values
from channel.ingest.mapping import (
    Call,
    Col,
    Const,
    Expr,
    Mapping,
    MappingError,
    Rule,
    TableMap,
    columns_of,
    has_most_frequent,
    lookups_of,
)
from channel.loader import (
    AS_OF_GIVEN,
    MAX_SHOWN_PER_RULE,
    LoadError,
    LoadSummary,
    Problem,
    append_frame,
    load,
    resolve_data_as_of,
)
from channel.settings import Settings
from channel.sqlfiles import BUILD_DIR, IMPORT_DIR, execute_file

Progress = Callable[[str], None]
LINE = readers.LINE
SEQ = "_seq"
SRC = "_src"
BATCH_ROWS = 200_000
PEEK_ROWS = 20  # rows of each mapped table a preview shows
SCRATCH_MEMORY = "512MB"  # DuckDB's buffer for the staged rows; past it, pages go to disk
DERIVED = "(derived)"


@dataclasses.dataclass
class ImportSummary:
    load: LoadSummary
    dry_run: bool
    sources: list[tuple[str, int, str]]  # (name, data rows read, encoding)
    direct_deals: int
    direct_amount: float
    direct_won_amount: float
    notes: list[str]

    def report(self) -> str:
        lines = []
        for name, rows, encoding in self.sources:
            lines.append(f"read {name}: {rows:,} rows ({encoding})")
        if self.direct_deals:
            deals = "deal" if self.direct_deals == 1 else "deals"
            lines.append(
                f"left out {self.direct_deals:,} direct {deals} (no partner): amount "
                f"{self.direct_amount:,.2f} in all, {self.direct_won_amount:,.2f} won"
            )
        lines += [f"note: {n}" for n in self.notes]
        text = self.load.report()
        if self.dry_run:
            text = text.replace(f"loaded {self.load.db_path} in", "dry run: checked in", 1)
            text += "\n  nothing was written (--dry-run)"
        return "\n".join(lines + [text])


class _Problems:
    """Problems, at most MAX_SHOWN_PER_RULE per (file, column, reason); the rest counted."""

    def __init__(self) -> None:
        self.shown: list[Problem] = []
        self.counts: dict[tuple[str, str, str], int] = {}

    def add(self, p: Problem) -> None:
        key = (p.file, p.column or "", p.reason)
        self.counts[key] = self.counts.get(key, 0) + 1
        if self.counts[key] <= MAX_SHOWN_PER_RULE:
            self.shown.append(p)

    def more_from(self, more: list[tuple[str, str, str, int]]) -> None:
        for f, c, r, n in more:
            key = (f, c, r)
            self.counts[key] = max(self.counts.get(key, 0), MAX_SHOWN_PER_RULE) + n

    def raise_if_any(self) -> None:
        if self.shown:
            more = [
                (f, c, r, n - MAX_SHOWN_PER_RULE)
                for (f, c, r), n in self.counts.items()
                if n > MAX_SHOWN_PER_RULE
            ]
            raise LoadError(self.shown, more, what="import")


# ---------------------------------------------------------------------------------------------
# Sources


@dataclasses.dataclass
class _Opened:
    name: str  # as given: file name, plus "#Sheet"
    source: readers.Source
    rows: int = 0


def source_name(arg: str) -> str:
    path, sheet = readers.parse_source_arg(arg)
    return path.name + (f"#{sheet}" if sheet else "")


def open_sources(args: list[str], encodings: dict[str, str] | None = None) -> dict[str, _Opened]:
    """Open every source (headers only). Raises LoadError naming each file that cannot be."""
    problems: list[Problem] = []
    out: dict[str, _Opened] = {}
    for arg in args:
        path, sheet = readers.parse_source_arg(arg)
        name = source_name(arg)
        if name in out:
            problems.append(Problem(name, None, None, None, "is given twice"))
            continue
        enc = (encodings or {}).get(name) or (encodings or {}).get(path.name)
        try:
            out[name] = _Opened(name, readers.open_source(path, sheet=sheet, encoding=enc))
        except readers.SourceError as e:
            problems += e.problems
        except OSError as e:
            problems.append(Problem(name, None, None, None, f"cannot be read: {e.strerror or e}"))
    if problems:
        raise LoadError(problems, what="import")
    return out


def resolve_files(mapping: Mapping, given: list[str]) -> dict[str, str]:
    """Mapping file name -> source name given. A name matches exactly, or as a pattern
    (``opps*.csv``); when the mapping reads one file and one source is given, the source stands
    for it whatever its name (next month's export under another name)."""
    wanted = mapping.files()
    if len(wanted) == 1 and len(given) == 1:
        return {wanted[0]: given[0]}
    out: dict[str, str] = {}
    for w in wanted:
        if w in given:
            out[w] = w
            continue
        hits = [g for g in given if fnmatch.fnmatchcase(g.lower(), w.lower())]
        if len(hits) == 1:
            out[w] = hits[0]
    return out


# ---------------------------------------------------------------------------------------------
# Turning source text into contract values, a batch at a time


def _clean(s: pl.Series) -> pl.Series:
    s = s.cast(pl.String).str.strip_chars()
    return pl.select(pl.when(s != "").then(s)).to_series().rename(s.name)


class _Context:
    """What evaluating a batch needs: the mapping, the lookup tables, the problem list."""

    def __init__(self, mapping: Mapping, opened: dict[str, _Opened], files: dict[str, str]):
        self.mapping = mapping
        self.opened = opened
        self.files = files
        self.problems = _Problems()
        self._lookups: dict[tuple[str, str, str], dict[str, str]] = {}
        self.currencies: dict[str, dict[str, tuple[str, int]]] = {}  # rule key -> code -> where
        self.date_formats: dict[str, str] = {}  # rule key -> format detected on its first batch

    def lookup_table(self, file: str, key: str, value: str) -> dict[str, str]:
        k = (file, key, value)
        if k not in self._lookups:
            src = self.opened[self.files[file]].source
            parts = [b.select(key, value) for b in src.batches(BATCH_ROWS)]
            schema = {key: pl.String, value: pl.String}
            frame = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
            frame = frame.select(_clean(frame[key]), _clean(frame[value])).drop_nulls(key)
            frame = frame.unique(key, keep="first", maintain_order=True)
            self._lookups[k] = dict(zip(frame[key].to_list(), frame[value].to_list(), strict=True))
        return self._lookups[k]

    def report(
        self,
        src: str,
        word: str,
        batch: pl.DataFrame,
        mask: pl.Series,
        column: str | None,
        raw: pl.Series,
        reason: str,
        rule: Rule,
    ) -> None:
        if not mask.any():
            return
        bad = pl.DataFrame({"line": batch[LINE], "value": raw.cast(pl.String)}).filter(mask)
        for line, value in bad.head(MAX_SHOWN_PER_RULE + 1).iter_rows():
            self.problems.add(
                Problem(src, line, column, value, f"{reason} (mapping: {rule.key})", word)
            )
        extra = bad.height - min(bad.height, MAX_SHOWN_PER_RULE + 1)
        if extra:
            key = (src, column or "", f"{reason} (mapping: {rule.key})")
            self.problems.counts[key] = self.problems.counts.get(key, 0) + extra


def _eval(
    expr: Expr, batch: pl.DataFrame, ctx: _Context, src: str, word: str, rule: Rule
) -> pl.Series:
    """An expression over one batch -> text (null where empty)."""
    n = batch.height
    if isinstance(expr, Col):
        return _clean(batch[expr.name])
    if isinstance(expr, Const):
        v = expr.value
        text = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
        return pl.repeat(text, n, dtype=pl.String, eager=True)
    assert isinstance(expr, Call)
    args = expr.args
    if expr.func == "most_frequent":
        return _eval(args[0], batch, ctx, src, word, rule)
    if expr.func == "first_nonempty":
        parts = [_eval(a, batch, ctx, src, word, rule) for a in args]
        return pl.select(pl.coalesce(parts)).to_series()
    if expr.func == "concat":
        parts = [_eval(a, batch, ctx, src, word, rule) for a in args]
        joined = pl.select(pl.concat_str(parts, ignore_nulls=True)).to_series()
        return _clean(joined)
    if expr.func == "lookup":
        file, key, value = args[0].value, args[1].name, args[2].name
        local = args[3].name if len(args) == 4 else key
        table = ctx.lookup_table(file, key, value)
        return _clean(batch[local]).replace_strict(table, default=None, return_dtype=pl.String)
    if expr.func == "bands":
        raw = _eval(args[0], batch, ctx, src, word, rule)
        m = ctx.mapping
        numbers, bad, reason = values.parse_amounts(raw, m.decimal, m.thousands)
        col = columns_of(args[0])
        ctx.report(src, word, batch, bad, col[0] if col else None, raw, f"bands(): {reason}", rule)
        limits, labels = args[1].value, [str(x) for x in args[2].value]
        out = pl.lit(labels[-1])
        for limit, label in reversed(list(zip(limits, labels, strict=False))):
            out = pl.when(pl.col("x") < limit).then(pl.lit(label)).otherwise(out)
        return (
            pl.DataFrame({"x": numbers})
            .select(pl.when(pl.col("x").is_not_null()).then(out))
            .to_series()
        )
    raise AssertionError(expr.func)


def _convert(
    col: Column,
    rule: Rule,
    text: pl.Series,
    batch: pl.DataFrame,
    ctx: _Context,
    src: str,
    word: str,
    table_file: str,
) -> pl.Series:
    """Mapped text -> the contract value of ``col`` (typed for dates and amounts; text for the
    rest, which the loader checks). Bad cells are reported and come back null."""
    m = ctx.mapping
    column = rule.source_column
    if rule.value_map is not None:
        try:
            text, bad, reason, _ = values.map_values(
                text, rule.value_map, case_insensitive=not rule.case_sensitive
            )
        except ValueError as e:
            raise MappingError([Problem(m.name, None, f"{rule.key}.map", None, str(e))]) from None
        ctx.report(src, word, batch, bad, column, batch[column] if column else text, reason, rule)
    if rule.aliases is not None:
        canonical = list(col.choices) if col.kind == "enum" else None
        try:
            text, bad, reason = values.apply_aliases(text, rule.aliases, canonical)
        except ValueError as e:
            raise MappingError(
                [Problem(m.name, None, f"{rule.key}.aliases", None, str(e))]
            ) from None
        raw = batch[column] if column else text
        ctx.report(src, word, batch, bad, column, raw, reason, rule)
    if col.kind == "date":
        fmt = rule.date_format or m.date_format or _detect_date(rule, text, batch, ctx, src)
        out, bad, reason = values.parse_dates(text, fmt)
        ctx.report(src, word, batch, bad, column, text, reason, rule)
        return out.rename(col.name)
    if col.kind in ("amount", "share"):
        decimal = rule.decimal or m.decimal
        thousands = rule.thousands if rule.thousands is not None else m.thousands
        out, bad, reason = values.parse_amounts(text, decimal, thousands)
        ctx.report(src, word, batch, bad, column, text, reason, rule)
        if col.kind == "amount":
            out = _currency(out, text, rule, batch, ctx, src, word)
        return out.rename(col.name)
    return text.rename(col.name)


def _detect_date(rule: Rule, text: pl.Series, batch: pl.DataFrame, ctx: _Context, src: str) -> str:
    """The format of a date column the mapping gives none for: the one format that reads every
    value of its first batch. Two formats that read some value differently (3/4/2025) are
    refused, never guessed between; with none that fits, ISO (its problems name the values)."""
    if rule.key in ctx.date_formats:
        return ctx.date_formats[rule.key]
    guess = values.detect_date_format(text)
    if guess.ambiguous:
        shown = "; ".join(
            f"{values.date_format_words(f)}: "
            + ", ".join(f"{t!r} = {d.isoformat()}" for t, d in guess.examples.get(f, [])[:2])
            for f in guess.candidates
        )
        options = " or ".join(f"format = {f!r}" for f in guess.candidates)
        raise MappingError(
            [
                Problem(
                    ctx.mapping.name,
                    None,
                    rule.key,
                    rule.source_column,
                    f"the dates in {src} read two ways ({shown}): set {options} on this column",
                )
            ]
        )
    fmt = guess.format or (guess.candidates[0] if guess.candidates else values.ISO)
    ctx.date_formats[rule.key] = fmt
    return fmt


def _currency(
    amounts: pl.Series,
    text: pl.Series,
    rule: Rule,
    batch: pl.DataFrame,
    ctx: _Context,
    src: str,
    word: str,
) -> pl.Series:
    m = ctx.mapping
    marks = values.currency_of(text)
    if rule.currency_column:
        codes = _clean(batch[rule.currency_column]).str.to_uppercase()
        marks = codes.fill_null(marks)
    if m.currency is not None:
        out, bad, reason = values.convert(amounts, marks, m.rates, m.currency, unmarked=m.currency)
        column = rule.currency_column or rule.source_column
        shown = batch[rule.currency_column] if rule.currency_column else text
        ctx.report(src, word, batch, bad & amounts.is_not_null(), column, shown, reason, rule)
        return out
    seen = ctx.currencies.setdefault(rule.key, {})
    found = (
        pl.DataFrame({"c": marks, "line": batch[LINE]})
        .drop_nulls("c")
        .unique("c", keep="first", maintain_order=True)
    )
    for code, line in found.iter_rows():
        seen.setdefault(code, (src, line))
    return amounts


def _check_currencies(ctx: _Context, rules: dict[str, Rule]) -> None:
    for key, seen in ctx.currencies.items():
        if len(seen) > 1:
            rule = next(r for r in rules.values() if r.key == key)
            where = ", ".join(f"{c} first on line {line}" for c, (_, line) in sorted(seen.items()))
            src = next(iter(seen.values()))[0]
            ctx.problems.add(
                Problem(
                    src,
                    None,
                    rule.currency_column or rule.source_column,
                    None,
                    f"amounts in {len(seen)} currencies ({where}) and no conversion: set "
                    "[defaults] currency and rates in the mapping "
                    f"(mapping: {key})",
                )
            )


# ---------------------------------------------------------------------------------------------
# Staging


_TYPED = {"date": pl.Date, "amount": pl.Float64, "share": pl.Float64}


def _raw(name: str) -> str:
    """The column that keeps a typed value's source text, for the loader's problems."""
    return f"_raw_{name}"


def _frame_schema(table: Table) -> str:
    types = {"date": "date", "amount": "double", "share": "double"}
    cols = [f"{c.name} {types.get(c.kind, 'varchar')}" for c in table.columns]
    raws = [f"{_raw(c.name)} varchar" for c in table.columns if c.kind in _TYPED]
    return ", ".join([f"{SEQ} bigint", f"{SRC} varchar", f"{LINE} bigint", *cols, *raws])


def _cast(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    out = [frame[SEQ], frame[SRC], frame[LINE]]
    for c in table.columns:
        names = [c.name] + ([_raw(c.name)] if c.kind in _TYPED else [])
        for name in names:
            s = frame[name] if name in frame.columns else pl.repeat(None, frame.height, eager=True)
            kind = _TYPED.get(c.kind, pl.String) if name == c.name else pl.String
            out.append(s.cast(kind).rename(name))
    return pl.DataFrame(out)


def _stage_table(
    con: duckdb.DuckDBPyConnection,
    tm: TableMap,
    ctx: _Context,
    say: Progress,
    partner_side: dict[str, Rule] | None = None,
) -> dict[str, float]:
    """Read the rows of ``tm`` from its file into ``_out_<table>``. For deals, also evaluate
    ``partner_side`` (partner columns counted over each partner's deals) into ``_mf``, and leave
    out direct deals. Returns counts for the summary."""
    table = tm.table
    name = ctx.files[tm.file]
    opened = ctx.opened[name]
    src = opened.source
    word = src.line_word
    plain = {c: r for c, r in tm.rules.items() if r.expr is None or not has_most_frequent(r.expr)}
    seq = 0
    direct = {"deals": 0, "amount": 0.0, "won": 0.0}
    t0 = time.perf_counter()
    for batch in src.batches(BATCH_ROWS):
        opened.rows += batch.height
        cols: dict[str, pl.Series] = {}
        for cname, rule in plain.items():
            col = table.column(cname)
            if rule.expr is None:
                text = pl.repeat(rule.value, batch.height, dtype=pl.String, eager=True)
            else:
                text = _eval(rule.expr, batch, ctx, name, word, rule)
            cols[cname] = _convert(col, rule, text, batch, ctx, name, word, name)
            if col.kind in _TYPED:
                cols[_raw(cname)] = text
        frame = pl.DataFrame(
            {
                SEQ: pl.int_range(seq, seq + batch.height, eager=True, dtype=pl.Int64),
                SRC: pl.repeat(name, batch.height, dtype=pl.String, eager=True),
                LINE: batch[LINE],
                **cols,
            }
        )
        seq += batch.height
        if table.name == "deals":
            is_direct = frame["partner_id"].is_null()
            if partner_side:
                _stage_partner_side(con, partner_side, batch, frame, ctx, name, word)
            if is_direct.any():
                d = frame.filter(is_direct)
                direct["deals"] += d.height
                direct["amount"] += d["amount"].fill_null(0).sum()
                status = (
                    d["status"].str.to_lowercase().fill_null("won")
                    if "status" in d.columns
                    else None
                )
                won = d["amount"] if status is None else d.filter(status == "won")["amount"]
                direct["won"] += won.fill_null(0).sum()
                frame = frame.filter(~is_direct)
        append_frame(con, f"_out_{table.name}", _cast(table, frame))
    say(f"mapped {name} -> {table.name} ({time.perf_counter() - t0:.1f} s)")
    return direct


def _stage_partner_side(
    con: duckdb.DuckDBPyConnection,
    rules: dict[str, Rule],
    batch: pl.DataFrame,
    deals: pl.DataFrame,
    ctx: _Context,
    name: str,
    word: str,
) -> None:
    """Partner columns evaluated on the deals' rows: (partner_id, column, value, line)."""
    partners = next(t for t in TABLES if t.name == "partners")
    keep = deals["partner_id"].is_not_null()
    parts = []
    for cname, rule in rules.items():
        col = partners.column(cname)
        text = _eval(rule.expr, batch, ctx, name, word, rule)
        value = _convert(col, rule, text, batch, ctx, name, word, name)
        parts.append(
            pl.DataFrame(
                {
                    "partner_id": deals["partner_id"],
                    "col": pl.repeat(cname, batch.height, dtype=pl.String, eager=True),
                    "value": value.cast(pl.String),
                    "line": batch[LINE],
                }
            ).filter(keep)
        )
    if parts:
        append_frame(con, "_mf", pl.concat(parts))


def _mode_sql(cname: str) -> str:
    """The most frequent value of one partner-side column per partner (ties: the first in
    alphabetical order)."""
    return (
        "select partner_id, value from (select partner_id, value, count(*) as n from _mf"  # noqa: S608
        f" where col = '{cname}' and value is not null group by all)"
        " qualify row_number() over (partition by partner_id order by n desc, value) = 1"
    )


def _derive_partners(con: duckdb.DuckDBPyConnection, tm: TableMap, deals_file: str) -> None:
    """``_out_partners`` from the deals: one row per distinct partner_id (in order of first
    appearance), each column the most frequent value over the partner's deals, or a constant."""
    selects = []
    joins = []
    for i, c in enumerate(tm.table.columns):
        if c.name == "partner_id":
            selects.append("p.partner_id")
            continue
        rule = tm.rules.get(c.name)
        if rule is None:
            selects.append(f"null as {c.name}")
        elif rule.expr is None and rule.value is None:  # partner_name defaults to the ID
            selects.append(f"p.partner_id as {c.name}")
        elif rule.expr is None:
            selects.append(f"$v{i} as {c.name}")
        else:
            selects.append(f"m{i}.value as {c.name}")
            joins.append(f"left join ({_mode_sql(c.name)}) m{i} on m{i}.partner_id = p.partner_id")
    params = {
        f"v{i}": tm.rules[c.name].value
        for i, c in enumerate(tm.table.columns)
        if c.name in tm.rules
        and tm.rules[c.name].expr is None
        and tm.rules[c.name].value is not None
    }
    # contract column names only: the mapping's values are bound as $v<i>
    columns = ", ".join(selects)
    firsts = f"select partner_id, min({SEQ}) as _seq, arg_min({LINE}, {SEQ}) as {LINE}"
    sql = (
        f"insert into _out_partners by name select p._seq, $src as {SRC}, p.{LINE}, {columns}"  # noqa: S608
        f" from ({firsts} from _out_deals group by partner_id) p {' '.join(joins)}"
    )
    con.sql(sql, params={**params, "src": deals_file})


def _join_partner_side(con: duckdb.DuckDBPyConnection, rules: dict[str, Rule]) -> None:
    """Fill a partners file's most_frequent() columns from the deals."""
    for cname in rules:
        con.sql(
            f"update _out_partners set {cname} = m.value from ({_mode_sql(cname)}) m"  # noqa: S608
            " where m.partner_id = _out_partners.partner_id"
        )


def _derive_targets(
    con: duckdb.DuckDBPyConnection, tm: TableMap, settings: Settings, as_of: dt.date
) -> None:
    """``_out_targets`` from a plan rule over the won deals of complete quarters."""
    start = settings.fiscal_year_start_month
    current = fiscal.quarter_of(as_of, start)
    last_complete = current if fiscal.quarter_end(current, start) <= as_of else current - 1
    for f in ("05_fiscal_quarter_idx.sql", "06_fiscal_quarter_start.sql"):
        execute_file(con, BUILD_DIR / f, {})
    params = {
        "rule": tm.rule,
        "quarters": tm.quarters,
        "growth": tm.growth,
        "fiscal_year_start_month": start,
        "last_complete": last_complete,
    }
    execute_file(con, IMPORT_DIR / "derived_targets.sql", params)


# ---------------------------------------------------------------------------------------------
# Translating the loader's problems back to the sources


def _translate(con: duckdb.DuckDBPyConnection, e: LoadError, mapping: Mapping) -> LoadError:
    staged = {f"{t.name}.parquet": t for t in TABLES}

    def where(
        table: str, row: int | None, col: str | None = None
    ) -> tuple[str | None, int | None, str | None]:
        """(source file, line, source text of ``col`` when it was typed by the import)."""
        if row is None:
            return None, None, None
        t = next(x for x in TABLES if x.name == table)
        typed = col is not None and any(c.name == col and c.kind in _TYPED for c in t.columns)
        raw = _raw(col) if typed else "null"
        found = con.sql(
            f"select {SRC}, {LINE}, {raw} from (select *, row_number() over"  # noqa: S608
            f" (order by {SEQ}) as r from _out_{table}) where r = $r",
            params={"r": row},
        ).fetchall()
        return found[0] if found else (None, None, None)

    def column(table: str, col: str | None) -> tuple[str | None, str]:
        tm = mapping.tables.get(table)
        rule = tm.rules.get(col) if tm and col else None
        if rule is None:
            return col, f" (mapping: {table}.{col})" if col else ""
        return rule.source_column or rule.text, f" (mapping: {rule.key})"

    problems = []
    for p in e.problems:
        table = staged.get(p.file)
        if table is None:
            problems.append(p)
            continue
        src, line, raw = where(table.name, p.line, p.column)
        word = "line"
        if src is None:
            tm = mapping.tables.get(table.name)
            src = tm.file if tm and tm.file else f"{table.name} {DERIVED}"
        col, rule = column(table.name, p.column)
        name = table.name
        reason = re.sub(
            r"first on row (\d+)",
            lambda m, name=name: "first on line " + str(where(name, int(m.group(1)))[1]),
            p.reason,
        )
        if p.reason.startswith(("required file", "has no data")) and table.name == "partners":
            reason += " (the deals name no partner: map deals.partner_id)"
        value = raw if raw is not None else p.value
        problems.append(Problem(src, line, col, value, reason + rule, word))
    more = []
    for f, c, r, n in e.more:
        table = staged.get(f)
        if table is None:
            more.append((f, c, r, n))
            continue
        tm = mapping.tables.get(table.name)
        col, rule = column(table.name, c)
        more.append((tm.file if tm and tm.file else table.name, col or "", r + rule, n))
    return LoadError(problems, more, what="import")


# ---------------------------------------------------------------------------------------------
# The import


@contextmanager
def _staging(db_path: Path) -> Iterator[Path]:
    folder = db_path.with_name(f".{db_path.name}.import-{os.getpid()}")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def import_sources(
    sources: list[str],
    mapping: Mapping,
    db_path: str | os.PathLike,
    settings: Settings | None = None,
    progress: Progress | None = None,
    data_as_of: dt.date | None = None,
    dry_run: bool = False,
    peek: Callable[[dict[str, pl.DataFrame]], None] | None = None,
) -> ImportSummary:
    """Import ``sources`` (paths, ``file.xlsx#Sheet`` for a sheet) through ``mapping`` into
    ``db_path``. Raises MappingError (the mapping does not fit the sources) or LoadError (bad
    values, named by source line); either way the database is left as it was. ``peek``, when
    given, receives the first PEEK_ROWS rows of each contract table once they are mapped (before
    any problem is raised), for a preview."""
    settings = settings or Settings()
    say = progress or (lambda _m: None)
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    opened = open_sources(sources, mapping.encodings)
    given = list(opened)
    files = resolve_files(mapping, given)
    headers = {w: opened[g].source.headers for w, g in files.items()}
    missing = [w for w in mapping.files() if w not in files]
    if missing:
        raise MappingError(
            Problem(
                mapping.name,
                None,
                _who_reads(mapping, w),
                w,
                f"no source file given matches it (given: {', '.join(given)})",
            )
            for w in missing
        )
    mapping, notes = mapping.resolve(headers, files)
    notes += [f"{w} in the mapping is read from {g}" for w, g in files.items() if w != g]
    ctx = _Context(mapping, opened, files)
    with _staging(db_path) as folder:
        # A file, not memory: the mapped rows of a large export are evicted to disk rather
        # than held, so the import's memory does not grow with the export.
        con = duckdb.connect(
            str(folder / "scratch.duckdb"),
            config={"temp_directory": str(folder / "spill"), "memory_limit": SCRATCH_MEMORY},
        )
        try:
            for t in TABLES:
                con.sql(f"create table _out_{t.name} ({_frame_schema(t)})")
            con.sql(
                "create table _mf (partner_id varchar, col varchar, value varchar, line bigint)"
            )
            partners_tm = mapping.tables["partners"]
            side = {
                c: r
                for c, r in partners_tm.rules.items()
                if r.expr is not None and (partners_tm.from_deals or has_most_frequent(r.expr))
            }
            direct = _stage_table(con, mapping.tables["deals"], ctx, say, side)
            if partners_tm.from_deals:
                _derive_partners(con, partners_tm, files[mapping.tables["deals"].file])
            for t in TABLES:
                tm = mapping.tables.get(t.name)
                if tm is not None and tm.file and t.name != "deals":
                    _stage_table(con, tm, ctx, say)
            if not partners_tm.from_deals and side:
                _join_partner_side(con, side)
            _check_currencies(
                ctx, {r.key: r for tm in mapping.tables.values() for r in tm.rules.values()}
            )
            con.sql(
                "create view stage_deals as select closed_on, created_on,"
                " lower(coalesce(status, 'won')) as status from _out_deals"
            )
            as_of, as_of_source = resolve_data_as_of(con, data_as_of, AS_OF_GIVEN, settings)
            targets_tm = mapping.tables.get("targets")
            if targets_tm is not None and targets_tm.rule is not None and not ctx.problems.shown:
                _derive_targets(con, targets_tm, settings, as_of)
            for t in TABLES:
                if t.name in mapping.tables or t.required:
                    cols = ", ".join(c.name for c in t.columns)
                    out = folder / f"{t.name}.parquet"
                    # the path goes through the API, never into SQL text
                    con.table(f"_out_{t.name}").order(SEQ).select(cols).write_parquet(str(out))
            say("staged the contract tables")
            if peek is not None:
                peek(_heads(con, mapping))
            label = "import: " + ", ".join(given)
            first_problems = list(ctx.problems.shown)
            # With problems found already, the loader still checks the rest (into a scratch
            # file) so that one run reports everything; cells reported already are not again.
            target = folder / "check.duckdb" if dry_run or first_problems else db_path
            try:
                summary = load(
                    folder,
                    target,
                    settings,
                    _quiet(say),
                    as_of,
                    as_of_source,
                    source_label=label,
                    targets_derived=mapping.targets_note(),
                )
            except LoadError as e:
                later = _translate(con, e, mapping)
                if not first_problems:
                    raise later from None
                seen = {(p.file, p.line, p.column) for p in first_problems}
                for p in later.problems:
                    if (p.file, p.line, p.column) not in seen:
                        ctx.problems.add(p)
                ctx.problems.more_from(later.more)
            ctx.problems.raise_if_any()
        finally:
            con.close()
    notes += [
        f"{key}: no date format given; every value reads as {values.date_format_words(fmt)}"
        for key, fmt in ctx.date_formats.items()
    ]
    if not mapping.tables.get("targets"):
        notes.append("no targets were mapped and no plan rule given: attainment cannot be shown")
    return ImportSummary(
        summary,
        dry_run,
        [(n, o.rows, o.source.encoding) for n, o in opened.items() if o.rows],
        direct["deals"],
        direct["amount"],
        direct["won"],
        notes,
    )


def _heads(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> dict[str, pl.DataFrame]:
    """The first PEEK_ROWS mapped rows of each table the mapping makes (contract columns)."""
    out = {}
    for t in TABLES:
        if t.name in mapping.tables:
            cols = ", ".join(c.name for c in t.columns)
            out[t.name] = con.table(f"_out_{t.name}").order(SEQ).select(cols).limit(PEEK_ROWS).pl()
    return out


def _quiet(say: Progress) -> Progress:
    """The loader's progress, without its lines about the staged Parquet files (the user
    never wrote them; the import has said what it read)."""

    def relay(message: str) -> None:
        if not (message.startswith("read ") and ".parquet:" in message):
            say(message)

    return relay


def _who_reads(mapping: Mapping, file: str) -> str:
    for tm in mapping.tables.values():
        if tm.file == file:
            return f"{tm.table.name}.file"
        for r in tm.rules.values():
            if r.expr is not None and any(c.args[0].value == file for c in lookups_of(r.expr)):
                return r.key
    return "file"
