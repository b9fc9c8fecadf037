"""Phone numbers to E.164, with a fast path for the shapes most files use."""

from __future__ import annotations

import re

import phonenumbers

_E164 = phonenumbers.PhoneNumberFormat.E164
_PHONE_PUNCTUATION = str.maketrans("", "", " \t-.()/")

_NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _validity_patterns(country: str) -> dict[int, tuple[re.Pattern, re.Pattern]] | None:
    """Per national-number length: (general pattern, any-number-type pattern).

    The same test phonenumbers' is_valid_number makes (the number matches the general
    description and at least one number type, each gated by its possible lengths), with
    the types folded into one regex. None when the calling code is shared by several
    regions, where validity depends on which region the number belongs to.
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    code = phonenumbers.country_code_for_region(country)
    if metadata is None or len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())) != 1:
        return None
    general = metadata.general_desc
    if not general or not general.national_number_pattern or not general.possible_length:
        return None
    patterns = {}
    for length in general.possible_length:
        types = [
            desc.national_number_pattern
            for desc in (getattr(metadata, name) for name in _NUMBER_TYPES)
            if desc is not None
            and desc.national_number_pattern
            and (not desc.possible_length or length in desc.possible_length)
        ]
        if types:
            patterns[length] = (
                re.compile(f"(?:{general.national_number_pattern})"),
                re.compile("|".join(f"(?:{pattern})" for pattern in types)),
            )
    return patterns


class PhoneNormalizer:
    """E.164 for a number written in a portfolio's country, or None if it is not valid.

    `phonenumbers.parse` and `is_valid_number` dominate the cost of a row, so the common
    shapes (national digits, or +<country code> then digits, with spaces or dashes) skip
    them: only shapes where parse could strip nothing go that way (no leading national
    or international prefix, no leading country code without "+", no letters), checked
    against the same metadata patterns. Everything else goes through phonenumbers.
    """

    def __init__(self, country: str) -> None:
        self.country = country
        self.code = str(phonenumbers.country_code_for_region(country))
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
        prefixes = [
            pattern
            for pattern in (
                metadata.national_prefix_for_parsing if metadata else None,
                metadata.national_prefix if metadata else None,
                metadata.international_prefix if metadata else None,
                re.escape(self.code),
                "0",
            )
            if pattern
        ]
        self.strippable = re.compile("|".join(f"(?:{pattern})" for pattern in prefixes))
        self.international = "+" + self.code
        self.patterns = _validity_patterns(country)

    def __call__(self, value: str) -> str | None:
        # Most numbers are digits, maybe after "+", spaced: translate only what has more.
        compact = value.replace(" ", "")
        if not (compact.isdigit() or (compact[:1] == "+" and compact[1:].isdigit())):
            compact = compact.translate(_PHONE_PUNCTUATION)
        if compact.startswith(self.international):
            compact = compact[len(self.international) :]
        # parse strips a national prefix or carrier code even after "+<code>".
        national = None if self.strippable.match(compact) else compact
        if (
            self.patterns is not None
            and national
            and national.isascii()
            and national.isdigit()
            and national[0] != "0"
        ):
            patterns = self.patterns.get(len(national))
            if (
                patterns is not None
                and patterns[0].fullmatch(national)
                and patterns[1].fullmatch(national)
            ):
                return self.international + national
            return None
        try:
            number = phonenumbers.parse(value, self.country)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, _E164)
