"""The contact policy: one pure function decides, for a debtor, channel and moment, whether
to send now, defer until a given time, or block with a reason.

`decide` reads only the `Facts` it is given (loaded by selectors, one debtor or many at
once), so every rule is tested as a table without a database.

Reasons are stable identifiers, stored on messages and in the audit log and counted in the
campaign funnel; a new rule gets a new reason rather than reusing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from .rules import Rules

SEND, DEFER, BLOCK = "send", "defer", "block"
# Channels that reach the debtor's telephone: the Massachusetts cap counts them together.
PHONE_CHANNELS = frozenset({"call", "sms", "whatsapp"})
WRITTEN_CHANNELS = frozenset({"sms", "whatsapp", "email"})


@dataclass(frozen=True)
class Facts:
    timezone: str  # the zone of record: caps count days in it, the debtor's hours are in it
    # Other zones the debtor may be in (address state, phone area codes): the contact window
    # must hold in each of them too (12 CFR 1006.6(b)(1)(i)).
    other_zones: tuple[str, ...] = ()
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
    # Calls, texts and WhatsApp messages, one tuple per debt the message is about; an
    # attempt that named no debt counts on each of the debtor's debts.
    phone_contacts_by_debt: tuple[tuple[dt.datetime, ...], ...] = ()
    # The last telephone conversation with the debtor about the debt(s) the message is about.
    last_conversation: dt.datetime | None = None
    preferred_channel: str = ""
    preferred_usable: bool = False  # consent granted and an address on file for it
    # A message on the preferred channel goes out with this one (its campaign has it).
    preferred_planned: bool = False
    inbound: tuple[dt.datetime, ...] = ()  # when the debtor wrote to us
    on_portal: bool = False  # the debtor is on the portal right now

    @property
    def zones(self) -> tuple[str, ...]:
        return (self.timezone, *(z for z in self.other_zones if z != self.timezone))


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


def _next_common_start(rules, facts, local: dt.datetime, transactional: bool):
    """The first moment from `local` inside the window in every plausible zone (`local`
    itself when it is), in `local`'s zone; None when the zones' windows do not meet in 60
    days (one zone without any window raises, as a misconfiguration)."""
    zones = [ZoneInfo(z) for z in facts.zones]
    if len(zones) == 1:
        return _next_window_start(rules, facts, local, transactional)
    candidate = local
    for _ in range(62 * len(zones)):  # each move reaches a window start in some zone
        moved = False
        for zone in zones:
            try:
                start = _next_window_start(rules, facts, candidate.astimezone(zone), transactional)
            except ValueError:
                return None
            if start != candidate:
                candidate, moved = start.astimezone(local.tzinfo), True
        if not moved:
            return candidate
        if candidate - local > dt.timedelta(days=60):
            return None
    return None


def _phone_cap_until(rules: Rules, facts: Facts, local: dt.datetime):
    """The end of the 7 rolling days in which the busiest debt had its cap, else None."""
    cap, until = rules.phone_contacts_per_debt_7_days, None
    for contacts in facts.phone_contacts_by_debt:
        recent = sorted(t for t in contacts if local - t < dt.timedelta(days=7))
        if len(recent) >= cap:
            ends = recent[len(recent) - cap] + dt.timedelta(days=7)
            until = ends if until is None else max(until, ends)
    return until


def _conversation_until(rules: Rules, facts: Facts, local: dt.datetime):
    """The day after the last of the days that follow a conversation (its own day is the
    first), at midnight in the latest of the plausible zones."""
    days = rules.no_calls_days_after_conversation
    ends = []
    for name in facts.zones:
        zone = ZoneInfo(name)
        first = facts.last_conversation.astimezone(zone).date()
        ends.append(dt.datetime.combine(first + dt.timedelta(days=days), dt.time(0), zone))
    until = max(ends)
    return until.astimezone(local.tzinfo) if local < until else None


def _cap_until(rules: Rules, facts: Facts, channel: str, local: dt.datetime):
    """(reason, until) for the first frequency cap `local` breaks, else ("", None)."""
    tz = local.tzinfo
    if (
        channel == "call"
        and rules.no_calls_days_after_conversation is not None
        and facts.last_conversation is not None
    ):
        until = _conversation_until(rules, facts, local)
        if until is not None:
            return "call_after_conversation", until
    if channel == "call" and rules.calls_per_debt_7_days is not None:
        recent = sorted(t for t in facts.calls_on_debt if local - t < dt.timedelta(days=7))
        if len(recent) >= rules.calls_per_debt_7_days:
            oldest = recent[len(recent) - rules.calls_per_debt_7_days]
            return "call_cap_7_days", (oldest + dt.timedelta(days=7)).astimezone(tz)
    if channel in PHONE_CHANNELS and rules.phone_contacts_per_debt_7_days is not None:
        until = _phone_cap_until(rules, facts, local)
        if until is not None:
            return "phone_contacts_cap_7_days", until.astimezone(tz)
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


PREFERRED_RECHECK = dt.timedelta(hours=1)


def _preferred_first(rules: Rules, facts: Facts, channel: str, at: dt.datetime):
    """For a written collection message about to go on another channel than the debtor's
    preferred written one, planned with it, usable and not tried (sent or failed) in the 7
    days before `at`: wait until the preferred one may go, or for an hour when it may go now
    yet was not tried. None when the rule does not hold the message back."""
    preferred = facts.preferred_channel
    if not (rules.preferred_channel_first and facts.preferred_usable and facts.preferred_planned):
        return None
    if channel == preferred or {channel, preferred} - WRITTEN_CHANNELS:
        return None
    week = dt.timedelta(days=7)
    if any(c == preferred and at - t < week for t, c in facts.sent):
        return None
    own = decide(
        replace(facts, consent=True, has_address=True, preferred_planned=False),
        channel=preferred,
        at=at,
        rules=rules,
    )
    if own.action == DEFER:
        return Decision(DEFER, "preferred_channel_first", own.until)
    # It may go now and was not tried: its message is still on its way (another batch, a
    # throughput limit). Look again later rather than drop this one.
    return Decision(DEFER, "preferred_channel_first", at + PREFERRED_RECHECK)


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
    caps and the debtor's own hours, and skip the window while the debtor is on the portal;
    one sent out of hours for that reason says so ("on_portal").

    The window holds in every plausible zone (`Facts.zones`): a debtor with a New York
    address and a Los Angeles number is reached from 11:00 Eastern (08:00 Pacific);
    "outside_window_other_zone" says only another zone kept it back, and "no_common_window"
    blocks when the zones' windows never meet in 60 days.

    Calls on a debt wait until the 7th day after a telephone conversation about it has ended
    ("call_after_conversation", US). Calls, texts and WhatsApp count together per debt where
    the state caps them ("phone_contacts_cap_7_days", Massachusetts); email never does.

    The debtor's preferred channel goes first ("preferred_channel_first"): a collection
    message on another written channel (SMS, WhatsApp, email), due to go now, whose campaign
    also has the preferred written channel, waits while that channel has consent and an
    address and had no attempt (sent or failed) in the last 7 days: deferred until the
    preferred channel may go (its message, older, is decided first then), or for an hour if
    it may go now and still was not tried (its message is in another batch). Once tried,
    the others follow under the usual caps; a preferred channel that cannot be used, or
    that the campaign does not have, holds nothing back, nor do calls (made by agents), a
    preferred "call", or notices.
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
            start = _next_common_start(rules, facts, candidate, transactional)
            if start is None:
                return Decision(BLOCK, "no_common_window")
            if start != candidate:
                own = _next_window_start(rules, facts, candidate, transactional)
                why = "outside_window" if own != candidate else "outside_window_other_zone"
                first_reason, candidate, moved = first_reason or why, start, True
        if not moved:
            break
    if candidate == local:
        if transactional and facts.on_portal:
            # The record must say why a notice went out of hours (docs/compliance.md: every
            # decision is recorded).
            in_window = _next_common_start(rules, facts, local, transactional) == local
            return Decision(SEND, "" if in_window else "on_portal")
        waiting = None if transactional else _preferred_first(rules, facts, channel, at)
        return waiting or Decision(SEND)
    return Decision(DEFER, first_reason, candidate.astimezone(dt.UTC))
