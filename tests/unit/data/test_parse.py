"""Numbers written as text and dates in several formats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.dates import looks_like_dates, parse_dates
from core.data.parse import parse_numbers, plain_numbers


@pytest.mark.parametrize(
    ("values", "expected", "unit"),
    [
        (["83.70%", "12.5%", "0%"], [0.837, 0.125, 0.0], "%"),
        (["$1,234.50", "$99", "($1,200.00)", "-$5"], [1234.5, 99.0, -1200.0, -5.0], "$"),
        (["€ 1.234,50", "€ 12,00", "€ 1.000.000,00"], [1234.5, 12.0, 1_000_000.0], "€"),
        (["1 234,50 zł", "12,00 zł"], [1234.5, 12.0], "zł"),
        (["1.234,56", "12,5", "3,14"], [1234.56, 12.5, 3.14], None),
        (["1,234", "12,500", "7"], [1234.0, 12500.0, 7.0], None),
        (["1'234.50", "12"], [1234.5, 12.0], None),
        (["12 months", "36 mo", "5 yrs"], [12.0, 36.0, 60.0], "months"),
        (["12kg", "3 kg"], [12.0, 3.0], "kg"),
        (["(1,200)", "300"], [-1200.0, 300.0], None),
        (["$5m", "$2.5k"], [5e6, 2500.0], "$"),
        (["10+ years", "3 years"], [10.0, 3.0], "years"),
    ],
)
def test_numbers_inside_strings(values, expected, unit):
    p = parse_numbers(pd.Series(values))
    assert p.share == 1.0
    assert p.values.tolist() == pytest.approx(expected)
    assert p.unit == unit


def test_decimal_comma_is_decided_per_column():
    # '1.234' alone is ambiguous; the column's '2,5' says the comma is the decimal separator
    p = parse_numbers(pd.Series(["1.234", "2,5"]))
    assert p.decimal == "," and p.values.tolist() == [1234.0, 2.5]
    p = parse_numbers(pd.Series(["1.234", "2.5"]))
    assert p.decimal == "." and p.values.tolist() == [1.234, 2.5]


def test_text_that_is_not_numbers_is_not_read_as_numbers():
    for values in (["C10001", "C10002"], ["<0", "0<=X<200", ">=200", "no checking"], ["A1", "B2"], ["12 apples"]):
        assert parse_numbers(pd.Series(values)).share == 0.0, values


def test_failures_are_reported_and_missing():
    p = parse_numbers(pd.Series(["1.5", "2.25", "XX", "XX", None, "unknown"]))
    assert p.share == pytest.approx(2 / 5)
    assert p.failed == {"XX": 2, "unknown": 1}
    assert np.isnan(p.values.iloc[2]) and np.isnan(p.values.iloc[4])


def test_mixed_units_in_one_column():
    p = parse_numbers(pd.Series(["5%", "$5"]))  # a percent among amounts cannot be an amount
    assert p.unit == "%" and p.failed == {"$5": 1}


def test_whitespace_variants_map_back_to_every_row():
    p = parse_numbers(pd.Series(["83.70%", " 12.5% ", None, "12.5%"]))
    assert p.values.tolist()[:2] == [0.837, 0.125] and p.values.iloc[3] == 0.125


def test_plain_numbers_keep_leading_zero_codes_as_text():
    assert plain_numbers(pd.Series(["007", "120"])) is None
    assert plain_numbers(pd.Series(["0.5", "1.25"])).tolist() == [0.5, 1.25]
    assert plain_numbers(pd.Series(["1", " 2"])).dtype == np.int64


@pytest.mark.parametrize(
    ("values", "name", "first", "fmt"),
    [
        (["2024-01-05", "2023-12-31"], "x", "2024-01-05", "ISO yyyy-mm-dd"),
        (["03/04/2024", "25/03/2024"], "x", "2024-04-03", "dd/mm/yyyy"),
        (["03/04/2024", "12/25/2024"], "x", "2024-03-04", "mm/dd/yyyy"),
        (["05.03.2024", "31.12.2023"], "x", "2024-03-05", "dd.mm.yyyy"),
        (["Jan 2024", "Feb 2023"], "x", "2024-01-01", "Mon yyyy"),
        (["Dec-2011", "Jan-2012"], "issue_d", "2011-12-01", "Mon-yyyy"),
        (["12 Jan 2024", "3 Feb 2023"], "x", "2024-01-12", "dd Mon yyyy"),
        ([45292, 45000], "open_date", "2024-01-01", "Excel serial days"),
        (["20240105", "20231231"], "start_date", "2024-01-05", "yyyymmdd"),
    ],
)
def test_date_formats(values, name, first, fmt):
    p = parse_dates(pd.Series(values), name)
    assert p.share == 1.0 and fmt in p.formats
    assert str(p.values.iloc[0].date()) == first


def test_day_month_order_that_values_cannot_settle_is_said():
    p = parse_dates(pd.Series(["03/04/2024", "01/02/2024"]))
    assert p.formats == ["dd/mm/yyyy"] and "check a known date" in p.evidence[0]


def test_numbers_are_dates_only_under_a_date_name():
    assert parse_dates(pd.Series([45292, 45000]), "amount").share == 0.0
    s = pd.Series(["2024", "2023"])
    assert not looks_like_dates(parse_dates(s, "year"), s)  # a bare year is a number, not a date


def test_two_formats_in_one_column():
    p = parse_dates(pd.Series(["2024-01-05", "05/01/2024", "2024-02-01"]))
    assert p.share == 1.0 and len(p.formats) == 2
    assert p.values.dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-01-05", "2024-02-01"]


def test_the_example_of_a_reading_is_a_value_that_shows_it_not_a_zero():
    # "0.0%" is the most frequent value of a utilisation column: "0.0% becomes 0" says nothing of the reading
    s = pd.Series(["0.0%"] * 50 + ["42.6%", "12.5%"] * 10)
    p = parse_numbers(s)
    assert p.example in ("42.6%", "12.5%") and p.example_value == pytest.approx(float(p.example[:-1]) / 100)
    assert any("becomes 0.426" in e or "becomes 0.125" in e for e in p.evidence), p.evidence
    only_zero = parse_numbers(pd.Series(["0%"] * 30))
    assert only_zero.example == "0%"


def test_dots_group_thousands_only_where_the_column_or_the_currency_says_so():
    assert parse_numbers(pd.Series(["1.169", "870", "5.951"])).values.tolist() == [1169.0, 870.0, 5951.0]
    assert parse_numbers(pd.Series(["€ 1.275", "€ 12.500"])).values.tolist() == [1275.0, 12500.0]
    assert parse_numbers(pd.Series(["4.125", "4", "3.875"])).values.tolist() == [4.125, 4.0, 3.875]
    assert parse_numbers(pd.Series(["1.169", "5.951"])).values.tolist() == [1.169, 5.951]  # nothing settles it
    assert parse_numbers(pd.Series(["1.169", "5.951"]), decimal_hint=",").values.tolist() == [1169.0, 5951.0]
    p = parse_numbers(pd.Series(["1.234", "2.5"]))
    assert "as a decimal point" in p.evidence[0] and "thousands separator" not in p.evidence[0]


def test_trailing_minus_is_negative_and_ranges_are_not_numbers():
    p = parse_numbers(pd.Series(["1,169-", "870", "25-"]))
    assert p.values.tolist() == [-1169.0, 870.0, -25.0] and "trailing minus" in p.kinds
    assert parse_numbers(pd.Series(["10-20", "5"])).values.isna().tolist() == [True, False]


def test_debit_and_credit_markers_carry_the_sign_and_say_the_convention():
    p = parse_numbers(pd.Series(["1,234.56 DR", "99.00 CR", "5.00", "$12.00 Dr."]))
    assert p.values.tolist() == [-1234.56, 99.0, 5.0, -12.0]
    assert any("DR" in e and "other way round" in e for e in p.evidence)


def test_a_lone_zero_before_the_separator_makes_it_a_decimal():
    """Bug: a DTI column written '0,204' (three decimals, decimal comma) was read as 204."""
    p = parse_numbers(pd.Series(["0,204", "1,139", "0,457"]))
    assert p.values.tolist() == pytest.approx([0.204, 1.139, 0.457]) and "European decimals" in p.kinds
    assert parse_numbers(pd.Series(["1,234", "5,678", "12,345"])).values.tolist() == [1234, 5678, 12345]
