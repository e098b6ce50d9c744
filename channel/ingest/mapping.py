"""The import mapping: where each contract column comes from in a CRM export (a TOML file).

``parse_mapping(text, name)`` reads the TOML and checks its shape; every problem names the
mapping file and the key (``deals.columns.closed_on``). ``Mapping.check_sources(headers)`` then
checks it against the source files' headers (an unknown file or column, a missing required
column). Nothing here reads rows: ``channel.ingest.importer`` applies a checked mapping.

Layout (the README's "Import from a CRM export" has a full example)::

    [defaults]                 # optional; every key optional
    date_format = "%m/%d/%Y"   # strftime, "iso" or "excel"; default "iso"
    decimal = "."              # "." or ","
    thousands = ","            # ",", ".", " ", "'" or ""
    currency = "USD"           # the currency amounts are loaded in
    rates = { EUR = 1.08 }     # units of `currency` per unit of each other currency

    [files."opps.csv"]         # optional, per source file
    encoding = "cp1252"

    [deals]
    file = "opps.csv"
    [deals.columns]
    deal_id = "Opportunity ID"                    # a source column
    segment = { value = "Mixed" }                 # a constant
    status = { column = "Stage", map = { "Closed Won*" = "won", "*" = "open" } }
    vertical = { column = "Industry", aliases = { technolgy = "Technology" } }
    amount = { column = "Amount", currency_column = "Amount Currency" }
    partner_name = { expr = 'first_nonempty(`Partner Account`, `Account Name`)' }

    [partners]
    from_deals = true          # or: file = "accounts.csv" and [partners.columns]

    [targets]
    rule = "prior_year"        # or "trailing_mean" with quarters = 4; or file = ...
    growth = 0.10

Expressions (``expr``): source columns are bare words (``employees``) or in backticks
(```Close Date```), text constants in double quotes, numbers and ``[lists]`` as written.
The functions are ``first_nonempty(a, b, ...)``, ``concat(a, " ", b, ...)``,
``bands(column, [limits], [labels])`` (a number below the first limit takes the first label; a
limit belongs to the band above it), ``lookup("file", key, value)`` (``value`` of the row of
``file`` whose ``key`` equals this row's ``key``; a fourth argument names this file's column
when it is called differently) and ``most_frequent(expr)`` (partners only: the most frequent
value of ``expr`` over the partner's deals, evaluated on the deals' file).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from channel.contract import TABLES, TABLES_BY_NAME, Table
from channel.ingest.values import AMOUNT_CANDIDATES, DATE_CANDIDATES, EXCEL, ISO
from channel.loader import Problem

PARTNER_DEFAULTS = {"segment": "Mixed", "region": "Unassigned"}  # derived partners only
RULES = ("prior_year", "trailing_mean")
FUNCTIONS = {  # name -> (least, most) arguments
    "first_nonempty": (1, 99),
    "concat": (1, 99),
    "bands": (3, 3),
    "lookup": (3, 4),
    "most_frequent": (1, 1),
}


class MappingError(Exception):
    """A mapping that cannot be used; ``problems`` name the mapping file and the key."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"the mapping cannot be used: {n} problem{'s' if n != 1 else ''}"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


# ---------------------------------------------------------------------------------------------
# Expressions


@dataclasses.dataclass(frozen=True)
class Col:
    name: str


@dataclasses.dataclass(frozen=True)
class Const:
    value: str | float | list


@dataclasses.dataclass(frozen=True)
class Call:
    func: str
    args: tuple


