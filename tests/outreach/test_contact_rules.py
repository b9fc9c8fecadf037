"""The contact rules that need the database: plausible zones from the debtor's state and
phone numbers, the Massachusetts cap on calls and texts per debt, no call for 7 days after
a telephone conversation, the preferred channel first in a campaign; and facts still loaded
in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from portal.outreach import tasks
from portal.outreach.campaigns import campaign_launch
from portal.outreach.models import Campaign, Message
from portal.outreach.outbox.queue import message_queue
from portal.outreach.selectors import facts_for_many
from portal.outreach.services import call_attempt_record
from portal.staff.selectors import call_check, call_checks
from portal.staff.services import contact_outcome_log
from tests.factories import CampaignFactory, CampaignTemplateFactory, DebtFactory, PortfolioFactory
from tests.helpers.outreach import make_debtor

NEW_YORK, DENVER = ZoneInfo("America/New_York"), ZoneInfo("America/Denver")
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK)
REMINDER = {
    "first_name": "Ann",
    "creditor": "Banco Andino",
    "amount_minor": 150_00,
    "currency": "USD",
    "due_date": "2026-11-25",
    "country": "US",
}


@pytest.fixture
def us_portfolio(db):
    return PortfolioFactory(
        code="us-cards", country="US", currency="USD", timezone="America/New_York"
    )


def us_debtor(portfolio, number: str, *, state: str, phone: str, **fields):
    return make_debtor(
        portfolio,
        number=number,
        name=f"Debtor {number}",
        channels=("sms", "email", "call"),
        phones=[phone],
        emails=[f"d{number}@example.com"],
        state=state,
        **fields,
    )


def probe(debtor, channel: str, *, debt=None, pk: int = -1) -> Message:
    """An unsaved message, as the staff call panel builds them, to read its facts."""
    to = debtor.emails[0] if channel == "email" else debtor.phones[0]
    return Message(pk=pk, debtor=debtor, debt=debt, channel=channel, kind="reminder", to=to)


def text_sent(debtor, at: dt.datetime, key: str, channel: str = "sms") -> Message:
    return Message.objects.create(
        key=key, debtor=debtor, channel=channel, kind="reminder", status="sent", sent_at=at
    )


def reminder(debtor, channel: str, key: str, capture) -> Message:
    with capture(execute=True):
        message = message_queue(
            debtor=debtor,
            channel=channel,
            key=key,
            kind="reminder",
            notice="installment_due_today",
            context=REMINDER,
        )
    message.refresh_from_db()
    return message


def test_a_new_york_address_and_a_los_angeles_number_wait_for_8_in_los_angeles(
    us_portfolio, django_capture_on_commit_callbacks
):
    debtor = us_debtor(us_portfolio, "1001", state="NY", phone="+12135550123")
    facts = facts_for_many([probe(debtor, "sms")], now=WEDNESDAY)[-1]
    assert (facts.timezone, facts.other_zones) == ("America/New_York", ("America/Los_Angeles",))
    with time_machine.travel(WEDNESDAY.replace(hour=8, minute=30), tick=False):
        message = reminder(debtor, "sms", "zones", django_capture_on_commit_callbacks)
    assert (message.status, message.decision["reason"]) == ("deferred", "outside_window_other_zone")
    assert message.not_before == WEDNESDAY.replace(hour=11)  # 08:00 in Los Angeles


def test_the_address_state_gives_the_zone_when_the_debtor_has_none(us_portfolio):
    debtor = us_debtor(us_portfolio, "1002", state="TX", phone="+19155550123")  # El Paso
    facts = facts_for_many([probe(debtor, "sms")], now=WEDNESDAY)[-1]
    assert facts.zones == ("America/Chicago", "America/Denver")
    debtor.timezone = "America/Chicago"  # a finer fact than the state: El Paso's number counts
    facts = facts_for_many([probe(debtor, "sms")], now=WEDNESDAY)[-1]
    assert facts.zones == ("America/Chicago", "America/Denver")


def test_a_third_text_in_7_days_waits_in_massachusetts_but_not_in_new_york(
    us_portfolio, django_capture_on_commit_callbacks
):
    boston = us_debtor(us_portfolio, "2001", state="MA", phone="+16175550123")
    albany = us_debtor(us_portfolio, "2002", state="NY", phone="+15185550123")
    for debtor in (boston, albany):
        text_sent(debtor, MONDAY, f"mon-{debtor.pk}")
        text_sent(debtor, MONDAY + dt.timedelta(days=1), f"tue-{debtor.pk}")
    with time_machine.travel(WEDNESDAY, tick=False):
        third = reminder(boston, "sms", "ma-sms", django_capture_on_commit_callbacks)
        email = reminder(boston, "email", "ma-email", django_capture_on_commit_callbacks)
        elsewhere = reminder(albany, "sms", "ny-sms", django_capture_on_commit_callbacks)
    assert (third.status, third.decision["reason"]) == ("deferred", "phone_contacts_cap_7_days")
    assert third.not_before == MONDAY + dt.timedelta(days=7)  # the first text's 7 days end
    assert email.status == "sent"  # email never counts toward the cap
    assert elsewhere.status == "sent"


def test_calls_and_texts_count_per_debt_and_one_naming_no_debt_counts_on_each(us_portfolio):
    debtor = us_debtor(us_portfolio, "2003", state="MA", phone="+16175550123")
    car, card = DebtFactory(portfolio=us_portfolio, debtor=debtor), debtor_debt(debtor)
    call_attempt_record(
        debtor=debtor, debt=car, to=debtor.phones[0], at=MONDAY, key="call-car", decision={}
    )
    text_sent(debtor, MONDAY + dt.timedelta(hours=2), "text-no-debt")
    text_sent(debtor, MONDAY + dt.timedelta(hours=3), "email", channel="email")
    facts = facts_for_many(
        [probe(debtor, "sms", debt=car, pk=-1), probe(debtor, "sms", debt=card, pk=-2)],
        now=WEDNESDAY,
    )
    assert len(facts[-1].phone_contacts_by_debt[0]) == 2  # the call on it and the text
    assert len(facts[-2].phone_contacts_by_debt[0]) == 1  # the text only


def debtor_debt(debtor):
    return debtor.debts.order_by("id").first()


CONVERSATIONS = [
    ("outbound call, right party", "phone", "outbound", "right_party", True),
    ("the debtor called us", "phone", "inbound", "right_party", True),
    ("IVR call that reached the debtor", "ivr", "outbound", "refused", True),
    ("no answer", "phone", "outbound", "no_answer", False),
    ("wrong number", "phone", "outbound", "wrong_number", False),
    ("a visit is not a telephone conversation", "visit", "outbound", "right_party", False),
]


@pytest.mark.parametrize(("name", "method", "direction", "outcome", "waits"), CONVERSATIONS)
def test_no_call_on_the_debt_for_7_days_after_a_conversation_about_it(
    name, method, direction, outcome, waits, us_portfolio, agent
):
    debtor = us_debtor(
        us_portfolio, "3001", state="CO", phone="+13035550123", timezone="America/Denver"
    )
    talked_about, other = debtor_debt(debtor), DebtFactory(portfolio=us_portfolio, debtor=debtor)
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=DENVER)
    with time_machine.travel(monday, tick=False):
        contact_outcome_log(
            debtor=debtor,
            agent=agent,
            method=method,
            direction=direction,
            outcome=outcome,
            debt=talked_about,
        )
    with time_machine.travel(monday + dt.timedelta(days=1), tick=False):
        check = call_check(debtor, talked_about)
        assert call_check(debtor, other).allowed, name  # another debt: another matter
        debtor_wide = call_checks(debtor, [talked_about, other])[0]  # as the call panel asks
    if waits:
        assert (check.decision.reason, check.decision.until) == (
            "call_after_conversation",
            dt.datetime(2026, 11, 30, 8, 0, tzinfo=DENVER),  # Monday was the first of 7 days
        ), name
        with translation.override("en"):
            assert "spoken to by phone" in check.explanation
        assert debtor_wide.decision.reason == "call_after_conversation"
    else:
        assert check.allowed, name


def us_campaign(portfolio, agent, channels) -> Campaign:
    campaign = CampaignFactory(
        name="November", portfolio=portfolio, channels=channels, created_by=agent,
        agreement_filter="any",
    )  # fmt: skip
    for channel in channels:
        CampaignTemplateFactory(
            campaign=campaign, channel=channel, language="es", subject="Saldo {creditor}",
            body="Hola {first_name}: debes {amount}. {link}",
        )  # fmt: skip
    return campaign


def statuses(campaign) -> dict:
    return {
        (m.debtor_id, m.channel): (m.status, m.decision.get("reason"), m.not_before)
        for m in Message.objects.filter(campaign=campaign)
    }


def test_a_campaigns_email_waits_for_the_preferred_sms_held_back_by_the_state_cap(
    us_portfolio, agent, django_capture_on_commit_callbacks
):
    boston = us_debtor(us_portfolio, "4001", state="MA", phone="+16175550123")
    albany = us_debtor(us_portfolio, "4002", state="NY", phone="+15185550123")
    debt = debtor_debt(boston)
    for i, at in enumerate([MONDAY, MONDAY + dt.timedelta(days=1)]):
        call_attempt_record(
            debtor=boston, debt=debt, to=boston.phones[0], at=at, key=f"c{i}", decision={}
        )
    with time_machine.travel(WEDNESDAY, tick=False) as clock:
        campaign = us_campaign(us_portfolio, agent, ["sms", "email"])
        with django_capture_on_commit_callbacks(execute=True):
            campaign_launch(campaign=campaign, actor=agent)
        next_monday = MONDAY + dt.timedelta(days=7)
        thursday_8 = WEDNESDAY.replace(day=26, hour=8)
        assert statuses(campaign) == {
            (boston.pk, "sms"): ("deferred", "phone_contacts_cap_7_days", next_monday),
            (boston.pk, "email"): ("deferred", "preferred_channel_first", next_monday),
            (albany.pk, "sms"): ("sent", "", WEDNESDAY),
            (albany.pk, "email"): ("deferred", "same_day_other_channel", thursday_8),
        }
        # When the SMS may go it goes first; the email follows it the next day.
        clock.move_to(next_monday)
        tasks.dispatch_due()
        now = statuses(campaign)
        assert now[(boston.pk, "sms")][0] == "sent"
        assert now[(boston.pk, "email")][:2] == ("deferred", "same_day_other_channel")


def test_a_campaign_without_the_preferred_channel_is_not_held_back(
    us_portfolio, agent, django_capture_on_commit_callbacks
):
    debtor = us_debtor(us_portfolio, "4003", state="NY", phone="+15185550123")
    with time_machine.travel(WEDNESDAY, tick=False):
        campaign = us_campaign(us_portfolio, agent, ["email"])  # the debtor prefers SMS
        with django_capture_on_commit_callbacks(execute=True):
            campaign_launch(campaign=campaign, actor=agent)
    assert statuses(campaign)[(debtor.pk, "email")][0] == "sent"


def test_facts_for_calls_take_the_same_queries_for_one_debtor_or_many(us_portfolio):
    debtors = [
        us_debtor(us_portfolio, f"50{i}", state="MA", phone="+16175550123") for i in range(4)
    ]

    def queries(group) -> int:
        probes = [probe(d, "call", debt=debtor_debt(d), pk=-(i + 1)) for i, d in enumerate(group)]
        with CaptureQueriesContext(connection) as captured:
            facts_for_many(probes, now=WEDNESDAY)
        return len(captured)

    assert queries(debtors[:1]) == queries(debtors)
