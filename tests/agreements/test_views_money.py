"""Amounts typed in major units become exact minor units, never through floats."""

from __future__ import annotations

import pytest

from agreements.forms import parse_major


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("150000", 150_000_00),
        ("150.000", 150_000_00),
        ("1.500.000", 1_500_000_00),
        ("1,500,000", 1_500_000_00),
        ("$ 1.500.000", 1_500_000_00),
        ("1.500.000,50", 1_500_000_50),
        ("1,500,000.50", 1_500_000_50),
        ("150000,5", 150_000_50),
        ("0,01", 1),
        ("0", 0),
    ],
)
def test_amounts_parse_to_minor_units(text, minor):
    assert parse_major(text, "COP") == minor


@pytest.mark.parametrize("text", ["", "abc", "-5", "1e6", "1.5.0", "12,345.678", "0.001", "9" * 20])
def test_bad_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_major(text, "COP")


def test_a_currency_without_decimals_refuses_cents():
    assert parse_major("1500", "JPY") == 1500
    with pytest.raises(ValueError):
        parse_major("1500,5", "JPY")
