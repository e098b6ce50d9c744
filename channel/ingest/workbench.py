"""The Import page's work, without Streamlit: uploads kept in a private folder, a first mapping,
the values a mapping needs to show, the preview and the mapping as TOML.

Everything here is a plain function of files and a mapping document (the TOML as a ``dict``),
so the page only draws widgets, and the tests call these directly. The import itself is
``channel.ingest.importer.import_sources``, the command line's; nothing here bypasses it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import tempfile
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl
import tomli_w

from channel.ingest import importer, readers, suggest, values
from channel.ingest.mapping import RULES, MappingError, mapping_from_doc, preset_doc
from channel.loader import MAX_SHOWN_PER_RULE, LoadError, Problem
from channel.settings import Settings

SUFFIXES = (*readers.CSV_SUFFIXES, *readers.XLSX_SUFFIXES, *readers.PARQUET_SUFFIXES)
UPLOAD_PREFIX = "channel-import-"
STALE_SECONDS = 24 * 3600  # upload folders older than this are removed on the next upload
PREVIEW_ROWS = 20
MAX_NAME = 120
MAX_VALUE_SHOWN = 80  # characters of a problem's value shown on the page (and its CSV)


class UploadError(Exception):
    """Uploaded files that cannot be used; ``problems`` name each one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# ---------------------------------------------------------------------------------------------
# Uploads


def safe_name(name: str) -> str:
    """A browser's file name as a plain file name: the last path part, letters, digits and
    ``._-() +`` only, at most MAX_NAME characters. It never becomes a path outside the folder."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFKC", name or ""))[-1]
    base = "".join(c for c in base if c.isprintable())
    base = re.sub(r"[^\w.()+ -]", "_", base, flags=re.ASCII).strip(" .")
    if not base:
        base = "upload"
    stem, dot, suffix = base.rpartition(".")
    if dot and len(base) > MAX_NAME:
        base = stem[: MAX_NAME - len(suffix) - 1] + "." + suffix
    return base[:MAX_NAME]


def new_upload_folder() -> Path:
    """A private folder for one session's uploads (mode 0700). Folders left by sessions that
    ended more than a day ago are removed first."""
    root = Path(tempfile.gettempdir())
    now = time.time()
    for old in root.glob(f"{UPLOAD_PREFIX}*"):
        try:
            if now - old.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    return Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))


def save_uploads(files: Iterable[tuple[str, bytes]], folder: Path) -> list[Path]:
    """Write each ``(browser name, bytes)`` into ``folder`` under a safe, unique name. Raises
    UploadError naming every file of a kind the import does not read (by its suffix)."""
    problems: list[Problem] = []
    out: list[Path] = []
    taken: set[str] = set()
    for name, data in files:
        safe = safe_name(name)
        if not safe.lower().endswith(SUFFIXES):
            reason = "is not a file the import reads: CSV (.csv, .txt, .tsv), XLSX or Parquet"
            problems.append(Problem(safe, None, None, None, reason))
            continue
        stem, _, suffix = safe.rpartition(".")
        unique, n = safe, 2
        while unique.lower() in taken:
            unique, n = f"{stem} ({n}).{suffix}", n + 1
        taken.add(unique.lower())
        path = folder / unique
        path.write_bytes(data)
        out.append(path)
    if problems:
        raise UploadError(problems)
    return out


def remove_folder(folder: Path | None) -> None:
    if folder is not None and folder.name.startswith(UPLOAD_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The mapping document


def first_mapping(
    paths: list[Path], preset: str | None = None, saved: bytes | None = None
) -> tuple[dict, str]:
    """The mapping to start from, and how it was made: a saved mapping (TOML bytes), a preset,
    or the ``--suggest`` guess from the files. Raises MappingError for a saved file that is not
    TOML, or an unknown preset; ``SourceError`` for a file that cannot be read."""
    if saved is not None:
        try:
            doc = tomllib.loads(saved.decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            problem = Problem("the saved mapping", None, None, None, f"is not a TOML file: {e}")
            raise MappingError([problem]) from None
        problems = shape_problems(doc, "the saved mapping")
        if problems:
            raise MappingError(problems)
        return doc, "the saved mapping"
    if preset is not None:
        return preset_doc(preset, named_by="preset"), f"the {preset} preset"
    text = suggest.suggest([str(p) for p in paths])
    return tomllib.loads(text), "a suggestion from the files (check the marked choices)"


def shape_problems(doc: dict, name: str) -> list[Problem]:
    """What in a mapping document (a saved one) has a shape the page cannot show in its widgets:
    a table that is not one, a file name that is not text, a value map or rates that are not
    tables of text or numbers, a plan rule, growth or number of quarters out of the page's
    range. Everything else (a column the files lack, a required column left out) is the
    check's to name, and can be fixed on the page."""
    out: list[Problem] = []

    def bad(key: str, value: object, reason: str) -> None:
        shown = None if value is None or isinstance(value, dict) else str(value)[:60]
        out.append(Problem(name, None, key, shown, reason))

    def number(x: object) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool)

    def table(key: str) -> dict:
        section = doc.get(key, {})
        if isinstance(section, dict):
            return section
        bad(key, section, "must be a table")
        return {}

    defaults = table("defaults")
    for key in ("date_format", "decimal", "thousands", "currency"):
        if key in defaults and not isinstance(defaults[key], str):
            bad(f"defaults.{key}", defaults[key], "must be text in quotes")
    rates = defaults.get("rates", {})
    if not isinstance(rates, dict) or not all(number(r) for r in rates.values()):
        bad("defaults.rates", rates, "must be a table of currency = rate (a number)")
    for part_of in ("deals", "partners", "targets"):
        section = table(part_of)
        if "file" in section and not isinstance(section["file"], str):
            bad(f"{part_of}.file", section["file"], "must be a file name in quotes")
        columns = section.get("columns", {})
        if not isinstance(columns, dict):
            bad(f"{part_of}.columns", columns, "must be a table of contract column = rule")
            continue
        for column, rule in columns.items():
            key = f"{part_of}.{column}"
            if not isinstance(rule, str | dict):
                bad(key, rule, "must be a source column in quotes, or a table { column = ... }")
                continue
            for part in ("map", "aliases") if isinstance(rule, dict) else ():
                pairs = rule.get(part, {})
                if not isinstance(pairs, dict) or not all(
                    isinstance(v, str) for v in pairs.values()
                ):
                    bad(f"{key}.{part}", pairs, 'must be a table of "source value" = "value"')
    targets = table("targets")
    if "rule" in targets and targets["rule"] not in RULES:
        bad("targets.rule", targets["rule"], "must be 'prior_year' or 'trailing_mean'")
    growth = targets.get("growth", 0.1)
    if not number(growth) or not -0.99 <= growth <= 10:
        bad("targets.growth", growth, "must be a fraction from -0.99 to 10 (-99% to +1,000%)")
    quarters = targets.get("quarters", 4)
    if not isinstance(quarters, int) or isinstance(quarters, bool) or not 1 <= quarters <= 12:
        bad("targets.quarters", quarters, "must be a whole number of quarters from 1 to 12")
    return out


