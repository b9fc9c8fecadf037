"""Campaigns from admin: the SMS length shown on each template, launch/pause as admin
actions, and the progress page (whole, and the funnel fragment htmx polls)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from portal.outreach.models import Campaign, Message
from portal.outreach.rendering import sms_segments
from tests.factories import StaffFactory

TUESDAY_10 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff_client(client, admin_user):
    """The campaign desk as a superuser: what each role may do is tests/staff/test_roles.py."""
    client.force_login(admin_user)
    return client


def test_the_template_inline_shows_the_sms_length(staff_client, campaign):
    page = staff_client.get(reverse("admin:outreach_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200
    assert "segment(s) · GSM-7" in page.content.decode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a" * 160, (1, "GSM-7")), ("a" * 161, (2, "GSM-7")), ("ñ" * 160, (1, "GSM-7")),
     ("á" * 70, (1, "UCS-2")), ("á" * 71, (2, "UCS-2")), ("€" * 80, (1, "GSM-7")),
     ("€" * 81, (2, "GSM-7"))],
)  # fmt: skip
def test_sms_segments_by_encoding(text, expected):
    assert sms_segments(text) == expected


def test_launch_and_pause_are_admin_actions(
    staff_client, campaign, debtor, ana_consents, django_capture_on_commit_callbacks
):
    changelist = reverse("admin:outreach_campaign_changelist")
    campaign.start_at = TUESDAY_10
    campaign.save()
    with time_machine.travel(TUESDAY_10, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            staff_client.post(changelist, {"action": "launch", "_selected_action": [campaign.pk]})
        staff_client.post(changelist, {"action": "pause", "_selected_action": [campaign.pk]})
        again = staff_client.post(
            changelist, {"action": "pause", "_selected_action": [campaign.pk]}, follow=True
        )
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    assert Message.objects.filter(campaign=campaign, status="sent").count() == 1
    assert "cannot become paused" in again.content.decode()


def test_progress_page_and_its_polled_fragment(staff_client, campaign):
    url = reverse("admin:outreach_campaign_progress", args=[campaign.pk])
    page = staff_client.get(url).content.decode()
    fragment = staff_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-funnel="targeted"' in page and "<html" in page
    assert 'data-funnel="targeted"' in fragment and "<html" not in fragment


def test_outsiders_do_not_see_the_progress_page(client, campaign):
    url = reverse("admin:outreach_campaign_progress", args=[campaign.pk])
    assert client.get(url).status_code == 302  # to the admin login


def test_the_funnel_is_for_staff_who_may_see_campaigns(client, campaign):
    url = reverse("admin:outreach_campaign_progress", args=[campaign.pk])
    clerk = StaffFactory(username="sin-campanas")
    client.force_login(clerk)
    assert client.get(url).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    assert 'data-funnel="targeted"' in client.get(url).content.decode()


def _campaign_post(portfolio, **fields) -> dict:
    data = {
        "name": "Diciembre",
        "portfolio": portfolio.pk,
        "agreement_filter": "any",
        "start_at_0": "2026-12-01",
        "start_at_1": "09:00:00",
        "per_minute": "0",
        "templates-TOTAL_FORMS": "0",
        "templates-INITIAL_FORMS": "0",
        "templates-MIN_NUM_FORMS": "0",
        "templates-MAX_NUM_FORMS": "1000",
    }
    return {**data, **fields}


def test_a_campaign_is_created_with_channel_checkboxes_and_a_balance_range_in_pesos(
    staff_client, portfolio
):
    add = reverse("admin:outreach_campaign_add")
    page = staff_client.get(add).content.decode()
    assert 'type="checkbox" name="channels" value="whatsapp"' in page
    assert "balance_min_minor" in page  # the column name, as the input's name only
    assert "Balance min minor" not in page
    assert "Saldo desde" in page  # staff read Spanish by default

    answer = staff_client.post(
        add,
        _campaign_post(
            portfolio,
            channels=["email", "sms"],
            balance_min_minor="100.000",
            balance_max_minor="$5.000.000,50",
        ),
    )

    assert answer.status_code == 302
    campaign = Campaign.objects.get(name="Diciembre")
    assert campaign.channels == ["sms", "email"]  # the checkboxes' order, not the click order
    assert (campaign.balance_min_minor, campaign.balance_max_minor) == (100_000_00, 5_000_000_50)
    listing = staff_client.get(reverse("admin:outreach_campaign_changelist")).content.decode()
    assert "$100.000 – $5.000.000,50" in listing
    edit = staff_client.get(reverse("admin:outreach_campaign_change", args=[campaign.pk]))
    assert 'value="100.000"' in edit.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"channels": [], "balance_min_minor": ""}, "Elige al menos un canal."),
        ({"channels": ["fax"]}, "fax"),
        ({"channels": ["sms"], "balance_min_minor": "cien mil"}, "solo con números"),
        (
            {"channels": ["sms"], "balance_min_minor": "500.000", "balance_max_minor": "100.000"},
            "no puede ser menor que el límite inferior",
        ),
    ],
)
def test_a_campaign_with_bad_channels_or_amounts_is_refused_with_a_reason(
    staff_client, portfolio, fields, message
):
    answer = staff_client.post(
        reverse("admin:outreach_campaign_add"), _campaign_post(portfolio, **fields)
    )
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Campaign.objects.filter(name="Diciembre").exists()
