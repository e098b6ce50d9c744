"""A first import mapping guessed from CRM exports (``python -m channel import ... --suggest``).

``suggest(sources) -> str`` reads a sample of each source (the first ``SAMPLE_ROWS`` rows) and
returns a commented TOML mapping (the format of ``channel.ingest.mapping``). It loads and writes
nothing. It guesses:

* which file holds the deals (amount-, stage- and date-like columns), which holds the partners (a
  file whose key column's values the deals name), which could serve ``lookup()`` (a file keyed by
  a column the deals carry, such as a sales team keyed by the sales agent), and which holds
  targets (quarter and target or quota columns);
* which header feeds each contract column, by name and synonym (case, spaces, underscores and
  accents ignored; English and German names);
* each date column's format (``detect_date_format``), the amount separators (``[defaults]``
  decimal and thousands), a currency column and the currencies seen, a file's encoding;
* a value map for the stage column (won, lost, and every other value listed as open), aliases
  for near-duplicate verticals (case, spacing, typos by ``difflib``), segments from employee
  counts, and a plan rule for targets when no targets file is given.

What it cannot tell is said in the output: lines marked ``CHECK`` are guesses to confirm, and
lines marked ``AMBIGUOUS`` hold a placeholder that ``parse_mapping`` refuses, so that a date
format or a decimal separator that the data leaves open is chosen by a person before anything
loads: ``03/04/2025`` read the wrong way round would load without a single error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
import textwrap
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from channel.contract import PROGRAM_TIERS, SEGMENTS
from channel.ingest import readers
from channel.ingest.values import (
    AMOUNT_CANDIDATES,
    amount_example,
    currency_of,
    date_format_words,
    detect_amount_format,
    detect_date_format,
    parse_amounts,
)

SAMPLE_ROWS = 20_000
LINK_SHARE = 0.6  # share of a deals column's distinct values another file's key must hold
TYPO_CUTOFF = 0.85  # difflib ratio for "a typo of" (technolgy / technology: 0.95)
EMPLOYEE_LIMITS = (100, 1000)
REVENUE_LIMITS = (10_000_000, 100_000_000)
SIZE_LABELS = ("SMB", "Midmarket", "Enterprise")
SHOWN_VALUES = 40  # distinct values listed in comments
WIDTH = 100  # comments are wrapped to this line length
UTF8 = ("utf-8", "utf-8-sig", "xlsx", "parquet")

# Common vertical names: a value that is a close misspelling of one (and of no value in the
# data) gets an alias to it.
KNOWN_VERTICALS = tuple(
    v.strip()
    for v in (
        "aerospace, agriculture, automotive, banking, biotech, chemicals, construction, "
        "consulting, consumer goods, education, electronics, energy, engineering, entertainment, "
        "finance, financial services, government, healthcare, hospitality, insurance, legal, "
        "life sciences, logistics, manufacturing, marketing, media, medical, mining, nonprofit, "
        "pharmaceuticals, public sector, real estate, retail, services, software, technology, "
        "telecommunications, transportation, travel, utilities, wholesale"
    ).split(",")
)


# ---------------------------------------------------------------------------------------------
# Header names


def _norm(name: str) -> str:
    """``"Close_Date"``, ``"closeDate"``, ``"CLOSE DATE"`` -> ``"close date"``; accents dropped
    (``Währung`` -> ``wahrung``)."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).casefold().replace("ß", "ss")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text))


@dataclasses.dataclass(frozen=True)
class _Role:
    """Header names for one role: ``exact`` (normalised, best first), then ``contains`` (word
    sets a longer header may hold), skipping headers with a word of ``exclude``."""

    exact: tuple[str, ...]
    contains: tuple[tuple[str, ...], ...] = ()
    exclude: frozenset[str] = frozenset()


def _role(exact: str, contains: str = "", exclude: str = "") -> _Role:
    return _Role(
        tuple(s.strip() for s in exact.split(",") if s.strip()),
        tuple(tuple(s.split()) for s in contains.split(",") if s.strip()),
        frozenset(exclude.split()),
    )


ROLES = {
    "deal_id": _role(
        "opportunity id, deal id, record id, opportunity number, deal number, auftrag, "
        "auftragsnummer, auftrags nr, order id, id",
        "opportunity id, deal id",
    ),
    "partner_id": _role(
        "partner account, partner account name, partner, partner name, partner id, "
        "partner account id, reseller, associated company, account, account name, company, "
        "company name, kundennummer, kunde, kunden nr, customer, customer name, firma",
        "partner",
        "manager owner type tier level",
    ),
    "amount": _role(
        "amount, close value, deal value, opportunity amount, deal amount, value, betrag, "
        "revenue, umsatz, wert, auftragswert, total",
        "amount, value, betrag",
        "currency wahrung waehrung probability weighted expected",
    ),
    "currency": _role(
        "amount currency, currency, currency code, currency iso code, wahrung, waehrung, "
        "opportunity currency, deal currency",
        "currency, wahrung",
    ),
    "closed_on": _role(
        "close date, closed date, closed on, closed, close, date closed, closedate, abschluss, "
        "abschlussdatum, abschluss datum, won date",
        "close date, closed date, abschluss",
    ),
    "created_on": _role(
        "created date, create date, created on, created, creation date, engage date, "
        "createdate, created at, erstellt, erstellt am, erstelldatum, angelegt, angelegt am",
        "created date, create date, erstellt",
        "by von",
    ),
    "status": _role(
        "stage, deal stage, opportunity stage, stage name, status, phase, deal status, stufe, "
        "verkaufsphase",
        "stage, phase",
        "duration probability days changed date",
    ),
    "vertical": _role("industry, sector, vertical, branche, industrie", "industry, branche"),
    "manager": _role(
        "partner manager, channel manager, partner account manager, account manager, "
        "opportunity owner, deal owner, account owner, owner, manager, betreuer",
        "owner, manager, betreuer",
        "id email",
    ),
    "partner_name": _role(
        "partner name, partner account name, account name, company name, name, firma, "
        "firmenname, company, account, partner, partner account"
    ),
    "segment": _role("segment, partner segment, customer segment, company size, size"),
    "employees": _role(
        "employees, number of employees, employee count, mitarbeiter, mitarbeiterzahl, "
        "anzahl mitarbeiter, headcount",
        "employees, mitarbeiter",
    ),
    "revenue": _role("annual revenue, revenue, umsatz, jahresumsatz", "revenue"),
    "region": _role(
        "region, sales region, territory, office location, location, country, billing country, "
        "land, regional office, standort, gebiet",
        "region, country, territory",
    ),
    "partner_type": _role("partner type, partnertyp"),
    "program_tier": _role("program tier, partner tier, tier, partner level, partnerstufe"),
    "joined_on": _role("joined on, joined, partner since, join date, partner seit"),
    "quarter": _role("fiscal quarter, quarter, quartal, fiscal period, period", "quarter, quartal"),
    "target": _role(
        "target amount, target, quota, quota amount, target revenue, plan, ziel, soll, zielwert",
        "target, quota",
    ),
}
PARTNERISH_FILES = ("account", "partner", "konten", "kunden", "compan", "customer", "reseller")


