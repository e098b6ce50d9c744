"""Source text columns -> contract values: dates, amounts, currencies, value maps and aliases.

Pure functions on ``pl.Series`` of strings, vectorised in Polars (loops run over formats or map
entries, never over rows). Each parser returns ``(values, bad, reason)`` like the loader's
``_parse``: ``values`` is aligned with the input, ``bad`` is a Boolean mask of the cells that
could not be read (their value is null), and ``reason`` says in words what was expected, so the
caller can name each bad source line. Empty and blank cells come back null and are not bad.

Nothing here guesses: a value is read only in the format the caller names. ``detect_*`` list the
formats that read every value and say when two of them read the data differently.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import polars as pl

Parsed = tuple[pl.Series, pl.Series, str]

# ---------------------------------------------------------------------------------------------
# Shared


def _clean(text: pl.Series) -> pl.Series:
    """Strings with the outer whitespace (no-break spaces too) removed; blank -> null."""
    s = text.cast(pl.String, strict=False) if text.dtype != pl.String else text
    s = s.str.strip_chars()
    return pl.select(pl.when(s != "").then(s)).to_series().rename(text.name)


def _result(values: pl.Series, empty: pl.Series, name: str) -> tuple[pl.Series, pl.Series]:
    """Values renamed like the input, and the bad mask: a cell that was not empty but came back
    null."""
    bad = (~empty & values.is_null()).fill_null(False)
    return values.rename(name), bad.rename(name)


# ---------------------------------------------------------------------------------------------
# Dates

# strftime directive -> (the text it takes, how the reason spells it). Chrono (Polars) reads
# "3" for %m and %d, and any number of digits for %Y ("25" is the year 25), so each format is
# first checked against this shape.
_DIRECTIVES = {
    "Y": (r"\d{4}", "YYYY"),
    "y": (r"\d{2}", "YY"),
    "m": (r"\d{1,2}", "M"),
    "d": (r"\d{1,2}", "D"),
    "b": (r"[A-Za-z]{3}", "Mon"),
    "B": (r"[A-Za-z]{3,9}", "Month"),
    "H": (r"\d{1,2}", "hh"),
    "I": (r"\d{1,2}", "hh"),
    "M": (r"\d{2}", "mm"),
    "S": (r"\d{2}", "ss"),
    "f": (r"\d{1,9}", "fff"),
    "p": (r"(?i:am|pm)", "AM/PM"),
}
_TIME_DIRECTIVES = set("HIMSfp")

ISO = "iso"
EXCEL = "excel"

_ISO_RE = (
    r"^\d{4}-\d{2}-\d{2}"
    r"([T ]([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)([.,]\d+)?)?"
    r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?)?$"
)
_NUMBER_RE = r"^\d+(\.\d+)?$"

# Excel's 1900 date system: serial 1 is 1900-01-01, but Excel counts a 29 February 1900 that
# never was, so from serial 61 (1900-03-01) on, day = 1899-12-30 + serial. Serials outside
# 1950-2099 are refused: in a CRM export they are amounts or counts, not dates.
EXCEL_EPOCH_OFFSET = 25_569  # the serial of 1970-01-01, Polars' day 0
EXCEL_FIRST = dt.date(1950, 1, 1)
EXCEL_LAST = dt.date(2099, 12, 31)

# The formats ``detect_date_format`` tries, in the order a single reading is named.
DATE_CANDIDATES = (
    ISO,
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%y",
    EXCEL,
)


def _strftime_shape(fmt: str) -> tuple[str, str, bool]:
    """(regex of the text the format takes, the format in words, whether it has a time)."""
    regex, words, has_time, i = ["^"], [], False, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            regex.append(re.escape(ch))
            words.append(ch)
            i += 1
            continue
        code = fmt[i + 1 : i + 2]
        if code == "-":  # %-m, %-d: glibc's "no padding"; chrono reads one digit anyway
            code = fmt[i + 2 : i + 3]
            i += 1
        if code == "%":
            regex.append("%")
            words.append("%")
        elif code in _DIRECTIVES:
            regex.append(_DIRECTIVES[code][0])
            words.append(_DIRECTIVES[code][1])
            has_time |= code in _TIME_DIRECTIVES
        else:
            raise ValueError(
                f"date format {fmt!r}: %{code} is not supported "
                f"(use {', '.join('%' + c for c in _DIRECTIVES)}, or 'iso' for time zones)"
            )
        i += 2
    regex.append("$")
    return "".join(regex), "".join(words), has_time


def date_format_words(fmt: str) -> str:
    """The format as a reader would write it: ``%m/%d/%Y`` -> ``M/D/YYYY``."""
    if fmt == ISO:
        return "YYYY-MM-DD (ISO, optionally with a time)"
    if fmt == EXCEL:
        return "an Excel day number"
    return _strftime_shape(fmt)[1]


def date_reason(fmt: str) -> str:
    if fmt == EXCEL:
        return (
            "not an Excel day number for a date between "
            f"{EXCEL_FIRST.isoformat()} and {EXCEL_LAST.isoformat()}"
        )
    return f"not a date in the format {date_format_words(fmt)}"


def parse_dates(text: pl.Series, fmt: str) -> Parsed:
    """Text -> ``pl.Date``.

    ``fmt`` is a strftime format (``%m/%d/%Y`` also reads ``3/5/2025``; ``%Y`` takes exactly
    four digits), ``"iso"`` (``YYYY-MM-DD``, optionally followed by ``T`` or a space, a time with
    optional seconds and fraction, and a time zone: the date is kept as written, never moved to
    UTC) or ``"excel"`` (serial day numbers of Excel's 1900 system, a fraction being the time of
    day; only dates from 1950 to 2099). A day that does not exist (31/02) is bad.
    """
    raw = _clean(text)
    empty = raw.is_null()
    if fmt == ISO:
        shaped = raw.str.contains(_ISO_RE)
        values = raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    elif fmt == EXCEL:
        shaped = raw.str.contains(_NUMBER_RE)
        serial = raw.cast(pl.Float64, strict=False).floor()
        first = (EXCEL_FIRST - dt.date(1970, 1, 1)).days + EXCEL_EPOCH_OFFSET
        last = (EXCEL_LAST - dt.date(1970, 1, 1)).days + EXCEL_EPOCH_OFFSET
        shaped = shaped & serial.is_between(first, last)
        days = (serial - EXCEL_EPOCH_OFFSET).cast(pl.Int32, strict=False)
        values = days.set(~shaped.fill_null(False), None).cast(pl.Date)
    else:
        regex, _, has_time = _strftime_shape(fmt)
        chrono_fmt = fmt.replace("%-", "%")
        shaped = raw.str.contains(regex)
        if has_time:
            values = raw.str.to_datetime(chrono_fmt, strict=False).dt.date()
        else:
            values = raw.str.to_date(chrono_fmt, strict=False)
    shaped = shaped.fill_null(False)
    values = values.set(~shaped, None) if values.len() else values
    values, bad = _result(values, empty, text.name)
    return values, bad, date_reason(fmt)


@dataclasses.dataclass(frozen=True)
class DateGuess:
    """What ``detect_date_format`` found.

    ``candidates``: every format that reads all non-empty values, in ``DATE_CANDIDATES`` order.
    ``format``: the one to use when the candidates all agree, else None. ``ambiguous``: two
    candidates read some value as different dates. ``examples``: per candidate, up to three
    ``(text, date)`` pairs, chosen first among the values the candidates disagree on.
    """

    format: str | None
    candidates: tuple[str, ...]
    ambiguous: bool
    examples: dict[str, list[tuple[str, dt.date]]]


def detect_date_format(text: pl.Series, candidates: tuple[str, ...] = DATE_CANDIDATES) -> DateGuess:
    raw = _clean(text)
    if raw.null_count() == raw.len():
        return DateGuess(None, (), False, {})
    readings: dict[str, pl.Series] = {}
    for fmt in candidates:
        values, bad, _ = parse_dates(raw, fmt)
        if not bad.any():
            readings[fmt] = values
    return _guess(raw, readings, DateGuess)


def _guess(raw: pl.Series, readings: dict, cls: type) -> object:
    """The guess built from the readings that read every value (shared by dates and amounts)."""
    fits = list(readings)
    if not fits:
        return cls(None, (), False, {})
    first = readings[fits[0]]
    ambiguous = any(not readings[f].equals(first) for f in fits[1:])
    frame = pl.DataFrame({"raw": raw, **{f"r{i}": readings[f] for i, f in enumerate(fits)}})
    differs = pl.lit(False)
    for i in range(1, len(fits)):
        differs = differs | pl.col(f"r{i}").ne_missing(pl.col("r0"))
    shown = (
        frame.filter(pl.col("raw").is_not_null())
        .with_columns(differs.alias("differs"))
        .sort("differs", descending=True, maintain_order=True)
        .head(3)
    )
    examples = {
        f: list(zip(shown["raw"].to_list(), shown[f"r{i}"].to_list(), strict=True))
        for i, f in enumerate(fits)
    }
    return cls(None if ambiguous else fits[0], tuple(fits), ambiguous, examples)


# ---------------------------------------------------------------------------------------------
# Amounts and currencies

# Currency marks -> ISO 4217 code. "$" is read as USD unless the caller says otherwise
# (``symbols={"$": "CAD"}``). "¥" (yen or yuan) and "kr" (three crowns) are left out on purpose.
CURRENCY_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "C$": "CAD",
    "CA$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "S$": "SGD",
    "R$": "BRL",
    "zł": "PLN",
    "₩": "KRW",
    "₪": "ILS",
    "₺": "TRY",
    "Fr.": "CHF",
}
# Codes read as written, upper case. A fixed list, so that "12abc" is not 12 of currency ABC.
CURRENCY_CODES = tuple(
    "USD EUR GBP CHF CAD AUD NZD JPY CNY HKD SGD INR BRL MXN ZAR SEK NOK DKK PLN CZK HUF RON "
    "BGN TRY ILS AED SAR KRW TWD THB MYR IDR PHP ARS CLP COP PEN RUB UAH ISK".split()
)

_SPACES = " \u00a0\u202f\u2009"  # space, no-break, narrow no-break, thin
_APOSTROPHES = "'\u2019"
_SIGN = "[-+\u2212]"  # U+2212 is the minus sign of typeset numbers
_NEG = ("-", "\u2212")


def _thousands_class(thousands: str) -> str:
    if thousands == " ":
        return "[" + _SPACES + "]"
    if thousands == "'":
        return "[" + _APOSTROPHES + "]"
    return re.escape(thousands)


def _amount_shape(marks: list[str]) -> str:
    """One regex for a whole cell: sign, parentheses, a currency mark before or after, and the
    number between (checked against the separators later)."""
    cur = "|".join(re.escape(m) for m in sorted(marks, key=len, reverse=True))
    body = r"[0-9](?:[0-9.,'\u2019" + _SPACES + r"]*[0-9])?|[.,][0-9]+"
    gap = r"[\s\u202f]*"
    return (
        f"^(?P<s1>{_SIGN})?{gap}(?P<po>\\()?{gap}(?P<s2>{_SIGN})?{gap}"
        f"(?:(?P<c1>{cur}){gap})?(?P<s3>{_SIGN})?{gap}(?P<num>{body}){gap}"
        f"(?:(?P<c2>{cur}))?{gap}(?P<pc>\\))?{gap}(?P<s4>{_SIGN})?$"
    )


def _marks(symbols: dict[str, str] | None) -> dict[str, str]:
    marks = {c: c for c in CURRENCY_CODES} | CURRENCY_SYMBOLS | (symbols or {})
    return marks


def _split(raw: pl.Series, symbols: dict[str, str] | None) -> pl.DataFrame:
    return raw.str.extract_groups(_amount_shape(list(_marks(symbols)))).struct.unnest()


def amount_example(decimal: str, thousands: str) -> str:
    return f"1{thousands}234{decimal}50" if thousands else f"1234{decimal}50"


def parse_amounts(
    text: pl.Series,
    decimal: str = ".",
    thousands: str = ",",
    symbols: dict[str, str] | None = None,
) -> Parsed:
    """Text -> ``pl.Float64``.

    ``decimal`` is "." or ","; ``thousands`` is ",", ".", " " (any space, no-break spaces too),
    "'" (also the typographic apostrophe) or "" (none). Thousands groups must be three digits
    after a first group of one to three (``1,23,4.5`` is bad). A currency symbol or ISO code may
    stand before or after the number (see ``CURRENCY_SYMBOLS``, ``CURRENCY_CODES``); it is not
    checked here (``currency_of``). A minus before or after, or accounting parentheses
    ``(1,234.00)``, make the value negative: the contract refuses negative amounts, not this.
    """
    if (
        decimal not in (".", ",")
        or thousands not in (",", ".", " ", "'", "")
        or decimal == thousands
    ):
        raise ValueError(f"separators: decimal {decimal!r}, thousands {thousands!r}")
    raw = _clean(text)
    empty = raw.is_null()
    reason = f"not an amount written like {amount_example(decimal, thousands)}"
    if raw.len() == 0:
        return pl.Series(text.name, [], pl.Float64), pl.Series(text.name, [], pl.Boolean), reason
    parts = _split(raw, symbols)
    d, t = re.escape(decimal), _thousands_class(thousands) if thousands else None
    whole = rf"(?:\d+|\d{{1,3}}(?:{t}\d{{3}})+)" if t else r"\d+"
    number_re = rf"^(?:{whole}(?:{d}\d+)?|{d}\d+)$"
    signs = [pl.col(s) for s in ("s1", "s2", "s3", "s4")]
    out = parts.select(
        num=pl.col("num"),
        ok=(
            pl.col("num").str.contains(number_re)
            & (pl.sum_horizontal(s.is_not_null() for s in signs) + pl.col("po").is_not_null() <= 1)
            & (pl.col("po").is_null() == pl.col("pc").is_null())
            & (pl.col("c1").is_null() | pl.col("c2").is_null())
        ).fill_null(False),
        negative=pl.any_horizontal(s.is_in(_NEG).fill_null(False) for s in signs)
        | pl.col("po").is_not_null(),
    )
    number = out["num"]
    if thousands in (",", "."):
        number = number.str.replace_all(thousands, "", literal=True)
    elif thousands:
        number = number.str.replace_all(t, "")
    if decimal != ".":
        number = number.str.replace(decimal, ".", literal=True)
    number = number.cast(pl.Float64, strict=False)
    values = pl.select(
        pl.when(out["ok"]).then(pl.when(out["negative"]).then(-number).otherwise(number))
    ).to_series()
    values, bad = _result(values, empty, text.name)
    return values, bad, reason


# The separator pairs ``detect_amount_format`` tries, in the order a single reading is named.
AMOUNT_CANDIDATES = (
    (".", ","),
    (",", "."),
    (".", " "),
    (",", " "),
    (".", "'"),
    (",", "'"),
    (".", ""),
    (",", ""),
)


@dataclasses.dataclass(frozen=True)
class AmountGuess:
    """What ``detect_amount_format`` found; see ``DateGuess``. ``format`` and ``candidates`` are
    ``(decimal, thousands)`` pairs; ``examples`` give ``(text, amount)`` pairs."""

    format: tuple[str, str] | None
    candidates: tuple[tuple[str, str], ...]
    ambiguous: bool
    examples: dict[tuple[str, str], list[tuple[str, float]]]


def detect_amount_format(text: pl.Series, symbols: dict[str, str] | None = None) -> AmountGuess:
    """The separator pairs that read every non-empty value. All values like ``1,234`` (no
    decimals) are ambiguous: 1234 with "," for thousands, or 1.234 with "," for decimals."""
    raw = _clean(text)
    if raw.null_count() == raw.len():
        return AmountGuess(None, (), False, {})
    readings = {}
    for decimal, thousands in AMOUNT_CANDIDATES:
        values, bad, _ = parse_amounts(raw, decimal, thousands, symbols)
        if not bad.any():
            readings[(decimal, thousands)] = values
    return _guess(raw, readings, AmountGuess)


def currency_of(text: pl.Series, symbols: dict[str, str] | None = None) -> pl.Series:
    """The ISO code of the currency mark in each cell (null where there is none, or where the
    cell is not an amount). ``symbols`` adds or overrides marks, e.g. ``{"$": "CAD"}``."""
    raw = _clean(text)
    if raw.len() == 0:
        return pl.Series(text.name, [], pl.String)
    parts = _split(raw, symbols)
    mark = parts["c1"].fill_null(parts["c2"])
    marks = _marks(symbols)
    return mark.replace_strict(marks, default=None, return_dtype=pl.String).rename(text.name)


def convert(
    amounts: pl.Series,
    currencies: pl.Series,
    rates: dict[str, float],
    base: str,
    unmarked: str | None = None,
) -> Parsed:
    """Amounts in ``base``: each amount times ``rates[currency]`` (units of ``base`` per unit of
    the currency; ``base`` itself is 1). Cells without a currency are in ``unmarked``, or bad
    when it is None. An amount whose currency has no rate is bad, and the reason names every
    currency missing from the table."""
    table = {base: 1.0} | rates
    currency = currencies.fill_null(unmarked) if unmarked is not None else currencies
    rate = currency.replace_strict(table, default=None, return_dtype=pl.Float64)
    values = amounts.cast(pl.Float64) * rate
    bad = (amounts.is_not_null() & rate.is_null()).fill_null(False)
    missing = currency.filter(bad)
    names = sorted(missing.drop_nulls().unique().to_list())
    if missing.null_count():
        names.append("(no currency marked)")
    reason = f"no rate to {base} for " + (", ".join(names) if names else "this currency")
    return values.rename(amounts.name), bad.rename(amounts.name), reason + " (add it to the rates)"


# ---------------------------------------------------------------------------------------------
# Value maps and aliases

UNMAPPED = "no rule maps this value (add it to the value map)"


def _key(s: pl.Series, case_insensitive: bool, blanks: str = " ") -> pl.Series:
    """Comparison key: outer blanks removed, inner runs of blanks replaced by ``blanks``."""
    s = _clean(s).str.replace_all(r"[\s\u202f]+", blanks)
    return s.str.to_lowercase() if case_insensitive else s


def _key_of(value: str, case_insensitive: bool, blanks: str = " ") -> str:
    value = re.sub(r"[\s\u202f]+", blanks, value.strip())
    return value.lower() if case_insensitive else value


def _unique_keys(pairs: dict[str, str], fold) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs.items():
        key = fold(k)
        if key in out and out[key] != v:
            raise ValueError(f"the map gives {k!r} two values: {out[key]!r} and {v!r}")
        out[key] = v
    return out


def map_values(
    text: pl.Series,
    pairs: dict[str, str],
    default: str | None = None,
    case_insensitive: bool = True,
) -> tuple[pl.Series, pl.Series, str, pl.DataFrame]:
    """Source values -> contract values through a value map.

    A key is exact, or a pattern where ``*`` stands for any text (``"Closed Won*"``). An exact
    key wins over patterns; among patterns the first in the map's order wins; the key ``"*"``
    (or ``default``) maps everything else. Keys and values compare with outer blanks removed,
    inner runs of blanks as one space, and by default without case. Returns ``(values, bad,
    reason, unmapped)``, ``unmapped`` being a frame of the distinct unmapped values (as written,
    outer blanks removed) with their ``count``, most frequent first.
    """

    def fold(k: str) -> str:
        return _key_of(k, case_insensitive)

    catch_all = pairs.get("*")
    if catch_all is not None and default is not None and catch_all != default:
        raise ValueError(f"two defaults: '*' = {catch_all!r} and default = {default!r}")
    default = catch_all if catch_all is not None else default
    exact = _unique_keys({k: v for k, v in pairs.items() if "*" not in k}, fold)
    patterns = [(fold(k), v) for k, v in pairs.items() if "*" in k and k.strip() != "*"]

    raw = _clean(text)
    key = _key(raw, case_insensitive)
    values = key.replace_strict(exact, default=None, return_dtype=pl.String)
    if patterns or default is not None:
        rule = pl.lit(default, dtype=pl.String)
        for pattern, value in reversed(patterns):  # built inside out: the first one wins
            regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
            rule = pl.when(pl.col("k").str.contains(regex)).then(pl.lit(value)).otherwise(rule)
        by_rule = (
            pl.DataFrame({"k": key})
            .select(pl.when(pl.col("k").is_not_null()).then(rule))
            .to_series()
        )
        values = values.fill_null(by_rule)
    values, bad = _result(values, raw.is_null(), text.name)
    unmapped = (
        raw.filter(bad)
        .value_counts(name="count")
        .rename({raw.name: "value"})
        .sort(["count", "value"], descending=[True, False])
    )
    return values, bad, UNMAPPED, unmapped


def apply_aliases(
    text: pl.Series, aliases: dict[str, str], canonical: list[str] | None = None
) -> Parsed:
    """Typos and second spellings -> one spelling (``technolgy`` -> ``Technology``).

    Alias keys match without case and without blanks (``"Health care"`` is ``"healthcare"``).
    With ``canonical``, values that are a canonical value in another case or spacing take its
    spelling, every alias must point at a canonical value, and anything left that is not
    canonical is bad. Without it, values that no alias names pass through as written (outer
    blanks removed), and nothing is bad.
    """

    def fold(k: str) -> str:
        return _key_of(k, True, blanks="")

    table = _unique_keys(aliases, fold)
    if canonical is not None:
        stray = sorted(set(table.values()) - set(canonical))
        if stray:
            raise ValueError(f"aliases point at values that are not canonical: {stray}")
        table = _unique_keys({c: c for c in canonical}, fold) | table
    raw = _clean(text)
    key = _key(raw, True, blanks="")
    values = key.replace_strict(table, default=None, return_dtype=pl.String)
    if canonical is None:
        values = values.fill_null(raw)
        bad = pl.repeat(False, raw.len(), eager=True)
        return values.rename(text.name), bad.rename(text.name), ""
    values, bad = _result(values, raw.is_null(), text.name)
    return values, bad, "not a known value (add an alias for it)"