Expr = Col | Const | Call

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<tick>`[^`]*`)
      | (?P<num>-?\d+(?:\.\d+)?(?![\w]))
      | (?P<word>[^\s,()\[\]"`]+)
      | (?P<punct>[,()\[\]])
    )""",
    re.VERBOSE,
)


def parse_expr(text: str) -> Expr:
    """Parse an expression; raises ValueError saying what is wrong and where."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {text[pos:]!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    at = 0

    def peek() -> tuple[str, str] | None:
        return tokens[at] if at < len(tokens) else None

    def take(want: str | None = None) -> tuple[str, str]:
        nonlocal at
        tok = peek()
        if tok is None:
            raise ValueError(f"the expression ends early (expected {want or 'more'})")
        if want is not None and tok[1] != want:
            raise ValueError(f"expected {want!r} but found {tok[1]!r}")
        at += 1
        return tok

    def items(close: str) -> list:
        out = []
        if peek() and peek()[1] == close:
            take(close)
            return out
        while True:
            out.append(one())
            tok = take()
            if tok[1] == close:
                return out
            if tok[1] != ",":
                raise ValueError(f"expected ',' or {close!r} but found {tok[1]!r}")

    def one() -> Any:
        kind, value = take()
        if kind == "str":
            return Const(re.sub(r"\\(.)", r"\1", value[1:-1]))
        if kind == "num":
            return Const(float(value))
        if kind == "tick":
            return Col(value[1:-1].strip())
        if value == "[":
            return Const([_literal(x) for x in items("]")])
        if kind == "word":
            nxt = peek()
            if nxt and nxt[1] == "(":
                take("(")
                if value not in FUNCTIONS:
                    raise ValueError(
                        f"unknown function {value!r}: use one of {', '.join(FUNCTIONS)}"
                    )
                args = tuple(items(")"))
                least, most = FUNCTIONS[value]
                if not least <= len(args) <= most:
                    need = str(least) if least == most else f"{least} to {most}"
                    raise ValueError(f"{value}() takes {need} arguments, not {len(args)}")
                return Call(value, args)
            return Col(value)
        raise ValueError(f"unexpected {value!r}")

    if not tokens:
        raise ValueError("the expression is empty")
    expr = one()
    if at != len(tokens):
        raise ValueError(f"unexpected {tokens[at][1]!r} after the expression")
    _check_call_shapes(expr)
    return expr


def _literal(x: Any) -> Any:
    if isinstance(x, Const) and not isinstance(x.value, list):
        return x.value
    raise ValueError("a list holds numbers or quoted text only")


def _check_call_shapes(expr: Expr, inside_most_frequent: bool = False) -> None:
    if not isinstance(expr, Call):
        return
    a = expr.args
    if expr.func == "bands":
        if not isinstance(a[0], Col | Call):
            raise ValueError("bands(): the first argument is a column")
        limits, labels = a[1], a[2]
        if not (isinstance(limits, Const) and isinstance(limits.value, list)):
            raise ValueError("bands(): the second argument is a [list] of limits")
        if not (isinstance(labels, Const) and isinstance(labels.value, list)):
            raise ValueError("bands(): the third argument is a [list] of labels")
        nums = limits.value
        if not all(isinstance(x, float) for x in nums) or nums != sorted(nums):
            raise ValueError("bands(): the limits must be numbers in increasing order")
        if len(labels.value) != len(nums) + 1:
            raise ValueError(
                f"bands(): {len(nums)} limits make {len(nums) + 1} bands, so "
                f"{len(nums) + 1} labels are needed, not {len(labels.value)}"
            )
    if expr.func == "lookup":
        if not isinstance(a[0], Const) or not isinstance(a[0].value, str):
            raise ValueError('lookup(): the first argument is a file name in quotes, "x.csv"')
        if not all(isinstance(x, Col) for x in a[1:]):
            raise ValueError("lookup(): the key and value arguments are column names")
    if expr.func == "most_frequent" and inside_most_frequent:
        raise ValueError("most_frequent() cannot hold another most_frequent()")
    for arg in a:
        _check_call_shapes(arg, inside_most_frequent or expr.func == "most_frequent")


def columns_of(expr: Expr) -> list[str]:
    """The columns of this row's file an expression reads (not those of a lookup's file)."""
    if isinstance(expr, Col):
        return [expr.name]
    if isinstance(expr, Call):
        if expr.func == "lookup":
            local = expr.args[3] if len(expr.args) == 4 else expr.args[1]
            return [local.name]
        return [c for arg in expr.args for c in columns_of(arg)]
    return []


def lookups_of(expr: Expr) -> list[Call]:
    if isinstance(expr, Call):
        own = [expr] if expr.func == "lookup" else []
        return own + [x for arg in expr.args for x in lookups_of(arg)]
    return []


def has_most_frequent(expr: Expr) -> bool:
    return isinstance(expr, Call) and (
        expr.func == "most_frequent" or any(has_most_frequent(a) for a in expr.args)
    )