def _match(headers: Iterable[str], role: str, taken: Iterable[str] = ()) -> str | None:
    r = ROLES[role]
    skip = set(taken)
    best: tuple[tuple[int, int], str] | None = None
    for h in headers:
        if h in skip:
            continue
        n = _norm(h)
        words = set(n.split())
        if n in r.exact:
            rank = (0, r.exact.index(n))
        elif not words & r.exclude:
            hits = [i for i, c in enumerate(r.contains) if set(c) <= words]
            if not hits:
                continue
            rank = (1, hits[0])
        else:
            continue
        if best is None or rank < best[0]:
            best = (rank, h)
    return best[1] if best else None


# ---------------------------------------------------------------------------------------------
# TOML text


def _q(text: str) -> str:
    """A TOML basic string."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _show(value: object, width: int = 40) -> str:
    """A value for a comment: quoted, one line, cut short."""
    text = str(value)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return _q(text)


def _col(name: str) -> str:
    """A column in an expression: a bare word when it can be, else in backticks."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    return f"`{name}`"


def _expr(text: str) -> str:
    """An ``expr`` value: a TOML literal string when it holds no single quote."""
    return f"'{text}'" if "'" not in text else _q(text)


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _names(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names) or "none"


# ---------------------------------------------------------------------------------------------
# Sources


@dataclasses.dataclass
class _File:
    name: str  # as the mapping names it: file name, plus "#Sheet"
    source: readers.Source
    sample: pl.DataFrame
    role: str = "not used"

    @property
    def headers(self) -> list[str]:
        return self.source.headers

    @property
    def more(self) -> bool:
        """The file may hold more rows than the sample (only the sample was read)."""
        return self.sample.height >= SAMPLE_ROWS

    def values(self, column: str) -> pl.Series:
        """The sample's values of a column: outer blanks removed, blank -> null."""
        s = self.sample[column].str.strip_chars()
        return pl.select(pl.when(s != "").then(s)).to_series().rename(column)

    def distinct(self, column: str) -> set[str]:
        return set(self.values(column).drop_nulls().to_list())

    def counts(self, column: str) -> list[tuple[str, int]]:
        """Distinct values with their counts, most frequent first."""
        v = self.values(column).drop_nulls()
        if v.len() == 0:
            return []
        vc = v.value_counts(name="n").sort(["n", column], descending=[True, False])
        return list(zip(vc[column].to_list(), vc["n"].to_list(), strict=True))

    def is_key(self, column: str) -> bool:
        v = self.values(column).drop_nulls()
        return v.len() > 0 and v.n_unique() == v.len()

    def of_sample(self) -> str:
        n = self.sample.height
        return f"the first {n:,} rows" if self.more else f"its {_rows(n)}"

    def size(self) -> str:
        return (
            f"{self.sample.height:,}+ rows (a sample)" if self.more else _rows(self.sample.height)
        )


def _open(arg: str) -> _File:
    """A source and the sample of it that is read: its first ``SAMPLE_ROWS`` records."""
    path, sheet = readers.parse_source_arg(arg)
    source = readers.open_source(Path(path), sheet=sheet)
    name = Path(path).name + (f"#{sheet}" if sheet else "")
    first = next(source.batches(SAMPLE_ROWS), None)
    if first is None:
        schema = {h: pl.String for h in source.headers} | {readers.LINE: pl.Int64}
        first = pl.DataFrame(schema=schema)
    return _File(name, source, first)


# ---------------------------------------------------------------------------------------------
# Deals: which file, which columns


@dataclasses.dataclass
class _Deals:
    file: _File
    cols: dict[str, str]  # role -> header
    score: int


DEAL_ROLES = (
    "deal_id",
    "partner_id",
    "amount",
    "currency",
    "closed_on",
    "created_on",
    "status",
    "vertical",
)


def _deal_columns(f: _File) -> _Deals:
    cols: dict[str, str] = {}
    for role in (
        "currency",
        "amount",
        "closed_on",
        "created_on",
        "status",
        "deal_id",
        "partner_id",
        "vertical",
        "manager",
        "region",
    ):
        h = _match(f.headers, role, cols.values())
        if h is None:
            continue
        if role == "amount" and (
            f.values(h).drop_nulls().len() and not detect_amount_format(f.values(h)).candidates
        ):
            continue  # named like an amount, but its values are not amounts
        cols[role] = h
    score = sum(
        w
        for role, w in (
            ("amount", 3),
            ("status", 3),
            ("closed_on", 2),
            ("created_on", 1),
            ("deal_id", 1),
            ("partner_id", 1),
        )
        if role in cols
    )
    if "status" in cols and any(_stage_word(v) for v, _ in f.counts(cols["status"])[:50]):
        score += 2
    return _Deals(f, cols, score)


