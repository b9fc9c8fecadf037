"""Where a debtor may be: the time zones what we hold about them makes plausible.

Regulation F reads the 08:00–21:00 window in the consumer's local time and, when what the
collector knows points to more than one place (an address in New York, a Los Angeles area
code), in every one of them (12 CFR 1006.6(b)(1)(i) and its official commentary). Our
evidence: the zone recorded on the debtor, the US state of their address, and the area code
(and exchange) of each +1 phone number on file. Other countries we collect in have one zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from phonenumbers.timezone import UNKNOWN_TIMEZONE
from phonenumbers.tzdata import TIMEZONE_DATA

# Every IANA zone in use somewhere in the state or territory, the most populous first (the
# debtor's zone when only the state is known). A state split between zones makes each of
# them plausible: the address has no finer place we could trust.
US_STATE_ZONES: dict[str, tuple[str, ...]] = {
    "AK": ("America/Anchorage", "America/Adak"),
    "AL": ("America/Chicago",),
    "AR": ("America/Chicago",),
    "AS": ("Pacific/Pago_Pago",),
    "AZ": ("America/Phoenix", "America/Denver"),  # the Navajo Nation keeps daylight time
    "CA": ("America/Los_Angeles",),
    "CO": ("America/Denver",),
    "CT": ("America/New_York",),
    "DC": ("America/New_York",),
    "DE": ("America/New_York",),
    "FL": ("America/New_York", "America/Chicago"),
    "FM": ("Pacific/Pohnpei", "Pacific/Chuuk", "Pacific/Kosrae"),
    "GA": ("America/New_York",),
    "GU": ("Pacific/Guam",),
    "HI": ("Pacific/Honolulu",),
    "IA": ("America/Chicago",),
    "ID": ("America/Boise", "America/Los_Angeles"),
    "IL": ("America/Chicago",),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago"),
    "KS": ("America/Chicago", "America/Denver"),
    "KY": ("America/New_York", "America/Chicago"),
    "LA": ("America/Chicago",),
    "MA": ("America/New_York",),
    "MD": ("America/New_York",),
    "ME": ("America/New_York",),
    "MI": ("America/Detroit", "America/Menominee"),
    "MN": ("America/Chicago",),
    "MH": ("Pacific/Majuro", "Pacific/Kwajalein"),
    "MO": ("America/Chicago",),
    "MP": ("Pacific/Saipan",),
    "MS": ("America/Chicago",),
    "MT": ("America/Denver",),
    "NC": ("America/New_York",),
    "ND": ("America/Chicago", "America/Denver"),
    "NE": ("America/Chicago", "America/Denver"),
    "NH": ("America/New_York",),
    "NJ": ("America/New_York",),
    "NM": ("America/Denver",),
    "NV": ("America/Los_Angeles", "America/Denver"),  # West Wendover keeps Mountain time
    "NY": ("America/New_York",),
    "OH": ("America/New_York",),
    "OK": ("America/Chicago",),
    "OR": ("America/Los_Angeles", "America/Boise"),
    "PA": ("America/New_York",),
    "PR": ("America/Puerto_Rico",),
    "PW": ("Pacific/Palau",),
    "RI": ("America/New_York",),
    "SC": ("America/New_York",),
    "SD": ("America/Chicago", "America/Denver"),
    "TN": ("America/Chicago", "America/New_York"),
    "TX": ("America/Chicago", "America/Denver"),
    "UT": ("America/Denver",),
    "VA": ("America/New_York",),
    "VI": ("America/St_Thomas",),
    "VT": ("America/New_York",),
    "WA": ("America/Los_Angeles",),
    "WI": ("America/Chicago",),
    "WV": ("America/New_York",),
    "WY": ("America/Denver",),
}

# Armed forces mail (AA Americas, AE Europe and Middle East, AP Pacific) names a region, not
# a place: such an address is no evidence of a zone, and the debtor's recorded zone or phone
# decides.
NO_ZONE_CODES = frozenset({"AA", "AE", "AP"})


def state_zones(state: str) -> tuple[str, ...]:
    return US_STATE_ZONES.get((state or "").upper(), ())


@lru_cache(maxsize=4096)
def _nanp_zones(digits: str) -> tuple[str, ...]:
    """Zones for "1" + area code + exchange, from libphonenumber's prefix table (the same
    one `phonenumbers.timezone` reads; its longest +1 prefixes have 7 digits)."""
    for length in range(len(digits), 1, -1):  # never the bare "1": it means all of NANP
        zones = TIMEZONE_DATA.get(digits[:length])
        if zones:
            return tuple(z for z in zones if z != UNKNOWN_TIMEZONE)
    return ()


def phone_zones(phone: str) -> tuple[str, ...]:
    """The zones a +1 (US, Canada, Caribbean) number's area code points to; () for other
    countries and for numbers that name no place (toll-free 800, 888, ...)."""
    if not phone.startswith("+1") or len(phone) != 12:
        return ()
    return _nanp_zones(phone[1:8])


def plausible_zones(
    *, own: str, state: str, phones: Iterable[str], fallback: str
) -> tuple[str, ...]:
    """Every zone the debtor may be in, their zone of record first.

    The zone of record is the one set on the debtor (`own`), else the address state's main
    zone, else `fallback` (the portfolio's). Then come the state's zones and each phone's,
    except that evidence agreeing with the debtor's own zone (`own` is among its zones: a
    Boise zone and a 208 number) adds nothing, the recorded zone being the finer fact.
    """
    from_state = state_zones(state)
    zones = [own or (from_state[0] if from_state else fallback)]
    evidence = [from_state, *(phone_zones(p) for p in phones if isinstance(p, str))]
    for found in evidence:
        if own and own in found:
            continue
        zones.extend(z for z in found if z not in zones)
    return tuple(zones)
