"""The contact policy, rule by rule, at its edges. `decide` is pure: no database here."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from portal.outreach.policy import BLOCK, DEFER, SEND, Facts, decide
from portal.outreach.rules import DEFAULTS, rules_for

BOGOTA = ZoneInfo("America/Bogota")
DENVER = ZoneInfo("America/Denver")
CO, US = DEFAULTS["CO"], DEFAULTS["US"]
co = Facts(timezone="America/Bogota")
us = Facts(timezone="America/Denver")


def bog(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BOGOTA)


def den(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=DENVER)


# 2026-11-27 is a Friday; 2026-12-08 (Tuesday) is a Colombian public holiday.
WINDOWS = [
    ("co friday 18:59", co, CO, bog(2026, 11, 27, 18, 59), SEND, None),
    ("co friday 19:00", co, CO, bog(2026, 11, 27, 19, 0), DEFER, bog(2026, 11, 28, 8, 0)),
    ("co monday 06:59", co, CO, bog(2026, 11, 30, 6, 59), DEFER, bog(2026, 11, 30, 7, 0)),
    ("co monday 07:00", co, CO, bog(2026, 11, 30, 7, 0), SEND, None),
    ("co saturday 07:59", co, CO, bog(2026, 11, 28, 7, 59), DEFER, bog(2026, 11, 28, 8, 0)),
    ("co saturday 14:59", co, CO, bog(2026, 11, 28, 14, 59), SEND, None),
    ("co saturday 15:00", co, CO, bog(2026, 11, 28, 15, 0), DEFER, bog(2026, 11, 30, 7, 0)),
    ("co sunday noon", co, CO, bog(2026, 11, 29, 12, 0), DEFER, bog(2026, 11, 30, 7, 0)),
    ("co holiday tuesday", co, CO, bog(2026, 12, 8, 10, 0), DEFER, bog(2026, 12, 9, 7, 0)),
    ("co day before holiday", co, CO, bog(2026, 12, 7, 18, 59), SEND, None),
    ("us denver 20:59", us, US, den(2026, 11, 27, 20, 59), SEND, None),
    ("us denver 21:00", us, US, den(2026, 11, 27, 21, 0), DEFER, den(2026, 11, 28, 8, 0)),
    ("us denver 07:59", us, US, den(2026, 11, 29, 7, 59), DEFER, den(2026, 11, 29, 8, 0)),
    ("us sunday is allowed", us, US, den(2026, 11, 29, 12, 0), SEND, None),
]


@pytest.mark.parametrize(("name", "facts", "rules", "at", "action", "until"), WINDOWS)
def test_legal_contact_windows_in_the_debtors_local_time(name, facts, rules, at, action, until):
    decision = decide(facts, channel="sms", at=at, rules=rules)
    assert (decision.action, decision.until) == (action, until), name
    if action == DEFER:
        assert decision.reason == "outside_window"


def test_the_window_is_read_in_the_debtors_zone_whatever_the_servers():
    # 02:59 UTC on Saturday is 20:59 on Friday in Denver (UTC-7 in November).
    at = dt.datetime(2026, 11, 28, 3, 59, tzinfo=dt.UTC)
    assert decide(us, channel="sms", at=at, rules=US).action == SEND
    assert decide(us, channel="sms", at=at + dt.timedelta(minutes=1), rules=US).action == DEFER


def _calls(n: int, last: dt.datetime) -> tuple[dt.datetime, ...]:
    return tuple(last - dt.timedelta(hours=20 * i) for i in range(n))


NOW_US = den(2026, 11, 27, 12, 0)
CALLS = [
    ("7th call in 7 days", 6, NOW_US - dt.timedelta(hours=1), SEND),
    ("8th call in 7 days", 7, NOW_US - dt.timedelta(hours=1), DEFER),
    # The oldest of 7 falls exactly 7 days back: out of the rolling window.
    ("oldest call 7 days ago", 7, NOW_US - dt.timedelta(days=7) + dt.timedelta(hours=120), SEND),
]


@pytest.mark.parametrize(("name", "count", "last", "action"), CALLS)
def test_regulation_f_caps_call_attempts_per_debt(name, count, last, action):
    calls = _calls(count, last)
    if name == "oldest call 7 days ago":
        calls = (*calls[:-1], NOW_US - dt.timedelta(days=7))
    facts = replace(us, calls_on_debt=calls)
    # Calls are not collection messages for the daily cap in this table: only the call cap.
    rules = replace(US, daily_cap=None, weekly_cap=None)
    decision = decide(facts, channel="call", at=NOW_US, rules=rules)
    assert decision.action == action, name
    if action == DEFER:
        assert decision.reason == "call_cap_7_days"
        assert decision.until == min(calls) + dt.timedelta(days=7)


def test_texts_and_emails_do_not_count_as_calls():
    facts = replace(us, calls_on_debt=_calls(7, NOW_US - dt.timedelta(hours=1)))
    assert decide(facts, channel="sms", at=NOW_US, rules=US).action == SEND


BLOCKS = [
    ("consent never recorded", replace(co, consent=None), "no_consent"),
    ("consent revoked", replace(co, consent=False), "consent_revoked"),
    ("deceased", replace(co, deceased=True), "deceased"),
    ("legal hold", replace(co, legal_hold=True), "legal_hold"),
    ("disputed debt", replace(co, debt_statuses=("active", "disputed")), "debt_disputed"),
    ("debt in legal collection", replace(co, debt_statuses=("legal",)), "debt_legal"),
    ("paid", replace(co, debt_statuses=("paid",)), "debt_paid"),
    ("settled", replace(co, debt_statuses=("settled",)), "debt_settled"),
    ("closed", replace(co, debt_statuses=("closed", "paid")), "debt_closed"),
    ("no phone or email", replace(co, has_address=False), "no_address"),
]


@pytest.mark.parametrize(("name", "facts", "reason"), BLOCKS)
def test_do_not_contact_and_consent_block_with_their_reason(name, facts, reason):
    decision = decide(facts, channel="sms", at=bog(2026, 11, 27, 10, 0), rules=CO)
    assert (decision.action, decision.reason) == (BLOCK, reason), name


def test_one_paid_debt_does_not_stop_outreach_on_an_open_one():
    facts = replace(co, debt_statuses=("paid", "active"))
    assert decide(facts, channel="sms", at=bog(2026, 11, 27, 10, 0), rules=CO).action == SEND


def test_a_receipt_needs_no_recorded_consent_but_respects_a_revocation():
    at = bog(2026, 11, 27, 10, 0)
    unknown = replace(co, consent=None, debt_statuses=("paid",))
    assert decide(unknown, channel="email", at=at, rules=CO, transactional=True).action == SEND
    revoked = replace(co, consent=False)
    decision = decide(revoked, channel="email", at=at, rules=CO, transactional=True)
    assert (decision.action, decision.reason) == (BLOCK, "consent_revoked")


def test_the_debtors_own_hours_narrow_the_legal_window():
    facts = replace(co, contact_from=dt.time(9), contact_to=dt.time(18))
    decision = decide(facts, channel="sms", at=bog(2026, 11, 26, 18, 0), rules=CO)
    assert (decision.action, decision.until) == (DEFER, bog(2026, 11, 27, 9, 0))
    assert decide(facts, channel="sms", at=bog(2026, 11, 26, 17, 59), rules=CO).action == SEND


def test_a_receipt_goes_out_of_hours_only_while_the_debtor_is_on_the_portal():
    night = bog(2026, 11, 27, 22, 0)
    on_portal = decide(
        replace(co, on_portal=True), channel="email", at=night, rules=CO, transactional=True
    )
    away = decide(co, channel="email", at=night, rules=CO, transactional=True)
    assert on_portal.action == SEND
    assert (away.action, away.until) == (DEFER, bog(2026, 11, 28, 8, 0))


MONDAY = bog(2026, 11, 23, 9, 0)
CAPS = [
    (
        "second channel same day",
        (((MONDAY, "sms"),), ()),
        "email",
        MONDAY.replace(hour=11),
        "same_day_other_channel",
        bog(2026, 11, 24, 7, 0),
    ),
    (
        "second sms same day",
        (((MONDAY, "sms"),), ()),
        "sms",
        MONDAY.replace(hour=11),
        "daily_cap",
        bog(2026, 11, 24, 7, 0),
    ),
    (
        "other channel later in the week",
        (((MONDAY, "sms"),), ()),
        "email",
        bog(2026, 11, 25, 10, 0),
        "weekly_channels",
        bog(2026, 11, 30, 7, 0),
    ),
    (
        "weekly cap",
        (
            (
                (MONDAY, "sms"),
                (MONDAY + dt.timedelta(days=1), "sms"),
                (MONDAY + dt.timedelta(days=2), "sms"),
            ),
            (),
        ),
        "sms",
        bog(2026, 11, 26, 10, 0),
        "weekly_cap",
        bog(2026, 11, 30, 7, 0),
    ),
    (
        "the debtor wrote first today",
        (((MONDAY, "sms"),), (MONDAY.replace(hour=10),)),
        "email",
        MONDAY.replace(hour=11),
        "",
        None,
    ),
    (
        "next week starts afresh",
        (((MONDAY, "sms"),), ()),
        "email",
        bog(2026, 11, 30, 10, 0),
        "",
        None,
    ),
]


@pytest.mark.parametrize(("name", "history", "channel", "at", "reason", "until"), CAPS)
def test_frequency_caps_across_channels(name, history, channel, at, reason, until):
    sent, inbound = history
    facts = replace(co, sent=sent, inbound=inbound)
    # Colombia's one-channel-a-week rule would push these two further; here the day matters.
    one_day = {"second channel same day", "the debtor wrote first today"}
    rules = replace(CO, weekly_channels=None) if name in one_day else CO
    decision = decide(facts, channel=channel, at=at, rules=rules)
    if reason:
        assert (decision.action, decision.reason, decision.until) == (DEFER, reason, until)
    else:
        assert decision.action == SEND, name


def test_a_second_channel_in_colombia_waits_for_next_week():
    facts = replace(co, sent=((MONDAY, "sms"),))
    decision = decide(facts, channel="email", at=MONDAY.replace(hour=11), rules=CO)
    assert (decision.reason, decision.until) == ("same_day_other_channel", bog(2026, 11, 30, 7))


def test_receipts_are_outside_the_caps():
    facts = replace(co, sent=((MONDAY, "sms"),))
    decision = decide(
        facts, channel="email", at=MONDAY.replace(hour=11), rules=CO, transactional=True
    )
    assert decision.action == SEND


def test_rules_are_configurable_per_country(settings):
    settings.OUTREACH_RULES = {"CO": {"weekly_cap": 1, "saturday": None}}
    rules = rules_for("CO")
    assert rules.weekly_cap == 1
    saturday = decide(co, channel="sms", at=bog(2026, 11, 28, 10, 0), rules=rules)
    assert (saturday.action, saturday.until) == (DEFER, bog(2026, 11, 30, 7, 0))
    assert rules_for("US").calls_per_debt_7_days == 7
    assert rules_for("PE") == DEFAULTS["CO"]  # unknown countries get the strictest profile