WON = re.compile(r"\b(won|win|gewonnen|closed won|gagne|ganado)\b", re.IGNORECASE)
LOST = re.compile(r"\b(lost|verloren|closed lost|perdu|perdido)\b", re.IGNORECASE)
LOSTISH = re.compile(
    r"\b(cancel\w*|disqualif\w*|storniert|abgebrochen|abgelehnt|rejected|dead)\b", re.IGNORECASE
)
CLOSED = re.compile(r"\b(closed|abgeschlossen|geschlossen)\b", re.IGNORECASE)


def _stage(value: str) -> tuple[str, str]:
    """The contract status a stage value is guessed to mean, and why (a CHECK when unsure).
    A value closed but neither won nor lost gets a status the loader refuses."""
    word = _stage_word(value)
    if word:
        return word, "guessed from the word"
    if value.strip().lower() == "open":
        return "open", ""
    if LOSTISH.search(value):
        return "lost", "CHECK: guessed lost (cancelled/disqualified?)"
    if CLOSED.search(value):
        why = "CHECK: closed but neither won nor lost: the import refuses it until you choose"
        return "CHOOSE won or lost", why
    return "open", "CHECK: guessed open"


def _stage_word(value: str) -> str | None:
    plain = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    won, lost = WON.search(plain), LOST.search(plain)
    if won and not lost:
        return "won"
    if lost and not won:
        return "lost"
    return None


# ---------------------------------------------------------------------------------------------
# Links between files


@dataclasses.dataclass(frozen=True)
class _Link:
    file: _File
    key: str  # the other file's key column
    local: str  # the deals column whose values it holds
    share: float


def _links(deals: _File, others: list[_File], skip: Iterable[str]) -> list[_Link]:
    """Other files' key columns that hold most values of a deals column."""
    out = []
    local_cols = [h for h in deals.headers if h not in set(skip)]
    distinct = {h: deals.distinct(h) for h in local_cols}
    for f in others:
        for key in f.headers:
            if not f.is_key(key):
                continue
            held = f.distinct(key)
            best: _Link | None = None
            for h in local_cols:
                mine = distinct[h]
                if not mine:
                    continue
                hits = len(mine & held)
                share = hits / len(mine)
                if share >= LINK_SHARE and hits >= min(2, len(mine)):
                    if best is None or share > best.share:
                        best = _Link(f, key, h, share)
            if best is not None:
                out.append(best)
    out.sort(key=lambda link: -link.share)
    return out


def _lookup(link: _Link, value: str) -> str:
    args = [_q(link.file.name), _col(link.key), _col(value)]
    if link.local != link.key:
        args.append(_col(link.local))
    return f"lookup({', '.join(args)})"


# ---------------------------------------------------------------------------------------------
# Dates and amounts


@dataclasses.dataclass
class _DateRule:
    format: str | None  # None: AMBIGUOUS placeholder (candidates) or unknown (no candidates)
    candidates: tuple[str, ...]
    notes: list[str]

    def option(self) -> str:
        if self.format is not None:
            return f", format = {_q(self.format)}"
        if self.candidates:
            return f", format = {_q(ambiguous_placeholder(self.candidates))}"
        return ""


def ambiguous_placeholder(candidates: Iterable[str]) -> str:
    """The ``format`` written for an ambiguous date column: ``parse_mapping`` refuses it (it
    holds no ``%``), so the mapping cannot be used until someone chooses."""
    return "AMBIGUOUS: choose " + " or ".join(date_format_words(c) for c in candidates)


