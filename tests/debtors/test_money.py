from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError

from portal.debtors.money_forms import MoneyField
from portal.money import cash_digits, cash_unit, format_minor, major_text


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (150_000, "COP", "es_CO", "$1.500"),
        (123_456_789, "COP", "es_CO", "$1.234.567,89"),
        (106_000_000, "COP", "en_US", "COP1,060,000"),
        (-12_345, "USD", "en_US", "-$123.45"),
        (12_300, "USD", "en_US", "$123.00"),
        (500, "JPY", "en_US", "¥500"),
        (0, "COP", "es_CO", "$0"),
    ],
)
def test_minor_units_are_scaled_by_the_currency_precision(amount, currency, locale, expected):
    """COP shows without centavos (CLDR cash digits 0) unless the amount has some."""
    assert format_minor(amount, currency, locale=locale).replace("\xa0", " ") == expected


# hi_IN groups by lakh (12,34,567): the fast path declines it and babel formats each amount.
@pytest.mark.parametrize("locale", ["es_CO", "en_US", "es_ES", "de_CH", "fr_FR", "hi_IN"])
@pytest.mark.parametrize("currency", ["COP", "USD", "EUR", "JPY", "BHD", "CLF"])
def test_formats_exactly_as_babel_does(currency, locale):
    from copy import copy
    from decimal import Decimal

    from babel import Locale
    from babel.numbers import format_currency, get_currency_precision

    unit = cash_unit(currency)
    amounts = [0, 1, -1, 99, 150_000, -123_456, 10**15 + 7]
    amounts += [random.Random(i).randint(-(10**12), 10**12) for i in range(50)]
    amounts += [unit * a for a in amounts]  # whole cash units too
    for amount in amounts:
        if unit > 1 and amount % unit == 0:  # babel's pattern with the cash digits
            pattern = copy(Locale.parse(locale).currency_formats["standard"])
            pattern.frac_prec = (cash_digits(currency),) * 2
            expected = pattern.apply(
                Decimal(amount // unit) / 10 ** cash_digits(currency),
                locale,
                currency=currency,
                currency_digits=False,
            )
        else:
            scaled = Decimal(amount) / 10 ** get_currency_precision(currency)
            expected = format_currency(scaled, currency, locale=locale)
        assert format_minor(amount, currency, locale=locale) == expected, amount


def test_cash_digits_come_from_cldr():
    assert (cash_digits("COP"), cash_unit("COP")) == (0, 100)
    assert (cash_digits("USD"), cash_unit("USD")) == (2, 1)
    assert (cash_digits("JPY"), cash_unit("JPY")) == (0, 1)


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [(100_000_00, "COP", "100.000"), (1_250_50, "COP", "1.250,50"), (0, "COP", "0"),
     (1_500, "JPY", "1.500"), (-5_00, "USD", "-5")],
)  # fmt: skip
def test_staff_see_stored_amounts_as_they_type_them(minor, currency, shown):
    assert major_text(minor, currency) == shown
    assert MoneyField(currency=currency).clean(shown if minor >= 0 else shown[1:]) == abs(minor)


@pytest.mark.parametrize("typed", ["100.000", "100000", "$100.000", "$ 100.000,00", "100000,00"])
def test_one_hundred_thousand_pesos_typed_any_usual_way(typed):
    field = MoneyField(currency="COP")
    assert field.clean(typed) == 100_000_00
    assert field.prepare_value(100_000_00) == "100.000"


@pytest.mark.parametrize("typed", ["cien mil", "1.2.3,4,5", "100.000,123", "9" * 25, "-5"])
def test_a_typed_amount_that_is_no_amount_is_refused_with_a_reason(typed):
    with pytest.raises(ValidationError):
        MoneyField(currency="COP").clean(typed)