# ---------------------------------------------------------------------------------------------
# The mapping


@dataclasses.dataclass(frozen=True)
class Rule:
    """Where one contract column comes from: an expression (a plain column is ``Col``) or a
    constant, with the options that turn its text into the contract's value."""

    key: str  # "deals.closed_on": named in every problem this rule produces
    expr: Expr | None  # None: the constant ``value``
    value: str | None = None
    text: str = ""  # how the mapping wrote it, for messages: 'column "Close Date"'
    date_format: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    currency_column: str | None = None
    value_map: dict[str, str] | None = None
    case_sensitive: bool = False
    aliases: dict[str, str] | None = None
    hint: str | None = None  # added to "no column ..." problems: what to map instead
    if_present: tuple[str, ...] = ()  # source columns that may be missing: then the rule is
    # dropped (or, for its currency_column, the currency column alone)

    @property
    def source_column(self) -> str | None:
        """The one source column a problem names (the first the expression reads)."""
        if self.expr is None:
            return None
        cols = columns_of(self.expr)
        return cols[0] if cols else None


@dataclasses.dataclass(frozen=True)
class TableMap:
    table: Table
    file: str | None  # source file the rows come from (None: from_deals, a rule, or absent)
    rules: dict[str, Rule]
    from_deals: bool = False
    rule: str | None = None  # targets: "prior_year" | "trailing_mean"
    growth: float = 0.0
    quarters: int = 4


@dataclasses.dataclass(frozen=True)
class Mapping:
    name: str  # the mapping file's name, in problems
    tables: dict[str, TableMap]
    date_format: str | None = None  # None: each date column's format is detected (and refused
    # when two formats read its values differently)
    decimal: str = "."
    thousands: str = ","
    currency: str | None = None
    rates: dict[str, float] = dataclasses.field(default_factory=dict)
    encodings: dict[str, str] = dataclasses.field(default_factory=dict)

    def files(self) -> list[str]:
        """Every source file the mapping reads, rows or lookups, in order of first use."""
        out: list[str] = []
        for tm in self.tables.values():
            names = [tm.file] if tm.file else []
            for r in tm.rules.values():
                if r.expr is not None:
                    names += [c.args[0].value for c in lookups_of(r.expr)]
            out += [n for n in names if n not in out]
        return out

    def targets_note(self) -> str | None:
        """How derived targets are made, in words (for ``meta.targets_derived``)."""
        tm = self.tables.get("targets")
        if tm is None or tm.rule is None:
            return None
        growth = f"{tm.growth:+.0%}" if tm.growth else "no growth"
        if tm.rule == "prior_year":
            basis = "won revenue in the same quarter of the previous fiscal year"
        else:
            n = "quarter" if tm.quarters == 1 else f"{tm.quarters} quarters"
            basis = f"mean quarterly won revenue over the previous {n}"
        return f"derived by the import from {basis}, {growth}"

    def resolve(
        self, headers: dict[str, list[str]], names: dict[str, str] | None = None
    ) -> tuple[Mapping, list[str]]:
        """Drop the rules whose ``if_present`` columns the sources lack (a currency column
        alone, when it is the one missing), then check the rest against the headers. Returns
        the mapping to use and notes saying what was left out; raises MappingError."""
        deals_file = self.tables["deals"].file if "deals" in self.tables else None
        notes: list[str] = []
        tables = {}
        for t, tm in self.tables.items():
            rules = {}
            for c, r in tm.rules.items():
                file = (
                    deals_file
                    if tm.from_deals or (r.expr is not None and has_most_frequent(r.expr))
                    else tm.file
                )
                have = headers.get(file, [])
                lacking = [n for n in r.if_present if file in headers and n not in have]
                if lacking and r.currency_column in lacking and len(lacking) == 1:
                    r = dataclasses.replace(r, currency_column=None)
                    notes.append(
                        f"{r.key}: no column {lacking[0]!r} in {file}; amounts are read "
                        "without a currency column"
                    )
                elif lacking:
                    notes.append(f"{r.key}: no column {lacking[0]!r} in {file}; left empty")
                    continue
                rules[c] = r
            tables[t] = dataclasses.replace(tm, rules=rules)
        resolved = dataclasses.replace(self, tables=tables)
        resolved.check_sources(headers, names)
        return resolved, notes

    def check_sources(
        self, headers: dict[str, list[str]], names: dict[str, str] | None = None
    ) -> None:
        """Check the mapping against the sources' headers (mapping file name -> headers;
        ``names`` gives the source file each stands for, when another). Raises MappingError
        naming every unknown file and column."""
        problems: list[Problem] = []
        names = names or {}

        def _unknown_column(name: str, file: str, cols: list[str]) -> str:
            return _unknown(name, names.get(file, file), cols)

        def bad(key: str, reason: str, value: str | None = None) -> None:
            problems.append(Problem(self.name, None, key, value, reason))

        given = ", ".join(headers) or "none"
        deals_file = self.tables["deals"].file if "deals" in self.tables else None
        for tm in self.tables.values():
            if tm.file is not None and tm.file not in headers:
                bad(
                    f"{tm.table.name}.file",
                    f"is not one of the source files given ({given})",
                    tm.file,
                )
                continue
            for r in tm.rules.values():
                if r.expr is None:
                    continue
                for name in columns_of(r.expr):
                    on_deals = tm.from_deals or _under_most_frequent(r.expr, name)
                    where = deals_file if on_deals else tm.file
                    if where in headers and name not in headers[where]:
                        hint = f"; {r.hint}" if r.hint else ""
                        bad(r.key, _unknown_column(name, where, headers[where]) + hint, name)
                cur = r.currency_column
                if cur and tm.file in headers and cur not in headers[tm.file]:
                    bad(r.key, _unknown_column(cur, tm.file, headers[tm.file]), cur)
                for call in lookups_of(r.expr):
                    other = call.args[0].value
                    if other not in headers:
                        continue  # reported by the importer: no source matches it
                    for arg in call.args[1:3]:
                        if arg.name not in headers[other]:
                            bad(r.key, _unknown_column(arg.name, other, headers[other]), arg.name)
        if problems:
            raise MappingError(problems)


