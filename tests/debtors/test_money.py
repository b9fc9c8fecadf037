from __future__ import annotations

import random

import pytest

from portal.debtors.money import format_minor


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (150_000, "COP", "es_CO", "$1.500,00"),
        (123_456_789, "COP", "es_CO", "$1.234.567,89"),
        (-12_345, "USD", "en_US", "-$123.45"),
        (500, "JPY", "en_US", "¥500"),
        (0, "COP", "es_CO", "$0,00"),
    ],
)
def test_minor_units_are_scaled_by_the_currency_precision(amount, currency, locale, expected):
    assert format_minor(amount, currency, locale=locale).replace("\xa0", " ") == expected


# hi_IN groups by lakh (12,34,567): the fast path declines it and babel formats each amount.
@pytest.mark.parametrize("locale", ["es_CO", "en_US", "es_ES", "de_CH", "fr_FR", "hi_IN"])
@pytest.mark.parametrize("currency", ["COP", "USD", "EUR", "JPY", "BHD", "CLF"])
def test_formats_exactly_as_babel_does(currency, locale):
    from decimal import Decimal

    from babel.numbers import format_currency, get_currency_precision

    amounts = [0, 1, -1, 99, 150_000, -123_456, 10**15 + 7]
    amounts += [random.Random(i).randint(-(10**12), 10**12) for i in range(50)]
    for amount in amounts:
        scaled = Decimal(amount) / 10 ** get_currency_precision(currency)
        expected = format_currency(scaled, currency, locale=locale)
        assert format_minor(amount, currency, locale=locale) == expected, amount
