"""The identity page says where the link was sent, masked: the last 4 digits of the phone
or the first letter and domain of the email, and nothing for a link staff made by hand."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail

from portal.access.masking import destination_hint
from portal.access.models import PaymentLink
from portal.access.services import payment_link_create
from portal.outreach.campaigns import campaign_launch
from portal.outreach.channels import forget_backends
from portal.outreach.notices import notice_send
from portal.outreach.services import consent_set
from tests.factories import CampaignFactory, CampaignTemplateFactory
from tests.helpers.access import VERIFY_URL, link_url

pytestmark = pytest.mark.django_db

TUESDAY_10 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
TOKEN = re.compile(r"/p/([A-Za-z0-9_-]{43})")


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def console_sms(settings):
    """SMS printed by the console backend, so the test reads the link the debtor got."""
    settings.OUTREACH_BACKENDS = {
        **settings.OUTREACH_BACKENDS,
        "sms": "portal.outreach.channels.local.ConsoleBackend",
    }
    forget_backends()
    yield
    forget_backends()


def identity_page(client, token: str) -> str:
    assert client.get(link_url(token)).status_code == 302
    page = client.get(VERIFY_URL)
    assert page.status_code == 200
    return page.content.decode()


def test_a_campaign_sms_link_names_the_last_four_digits_only(
    tuesday,
    console_sms,
    client,
    debtor,
    portfolio,
    agent,
    capsys,
    django_capture_on_commit_callbacks,
):
    consent_set(debtor=debtor, channel="sms", granted=True, source="import")
    campaign = CampaignFactory(
        portfolio=portfolio, channels=["sms"], created_by=agent, agreement_filter="any"
    )
    CampaignTemplateFactory(
        campaign=campaign, channel="sms", language="es", body="Hola {first_name}: {link}"
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=agent)
    (token,) = TOKEN.findall(capsys.readouterr().out)

    html = identity_page(client, token)

    assert "Te enviamos este enlace por SMS al número terminado en 2233." in html
    assert "3001112233" not in html and "+573001112233" not in html
    link = PaymentLink.objects.get(campaign_id=campaign.pk)
    assert (link.sent_channel, link.sent_to_hint) == ("sms", "2233")  # no full number kept


def test_an_email_notice_link_names_the_masked_address(
    tuesday, client, debtor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(
            debtor=debtor,
            notice="payment_failed",
            context={"attempt": SimpleNamespace(amount_minor=50_000_00, currency="COP")},
            link=True,
        )
    (token,) = set(TOKEN.findall(mail.outbox[0].body))

    html = identity_page(client, token)

    assert "Te enviamos este enlace por correo a a***@example.com." in html
    assert "ana@example.com" not in html


def test_a_link_made_by_staff_says_nothing_about_where_it_went(client, debtor, agent):
    _link, token = payment_link_create(debtor=debtor, actor=agent)

    html = identity_page(client, token)

    assert 'data-testid="sent-to"' not in html and "Te enviamos" not in html


@pytest.mark.parametrize(
    ("channel", "address", "hint"),
    [
        ("sms", "+57 300 111 2233", "2233"),
        ("whatsapp", "whatsapp:+573001112233", "2233"),
        ("email", "Ana.Maria@example.com", "A***@example.com"),
        ("email", "not-an-address", ""),
        ("sms", "123", ""),  # too short: the last 4 would be the whole number
        ("", "+573001112233", ""),
        ("call", "+573001112233", ""),
    ],
)
def test_the_hint_never_holds_more_than_its_mask(channel, address, hint):
    assert destination_hint(channel, address) == hint