def _under_most_frequent(expr: Expr, name: str) -> bool:
    if isinstance(expr, Call):
        if expr.func == "most_frequent":
            return name in columns_of(expr)
        return any(_under_most_frequent(a, name) for a in expr.args)
    return False


def _unknown(name: str, file: str, headers: list[str]) -> str:
    near = [h for h in headers if h.lower() == name.lower()]
    hint = f" (did you mean {near[0]!r}? names are matched exactly)" if near else ""
    shown = ", ".join(repr(h) for h in headers[:30]) + (" ..." if len(headers) > 30 else "")
    return f"no column {name!r} in {file}{hint}; its columns: {shown}"


# ---------------------------------------------------------------------------------------------
# Reading the TOML

_TABLE_KEYS = {"file", "columns", "from_deals", "rule", "growth", "quarters"}
_RULE_KEYS = {
    "column",
    "value",
    "expr",
    "format",
    "decimal",
    "thousands",
    "currency_column",
    "map",
    "case_sensitive",
    "aliases",
    "hint",
    "if_present",
}
_DEFAULT_KEYS = {"date_format", "decimal", "thousands", "currency", "rates"}
_TOP_KEYS = {"defaults", "files"} | {t.name for t in TABLES}


PRESETS_DIR = Path(__file__).resolve().parent / "presets"


