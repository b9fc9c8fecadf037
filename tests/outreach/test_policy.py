"""The contact policy, rule by rule, at its edges. `decide` is pure: no database here."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from portal.outreach.policy import BLOCK, DEFER, SEND, Facts, decide
from portal.outreach.rules import DEFAULTS, rules_for
from portal.outreach.zones import plausible_zones

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
    assert (on_portal.action, on_portal.reason) == (SEND, "on_portal")
    assert (away.action, away.until) == (DEFER, bog(2026, 11, 28, 8, 0))
    # Inside the window, being on the portal is not the reason it went.
    noon = bog(2026, 11, 27, 12, 0)
    facts = replace(co, on_portal=True)
    in_hours = decide(facts, channel="email", at=noon, rules=CO, transactional=True)
    assert (in_hours.action, in_hours.reason) == (SEND, "")


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


# --- Regulation F: when the zone is uncertain, every plausible zone must be in the window.
NEW_YORK, LOS_ANGELES = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")
HONOLULU = ZoneInfo("Pacific/Honolulu")
# A New York address and a Los Angeles (213) number; and the other way round.
ny_la = Facts(timezone="America/New_York", other_zones=("America/Los_Angeles",))
la_ny = Facts(timezone="America/Los_Angeles", other_zones=("America/New_York",))


def ny(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


def la(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOS_ANGELES)


UNCERTAIN = [
    ("ny+la 08:30 eastern", ny_la, ny(2026, 11, 27, 8, 30), ny(2026, 11, 27, 11), "other_zone"),
    ("ny+la 10:59 eastern", ny_la, ny(2026, 11, 27, 10, 59), ny(2026, 11, 27, 11), "other_zone"),
    ("ny+la 11:00 eastern = 08:00 pacific", ny_la, ny(2026, 11, 27, 11, 0), None, ""),
    ("ny+la 20:59 eastern", ny_la, ny(2026, 11, 27, 20, 59), None, ""),
    ("ny+la 21:00 eastern", ny_la, ny(2026, 11, 27, 21, 0), ny(2026, 11, 28, 11), "window"),
    ("ny+la 07:59 eastern", ny_la, ny(2026, 11, 27, 7, 59), ny(2026, 11, 27, 11), "window"),
    ("la+ny 17:59 pacific", la_ny, la(2026, 11, 27, 17, 59), None, ""),
    ("la+ny 18:00 pacific", la_ny, la(2026, 11, 27, 18, 0), la(2026, 11, 28, 8), "other_zone"),
    ("certain denver 20:59", us, den(2026, 11, 27, 20, 59), None, ""),
    ("certain denver 21:00", us, den(2026, 11, 27, 21, 0), den(2026, 11, 28, 8), "window"),
    # Daylight time ends on 1 November 2026; both zones move together.
    (
        "ny+la the day clocks change",
        ny_la,
        ny(2026, 11, 1, 10, 59),
        ny(2026, 11, 1, 11),
        "other_zone",
    ),
    # Hawaii keeps standard time: 5 hours behind New York in November, 13:00–21:00 Eastern.
    (
        "ny+honolulu 12:59 eastern",
        replace(ny_la, other_zones=("Pacific/Honolulu",)),
        ny(2026, 11, 27, 12, 59),
        ny(2026, 11, 27, 13),
        "other_zone",
    ),
]


@pytest.mark.parametrize(("name", "facts", "at", "until", "why"), UNCERTAIN)
def test_every_plausible_zone_must_be_inside_the_window(name, facts, at, until, why):
    decision = decide(facts, channel="sms", at=at, rules=US)
    if until is None:
        assert decision.action == SEND, name
    else:
        reason = {"window": "outside_window", "other_zone": "outside_window_other_zone"}[why]
        assert (decision.action, decision.reason, decision.until) == (DEFER, reason, until), name


def test_zones_whose_windows_never_meet_block_with_their_reason():
    # The debtor's own hours 09:00–12:00 in New York and in Honolulu never overlap.
    facts = replace(
        ny_la,
        other_zones=("Pacific/Honolulu",),
        contact_from=dt.time(9),
        contact_to=dt.time(12),
    )
    decision = decide(facts, channel="sms", at=ny(2026, 11, 27, 10, 0), rules=US)
    assert (decision.action, decision.reason) == (BLOCK, "no_common_window")


def test_a_receipt_on_the_portal_ignores_every_zone_and_away_it_waits_for_all():
    night = ny(2026, 11, 27, 8, 30)
    here = decide(
        replace(ny_la, on_portal=True), channel="email", at=night, rules=US, transactional=True
    )
    away = decide(ny_la, channel="email", at=night, rules=US, transactional=True)
    assert (here.action, here.reason) == (SEND, "on_portal")
    assert (away.action, away.until) == (DEFER, ny(2026, 11, 27, 11))


PLAUSIBLE = [
    # (own zone, state, phones, portfolio's zone) → zones, the zone of record first
    ("", "NY", ["+12135550123"], "America/Denver", ("America/New_York", "America/Los_Angeles")),
    ("", "TX", [], "America/New_York", ("America/Chicago", "America/Denver")),
    ("America/Chicago", "TX", [], "America/New_York", ("America/Chicago",)),
    ("America/New_York", "CA", [], "America/New_York", ("America/New_York", "America/Los_Angeles")),
    ("America/Boise", "", ["+12085550123"], "America/Denver", ("America/Boise",)),
    (
        "",
        "",
        ["+12085550123"],
        "America/Denver",
        ("America/Denver", "America/Boise", "America/Los_Angeles"),
    ),
    ("", "", ["+18005550100"], "America/New_York", ("America/New_York",)),  # toll-free
    ("", "", ["+573001112233"], "America/Bogota", ("America/Bogota",)),
    ("", "ma", ["+16175550123", "+16175550199"], "America/Denver", ("America/New_York",)),
]


@pytest.mark.parametrize(("own", "state", "phones", "fallback", "zones"), PLAUSIBLE)
def test_plausible_zones_come_from_the_recorded_zone_the_state_and_the_area_codes(
    own, state, phones, fallback, zones
):
    assert plausible_zones(own=own, state=state, phones=phones, fallback=fallback) == zones


# --- Massachusetts: calls and texts, at most 2 per 7 rolling days per debt.
MA = replace(US, phone_contacts_per_debt_7_days=2, daily_cap=None, weekly_cap=None)
DAY = dt.timedelta(days=1)
MA_CAP = [
    ("second text", "sms", ((NOW_US - 2 * DAY,),), None),
    ("third text", "sms", ((NOW_US - 2 * DAY, NOW_US - DAY),), NOW_US + 5 * DAY),
    ("a call after two texts", "call", ((NOW_US - 2 * DAY, NOW_US - DAY),), NOW_US + 5 * DAY),
    (
        "whatsapp counts as a text",
        "whatsapp",
        ((NOW_US - 3 * DAY, NOW_US - DAY),),
        NOW_US + 4 * DAY,
    ),
    ("email does not count", "email", ((NOW_US - 2 * DAY, NOW_US - DAY),), None),
    ("the oldest exactly 7 days ago", "sms", ((NOW_US - 7 * DAY, NOW_US - DAY),), None),
    (
        "2 on one of the debts",
        "sms",
        ((NOW_US - DAY,), (NOW_US - 3 * DAY, NOW_US - DAY)),
        NOW_US + 4 * DAY,
    ),
    ("1 on each debt", "sms", ((NOW_US - 2 * DAY,), (NOW_US - DAY,)), None),
]


@pytest.mark.parametrize(("name", "channel", "contacts", "until"), MA_CAP)
def test_massachusetts_caps_calls_and_texts_per_debt(name, channel, contacts, until):
    facts = replace(us, phone_contacts_by_debt=contacts)
    decision = decide(facts, channel=channel, at=NOW_US, rules=MA)
    if until is None:
        assert decision.action == SEND, name
    else:
        assert (decision.action, decision.reason) == (DEFER, "phone_contacts_cap_7_days"), name
        assert decision.until == until, name


def test_outside_massachusetts_texts_are_not_capped_per_debt():
    facts = replace(us, phone_contacts_by_debt=((NOW_US - 2 * DAY, NOW_US - DAY),))
    rules = replace(US, daily_cap=None, weekly_cap=None)
    assert decide(facts, channel="sms", at=NOW_US, rules=rules).action == SEND


def test_state_profiles_override_their_country(settings):
    settings.OUTREACH_RULES = {}
    assert rules_for("US", "MA").phone_contacts_per_debt_7_days == 2
    assert rules_for("US", "ma") == rules_for("US", "MA")
    assert rules_for("US", "MA").calls_per_debt_7_days == 7  # the country's rules stay
    assert rules_for("US", "NY") == rules_for("US") == US
    assert rules_for("CO", "MA") == CO  # a US state's profile is only for US portfolios
    settings.OUTREACH_RULES = {"US": {"weekly_cap": 2}, "US-MA": {"sunday": None}}
    massachusetts = rules_for("US", "MA")
    assert (massachusetts.weekly_cap, massachusetts.sunday) == (2, None)
    assert massachusetts.phone_contacts_per_debt_7_days == 2
    assert rules_for("US", "NY").sunday == US.sunday
    # A stricter country-wide cap is not loosened by the state's built-in one...
    settings.OUTREACH_RULES = {"US": {"phone_contacts_per_debt_7_days": 1}}
    assert rules_for("US", "MA").phone_contacts_per_debt_7_days == 1
    # ...while the state's own setting is taken as written.
    settings.OUTREACH_RULES = {"US-MA": {"phone_contacts_per_debt_7_days": 3}}
    assert rules_for("US", "MA").phone_contacts_per_debt_7_days == 3


# --- Regulation F: no call for 7 days after a telephone conversation about the debt; the
# conversation's day is the first of the 7.
MONDAY_US = den(2026, 11, 23, 10, 0)
AFTER_CONVERSATION = [
    ("call the next day", "call", den(2026, 11, 24, 10, 0), den(2026, 11, 30, 8, 0)),
    ("call on the 7th day", "call", den(2026, 11, 29, 20, 59), den(2026, 11, 30, 8, 0)),
    ("call on the 8th day", "call", den(2026, 11, 30, 8, 0), None),
    ("a text the next day", "sms", den(2026, 11, 24, 10, 0), None),
    ("an email the next day", "email", den(2026, 11, 24, 10, 0), None),
]


@pytest.mark.parametrize(("name", "channel", "at", "until"), AFTER_CONVERSATION)
def test_no_call_for_7_days_after_a_conversation_about_the_debt(name, channel, at, until):
    facts = replace(us, last_conversation=MONDAY_US)
    decision = decide(facts, channel=channel, at=at, rules=US)
    if until is None:
        assert decision.action == SEND, name
    else:
        assert (decision.action, decision.reason, decision.until) == (
            DEFER,
            "call_after_conversation",
            until,
        ), name


def test_a_late_conversation_counts_its_day_in_the_latest_zone():
    # 23:30 Monday in Los Angeles is already Tuesday in New York: in New York the 7 days
    # run to the end of Monday 30 November, so the first call is Tuesday 08:00 Pacific.
    facts = replace(ny_la, last_conversation=la(2026, 11, 23, 23, 30))
    decision = decide(facts, channel="call", at=la(2026, 11, 30, 8, 30), rules=US)
    assert (decision.reason, decision.until) == ("call_after_conversation", ny(2026, 12, 1, 11))
    assert decide(facts, channel="call", at=la(2026, 12, 1, 8, 0), rules=US).action == SEND


def test_colombia_has_no_wait_after_a_conversation():
    facts = replace(co, last_conversation=bog(2026, 11, 23, 10, 0))
    assert decide(facts, channel="call", at=bog(2026, 11, 24, 10, 0), rules=CO).action == SEND


# --- The debtor's preferred channel goes first within a campaign that has it.
prefers_sms = replace(us, preferred_channel="sms", preferred_usable=True, preferred_planned=True)
NOON = den(2026, 11, 25, 12, 0)
HOUR = dt.timedelta(hours=1)
PREFERRED = [
    ("email before the sms was tried", prefers_sms, "email", DEFER, NOON + HOUR),
    (
        "email after the sms went 2 days ago",
        replace(prefers_sms, sent=((NOON - 2 * DAY, "sms"),)),
        "email",
        SEND,
        None,
    ),
    (
        "email after the sms failed 6 days ago",
        replace(prefers_sms, sent=((NOON - 6 * DAY, "sms"),)),
        "email",
        SEND,
        None,
    ),
    (
        "email when the sms was 7 days ago",
        replace(prefers_sms, sent=((NOON - 7 * DAY, "sms"),)),
        "email",
        DEFER,
        NOON + HOUR,
    ),
    ("the preferred channel itself", prefers_sms, "sms", SEND, None),
    (
        "no consent or number for sms",
        replace(prefers_sms, preferred_usable=False),
        "email",
        SEND,
        None,
    ),
    ("the campaign has no sms", replace(prefers_sms, preferred_planned=False), "email", SEND, None),
    ("a call is not held back", prefers_sms, "call", SEND, None),
    (
        "a preferred call holds nothing",
        replace(prefers_sms, preferred_channel="call"),
        "sms",
        SEND,
        None,
    ),
    (
        "sms capped in massachusetts: email waits for it",
        replace(prefers_sms, phone_contacts_by_debt=((NOON - 6 * DAY, NOON - 5 * DAY),)),
        "email",
        DEFER,
        NOON + DAY,
    ),
]


@pytest.mark.parametrize(("name", "facts", "channel", "action", "until"), PREFERRED)
def test_the_preferred_channel_goes_first(name, facts, channel, action, until):
    rules = replace(US, phone_contacts_per_debt_7_days=2)
    decision = decide(facts, channel=channel, at=NOON, rules=rules)
    assert (decision.action, decision.until) == (action, until), name
    if action != SEND:
        assert decision.reason == "preferred_channel_first"


def test_the_preferred_channel_rule_waits_for_the_window_and_can_be_switched_off():
    night = den(2026, 11, 25, 22, 0)
    decision = decide(prefers_sms, channel="email", at=night, rules=US)
    assert (decision.action, decision.reason) == (DEFER, "outside_window")
    off = replace(US, preferred_channel_first=False)
    assert decide(prefers_sms, channel="email", at=NOON, rules=off).action == SEND
    receipt = decide(prefers_sms, channel="email", at=NOON, rules=US, transactional=True)
    assert receipt.action == SEND


def test_every_state_code_the_import_accepts_has_zones_or_is_known_to_have_none():
    from zoneinfo import ZoneInfo

    from portal.debtors.importing.values import US_STATES
    from portal.outreach.zones import NO_ZONE_CODES, US_STATE_ZONES

    assert set(US_STATE_ZONES) | NO_ZONE_CODES == set(US_STATES)
    assert not set(US_STATE_ZONES) & NO_ZONE_CODES
    for zones in US_STATE_ZONES.values():
        for zone in zones:
            ZoneInfo(zone)  # a real IANA zone
