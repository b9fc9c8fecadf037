from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision


def format_minor(amount_minor: int, currency: str, locale: str = "es_CO") -> str:
    """Format an amount held in minor units for display: 150000 COP gives "$1.500,00"."""
    precision = get_currency_precision(currency)
    return format_currency(Decimal(amount_minor) / 10**precision, currency, locale=locale)
