"""Reading source text into contract values: each expected value below was worked out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from channel.ingest.values import (
    UNMAPPED,
    apply_aliases,
    convert,
    currency_of,
    detect_amount_format,
    detect_date_format,
    map_values,
    parse_amounts,
    parse_dates,
)

D = dt.date


def read(parsed):
    values, bad, _ = parsed[:3]
    return values.to_list(), bad.to_list()


# ---------------------------------------------------------------------------------------------
# Dates


def test_us_dates_with_one_or_two_digit_months_and_days():
    values, bad, reason = parse_dates(
        pl.Series("closed", ["3/15/2025", "12/31/2024", "1/2/2025", "", None]), "%m/%d/%Y"
    )
    assert values.to_list() == [D(2025, 3, 15), D(2024, 12, 31), D(2025, 1, 2), None, None]
    assert bad.to_list() == [False] * 5
    assert values.name == "closed"
    assert reason == "not a date in the format M/D/YYYY"


def test_us_dates_refuse_a_two_digit_year_and_a_day_that_does_not_exist():
    # Polars alone reads "3/15/25" as the year 25
    got = read(
        parse_dates(pl.Series(["3/15/25", "2/29/2025", "2/29/2024", "3/15/2025x"]), "%m/%d/%Y")
    )
    assert got == ([None, None, D(2024, 2, 29), None], [True, True, False, True])


def test_glibc_no_padding_directives_read_the_same():
    assert read(parse_dates(pl.Series(["3/5/2025"]), "%-m/%-d/%Y")) == ([D(2025, 3, 5)], [False])


def test_european_dates():
    values, bad, reason = parse_dates(pl.Series(["15.03.2025", "5.3.2025"]), "%d.%m.%Y")
    assert values.to_list() == [D(2025, 3, 15), D(2025, 3, 5)]
    assert not bad.any()
    assert reason == "not a date in the format D.M.YYYY"


def test_31_february_is_bad():
    assert read(parse_dates(pl.Series(["31/02/2025", "28/02/2025"]), "%d/%m/%Y")) == (
        [None, D(2025, 2, 28)],
        [True, False],
    )


def test_iso_keeps_the_date_as_written_whatever_the_time_and_zone():
    text = pl.Series(
        [
            "2025-03-15T10:20:00Z",
            "2025-03-15",
            "2025-03-15 23:59",
            "2025-03-15T23:30:00.123-08:00",  # 2025-03-16 in UTC: the date stays the 15th
            "2025-03-15T24:00",
            "15/03/2025",
        ]
    )
    assert read(parse_dates(text, "iso")) == (
        [D(2025, 3, 15)] * 4 + [None, None],
        [False] * 4 + [True, True],
    )


def test_excel_serials():
    values, bad, reason = parse_dates(
        pl.Series(["45000", "45366", "45000.75", "100", "12a"]), "excel"
    )
    assert values.to_list() == [D(2023, 3, 15), D(2024, 3, 15), D(2023, 3, 15), None, None]
    assert bad.to_list() == [False, False, False, True, True]
    assert reason == "not an Excel day number for a date between 1950-01-01 and 2099-12-31"


def test_month_names():
    assert read(parse_dates(pl.Series(["15 Mar 2025", "5 mar 2025"]), "%d %b %Y")) == (
        [D(2025, 3, 15), D(2025, 3, 5)],
        [False, False],
    )
    assert read(parse_dates(pl.Series(["Mar 15, 2025"]), "%b %d, %Y")) == (
        [D(2025, 3, 15)],
        [False],
    )


def test_an_unsupported_directive_is_refused():
    with pytest.raises(ValueError, match="%z"):
        parse_dates(pl.Series(["x"]), "%Y-%m-%d%z")


def test_detect_all_days_up_to_12_is_ambiguous_with_both_readings():
    guess = detect_date_format(pl.Series(["3/5/2025", "12/1/2024", ""]))
    assert guess.ambiguous
    assert guess.format is None
    assert guess.candidates == ("%m/%d/%Y", "%d/%m/%Y")
    assert guess.examples["%m/%d/%Y"] == [
        ("3/5/2025", D(2025, 3, 5)),
        ("12/1/2024", D(2024, 12, 1)),
    ]
    assert guess.examples["%d/%m/%Y"] == [
        ("3/5/2025", D(2025, 5, 3)),
        ("12/1/2024", D(2024, 1, 12)),
    ]


def test_detect_one_day_above_12_settles_it():
    guess = detect_date_format(pl.Series(["3/5/2025", "3/15/2025"]))
    assert (guess.format, guess.candidates, guess.ambiguous) == ("%m/%d/%Y", ("%m/%d/%Y",), False)
    # the example that told the readings apart would come first; here there is one reading
    assert guess.examples["%m/%d/%Y"][1] == ("3/15/2025", D(2025, 3, 15))


def test_detect_readings_that_agree_are_not_ambiguous():
    guess = detect_date_format(pl.Series(["12/12/2025", "1/1/2025"]))
    assert guess.candidates == ("%m/%d/%Y", "%d/%m/%Y")
    assert (guess.format, guess.ambiguous) == ("%m/%d/%Y", False)


def test_detect_iso_excel_and_nothing():
    assert detect_date_format(pl.Series(["2025-03-15T10:20:00Z"])).format == "iso"
    assert detect_date_format(pl.Series(["45000", "45366"])).format == "excel"
    nothing = detect_date_format(pl.Series(["3/15/2025", "15.03.2025"]))
    assert (nothing.format, nothing.candidates, nothing.ambiguous) == (None, (), False)
    assert detect_date_format(pl.Series(["", None])).candidates == ()


def test_detect_shows_the_values_the_readings_disagree_on_first():
    guess = detect_date_format(pl.Series(["1/1/2025", "2/2/2025", "3/3/2025", "4/5/2025"]))
    assert guess.ambiguous
    assert guess.examples["%d/%m/%Y"][0] == ("4/5/2025", D(2025, 5, 4))
    assert len(guess.examples["%d/%m/%Y"]) == 3


# ---------------------------------------------------------------------------------------------
# Amounts

US = [
    ("$1,234.50", 1234.5),
    ("USD 1,234.50", 1234.5),
    ("1,234.50 USD", 1234.5),
    ("(1,234.00)", -1234.0),
    ("($1,234.00)", -1234.0),
    ("-1,234", -1234.0),
    ("1,234-", -1234.0),
    ("$-5", -5.0),
    ("1234", 1234.0),
    ("0.5", 0.5),
    ("12abc", None),
    ("1,23,4.5", None),
    ("1,2345.00", None),
    ("1.234,50", None),
    ("-(5)", None),
    ("(5", None),
    ("USD 5 USD", None),
    ("12 ABC", None),
    ("", None),
    ("   ", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), US)
def test_us_amounts(text, expected):
    values, bad, reason = parse_amounts(pl.Series([text], dtype=pl.String))
    assert values.to_list() == [expected]
    assert bad.to_list() == [expected is None and text is not None and text.strip() != ""]
    assert reason == "not an amount written like 1,234.50"


def test_european_amounts_with_the_euro_before_or_after():
    got = read(
        parse_amounts(pl.Series(["1.234,50 €", "€1.234,50", "EUR 0,99", "1,234.50"]), ",", ".")
    )
    assert got == ([1234.5, 1234.5, 0.99, None], [False, False, False, True])


def test_spaces_of_every_kind_as_thousands():
    text = pl.Series(["1 234,50", "1\u00a0234,50", "1\u202f234,50 €", "12 34,50"])
    values, bad, reason = parse_amounts(text, ",", " ")
    assert values.to_list() == [1234.5, 1234.5, 1234.5, None]
    assert bad.to_list() == [False, False, False, True]
    assert reason == "not an amount written like 1 234,50"


def test_swiss_apostrophes():
    got = read(parse_amounts(pl.Series(["CHF 1'234.50", "1\u2019234.50 CHF"]), ".", "'"))
    assert got == ([1234.5, 1234.5], [False, False])


def test_no_thousands_separator_means_none_is_allowed():
    assert read(parse_amounts(pl.Series(["1234.5", "1,234.5"]), ".", "")) == (
        [1234.5, None],
        [False, True],
    )


def test_same_decimal_and_thousands_is_refused():
    with pytest.raises(ValueError):
        parse_amounts(pl.Series(["1"]), ",", ",")


def test_detect_amounts_without_decimals_is_ambiguous():
    guess = detect_amount_format(pl.Series(["1,234", "2,500"]))
    assert guess.ambiguous and guess.format is None
    assert guess.examples[(".", ",")] == [("1,234", 1234.0), ("2,500", 2500.0)]
    assert guess.examples[(",", ".")] == [("1,234", 1.234), ("2,500", 2.5)]


def test_detect_amounts_one_reading():
    guess = detect_amount_format(pl.Series(["1.234,50 €", "2,5"]))
    assert (guess.format, guess.candidates, guess.ambiguous) == ((",", "."), ((",", "."),), False)
    assert detect_amount_format(pl.Series(["$1,234.50", "12"])).format == (".", ",")
    assert detect_amount_format(pl.Series(["12abc"])).candidates == ()


def test_two_currencies_are_found():
    found = currency_of(pl.Series(["$1,234.50", "1.234,50 €", "£3", "USD 4", "5", "", "CHF 1"]))
    assert found.to_list() == ["USD", "EUR", "GBP", "USD", None, None, "CHF"]
    assert sorted(found.drop_nulls().unique().to_list()) == ["CHF", "EUR", "GBP", "USD"]


def test_the_dollar_can_be_another_currency():
    assert currency_of(pl.Series(["$5", "USD 5"]), {"$": "CAD"}).to_list() == ["CAD", "USD"]


def test_conversion_reports_the_missing_rates():
    amounts = pl.Series("amount", [100.0, 200.0, 300.0, None, 50.0])
    currencies = pl.Series(["USD", "EUR", "GBP", "JPY", None])
    values, bad, reason = convert(amounts, currencies, {"USD": 0.9}, base="EUR")
    assert values.to_list() == [90.0, 200.0, None, None, None]
    assert bad.to_list() == [False, False, True, False, True]
    assert reason == "no rate to EUR for GBP, (no currency marked) (add it to the rates)"


def test_conversion_with_an_unmarked_currency():
    values, bad, _ = convert(
        pl.Series([10.0, 10.0]), pl.Series(["USD", None]), {"USD": 0.5}, "EUR", unmarked="USD"
    )
    assert (values.to_list(), bad.to_list()) == ([5.0, 5.0], [False, False])


# ---------------------------------------------------------------------------------------------
# Value maps and aliases

STAGES = {"Closed Won*": "won", "Closed Lost": "lost", "Closed*": "other_closed", "*": "open"}


def test_stage_map_patterns_exact_keys_and_catch_all():
    text = pl.Series(
        "stage",
        ["Closed Won", "closed won - renewal", "CLOSED LOST", "Closed Lost ", "Closed - dup",
         "Negotiation", "", None],
    )  # fmt: skip
    values, bad, reason, unmapped = map_values(text, STAGES)
    assert values.to_list() == ["won", "won", "lost", "lost", "other_closed", "open", None, None]
    assert not bad.any()
    assert unmapped.height == 0


def test_an_exact_key_wins_over_an_earlier_pattern():
    values, *_ = map_values(
        pl.Series(["Closed Won Lost"]), {"Closed*": "a", "closed won lost": "b"}
    )
    assert values.to_list() == ["b"]


def test_case_sensitive_map():
    values, bad, *_ = map_values(pl.Series(["Won", "won"]), {"Won": "won"}, case_insensitive=False)
    assert (values.to_list(), bad.to_list()) == (["won", None], [False, True])


def test_unmapped_values_are_reported_with_counts():
    text = pl.Series("stage", ["Closed Won", "Qualify", "Prospect", "Qualify", " Qualify"])
    values, bad, reason, unmapped = map_values(text, {"Closed Won*": "won", "Closed Lost": "lost"})
    assert values.to_list() == ["won", None, None, None, None]
    assert bad.to_list() == [False, True, True, True, True]
    assert reason == UNMAPPED == "no rule maps this value (add it to the value map)"
    assert unmapped.to_dicts() == [
        {"value": "Qualify", "count": 3},
        {"value": "Prospect", "count": 1},
    ]


def test_default_is_the_same_as_the_star_key():
    values, *_ = map_values(pl.Series(["x"]), {"a": "b"}, default="other")
    assert values.to_list() == ["other"]
    with pytest.raises(ValueError):
        map_values(pl.Series(["x"]), {"*": "one"}, default="two")


def test_two_keys_that_differ_only_in_case_must_agree():
    with pytest.raises(ValueError):
        map_values(pl.Series(["x"]), {"Won": "won", "WON": "lost"})


def test_aliases_fix_typos_and_fold_case_to_the_canonical_spelling():
    canonical = ["Technology", "Healthcare", "Retail"]
    aliases = {"technolgy": "Technology", "Health care": "Healthcare"}
    text = pl.Series(
        "vertical", ["Technolgy", "TECHNOLOGY", " health  CARE ", "retail", "Mining", ""]
    )
    values, bad, reason = apply_aliases(text, aliases, canonical)
    assert values.to_list() == ["Technology", "Technology", "Healthcare", "Retail", None, None]
    assert bad.to_list() == [False, False, False, False, True, False]
    assert reason == "not a known value (add an alias for it)"


def test_aliases_without_a_canonical_list_pass_other_values_through():
    values, bad, _ = apply_aliases(pl.Series(["technolgy", "Mining "]), {"technolgy": "Technology"})
    assert (values.to_list(), bad.to_list()) == (["Technology", "Mining"], [False, False])


def test_an_alias_to_a_value_that_is_not_canonical_is_refused():
    with pytest.raises(ValueError, match="Tech"):
        apply_aliases(pl.Series(["x"]), {"technolgy": "Tech"}, ["Technology"])