def stage_statuses(
    stages: list[str], value_map: dict[str, str], case_sensitive: bool = False
) -> list[str | None]:
    """What each source value counts as under a value map, read as the import reads it: an
    exact key, else the first ``*`` pattern that matches (``"Closed Won*"``), else ``"*"``;
    None when nothing maps it."""
    series = pl.Series("stage", stages, dtype=pl.String)
    try:
        mapped, unmapped, _, _ = values.map_values(
            series, value_map, case_insensitive=not case_sensitive
        )
    except ValueError:  # a key given twice: the check names it
        exact = {k.strip().lower(): v for k, v in value_map.items() if "*" not in k}
        return [exact.get(s.strip().lower(), value_map.get("*")) for s in stages]
    return [None if u else m for m, u in zip(mapped, unmapped, strict=True)]


def to_toml(doc: dict) -> str:
    """The mapping document as TOML that ``python -m channel import --mapping`` reads."""
    head = (
        "# Channel Lens import mapping, saved from the Import data page on "
        f"{dt.date.today().isoformat()}.\n"
        "# Use it with: python -m channel import SOURCE... --mapping this-file.toml\n\n"
    )
    return head + tomli_w.dumps(doc)


def needs_choice(value: object) -> bool:
    """A value ``--suggest`` left for a person to choose (AMBIGUOUS placeholders)."""
    return isinstance(value, str) and value.startswith("AMBIGUOUS")


def source_names(paths: list[Path]) -> dict[str, Path]:
    return {p.name: p for p in paths}


def headers(path: Path) -> list[str]:
    return readers.open_source(path).headers


def distinct_values(path: Path, column: str, limit: int = 200) -> pl.DataFrame:
    """The distinct non-empty values of one source column with their counts, most frequent
    first (at most ``limit``), read a batch at a time."""
    counts: pl.DataFrame | None = None
    for batch in readers.open_source(path).batches():
        part = (
            batch.select(pl.col(column).str.strip_chars().alias("value"))
            .filter(pl.col("value").is_not_null() & (pl.col("value") != ""))
            .group_by("value")
            .len("count")
        )
        counts = part if counts is None else pl.concat([counts, part])
        counts = counts.group_by("value").agg(pl.col("count").sum())
    if counts is None:
        return pl.DataFrame(schema={"value": pl.String, "count": pl.UInt32})
    return counts.sort(["count", "value"], descending=[True, False]).head(limit)


