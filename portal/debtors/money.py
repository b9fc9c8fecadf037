from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision


@lru_cache(maxsize=128)
def _currency_format(currency: str, locale: str) -> tuple[Locale, NumberPattern, int]:
    # Parsing the locale and looking up its pattern cost more than applying it; both are
    # fixed per (currency, locale), and every debtor page formats several amounts.
    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"], get_currency_precision(currency)


def format_minor(amount_minor: int, currency: str, locale: str = "es_CO") -> str:
    """Format an amount held in minor units for display: 150000 COP gives "$1.500,00"."""
    parsed, pattern, precision = _currency_format(currency, locale)
    return pattern.apply(
        Decimal(amount_minor) / 10**precision, parsed, currency=currency, currency_digits=True
    )