def _dates(f: _File, columns: list[str]) -> dict[str, _DateRule]:
    """A date rule per column (named like a date). A column that two formats read differently
    takes the format that the file's other date columns settle (one export, one locale), else
    stays open."""
    guesses = {c: detect_date_format(f.values(c)) for c in columns}
    settled = {g.format for g in guesses.values() if g.format and not g.ambiguous}
    out = {}
    for c, g in guesses.items():
        shown = ", ".join(_show(t) for t, _ in next(iter(g.examples.values()), []))
        if g.format is not None:
            out[c] = _DateRule(g.format, g.candidates, [f"{date_format_words(g.format)}: {shown}"])
        elif f.values(c).null_count() == f.sample.height:
            out[c] = _DateRule(None, (), [f"CHECK: {c!r} is empty in {f.of_sample()}"])
        elif not g.candidates:
            some = ", ".join(_show(v) for v in f.values(c).drop_nulls().head(3).to_list())
            out[c] = _DateRule(
                None,
                (),
                [
                    f"CHECK: no date format reads every value of {c!r} (e.g. {some or 'none'}):",
                    'add format = "..." (strftime, e.g. "%d/%m/%Y"), or fix the values',
                ],
            )
        else:
            pick = [x for x in g.candidates if x in settled]
            readings = []
            for text, _ in g.examples[g.candidates[0]]:
                days = [next(d for t, d in g.examples[x] if t == text) for x in g.candidates]
                if len(set(days)) == 1:
                    continue  # read alike: no example of the doubt
                each = [
                    f"{_day(d)} as {date_format_words(x)}"
                    for d, x in zip(days, g.candidates, strict=True)
                ]
                readings.append(f"{_show(text)} is {' or '.join(each)}")
            if len(pick) == 1:
                out[c] = _DateRule(
                    pick[0],
                    g.candidates,
                    [
                        f"CHECK: {c!r} alone reads as "
                        + " or ".join(date_format_words(x) for x in g.candidates)
                        + f" ({readings[0]}); the file's other date columns read only as "
                        f"{date_format_words(pick[0])}",
                    ],
                )
            else:
                choose = " or ".join(f"format = {_q(x)}" for x in g.candidates)
                out[c] = _DateRule(
                    None,
                    g.candidates,
                    [
                        f"AMBIGUOUS: every date in {c!r} in {f.of_sample()} reads in "
                        f"{len(g.candidates)} ways:",
                        *[f"  {r}" for r in readings],
                        f"Choose one and replace the placeholder: {choose}",
                    ],
                )
    return out


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _amount_defaults(columns: list[tuple[_File, str]]) -> tuple[list[str], list[str]]:
    """The [defaults] decimal and thousands lines, and comments, for the numbers the mapping
    reads (amounts, targets, the column that segment bands are made from)."""
    columns = [(f, c) for f, c in columns if f.values(c).drop_nulls().len()]
    if not columns:
        return ['decimal = "."', 'thousands = ","'], []
    guesses = [(f, c, detect_amount_format(f.values(c))) for f, c in columns]
    unread = [(f, c) for f, c, g in guesses if not g.candidates]
    common = [
        p
        for p in AMOUNT_CANDIDATES
        if all(p in g.candidates for _, _, g in guesses if g.candidates)
    ]
    notes = []
    for f, c in unread:
        some = ", ".join(_show(v) for v in f.values(c).drop_nulls().head(3).to_list())
        notes.append(
            f"CHECK: no decimal and thousands separators read every value of {c!r} "
            f"in {f.name} (e.g. {some})"
        )
    if not common:
        f0, c0, g0 = guesses[0]
        pair = g0.format or (g0.candidates[0] if g0.candidates else (".", ","))
        notes.append(
            "CHECK: the number columns disagree on separators: "
            + "; ".join(
                f"{c!r} reads as {', '.join(amount_example(*p) for p in g.candidates)}"
                for _, c, g in guesses
                if g.candidates
            )
            + f". Set for {c0!r} here; give the others decimal and thousands of their own"
        )
        return [f"decimal = {_q(pair[0])}", f"thousands = {_q(pair[1])}"], notes
    by_decimal = [p for i, p in enumerate(common) if p[0] not in {q[0] for q in common[:i]}]
    differ = []
    for f, c, g in guesses:
        if not g.candidates:
            continue
        first = parse_amounts(f.values(c), *common[0])[0]
        for p in common[1:]:
            other = parse_amounts(f.values(c), *p)[0]
            if not other.equals(first):
                frame = pl.DataFrame({"t": f.values(c), "a": first, "b": other})
                row = frame.filter(pl.col("a").ne_missing(pl.col("b"))).row(0)
                differ.append(
                    f"{row[0]!r} in {c!r} is {row[1]:,.2f} with {amount_example(*common[0])}"
                    f" but {row[2]:,.2f} with {amount_example(*p)}"
                )
                break
    used = ", ".join(repr(c) for _, c, g in guesses if g.candidates)
    if differ:
        notes += [
            "AMBIGUOUS: the separators cannot be told from the numbers:",
            *[f"  {d}" for d in differ],
            "Choose decimal and thousands from: "
            + "; ".join(f"{_q(d)} and {_q(t)} ({amount_example(d, t)})" for d, t in by_decimal),
        ]
        return ['decimal = "AMBIGUOUS: . or ,"', f"thousands = {_q(common[0][1])}"], notes
    pair = common[0]
    how = "the only separators" if len(common) == 1 else "separators"
    notes.insert(0, f"{how} that read every value of {used}: {amount_example(*pair)}")
    return [f"decimal = {_q(pair[0])}", f"thousands = {_q(pair[1])}"], notes


# ---------------------------------------------------------------------------------------------
# Value maps and aliases


def _status_lines(f: _File, column: str) -> list[str]:
    counts = _folded_counts(f.counts(column))
    lines = [
        "",
        "[deals.columns.status]",
        f"column = {_q(column)}",
        *_comments(
            f"The values of {column!r} in {f.of_sample()}. CHECK: won and lost are guessed from "
            'the words won/gewonnen and lost/verloren; every other value is listed as "open". '
            'No "*" default on purpose: a stage that is not listed stops the import and is '
            "named, so a new stage is never counted as open without anyone deciding."
        ),
        "[deals.columns.status.map]",
    ]
    width = max((len(_q(v)) for v, _ in counts[: SHOWN_VALUES * 5]), default=0)
    for value, n in counts:
        what, why = _stage(value)
        note = f"{_rows(n)}; {why}" if why else _rows(n)
        lines.append(f"{_q(value).ljust(width)} = {_q(what)}   # {note}")
    if not counts:
        lines += _comments(f'CHECK: {column!r} is empty in the sample: add "value" = "won" lines')
    return lines


