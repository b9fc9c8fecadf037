"""Every message ends naming who collects and for whom, with their NITs: the agency
always, the creditor where the message is about one (issue 17, item 3)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail

from portal.outreach.campaigns import campaign_launch
from portal.outreach.models import Message
from portal.outreach.notices import notice_send
from portal.outreach.rendering import legal_sms, sms_segments

pytestmark = pytest.mark.django_db

TUESDAY_10 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
AGENCY_ES = "Agencia de cobranza: Agencia de Cobranzas Demo S.A.S., NIT 900.000.000-0"
CREDITOR_ES = "Acreedor: Banco Andino, NIT 900123456-8"
SMS_ES = (
    "Agencia de Cobranzas Demo S.A.S. NIT 900.000.000-0. Acreedor Banco Andino NIT 900123456-8."
)
ATTEMPT = SimpleNamespace(amount_minor=50_000_00, currency="COP")


@pytest.fixture(autouse=True)
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        yield traveller


def test_an_email_notice_ends_with_the_agency_and_the_creditor_and_their_nits(
    debtor, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(
            debtor=debtor, notice="payment_failed", context={"attempt": ATTEMPT}, link=portfolio
        )

    (email,) = mail.outbox
    assert f"{AGENCY_ES}\n{CREDITOR_ES}\n\n" in email.body  # then the unsubscribe line
    html = email.alternatives[0][0]
    assert f"{AGENCY_ES}<br>{CREDITOR_ES}" in html
    assert html.count("NIT 900.000.000-0") == 1  # the layout's, not the text's again


def test_a_notice_about_no_portfolio_names_the_creditors_the_debtor_owes(
    debtor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(debtor=debtor, notice="proposal_rejected", context={"proposal": None})

    (email,) = mail.outbox
    assert AGENCY_ES in email.body and CREDITOR_ES in email.body


def test_an_english_debtor_reads_it_in_english(debtor, django_capture_on_commit_callbacks):
    debtor.language = "en"
    debtor.save()
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(debtor=debtor, notice="proposal_rejected", context={"proposal": None})

    body = mail.outbox[0].body
    assert "Collection agency: Agencia de Cobranzas Demo S.A.S., NIT 900.000.000-0" in body
    assert "Creditor: Banco Andino, NIT 900123456-8" in body


@pytest.mark.usefixtures("ana_consents")  # reminders are capped outreach: consent counts
def test_an_sms_reminder_ends_with_the_short_legal_line(debtor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(
            debtor=debtor,
            notice="installment_due_today",
            context={
                "first_name": "Ana",
                "creditor": "Banco Andino",
                "amount_minor": 250_000_00,
                "currency": "COP",
            },  # fmt: skip
            key="installment_due_today:1",
            channel="sms",
            when="queue",
        )

    message = Message.objects.get(key="installment_due_today:1")
    assert message.channel == "sms"
    assert message.context["text"].endswith(" " + SMS_ES) and "\n" not in message.context["text"]


def test_the_sms_line_stays_in_the_cheap_alphabet(portfolio):
    assert sms_segments(legal_sms([portfolio.creditor])) == (1, "GSM-7")


@pytest.mark.usefixtures("ana_consents")
def test_campaign_messages_end_with_it_too(
    campaign, debtor, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)

    sms = Message.objects.get(campaign=campaign, channel="sms")
    assert sms.body.endswith("Paga aquí: [link] " + SMS_ES)


@pytest.mark.usefixtures("ana_consents")
def test_a_campaign_email_carries_it_in_text_and_html(
    campaign, debtor, agent, django_capture_on_commit_callbacks
):
    campaign.channels = ["email"]
    campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)

    (email,) = mail.outbox
    assert f"{AGENCY_ES}\n{CREDITOR_ES}" in email.body
    assert f"{AGENCY_ES}<br>{CREDITOR_ES}" in email.alternatives[0][0]