def presets() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def _read_toml(text: str, name: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise MappingError([Problem(name, None, None, None, f"is not valid TOML: {e}")]) from None


def merge(base: dict, over: dict, depth: int = 0) -> dict:
    """``over`` on top of ``base``: sections and ``columns`` tables merge key by key; a column's
    rule, and anything else, is replaced whole (an override's ``map`` is the whole map)."""
    out = dict(base)
    for k, v in over.items():
        inside_columns = depth == 1 and k == "columns"
        if isinstance(v, dict) and isinstance(out.get(k), dict) and (depth == 0 or inside_columns):
            out[k] = {**out[k], **v} if inside_columns else merge(out[k], v, depth + 1)
        else:
            out[k] = v
    return out


def preset_doc(preset: str, named_by: str = "--preset") -> dict:
    """A preset's mapping document. An unknown name raises MappingError listing the presets;
    ``named_by`` is where the name came from (the option, or the page's choice)."""
    if preset not in presets():
        reason = f"no such preset; there are: {', '.join(presets())}"
        raise MappingError([Problem(named_by, None, None, preset, reason)])
    return _read_toml((PRESETS_DIR / f"{preset}.toml").read_text("utf-8"), f"preset {preset}")


def load_mapping(path: str | Path | None = None, preset: str | None = None) -> Mapping:
    """A mapping from a file, a preset, or a preset with a file of overrides on top."""
    doc: dict = {}
    names = []
    if preset is not None:
        doc = preset_doc(preset)
        names.append(f"preset {preset}")
    if path is not None:
        path = Path(path)
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise MappingError(
                [Problem(path.name, None, None, None, f"cannot be read: {e}")]
            ) from None
        doc = merge(doc, _read_toml(text, path.name))
        names.append(path.name)
    return mapping_from_doc(doc, " + ".join(names) or "mapping")


def parse_mapping(text: str, name: str = "mapping.toml") -> Mapping:
    """Read a mapping file's text. Raises MappingError naming every problem found."""
    return mapping_from_doc(_read_toml(text, name), name)


def mapping_from_doc(doc: dict, name: str) -> Mapping:
    """A mapping from parsed TOML. Raises MappingError naming every problem found."""
    problems: list[Problem] = []

    def bad(key: str | None, reason: str, value: object = None) -> None:
        shown = None if value is None else str(value)
        problems.append(Problem(name, None, key, shown, reason))

    for key in doc:
        if key not in _TOP_KEYS:
            bad(
                key,
                "unknown section: expected [defaults], [files] or a contract table ("
                + ", ".join(t.name for t in TABLES)
                + ")",
            )
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        bad("defaults", "must be a table")
        defaults = {}
    for key in defaults:
        if key not in _DEFAULT_KEYS:
            bad(f"defaults.{key}", "unknown key: expected " + ", ".join(sorted(_DEFAULT_KEYS)))
    date_format = (
        _date_format(defaults["date_format"], "defaults.date_format", bad)
        if "date_format" in defaults
        else None
    )
    decimal, thousands = _separators(
        defaults.get("decimal", "."), defaults.get("thousands", ","), "defaults", bad
    )
    currency = defaults.get("currency")
    if currency is not None and not (
        isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)
    ):
        bad("defaults.currency", "must be an ISO currency code such as USD or EUR", currency)
        currency = None
    rates: dict[str, float] = {}
    raw_rates = defaults.get("rates", {})
    if not isinstance(raw_rates, dict):
        bad("defaults.rates", "must be a table of currency = rate")
        raw_rates = {}
    for code, rate in raw_rates.items():
        if not re.fullmatch(r"[A-Z]{3}", code):
            bad(f"defaults.rates.{code}", "must be an ISO currency code such as EUR", code)
        elif not isinstance(rate, int | float) or isinstance(rate, bool) or not rate > 0:
            bad(f"defaults.rates.{code}", "must be a number above 0", rate)
        else:
            rates[code] = float(rate)
    if rates and currency is None:
        bad("defaults.rates", "needs defaults.currency: the currency the rates convert to")
    encodings: dict[str, str] = {}
    files = doc.get("files", {})
    for fname, opts in files.items() if isinstance(files, dict) else []:
        if not isinstance(opts, dict) or set(opts) - {"encoding"}:
            bad(f"files.{fname}", 'expected { encoding = "..." }')
            continue
        if "encoding" in opts:
            enc = opts["encoding"]
            try:
                import codecs

                codecs.lookup(enc)
                encodings[fname] = enc
            except (LookupError, TypeError):
                bad(f"files.{fname}.encoding", "is not an encoding Python knows", enc)

    tables: dict[str, TableMap] = {}
    for table in TABLES:
        section = doc.get(table.name)
        if section is None:
            continue
        if not isinstance(section, dict):
            bad(table.name, "must be a table")
            continue
        tm = _table_map(table, section, bad)
        if tm is not None:
            tables[table.name] = tm
    if "deals" not in tables:
        bad("deals", "is required: the deals are where revenue comes from")
    if "partners" not in tables and "deals" in tables:
        tables["partners"] = _table_map(TABLES_BY_NAME["partners"], {"from_deals": True}, bad)
    if problems:
        raise MappingError(problems)
    return Mapping(name, tables, date_format, decimal, thousands, currency, rates, encodings)


