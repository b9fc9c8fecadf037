"""Amount columns of a portfolio file: text in major units to integer minor units, or the
reason (in the import's language) the value is not an amount."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from django.utils.translation import gettext as _

_PLAIN_AMOUNT = re.compile(r"(\d+)(?:\.(\d+))?\Z")
_COMMA_AMOUNT = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+),(\d+)\Z")
_GROUPED_AMOUNT = re.compile(r"\d{1,3}(?:\.\d{3})+\Z")

# A debt's three amounts and its ledger entries are bigint columns (at most ~9.2e18). A
# larger value would fail the whole file at COPY; rejected here, it costs only its row.
# 10^15 minor units is far beyond any consumer debt in any currency we collect in.
MAX_AMOUNT_MINOR = 10**15


def amount_parser(*, semicolon: bool, exponent: int) -> Callable[[str], int | str]:
    """Return a function giving integer minor units, or the reason the value is wrong."""
    scale = 10**exponent
    # Reasons are translated when the parser is made: one file, one language.
    example = "1.234.567,89 / 1234567.89" if semicolon else "1234567.89"
    at_most = f"{MAX_AMOUNT_MINOR // scale:,}"
    too_large = _("too large (at most %(most)s in whole units)") % {"most": at_most}
    negative = _("must be zero or more")
    not_amount = _("not an amount (write it like %(example)s)") % {"example": example}

    def to_minor(units: str, fraction: str | None) -> int | str:
        fraction = fraction or ""
        if len(fraction) > exponent:
            return _("more than %(n)s decimals") % {"n": exponent}
        amount = int(units) * scale + (int(fraction.ljust(exponent, "0")) if exponent else 0)
        return amount if amount <= MAX_AMOUNT_MINOR else too_large

    def parse(value: str) -> int | str:
        # Nearly every value is digits with at most `exponent` decimals, and nearly all
        # are distinct (a cache only churned): those are read without a pattern. In ;
        # files a dot may group thousands, so only dot-less values take this way there.
        units, dot, fraction = value.partition(".")
        if units.isdecimal() and (
            not dot or (not semicolon and len(fraction) <= exponent and fraction.isdecimal())
        ):
            amount = int(units + fraction.ljust(exponent, "0"))
            return amount if amount <= MAX_AMOUNT_MINOR else too_large
        return checked(value)

    @lru_cache(maxsize=10_000)
    def checked(value: str) -> int | str:
        if value.startswith("-"):
            return negative
        if semicolon:
            match = _COMMA_AMOUNT.match(value)
            if match:
                return to_minor(match[1].replace(".", ""), match[2])
            if _GROUPED_AMOUNT.match(value):
                return to_minor(value.replace(".", ""), None)
        match = _PLAIN_AMOUNT.match(value)
        if match:
            return to_minor(match[1], match[2])
        return not_amount

    return parse