def _folded_counts(counts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Values that a value map reads as one (case, runs of blanks) merged: the most frequent
    spelling stands for them."""
    merged: dict[str, list] = {}
    for value, n in counts:
        key = re.sub(r"\s+", " ", value).lower()
        if key in merged:
            merged[key][1] += n
        else:
            merged[key] = [value, n]
    return sorted(((v, n) for v, n in merged.values()), key=lambda x: -x[1])


def _aliases(
    counts: list[tuple[str, int]], known: Iterable[str] = KNOWN_VERTICALS
) -> dict[str, tuple[str, str]]:
    """Spelling -> (canonical spelling, why) for near-duplicates among ``counts``: the same
    value in another case or spacing, a close misspelling of a more frequent value, or of a
    known name (``known``) that the data does not hold."""

    def fold(v: str) -> str:
        return re.sub(r"\s+", "", v).lower()

    groups: dict[str, list[tuple[str, int]]] = {}
    for value, n in counts:
        groups.setdefault(fold(value), []).append((value, n))
    known_folded = {fold(k): k for k in known}
    canon: dict[str, tuple[str, int]] = {}
    out: dict[str, tuple[str, str]] = {}
    for key, spellings in groups.items():
        spellings.sort(key=lambda s: (-s[1], not s[0][:1].isupper(), s[0]))
        total = sum(n for _, n in spellings)
        canon[key] = (spellings[0][0], total)
        for value, _ in spellings[1:]:
            out[value] = (spellings[0][0], "the same in another case or spacing")
    order = sorted(canon, key=lambda k: (k not in known_folded, -canon[k][1], k))
    for key in list(canon):
        if key in known_folded or len(key) < 5:
            continue
        better = [
            k for k in order if k != key and (k in known_folded or canon[k][1] > canon[key][1])
        ]
        near = difflib.get_close_matches(key, better, n=1, cutoff=TYPO_CUTOFF)
        if near:
            target = canon[near[0]][0]
            why = "CHECK: a typo of it?"
        else:
            near = difflib.get_close_matches(key, list(known_folded), n=1, cutoff=TYPO_CUTOFF)
            if not near or near[0] in canon:
                continue
            target = _styled(known_folded[near[0]], canon[key][0])
            why = "CHECK: a typo of a common name?"
        for value, _ in groups[key]:
            out[value] = (target, why)
    return out


def _styled(word: str, like: str) -> str:
    if like.islower():
        return word.lower()
    if like.isupper():
        return word.upper()
    return word.title()


def _alias_lines(
    table: str, column: str, rule: str, f: _File, src: str, notes: Iterable[str] = ()
) -> list[str]:
    counts = f.counts(src)
    aliases = _aliases(counts)
    shown = ", ".join(f"{_show(v, 30)} ({n})" for v, n in counts[:SHOWN_VALUES])
    more = f" and {len(counts) - SHOWN_VALUES} more" if len(counts) > SHOWN_VALUES else ""
    lines = [
        "",
        f"[{table}.columns.{column}]",
        rule,
        *_comments(*notes, f"Values of {src!r} in {f.name} ({f.of_sample()}): {shown}{more}"),
    ]
    if not aliases:
        return [*lines, *_comments("No near-duplicates found, so no aliases.")]
    lines += [
        *_comments("Aliases for near-duplicate spellings (matched without case and blanks):"),
        f"[{table}.columns.{column}.aliases]",
    ]
    width = max(len(_q(a)) for a in aliases)
    for alias, (target, why) in aliases.items():
        lines.append(f"{_q(alias).ljust(width)} = {_q(target)}   # {why}")
    return lines


def _enum_aliases(f: _File, column: str, choices: tuple[str, ...]) -> tuple[str, list[str]]:
    """A rule option mapping a column's values onto an enum's choices, and comments."""
    counts = f.counts(column)
    folded = {re.sub(r"[\s_-]+", "", c).lower(): c for c in choices}
    aliases, unknown = {}, []
    for value, n in counts:
        key = re.sub(r"[\s_-]+", "", value).lower()
        if key in folded:
            if value != folded[key]:
                aliases[value] = folded[key]
            continue
        near = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.75)
        if near:
            aliases[value] = folded[near[0]]
        else:
            unknown.append(f"{_show(value)} ({n})")
    notes = []
    if aliases:
        notes.append("CHECK: aliases guessed for " + ", ".join(repr(a) for a in aliases))
    if unknown:
        notes.append(
            f"CHECK: not one of {', '.join(choices)}: {', '.join(unknown[:10])}: add "
            "aliases for them, or the import refuses them"
        )
    option = ""
    if aliases:
        option = (
            ", aliases = { " + ", ".join(f"{_q(a)} = {_q(b)}" for a, b in aliases.items()) + " }"
        )
    return option, notes


# ---------------------------------------------------------------------------------------------
# The mapping


def _comments(*texts: str) -> list[str]:
    """Comment lines, wrapped to the line length (a leading indent is kept)."""
    out = []
    for text in texts:
        if not text:
            out.append("#")
            continue
        indent = " " * (len(text) - len(text.lstrip(" ")))
        for line in textwrap.wrap(
            text.strip(),
            WIDTH - 2,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
        ):
            out.append(f"# {line}")
    return out


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, *texts: str) -> None:
        self.lines += _comments(*texts)

    def key(self, name: str, value: str, notes: Iterable[str] = ()) -> None:
        """``name = value``, with one short note after it or the notes above it."""
        notes = list(notes)
        line = f"{name} = {value}"
        if len(notes) == 1 and len(line) + len(notes[0]) + 5 <= WIDTH:
            self.lines.append(f"{line}   # {notes[0]}")
            return
        self.comment(*notes)
        self.lines.append(line)

    def blank(self) -> None:
        self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def suggest(sources: list[str]) -> str:
    """A commented first mapping for ``sources`` (paths, ``x.xlsx#Sheet`` for a sheet)."""
    files = [_open(arg) for arg in sources]
    return _Suggestion(files, sources).write()


class _Suggestion:
    def __init__(self, files: list[_File], args: list[str]):
        self.files = files
        self.args = args
        self.w = _Writer()
        self.after: list[list[str]] = []  # sub-tables of [deals.columns] written after it
        self.used: set[str] = set()  # deals columns the mapping reads
        self.unmapped_at = 0  # where the "Not mapped" comment goes

    def write(self) -> str:
        w = self.w
        candidates = [_deal_columns(f) for f in self.files]
        best = max(candidates, key=lambda d: d.score)  # ties: the first given
        deals = best.file
        deals.role = "deals"
        cols = best.cols
        others = [f for f in self.files if f is not deals]
        used_local = [cols[r] for r in ("amount", "closed_on", "created_on", "status") if r in cols]
        targets = self._targets_file(others)
        rest = [f for f in others if targets is None or f is not targets[0]]
        links = _links(deals, rest, used_local)
        partners_link = self._partners_link(links, cols)
        if partners_link is not None:
            partners_link.file.role = "partners"
            cols["partner_id"] = partners_link.local
        self.manager_lookup = None
        if "manager" not in cols and not (
            partners_link and _match(partners_link.file.headers, "manager", [partners_link.key])
        ):
            for link in links:
                if link is partners_link:
                    continue
                m = _match([h for h in link.file.headers if h != link.key], "manager")
                if m:
                    self.manager_lookup = (link, m)
                    link.file.role = "lookups"
                    break
        self.vertical_lookup = None
        if "vertical" not in cols:
            self.vertical_lookup = self._vertical_lookup(links, partners_link)
            if self.vertical_lookup and self.vertical_lookup[0].file.role == "not used":
                self.vertical_lookup[0].file.role = "lookups"

        self._header(deals, best, partners_link, links, targets)
        numbers = [(deals, cols["amount"])] if "amount" in cols else []
        pfile = partners_link.file if partners_link else None
        size_col = None
        if pfile is not None and not _match(pfile.headers, "segment"):
            size_col = _match(pfile.headers, "employees") or _match(pfile.headers, "revenue")
            if size_col:
                numbers.append((pfile, size_col))
        if targets is not None:
            numbers.append((targets[0], targets[2]))
        self._defaults(deals, cols, numbers)
        encoded = [f for f in self.files if f.role != "not used" and f.source.encoding not in UTF8]
        for f in encoded:
            w.blank()
            w.lines.append(f"[files.{_q(f.name)}]")
            w.key(
                "encoding",
                _q(f.source.encoding),
                [
                    "detected: not UTF-8"
                    + (
                        "; cp1250 (Central European) text also reads as cp1252: check names with "
                        "č, ł or ő"
                        if f.source.encoding == "cp1252"
                        else ""
                    )
                ],
            )
        self._deals(best, links, partners_link)
        self._partners(deals, cols, partners_link, links)
        self._targets(targets, cols)
        rest = [h for h in deals.headers if h not in self.used]
        if rest:
            w.lines[self.unmapped_at : self.unmapped_at] = _comments(
                f"Not mapped from {deals.name}: {_names(rest)}"
            )
        return w.text()

    # -- which file is what

    def _partners_link(self, links: list[_Link], cols: dict[str, str]) -> _Link | None:
        named = cols.get("partner_id")
        partner_word = named is not None and "partner" in _norm(named).split()
        for link in links:
            local_partnerish = _match([link.local], "partner_id") is not None
            file_partnerish = any(p in link.file.name.lower() for p in PARTNERISH_FILES)
            if partner_word and "partner" not in _norm(link.local).split():
                continue  # a customer accounts file: the partner is named elsewhere
            if local_partnerish or file_partnerish:
                return link
        return None

    def _targets_file(self, others: list[_File]) -> tuple[_File, str, str] | None:
        for f in others:
            if f.role != "not used":
                continue
            q = _match(f.headers, "quarter")
            t = _match(f.headers, "target", [q] if q else [])
            if q and t:
                f.role = "targets"
                return f, q, t
        return None

    def _header(self, deals, best, plink, links, targets) -> None:
        w = self.w
        w.comment(
            f"Import mapping suggested by `python -m channel import --suggest` on "
            f"{dt.date.today().isoformat()}.",
            "Sources: " + ", ".join(self.args),
            f"Nothing was loaded. This is a first guess from the headers and the first "
            f"{SAMPLE_ROWS:,} rows",
            "of each file: check every line marked CHECK or AMBIGUOUS, then try it with",
            "  python -m channel import <the same sources> --mapping mapping.toml --dry-run",
            "",
            "What each file was taken for:",
        )
        width = max(len(f.name) for f in self.files)
        for f in self.files:
            what = f.role
            if f is deals:
                what = "deals"
                if best.score < 6:
                    what += " (CHECK: no file has clear amount, stage and date columns)"
            elif plink is not None and f is plink.file:
                what = f"partners: its {plink.key!r} holds the deals' {plink.local!r}"
            elif targets is not None and f is targets[0]:
                what = f"targets: {targets[1]!r} and {targets[2]!r}"
            else:
                mine = [lk for lk in links if lk.file is f]
                if mine:
                    lk = mine[0]
                    rest = [h for h in f.headers if h != lk.key]
                    what = (
                        f"lookups: its {lk.key!r} holds the deals' {lk.local!r}; it gives "
                        f"{_names(rest[:6])}"
                    )
                    if f.role == "not used":
                        what = "not used; could serve " + what
            w.comment(f"  {f.name.ljust(width)}  {f.size()}, {f.source.encoding}: {what}")

    # -- [defaults]

    def _defaults(self, deals: _File, cols: dict[str, str], numbers) -> None:
        w = self.w
        w.blank()
        w.lines.append("[defaults]")
        lines, notes = _amount_defaults(numbers)
        for n in notes:
            w.comment(n)
        w.lines += lines
        if "amount" not in cols:
            return
        codes = self._currencies(deals, cols)
        if len(codes) > 1:
            listed = ", ".join(f"{c} ({n})" for c, n in codes)
            base = codes[0][0]
            w.comment(
                f"CHECK: the amounts are in {len(codes)} currencies: {listed}.",
                "The import refuses them until you convert to one currency: uncomment and fill",
                "in the rates (units of the currency per unit of each other currency).",
            )
            w.lines.append(f"# currency = {_q(base)}")
            rates = ", ".join(f"{c} = 0.0" for c, _ in codes[1:])
            w.lines.append(f"# rates = {{ {rates} }}")
        elif codes:
            w.comment(f"Every amount in the sample is in {codes[0][0]}.")

    def _currencies(self, deals: _File, cols: dict[str, str]) -> list[tuple[str, int]]:
        marks = currency_of(deals.values(cols["amount"]))
        if "currency" in cols:
            given = deals.values(cols["currency"]).str.to_uppercase()
            marks = given.fill_null(marks)
        vc = marks.drop_nulls().rename("code").value_counts(name="n")
        vc = vc.sort(["n", "code"], descending=[True, False])
        return list(zip(vc["code"].to_list(), vc["n"].to_list(), strict=True))

    # -- [deals]

    def _deals(self, best: _Deals, links: list[_Link], plink: _Link | None) -> None:
        w = self.w
        f, cols = best.file, best.cols
        w.blank()
        w.lines.append("[deals]")
        w.key("file", _q(f.name), [f"{f.size()}"])
        w.blank()
        w.lines.append("[deals.columns]")
        headers = f.headers

        # deal_id
        if "deal_id" in cols:
            w.key("deal_id", _q(cols["deal_id"]))
        else:
            key = next((h for h in headers if h not in cols.values() and f.is_key(h)), None)
            if key:
                w.key("deal_id", _q(key), [f"CHECK: no ID column by name; {key!r} has no repeats"])
                cols["deal_id"] = key
            else:
                w.comment(
                    f"CHECK: no deal ID column found; its columns: {_names(headers)}",
                    'deal_id = "..."',
                )
        # partner_id
        if "partner_id" in cols:
            pc = cols["partner_id"]
            notes = []
            if plink is not None and plink.local != _match(headers, "partner_id"):
                named = _match(headers, "partner_id")
                if named:
                    notes.append(f"CHECK: taken for its link to {plink.file.name}, not {named!r}")
            elif plink is None:
                customer = _match(headers, "partner_id", [pc])
                if customer and "partner" in _norm(pc).split():
                    notes.append(f"{customer!r} looks like the customer: the partner is {pc!r}")
                elif "partner" not in _norm(pc).split():
                    notes.append(f"CHECK: {pc!r} is taken as the partner (no partner column)")
            if plink is not None and plink.share < 1:
                missing = len(f.distinct(pc) - plink.file.distinct(plink.key))
                notes.append(
                    f"CHECK: {missing:,} of the {len(f.distinct(pc)):,} values of {pc!r} in the "
                    f"sample are not in {plink.file.name}'s {plink.key!r}: the import refuses "
                    "deals of a partner it does not know"
                )
            empty = f.values(pc).null_count()
            if empty:
                notes.append(
                    f"{empty:,} of {_rows(f.sample.height)} name no partner in {pc!r}: the "
                    "import leaves them out as direct deals (no partner) and counts them"
                )
            w.key("partner_id", _q(pc), notes)
        else:
            w.comment(
                f"CHECK: no partner column found; its columns: {_names(headers)}",
                'partner_id = "..."',
            )
        # amount
        if "amount" in cols:
            self._amount(f, cols)
        else:
            w.comment(
                f"CHECK: no amount column found; its columns: {_names(headers)}", 'amount = "..."'
            )
        # dates
        date_cols = [cols[r] for r in ("closed_on", "created_on") if r in cols]
        rules = _dates(f, date_cols)
        for role in ("closed_on", "created_on"):
            if role not in cols:
                if role == "closed_on":
                    w.comment(
                        f"CHECK: no close date column found; its columns: {_names(headers)}",
                        'closed_on = { column = "...", format = "%m/%d/%Y" }',
                    )
                continue
            r = rules[cols[role]]
            w.key(role, "{ column = " + _q(cols[role]) + r.option() + " }", r.notes)
        # status, vertical: sub-tables after [deals.columns]
        if "status" in cols:
            self.after.append(_status_lines(f, cols["status"]))
        else:
            w.comment('status: no stage column found: every deal is read as "won"')
        if "vertical" in cols:
            self.after.append(
                _alias_lines(
                    "deals", "vertical", f"column = {_q(cols['vertical'])}", f, cols["vertical"]
                )
            )
        else:
            if self.vertical_lookup is not None:
                link, col = self.vertical_lookup
                rule = f"expr = {_expr(_lookup(link, col))}"
                note = (
                    f"CHECK: each deal's vertical is the {col!r} of its {link.local!r} in "
                    f"{link.file.name}"
                )
                self.after.append(_alias_lines("deals", "vertical", rule, link.file, col, [note]))
        self.used |= {cols[r] for r in DEAL_ROLES if r in cols}
        if self.vertical_lookup is not None:
            self.used.add(self.vertical_lookup[0].local)
        self.unmapped_at = len(w.lines)
        for block in self.after:
            w.lines += block

    def _amount(self, f: _File, cols: dict[str, str]) -> None:
        col = cols["amount"]
        status = cols.get("status")
        values = f.values(col)
        empty = values.is_null()
        notes = []
        source = _q(col)
        how = "column"
        if empty.any() and status is not None:
            stages = f.values(status).filter(empty)
            if stages.null_count() == 0 and all(_stage(s)[0] == "open" for s in stages):
                how = "expr"
                source = _expr(f'first_nonempty({_col(col)}, "0")')
                notes.append(
                    f"CHECK: {_rows(int(empty.sum()))} have no {col!r}, all of them neither won "
                    "nor lost (open): they are read as 0, since the contract needs an amount"
                )
        if empty.any() and how == "column":
            notes.append(
                f"CHECK: {_rows(int(empty.sum()))} have no {col!r}: the import refuses "
                "them; fill them in or map another column"
            )
        if "currency" in cols:
            value = f"{{ {how} = {source}, currency_column = {_q(cols['currency'])} }}"
        elif how == "expr":
            value = f"{{ expr = {source} }}"
        else:
            value = source
        self.w.key("amount", value, notes)

    def _vertical_lookup(self, links, plink) -> tuple[_Link, str] | None:
        ordered = ([plink] if plink else []) + [lk for lk in links if lk is not plink]
        for link in ordered:
            col = _match([h for h in link.file.headers if h != link.key], "vertical")
            if col:
                return link, col
        return None

    # -- [partners]

    def _partners(
        self, deals: _File, cols: dict[str, str], plink: _Link | None, links: list[_Link]
    ) -> None:
        w = self.w
        w.blank()
        w.lines.append("[partners]")
        owner = cols.get("manager")
        manager_lookup = self.manager_lookup
        if plink is None:
            w.lines.append("from_deals = true")
            w.comment(
                "One partner per distinct deals.partner_id: no accounts file links to the deals."
            )
            w.blank()
            w.lines.append("[partners.columns]")
            pc = cols.get("partner_id")
            if pc:
                name = _match(deals.headers, "partner_name", [pc])
                if name is None or not {"partner"} <= set(_norm(name).split()):
                    name = pc
                w.key("partner_name", _q(name))
            w.key(
                "segment",
                '{ value = "Mixed" }',
                ["the deals say nothing about size: every partner is Mixed"],
            )
            region = cols.get("region")
            if region:
                self.used.add(region)
                w.key(
                    "region",
                    "{ expr = " + _expr(f"most_frequent({_col(region)})") + " }",
                    ["CHECK: the region of most of the partner's deals"],
                )
            else:
                w.key("region", '{ value = "Unassigned" }', ["no region column in the deals"])
            self._manager(owner, manager_lookup)
            return
        f = plink.file
        w.key("file", _q(f.name), [f"{f.size()}"])
        w.blank()
        w.lines.append("[partners.columns]")
        w.key("partner_id", _q(plink.key))
        taken = [plink.key]
        name = _match(f.headers, "partner_name", taken) or plink.key
        if f.values(name).null_count() and name != plink.key:
            w.key(
                "partner_name",
                "{ expr = " + _expr(f"first_nonempty({_col(name)}, {_col(plink.key)})") + " }",
                [f"the ID where {name!r} is empty"],
            )
        else:
            w.key("partner_name", _q(name))
        taken.append(name)
        seg = _match(f.headers, "segment", taken)
        if seg:
            option, notes = _enum_aliases(f, seg, SEGMENTS)
            w.key("segment", "{ column = " + _q(seg) + option + " }", notes)
        else:
            self._segment_bands(f, taken)
        region = _match(f.headers, "region", taken)
        if region:
            if f.values(region).null_count():
                w.key(
                    "region",
                    "{ expr = " + _expr(f'first_nonempty({_col(region)}, "Unassigned")') + " }",
                    [f"Unassigned where {region!r} is empty"],
                )
            else:
                w.key("region", _q(region))
        elif cols.get("region"):
            self.used.add(cols["region"])
            w.key(
                "region",
                "{ expr = " + _expr(f"most_frequent({_col(cols['region'])})") + " }",
                [f"CHECK: no region column in {f.name}: the region of most of its deals"],
            )
        else:
            w.key("region", '{ value = "Unassigned" }', [f"no region column in {f.name}"])
        manager = _match(f.headers, "manager", taken)
        if manager:
            w.key("partner_manager", _q(manager))
        else:
            self._manager(owner, manager_lookup)
        for role, column in (
            ("partner_type", "partner_type"),
            ("program_tier", "program_tier"),
            ("joined_on", "joined_on"),
        ):
            h = _match(f.headers, role, taken)
            if not h:
                continue
            if column == "program_tier":
                option, notes = _enum_aliases(f, h, PROGRAM_TIERS)
                w.key(column, "{ column = " + _q(h) + option + " }", notes)
            elif column == "joined_on":
                r = _dates(f, [h])[h]
                w.key(column, "{ column = " + _q(h) + r.option() + " }", r.notes)
            else:
                w.key(column, _q(h))

    def _segment_bands(self, f: _File, taken: list[str]) -> None:
        w = self.w
        emp = _match(f.headers, "employees", taken)
        rev = None if emp else _match(f.headers, "revenue", taken)
        col = emp or rev
        if col is None:
            w.key("segment", '{ value = "Mixed" }', [f"no size column in {f.name}"])
            return
        limits = EMPLOYEE_LIMITS if emp else REVENUE_LIMITS
        labels = ", ".join(_q(x) for x in SIZE_LABELS)
        expr = f"bands({_col(col)}, [{limits[0]}, {limits[1]}], [{labels}])"
        notes = [
            f"CHECK: {col!r} below {limits[0]:,}: SMB, below {limits[1]:,}: Midmarket, "
            "else Enterprise"
        ]
        if rev:
            nums = parse_amounts(f.values(col), ".", "")[0].drop_nulls()
            if nums.len():
                notes.append(
                    f"CHECK: the limits are in whole currency units; {col!r} runs from "
                    f"{nums.min():,.2f} to {nums.max():,.2f} in the sample"
                )
        if f.values(col).null_count():
            expr = f'first_nonempty({expr}, "Mixed")'
            notes.append(f"Mixed where {col!r} is empty")
        w.key("segment", "{ expr = " + _expr(expr) + " }", notes)

    def _manager(self, owner: str | None, lookup: tuple[_Link, str] | None) -> None:
        w = self.w
        if owner:
            self.used.add(owner)
            w.key(
                "partner_manager",
                "{ expr = " + _expr(f"most_frequent({_col(owner)})") + " }",
                [f"CHECK: the {owner!r} of most of the partner's deals"],
            )
        elif lookup:
            link, m = lookup
            self.used.add(link.local)
            w.key(
                "partner_manager",
                "{ expr = " + _expr(f"most_frequent({_lookup(link, m)})") + " }",
                [
                    f"CHECK: the {m!r} ({link.file.name}) of the {link.local!r} on most of the "
                    "partner's deals"
                ],
            )
        else:
            w.comment("partner_manager: no owner or manager column found (optional)")

    # -- [targets]

    def _targets(self, targets: tuple[_File, str, str] | None, cols: dict[str, str]) -> None:
        w = self.w
        w.blank()
        w.lines.append("[targets]")
        if targets is None:
            w.comment(
                "CHECK: no targets file was given, so targets are derived, not a plan: each",
                "quarter's target is the partner's won revenue in the same quarter a year",
                "earlier, plus growth. The dashboard says so. To use a plan, give its file",
                '(partner, quarter, target) and write file = "targets.csv" with [targets.columns];',
                'or use rule = "trailing_mean" (with quarters = 4) for the mean of the last',
                "quarters.",
            )
            w.lines += ['rule = "prior_year"', "growth = 0.10"]
            return
        f, q, t = targets
        w.key("file", _q(f.name), [f.size()])
        w.blank()
        w.lines.append("[targets.columns]")
        pid = _match(f.headers, "partner_id", [q, t])
        w.key(
            "partner_id",
            _q(pid) if pid else '"..."',
            [] if pid else [f"CHECK: no partner column found; its columns: {_names(f.headers)}"],
        )
        bad = [v for v in f.distinct(q) if not re.fullmatch(r"\d{4}-[Qq][1-4]", v)]
        notes = []
        if bad:
            notes.append(f"CHECK: the contract wants quarters written YYYY-Qn, not {_show(bad[0])}")
        w.key("fiscal_quarter", _q(q), notes)
        w.key("target_amount", _q(t))
