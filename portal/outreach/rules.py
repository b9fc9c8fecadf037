"""Contact rules per portfolio country and US state (docs/compliance.md), overridable in settings.

`settings.OUTREACH_RULES = {"CO": {"weekly_cap": 2}, "US": {...}, "US-MA": {...}}` replaces
single values, a state's entry (ISO 3166-2, country and state) over its country's;
countries without an entry get the strictest built-in profile (Colombia's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import lru_cache

import holidays
from django.conf import settings

Window = tuple[dt.time, dt.time]  # [start, end): 19:00 itself is outside 7:00–19:00


@dataclass(frozen=True)
class Rules:
    weekday: Window | None  # Monday–Friday
    saturday: Window | None
    sunday: Window | None
    holidays_country: str | None = None  # no contact on its public holidays
    daily_cap: int | None = 1  # collection messages per debtor per local day, all channels
    weekly_cap: int | None = 3  # collection messages per debtor per calendar week
    weekly_channels: int | None = None  # distinct channels per debtor per calendar week
    calls_per_debt_7_days: int | None = None  # call attempts per debt in 7 rolling days
    # Calls, texts and WhatsApp messages per debt in 7 rolling days (a state profile: MA).
    phone_contacts_per_debt_7_days: int | None = None
    # No call about a debt for this many days, counting the day of a telephone conversation
    # with the debtor about it as the first (Reg F: 7).
    no_calls_days_after_conversation: int | None = None
    # A collection message on another written channel waits for the debtor's preferred one
    # (policy.decide says exactly when).
    preferred_channel_first: bool = True
    # Statuses that stop collection outreach at once, whatever the other debts say.
    stop_statuses: frozenset[str] = field(default=frozenset({"disputed", "legal"}))
    # Statuses meaning nothing is owed any more; outreach stops when every debt has one.
    done_statuses: frozenset[str] = field(default=frozenset({"paid", "settled", "closed"}))

    def window_for(self, day: dt.date) -> Window | None:
        if self.holidays_country and day in _holidays(self.holidays_country, day.year):
            return None
        weekday = day.weekday()
        if weekday < 5:
            return self.weekday
        return self.saturday if weekday == 5 else self.sunday


DEFAULTS: dict[str, Rules] = {
    # Ley 2300 de 2023, art. 3.
    "CO": Rules(
        weekday=(dt.time(7), dt.time(19)),
        saturday=(dt.time(8), dt.time(15)),
        sunday=None,
        holidays_country="CO",
        daily_cap=1,
        weekly_cap=3,
        weekly_channels=1,
    ),
    # Regulation F, 12 CFR 1006.6(b)(1)(i) and 1006.14(b)(2).
    "US": Rules(
        weekday=(dt.time(8), dt.time(21)),
        saturday=(dt.time(8), dt.time(21)),
        sunday=(dt.time(8), dt.time(21)),
        daily_cap=1,
        weekly_cap=3,
        calls_per_debt_7_days=7,
        no_calls_days_after_conversation=7,
    ),
}

# What a US state's law adds to its country's rules: "<country>-<state>" → values. A
# built-in cap never loosens one the country's settings made stricter.
STATE_DEFAULTS: dict[str, dict] = {
    # 209 CMR 18.16 and 940 CMR 7.04(1)(f): calls and texts, at most 2 per 7 days per debt.
    "US-MA": {"phone_contacts_per_debt_7_days": 2},
}


@lru_cache(maxsize=64)
def _holidays(country: str, year: int):
    return holidays.country_holidays(country, years=year)


def rules_for(country: str, state: str = "") -> Rules:
    """The country's rules, then its settings, then the state's profile and its settings."""
    base = DEFAULTS.get(country, DEFAULTS["CO"])
    configured = getattr(settings, "OUTREACH_RULES", {})
    overrides = configured.get(country)
    key = f"{country}-{state.upper()}" if state else ""
    if key in STATE_DEFAULTS or key in configured:
        overrides = dict(overrides or {})
        for name, value in STATE_DEFAULTS.get(key, {}).items():
            current = overrides.get(name, getattr(base, name))
            overrides[name] = _stricter(current, value)
        overrides.update(configured.get(key) or {})
    return replace(base, **overrides) if overrides else base


def _stricter(current, value):
    """The lower of two caps (None is no cap); any other value is the state's."""
    if isinstance(current, int) and isinstance(value, int):
        return min(current, value)
    return value