def _date_format(value: object, key: str, bad) -> str:
    if not isinstance(value, str) or not value.strip():
        bad(key, 'must be a strftime format such as "%m/%d/%Y", or "iso" or "excel"', value)
        return ISO
    value = value.strip()
    if value.lower() in (ISO, EXCEL):
        return value.lower()
    if "%" not in value:
        bad(key, 'must be a strftime format such as "%m/%d/%Y", or "iso" or "excel"', value)
        return ISO
    from channel.ingest.values import _strftime_shape

    try:
        _strftime_shape(value)
    except ValueError as e:
        bad(key, str(e), value)
        return ISO
    return value


def _separators(decimal: object, thousands: object, key: str, bad) -> tuple[str, str]:
    pairs = set(AMOUNT_CANDIDATES)
    if (decimal, thousands) not in pairs:
        shown = ", ".join(f"({d!r}, {t!r})" for d, t in AMOUNT_CANDIDATES)
        bad(
            f"{key}.decimal",
            f"decimal and thousands must be one of {shown}",
            f"{decimal!r}, {thousands!r}",
        )
        return ".", ","
    return str(decimal), str(thousands)


def _table_map(table: Table, section: dict, bad) -> TableMap | None:
    t = table.name
    for key in section:
        if key not in _TABLE_KEYS:
            bad(f"{t}.{key}", "unknown key: expected " + ", ".join(sorted(_TABLE_KEYS)))
    file = section.get("file")
    if file is not None and not isinstance(file, str):
        bad(f"{t}.file", "must be a file name in quotes", file)
        file = None
    from_deals = section.get("from_deals", False)
    if from_deals is not False and t != "partners":
        bad(f"{t}.from_deals", "only partners can be derived from the deals")
        from_deals = False
    if from_deals not in (True, False):
        bad(f"{t}.from_deals", "must be true or false", from_deals)
        from_deals = False
    rule = section.get("rule")
    growth, quarters = 0.0, 4
    if rule is not None:
        if t != "targets":
            bad(f"{t}.rule", "only targets can come from a plan rule")
        elif rule not in RULES:
            bad(f"{t}.rule", "must be " + " or ".join(repr(r) for r in RULES), rule)
        g = section.get("growth", 0.0)
        if not isinstance(g, int | float) or isinstance(g, bool) or not -1 < g <= 10:
            bad(f"{t}.growth", "must be a fraction such as 0.10 (10%), above -1", g)
        else:
            growth = float(g)
        q = section.get("quarters", 4)
        if rule != "trailing_mean" and "quarters" in section:
            bad(f"{t}.quarters", 'is only for rule = "trailing_mean"')
        if not isinstance(q, int) or isinstance(q, bool) or not 1 <= q <= 12:
            bad(f"{t}.quarters", "must be a whole number of quarters from 1 to 12", q)
        else:
            quarters = q
    elif "growth" in section or "quarters" in section:
        bad(f"{t}.growth", "growth and quarters go with a rule")
    sources = sum(x is not None and x is not False for x in (file, rule, from_deals or None))
    if sources != 1:
        what = {
            "partners": 'file = "...", or from_deals = true',
            "targets": 'file = "...", or rule = "prior_year" / "trailing_mean"',
        }.get(t, 'file = "..."')
        bad(t, f"needs exactly one of: {what}")
        return None
    columns = section.get("columns", {})
    if not isinstance(columns, dict):
        bad(f"{t}.columns", "must be a table of contract column = rule")
        columns = {}
    if rule is not None and columns:
        bad(f"{t}.columns", "a plan rule makes the targets: leave the columns out")
    rules: dict[str, Rule] = {}
    known = {c.name: c for c in table.columns}
    for col, spec in columns.items():
        key = f"{t}.{col}"
        if col not in known:
            bad(key, f"{t} has no column {col!r}; its columns: " + ", ".join(known))
            continue
        r = _rule(key, spec, known[col].kind, bad)
        if r is None:
            continue
        if r.expr is not None and has_most_frequent(r.expr) and t != "partners":
            bad(key, "most_frequent() is for partners: it counts over each partner's deals")
            continue
        if set(r.if_present) - {r.currency_column} and known[col].required:
            bad(f"{key}.if_present", "a required column cannot be left out")
            continue
        rules[col] = r
    if from_deals:
        rules.setdefault(
            "partner_name", Rule("partners.partner_name", None, None, "the partner ID")
        )
        for col, value in PARTNER_DEFAULTS.items():
            rules.setdefault(col, Rule(f"partners.{col}", None, value, f"the default {value!r}"))
        if "partner_id" in rules:
            bad("partners.partner_id", "derived partners take their ID from deals.partner_id")
    elif rule is None:
        for c in table.columns:
            if c.required and c.name not in rules:
                bad(f"{t}.{c.name}", "required contract column is not mapped")
    return TableMap(table, file, rules, bool(from_deals), rule, growth, quarters)


