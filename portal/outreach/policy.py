"""The contact policy: one pure function decides, for a debtor, channel and moment, whether
to send now, defer until a given time, or block with a reason.

`decide` reads only the `Facts` it is given (loaded by selectors, one debtor or many at
once), so every rule is tested as a table without a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .rules import Rules

SEND, DEFER, BLOCK = "send", "defer", "block"


@dataclass(frozen=True)
class Facts:
    timezone: str
    deceased: bool = False
    legal_hold: bool = False
    debt_statuses: tuple[str, ...] = ("active",)
    consent: bool | None = True  # for this channel: granted, revoked, never recorded
    has_address: bool = True
    contact_from: dt.time = dt.time(0)
    contact_to: dt.time = dt.time(23, 59, 59)
    # Collection messages already handed to a provider: (when, channel).
    sent: tuple[tuple[dt.datetime, str], ...] = ()
    calls_on_debt: tuple[dt.datetime, ...] = ()  # call attempts on this debt
    inbound: tuple[dt.datetime, ...] = ()  # when the debtor wrote to us
    on_portal: bool = False  # the debtor is on the portal right now


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str = ""
    until: dt.datetime | None = None
    checked: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "action": self.action,
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
        }


def _blocking_reason(facts: Facts, rules: Rules, channel: str, transactional: bool) -> str:
    if facts.deceased:
        return "deceased"
    if facts.legal_hold:
        return "legal_hold"
    if not transactional:
        for status in facts.debt_statuses:
            if status in rules.stop_statuses:
                return f"debt_{status}"
        if facts.debt_statuses and all(s in rules.done_statuses for s in facts.debt_statuses):
            return f"debt_{facts.debt_statuses[0]}"
    # Receipts and answers the debtor asked for only stop on an explicit revocation;
    # collection messages need consent on record (Ley 2300, art. 2).
    if facts.consent is False:
        return "consent_revoked"
    if facts.consent is None and not transactional:
        return "no_consent"
    if not facts.has_address:
        return "no_address"
    return ""


def _window(rules: Rules, facts: Facts, day: dt.date, transactional: bool):
    legal = rules.window_for(day)
    if legal is None:
        return None
    start, end = legal
    if not transactional:  # the debtor's own hours narrow the legal window, never widen it
        start, end = max(start, facts.contact_from), min(end, facts.contact_to)
    return (start, end) if start < end else None


def _next_window_start(rules, facts, local: dt.datetime, transactional: bool):
    """`local` itself when inside a window, else the next window's start (≤ 60 days)."""
    tz = local.tzinfo
    for offset in range(61):
        day = local.date() + dt.timedelta(days=offset)
        window = _window(rules, facts, day, transactional)
        if window is None:
            continue
        start = dt.datetime.combine(day, window[0], tzinfo=tz)
        end = dt.datetime.combine(day, window[1], tzinfo=tz)
        if offset == 0 and start <= local < end:
            return local
        if local < start:
            return start
    raise ValueError("no contact window in the next 60 days")


def _cap_until(rules: Rules, facts: Facts, channel: str, local: dt.datetime):
    """(reason, until) for the first frequency cap `local` breaks, else ("", None)."""
    tz = local.tzinfo
    if channel == "call" and rules.calls_per_debt_7_days is not None:
        recent = sorted(t for t in facts.calls_on_debt if local - t < dt.timedelta(days=7))
        if len(recent) >= rules.calls_per_debt_7_days:
            oldest = recent[len(recent) - rules.calls_per_debt_7_days]
            return "call_cap_7_days", (oldest + dt.timedelta(days=7)).astimezone(tz)
    day = local.date()
    wrote_today = any(t.astimezone(tz).date() == day for t in facts.inbound)
    today = [c for t, c in facts.sent if t.astimezone(tz).date() == day]
    tomorrow = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    if today and not wrote_today and any(c != channel for c in today):
        return "same_day_other_channel", tomorrow
    if rules.daily_cap is not None and len(today) >= rules.daily_cap and not wrote_today:
        return "daily_cap", tomorrow
    monday = day - dt.timedelta(days=day.weekday())
    next_monday = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=tz)
    week = [c for t, c in facts.sent if monday <= t.astimezone(tz).date() <= day]
    if rules.weekly_cap is not None and len(week) >= rules.weekly_cap:
        return "weekly_cap", next_monday
    if rules.weekly_channels is not None:
        channels = set(week)
        if channel not in channels and len(channels) >= rules.weekly_channels:
            return "weekly_channels", next_monday
    return "", None


def decide(
    facts: Facts,
    *,
    channel: str,
    at: dt.datetime,
    rules: Rules,
    transactional: bool = False,
) -> Decision:
    """Send now, defer until a time (the next moment every rule allows), or block.

    Transactional notices (receipts, decisions the debtor asked for) skip the frequency
    caps and the debtor's own hours, and skip the window while the debtor is on the portal.
    """
    reason = _blocking_reason(facts, rules, channel, transactional)
    if reason:
        return Decision(BLOCK, reason)
    local = at.astimezone(ZoneInfo(facts.timezone))
    first_reason, candidate = "", local
    for _ in range(30):  # each pass moves forward; caps and windows settle quickly
        moved = False
        if not transactional:
            cap_reason, until = _cap_until(rules, facts, channel, candidate)
            if until is not None:
                first_reason, candidate, moved = first_reason or cap_reason, until, True
        if not (transactional and facts.on_portal):
            start = _next_window_start(rules, facts, candidate, transactional)
            if start != candidate:
                first_reason, candidate, moved = first_reason or "outside_window", start, True
        if not moved:
            break
    if candidate == local:
        return Decision(SEND)
    return Decision(DEFER, first_reason, candidate.astimezone(dt.UTC))
