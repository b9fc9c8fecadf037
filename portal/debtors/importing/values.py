"""Validate and normalise one CSV row's values.

This runs once per row of files with a million rows, so it is written for speed:
precompiled patterns, cached date and amount parsing, no ORM, no float.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from functools import lru_cache
from typing import NamedTuple

from babel.numbers import get_currency_precision
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from stdnum.co import nit
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ssn

from ..models import DocumentType, Language
from .amounts import MAX_AMOUNT_MINOR, amount_parser  # noqa: F401  (imported from here)
from .phones import PhoneNormalizer

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_DMY_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})\Z")
_DIGITS_3_10 = re.compile(r"\d{3,10}\Z")
_ALNUM_3_20 = re.compile(r"[A-Z0-9]{3,20}\Z")
_SEPARATORS = str.maketrans("", "", ". -\t")
_EARLIEST_BIRTH = dt.date(1900, 1, 1)
_DOCUMENT_TYPES = frozenset(DocumentType.values)
_LANGUAGES = frozenset(Language.values)
# USPS two-letter codes (Publication 28, appendix B): the 50 states and DC, the
# territories, the freely associated states and the armed forces' "states" of military
# mail. Wider than outreach/zones.py's table, which has time zones only for the states,
# DC and the inhabited territories: a code it lacks falls back to the portfolio's zone.
# fmt: off
US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT",
    "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI",
    "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    "DC",
    "AS", "GU", "MP", "PR", "VI",  # territories
    "FM", "MH", "PW",  # freely associated states
    "AA", "AE", "AP",  # armed forces (Americas, Europe, Pacific)
})
# fmt: on


class _EmailValidator(EmailValidator):
    """Django's validate_email, with its lazily compiled patterns resolved once.

    Going through the lazy proxies costs a fifth of a row's validation time.
    """

    user_regex = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
    domain_regex = re.compile(
        EmailValidator.domain_regex.pattern, EmailValidator.domain_regex.flags
    )
    literal_regex = re.compile(
        EmailValidator.literal_regex.pattern, EmailValidator.literal_regex.flags
    )


validate_email = _EmailValidator()
_email_domains: dict[str, bool] = {}


def email_valid(value: str) -> bool:
    """What validate_email accepts, as a bool, remembering each domain's verdict.

    Files use a handful of domains, and the domain pattern is the costly half of the
    check; the user part is matched every time, as Django does.
    """
    if not value or "@" not in value or len(value) > 320:
        return False
    user_part, domain_part = value.rsplit("@", 1)
    if not validate_email.user_regex.match(user_part):
        return False
    valid = _email_domains.get(domain_part)
    if valid is None:
        valid = domain_part in validate_email.domain_allowlist or bool(
            validate_email.validate_domain_part(domain_part)
        )
        if len(_email_domains) < 10_000:
            _email_domains[domain_part] = valid
    return valid


class RowError(NamedTuple):
    line: int
    column: str
    reason: str


class ImportRow(NamedTuple):
    """One valid row, normalised: amounts in integer minor units, phone in E.164."""

    line: int
    account_ref: str
    document_type: str
    document_number: str
    full_name: str
    birth_date: dt.date | None
    phone: str | None
    email: str | None
    language: str | None
    principal_minor: int
    interest_minor: int
    fees_minor: int
    due_date: dt.date
    # Initial consent per channel in CONSENT_CHANNELS order: "y", "n" or "-" (not given);
    # None when the row gives none.
    consent: str | None = None
    # USPS code of the address's state, upper case; None when the row gives none.
    state: str | None = None


@lru_cache(maxsize=100_000)
def _date(value: str) -> dt.date | None:
    match = _ISO_DATE.match(value)
    if match:
        year, month, day = match.groups()
    else:
        match = _DMY_DATE.match(value)
        if not match:
            return None
        day, month, year = match.groups()
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def document_number(kind: str, value: str) -> str:
    """The stored form of a document number, or raise ValueError with the reason."""
    if kind in ("CC", "TI"):
        number = value.translate(_SEPARATORS)
        if not _DIGITS_3_10.match(number):
            raise ValueError(_("a %(kind)s number has 3 to 10 digits") % {"kind": kind})
        return number
    if kind == "NIT":
        try:
            return nit.validate(value)
        except InvalidChecksum:
            raise ValueError(_("the NIT check digit is wrong")) from None
        except StdnumError:
            raise ValueError(_("not a NIT (8 to 15 digits with check digit)")) from None
    if kind == "SSN":
        try:
            return ssn.validate(value)
        except StdnumError:
            raise ValueError(_("not a valid US social security number")) from None
    number = value.translate(_SEPARATORS).upper()
    if not _ALNUM_3_20.match(number):
        raise ValueError(_("a %(kind)s number has 3 to 20 letters or digits") % {"kind": kind})
    return number


_REQUIRED = (
    "account_ref",
    "document_type",
    "document_number",
    "full_name",
    "principal",
    "interest",
    "fees",
    "due_date",
)
# The file's columns: all must be in the header, though some values may be empty.
REQUIRED_COLUMNS = (
    "account_ref",
    "document_type",
    "document_number",
    "full_name",
    "birth_date",
    "phone",
    "email",
    "principal",
    "interest",
    "fees",
    "due_date",
)
CONSENT_CHANNELS = ("sms", "whatsapp", "email", "call")
OPTIONAL_COLUMNS = (
    "currency",
    "language",
    "state",
    *(f"consent_{c}" for c in CONSENT_CHANNELS),
)
_YES = frozenset({"1", "y", "yes", "s", "si", "sí", "true", "x"})
_NO = frozenset({"0", "n", "no", "false"})
_ORDER = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_NOT_A_DATE = gettext_noop("not a date (use YYYY-MM-DD or DD/MM/YYYY)")


class RowValidator:
    """Callable turning a list of CSV fields into (ImportRow, None) or (None, errors)."""

    def __init__(
        self,
        columns: list[str],
        *,
        country: str,
        currency: str,
        semicolon: bool,
        today: dt.date,
    ) -> None:
        at = {name: i for i, name in enumerate(columns)}
        # The values in _ORDER, picked in one call; a missing optional column reads the
        # "" appended after the fields.
        self.pick = operator.itemgetter(*(at.get(name, len(columns)) for name in _ORDER))
        self.consents = any(f"consent_{channel}" in at for channel in CONSENT_CHANNELS)
        self.country = country
        self.currency = currency
        self.today = today
        self.phone = PhoneNormalizer(country)
        self.amount = amount_parser(semicolon=semicolon, exponent=get_currency_precision(currency))

    def __call__(
        self, fields: list[str], line: int
    ) -> tuple[ImportRow | None, list[RowError] | None]:
        values = self.pick([*map(str.strip, fields), ""])
        (
            account_ref,
            kind,
            number,
            full_name,
            birth_text,
            phone,
            email,
            principal,
            interest,
            fees,
            due_text,
            currency,
            language,
            state,
            *consents,
        ) = values
        errors: list[RowError] = []
        if (
            not (account_ref and kind and number and full_name and principal and interest and fees)
            or not due_text
        ):
            errors.extend(
                RowError(line, name, _("required"))
                for name, text in zip(_ORDER, values, strict=False)
                if name in _REQUIRED and not text
            )

        if len(account_ref) > 64:
            errors.append(RowError(line, "account_ref", _("longer than 64 characters")))
        full_name = " ".join(full_name.split())
        if len(full_name) > 200:
            errors.append(RowError(line, "full_name", _("longer than 200 characters")))

        kind = kind.upper()
        if kind and kind not in _DOCUMENT_TYPES:
            known = ", ".join(sorted(_DOCUMENT_TYPES))
            reason = _("unknown type, use one of %(known)s") % {"known": known}
            errors.append(RowError(line, "document_type", reason))
        elif kind and number:
            try:
                number = document_number(kind, number)
            except ValueError as exc:
                errors.append(RowError(line, "document_number", str(exc)))

        amount = self.amount
        principal = amount(principal) if principal else 0
        interest = amount(interest) if interest else 0
        fees = amount(fees) if fees else 0
        if principal.__class__ is str:
            errors.append(RowError(line, "principal", principal))
        if interest.__class__ is str:
            errors.append(RowError(line, "interest", interest))
        if fees.__class__ is str:
            errors.append(RowError(line, "fees", fees))

        due_date = _date(due_text) if due_text else None
        if due_text and due_date is None:
            errors.append(RowError(line, "due_date", _(_NOT_A_DATE)))

        birth_date = None
        if birth_text:
            birth_date = _date(birth_text)
            if birth_date is None:
                errors.append(RowError(line, "birth_date", _(_NOT_A_DATE)))
            elif not _EARLIEST_BIRTH <= birth_date < self.today:
                errors.append(
                    RowError(line, "birth_date", _("must be in the past and not before 1900-01-01"))
                )

        if phone:
            phone = self.phone(phone)
            if phone is None:
                reason = _("not a valid phone number for %(country)s") % {"country": self.country}
                errors.append(RowError(line, "phone", reason))

        if email:
            if not email_valid(email):
                errors.append(RowError(line, "email", _("not a valid email address")))
            email = email.lower()

        if currency and currency.upper() != self.currency:
            reason = _("must be %(currency)s, the portfolio currency") % {"currency": self.currency}
            errors.append(RowError(line, "currency", reason))
        language = language.lower()
        if language and language not in _LANGUAGES:
            errors.append(RowError(line, "language", _("must be es or en")))
        state = state.upper()
        if state and state not in US_STATES:
            reason = _("not a US state or territory (use its two-letter USPS code, such as MA)")
            errors.append(RowError(line, "state", reason))

        consent = None
        if self.consents:
            codes = ""
            for channel, text in zip(CONSENT_CHANNELS, consents, strict=True):
                text = text.lower()
                if not text:
                    codes += "-"
                elif text in _YES or text in _NO:
                    codes += "y" if text in _YES else "n"
                else:
                    reason = _("must be yes or no (1/0)")
                    errors.append(RowError(line, f"consent_{channel}", reason))
            consent = codes if codes.strip("-") else None

        if errors:
            return None, errors
        return (
            ImportRow(
                line,
                account_ref,
                kind,
                number,
                full_name,
                birth_date,
                phone or None,
                email or None,
                language or None,
                principal,
                interest,
                fees,
                due_date,
                consent,
                state or None,
            ),
            None,
        )