def _rule(key: str, spec: object, kind: str, bad) -> Rule | None:
    if isinstance(spec, str):
        spec = {"column": spec}
    if not isinstance(spec, dict):
        bad(
            key,
            "must be a source column in quotes, or { column = ... }, { value = ... } or "
            "{ expr = ... }",
            spec,
        )
        return None
    for k in spec:
        if k not in _RULE_KEYS:
            bad(f"{key}.{k}", "unknown key: expected " + ", ".join(sorted(_RULE_KEYS)))
    given = [k for k in ("column", "value", "expr") if k in spec]
    if len(given) != 1:
        bad(key, "needs exactly one of column, value or expr")
        return None
    expr: Expr | None = None
    value = None
    how = given[0]
    if how == "column":
        if not isinstance(spec["column"], str) or not spec["column"].strip():
            bad(key, "column must be a source column's name in quotes", spec["column"])
            return None
        expr = Col(spec["column"].strip())
        text = f"column {expr.name!r}"
    elif how == "value":
        v = spec["value"]
        if isinstance(v, bool):
            v = "true" if v else "false"
        if not isinstance(v, str | int | float):
            bad(key, "value must be text or a number", v)
            return None
        value = str(v)
        text = f"the constant {value!r}"
    else:
        try:
            expr = parse_expr(str(spec["expr"]))
        except ValueError as e:
            bad(key, f"expr: {e}", spec["expr"])
            return None
        text = f"expr {spec['expr']!r}"
    opts: dict[str, Any] = {}
    if "format" in spec:
        if kind != "date":
            bad(f"{key}.format", "format is for date columns")
        opts["date_format"] = _date_format(spec["format"], f"{key}.format", bad)
    if "decimal" in spec or "thousands" in spec:
        if kind not in ("amount", "share"):
            bad(f"{key}.decimal", "decimal and thousands are for amount columns")
        opts["decimal"], opts["thousands"] = _separators(
            spec.get("decimal", "."), spec.get("thousands", ","), key, bad
        )
    if "currency_column" in spec:
        if kind != "amount":
            bad(f"{key}.currency_column", "currency_column is for amount columns")
        opts["currency_column"] = str(spec["currency_column"])
    for option, field, shape in (
        ("map", "value_map", '"source value" = "contract value"'),
        ("aliases", "aliases", '"spelling" = "canonical spelling"'),
    ):
        if option in spec:
            table = spec[option]
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                bad(f"{key}.{option}", f"must be a table of {shape}")
            else:
                opts[field] = dict(table)
    if "case_sensitive" in spec:
        opts["case_sensitive"] = bool(spec["case_sensitive"])
    if "hint" in spec:
        opts["hint"] = str(spec["hint"])
    if "if_present" in spec:
        names = spec["if_present"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            bad(f"{key}.if_present", "must be a [list] of source column names")
        else:
            opts["if_present"] = tuple(names)
    return Rule(key, expr, value, text, **opts)


__all__ = [
    "DATE_CANDIDATES",
    "Mapping",
    "MappingError",
    "Rule",
    "TableMap",
    "parse_expr",
    "parse_mapping",
]
