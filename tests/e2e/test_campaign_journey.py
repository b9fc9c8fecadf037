"""A campaign on the demo portfolio, end to end: launched, sent through the console backend,
one debtor's link opened on a phone and verified, and the staff funnel showing the click
and the verification."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from portal.access.models import PaymentLink
from portal.debtors.models import Debtor, Portfolio
from portal.outreach.campaigns import campaign_launch
from portal.outreach.channels import forget_backends
from portal.outreach.models import Message
from portal.outreach.services import consent_set
from portal.staff.demo import DEMO_PORTFOLIO_CODE, seed_demo
from tests.factories import CampaignFactory, CampaignTemplateFactory, StaffFactory

pytestmark = pytest.mark.e2e

ALL_DAY = (dt.time(0), dt.time(23, 59, 59))
LINK = re.compile(r"--- sms to (\+\d+) \(message (\d+)\)\n.*?/p/([A-Za-z0-9_-]{43})", re.S)


@pytest.fixture
def console_sms(settings):
    settings.OUTREACH_BACKENDS = {
        **settings.OUTREACH_BACKENDS,
        "sms": "portal.outreach.channels.local.ConsoleBackend",
    }
    # The journey must not depend on the hour it runs: the window is the whole day here;
    # every other rule (consent, caps, do-not-contact) applies as in production.
    settings.OUTREACH_RULES = {
        "CO": {"weekday": ALL_DAY, "saturday": ALL_DAY, "sunday": ALL_DAY,
               "holidays_country": None}
    }  # fmt: skip
    forget_backends()
    yield
    forget_backends()


@pytest.fixture
def demo_campaign(transactional_db, console_sms):
    seed_demo(debtors=6, activity_too=False)  # its own campaign, on a quiet book
    portfolio = Portfolio.objects.get(code=DEMO_PORTFOLIO_CODE)
    for debtor in Debtor.objects.all():
        debtor.contact_from, debtor.contact_to = ALL_DAY
        debtor.save(update_fields=["contact_from", "contact_to"])
        consent_set(debtor=debtor, channel="sms", granted=True, source="staff",
                    evidence={"e2e": True})  # fmt: skip
    campaign = CampaignFactory(
        name="Demo noviembre", portfolio=portfolio, channels=["sms"], agreement_filter="any"
    )
    for language, body in (
        ("es", "Hola {first_name}, {creditor} te ofrece pagar {amount}: {link}"),
        ("en", "Hi {first_name}, {creditor}: pay {amount} here: {link}"),
    ):
        CampaignTemplateFactory(campaign=campaign, channel="sms", language=language, body=body)
    return campaign


def test_campaign_link_opened_and_verified_shows_in_the_funnel(
    live_server, browser, phone, watch, axe_check, shoot, demo_campaign, capsys
):
    campaign = demo_campaign
    campaign_launch(campaign=campaign)
    printed = capsys.readouterr().out
    sent = LINK.findall(printed)
    assert len(sent) == 6 == Message.objects.filter(campaign=campaign, status="sent").count()

    # One debtor taps the link from the SMS the console printed.
    _phone, message_id, token = sent[0]
    debtor = Message.objects.get(pk=message_id).debtor
    page = phone
    assert page.goto(f"{live_server.url}/p/{token}").status == 200
    axe_check(page, "identity check from a campaign")
    page.fill("#id_answer", debtor.document_number[-4:])
    with page.expect_navigation():
        page.locator("main form button[type=submit]").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/")
    page.goto(f"{live_server.url}/mi-cuenta/comunicaciones/")
    assert page.locator("ul.messages-list li.message-sms").count() == 1
    assert "[link]" in page.locator("ul.messages-list").text_content()
    shoot(page, "campaign-01-messages")
    axe_check(page, "messages page")

    link = PaymentLink.objects.get(pk=Message.objects.get(pk=message_id).payment_link_id)
    assert link.campaign_id == campaign.pk and link.verified_at is not None

    # Staff watch the funnel: the click and the verification are counted.
    StaffFactory(username="supervisora", is_superuser=True, password="s3cret-pass")
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    progress = f"/admin/outreach/campaign/{campaign.pk}/progress/"
    desk.goto(f"{live_server.url}/admin/login/?next={progress}")
    desk.fill("#id_username", "supervisora")
    desk.fill("#id_password", "s3cret-pass")
    with desk.expect_navigation():
        desk.locator("input[type=submit]").click()
    assert desk.url == live_server.url + progress
    funnel = {
        name: desk.locator(f"[data-funnel={name}]").text_content().strip()
        for name in ("targeted", "sent", "clicked", "verified", "blocked")
    }
    assert funnel == {"targeted": "6", "sent": "6", "clicked": "1", "verified": "1",
                      "blocked": "0"}  # fmt: skip
    # Every message went out, so the campaign is done; the page still polls with htmx, as
    # clicks keep coming after the sending: a second debtor's click shows up.
    assert desk.locator("text=Terminada").count() == 1
    second = PaymentLink.objects.filter(campaign_id=campaign.pk).exclude(pk=link.pk).first()
    PaymentLink.objects.filter(pk=second.pk).update(first_opened_at=second.created_at)
    expect(desk.locator("[data-funnel=clicked]")).to_have_text("2", timeout=10_000)
    shoot(desk, "campaign-02-funnel")
    # Django admin's own breadcrumbs (colour-only links) are not ours to fix.
    axe_check(desk, "campaign funnel (admin)", exclude=[".breadcrumbs"])
    assert not watch.csp_violations and not watch.page_errors
    staff.close()
