"""Amounts held in minor units, as people read and type them (babel, no models).

A kernel module like portal.db and portal.cache: below every app, it imports none of them, so
any app (portal.audit included) may format money.
"""

from __future__ import annotations

from copy import copy
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, get_global

_PROBE = 1234567  # whole units: long enough to show the grouping of the locale


class _Layout(NamedTuple):
    """How a locale writes one currency, read off babel's own output."""

    precision: int
    group: str
    decimal: str
    positive: tuple[str, str]  # prefix, suffix
    negative: tuple[str, str]


def _babel(amount_minor: int, currency: str, locale: str, precision: int) -> str:
    """babel's own output, with `precision` decimals (the currency's, or its cash digits)."""
    if precision == get_currency_precision(currency):
        return format_currency(Decimal(amount_minor).scaleb(-precision), currency, locale=locale)
    pattern = copy(Locale.parse(locale).currency_formats["standard"])
    pattern.frac_prec = (precision, precision)
    return pattern.apply(
        Decimal(amount_minor).scaleb(-precision), locale, currency=currency, currency_digits=False
    )


def _digits(amount_minor: int, layout: _Layout) -> str:
    whole, fraction = divmod(abs(amount_minor), 10**layout.precision)
    text = f"{whole:,}".replace(",", layout.group)
    if layout.precision:
        text += f"{layout.decimal}{fraction:0{layout.precision}d}"
    return text


@lru_cache(maxsize=128)
def _layout(currency: str, locale: str, precision: int) -> _Layout | None:
    """The symbols around the digits, or None when the locale's pattern is not the plain
    grouped-by-three kind (then babel formats every amount itself)."""
    symbols = Locale.parse(locale).number_symbols["latn"]
    layout = _Layout(precision, symbols["group"], symbols["decimal"], ("", ""), ("", ""))
    probe = _PROBE * 10**precision
    sides = []
    for amount in (probe, -probe):
        text, digits = _babel(amount, currency, locale, precision), _digits(amount, layout)
        if text.count(digits) != 1:
            return None
        sides.append(tuple(text.split(digits)))
    layout = layout._replace(positive=sides[0], negative=sides[1])
    samples = (0, 1, -1, 99, 10**precision, 123_456_789, -987_654_321_012)
    if any(_format(a, layout) != _babel(a, currency, locale, precision) for a in samples):
        return None
    return layout


def _format(amount_minor: int, layout: _Layout) -> str:
    prefix, suffix = layout.negative if amount_minor < 0 else layout.positive
    return f"{prefix}{_digits(amount_minor, layout)}{suffix}"


@lru_cache(maxsize=64)
def cash_digits(currency: str) -> int:
    """Decimals the currency is paid and shown with (CLDR cash digits, never more than its
    digits): COP has 2 in ISO 4217, but nobody pays or prints centavos, so 0."""
    fractions = get_global("currency_fractions")
    digits, _, cash, _ = fractions.get(currency, fractions["DEFAULT"])
    return min(cash if cash is not None else digits, get_currency_precision(currency))


def cash_unit(currency: str) -> int:
    """Minor units in one cash unit: 100 for COP, 1 for USD."""
    return 10 ** (get_currency_precision(currency) - cash_digits(currency))


# The Babel locale each portal language formats amounts with.
LANGUAGE_LOCALES = {"es": "es_CO", "en": "en_US"}


def format_minor_in(amount_minor: int, currency: str, language: str) -> str:
    """`format_minor` in a portal language ("es", "en", "es-co"): the page's or the debtor's."""
    locale = LANGUAGE_LOCALES.get(language.split("-")[0], "es_CO")
    return format_minor(amount_minor, currency, locale=locale)


def format_minor(amount_minor: int, currency: str, locale: str = "es_CO") -> str:
    """Format an amount held in minor units for display: 150000 COP gives "$1.500".

    Whole cash units show with the cash digits ("$1.500" for COP); an amount that is not
    (an imported statement with centavos) shows all its digits, so nothing shown is
    rounded away. Exactly babel's format_currency otherwise, without its per-call pattern
    work: every debtor page shows several amounts, and babel spent ~20 µs on each.
    """
    unit = cash_unit(currency)
    if unit > 1 and amount_minor % unit == 0:
        amount_minor, precision = amount_minor // unit, cash_digits(currency)
    else:
        precision = get_currency_precision(currency)
    layout = _layout(currency, locale, precision)
    if layout is None:
        return _babel(amount_minor, currency, locale, precision)
    return _format(amount_minor, layout)


def major_text(amount_minor: int, currency: str, locale: str = "es_CO") -> str:
    """The amount as staff type it back, without the symbol: 10000000 COP gives "100.000"
    (the cents only when there are some, "1.250,50")."""
    precision = get_currency_precision(currency)
    layout = _layout(currency, locale, precision)
    symbols = Locale.parse(locale).number_symbols["latn"]
    plain = _Layout(precision, symbols["group"], symbols["decimal"], ("", ""), ("-", ""))
    if layout is not None:
        plain = plain._replace(group=layout.group, decimal=layout.decimal)
    if precision and amount_minor % 10**precision == 0:
        plain = plain._replace(precision=0)
        amount_minor //= 10**precision
    return _format(amount_minor, plain)