def date_reading(path: Path, column: str, fmt: str | None, n: int = 3) -> tuple[str, list[str]]:
    """How a date column reads: the format's words and ``n`` examples ``'3/4/2025' → 2025-03-04``
    (from the first batch), or what is wrong."""
    batch = next(readers.open_source(path).batches(), None)
    if batch is None:
        return "no rows", []
    text = batch[column].drop_nulls().head(2000)
    if fmt is None or needs_choice(fmt):
        guess = values.detect_date_format(text)
        if guess.ambiguous or guess.format is None:
            shown = [values.date_format_words(f) for f in guess.candidates]
            return ("reads two ways: " + " or ".join(shown)) if shown else "no format fits", []
        fmt = guess.format
    parsed, bad, reason = values.parse_dates(text, fmt)
    frame = pl.DataFrame({"text": text, "date": parsed, "bad": bad}).filter(~pl.col("bad"))
    examples = [f"{t!r} → {d.isoformat()}" for t, d, _ in frame.head(n).iter_rows() if d]
    words = values.date_format_words(fmt)
    if bad.any():
        return (
            f"{words}: {int(bad.sum()):,} of the first {text.len():,} values do not read",
            examples,
        )
    return words, examples


# ---------------------------------------------------------------------------------------------
# Preview and load


@dataclasses.dataclass
class Preview:
    heads: dict[str, pl.DataFrame]  # contract table -> its first PREVIEW_ROWS mapped rows
    problems: list[Problem]
    more: list[tuple[str, str, str, int]]  # (file, column, reason, rows not listed)
    summary: importer.ImportSummary | None  # the dry run's, when there is no problem

    @property
    def ok(self) -> bool:
        return not self.problems and self.summary is not None

    @property
    def count(self) -> int:
        return len(self.problems) + sum(n for *_, n in self.more)


def preview(
    paths: list[Path],
    doc: dict,
    db_path: Path,
    settings: Settings | None = None,
    data_as_of: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Preview:
    """A dry run of the whole import: the mapped rows and every problem, nothing written."""
    heads: dict[str, pl.DataFrame] = {}
    try:
        mapping = mapping_from_doc(doc, "the mapping")
        summary = importer.import_sources(
            [str(p) for p in paths],
            mapping,
            db_path,
            settings,
            progress,
            data_as_of,
            dry_run=True,
            peek=lambda h: heads.update(h),
        )
    except (MappingError, readers.SourceError) as e:
        return Preview(heads, e.problems, [], None)
    except LoadError as e:
        return Preview(heads, e.problems, e.more, None)
    return Preview(heads, [], [], summary)


def run_import(
    paths: list[Path],
    doc: dict,
    db_path: Path,
    settings: Settings | None = None,
    data_as_of: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> importer.ImportSummary:
    """The import for real (validation again, then the atomic swap). Raises as the CLI does."""
    mapping = mapping_from_doc(doc, "the mapping")
    return importer.import_sources(
        [str(p) for p in paths], mapping, db_path, settings, progress, data_as_of
    )


def problem_table(problems: list[Problem], more: list[tuple[str, str, str, int]]) -> pl.DataFrame:
    """Problems as rows (file, line, column, value, problem, rule), for the page's table."""
    rows = []
    for p in problems:
        reason, rule = _split_rule(p.reason)
        rows.append((p.file, p.line, p.column, _short(p.value), reason, rule, 1))
    for f, c, r, n in more:
        reason, rule = _split_rule(r)
        rows.append((f, None, c or None, f"{n:,} more rows", reason, rule, n))
    schema = {
        "file": pl.String,
        "line": pl.Int64,
        "column": pl.String,
        "value": pl.String,
        "problem": pl.String,
        "rule": pl.String,
        "rows": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def problem_groups(table: pl.DataFrame) -> pl.DataFrame:
    """Problems grouped by file, column, problem and rule, with how many rows each covers."""
    if table.height == 0:
        return table.select("file", "column", "problem", "rule", "rows")
    return (
        table.group_by(["file", "column", "problem", "rule"], maintain_order=True)
        .agg(pl.col("rows").sum())
        .sort("rows", descending=True, maintain_order=True)
    )


def _short(value: str | None) -> str | None:
    """A problem's value as the page shows it: a value over MAX_VALUE_SHOWN characters (up to
    readers.MAX_FIELD_CHARS) is cut, with its length, rather than sent whole to the browser."""
    if value is None or len(value) <= MAX_VALUE_SHOWN:
        return value
    return f"{value[:MAX_VALUE_SHOWN]}… ({len(value):,} characters)"


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return first) prefixed with ``'``, for a CSV of values that came from uploads."""
    risky = r"^[=+\-@\t\r]"
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(risky)).then("'" + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, t in frame.schema.items()
        if t == pl.String
    )


def _split_rule(reason: str) -> tuple[str, str | None]:
    m = re.search(r" \(mapping: ([^)]*)\)$", reason)
    return (reason[: m.start()], m.group(1)) if m else (reason, None)


__all__ = [
    "MAX_SHOWN_PER_RULE",
    "Preview",
    "UploadError",
    "first_mapping",
    "preview",
    "problem_table",
    "run_import",
    "save_uploads",
    "to_toml",
]
