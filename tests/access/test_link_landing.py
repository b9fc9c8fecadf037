"""A link may name the portal page it opens after the sign-in (`?next=`, a receipt in an
email); only a path on this site is followed, and a debtor already signed in as the link's
owner goes straight there."""

from __future__ import annotations

import pytest

from portal.access.services import payment_link_create
from portal.access.tokens import payment_link_url
from portal.audit.models import AuditEvent
from tests.helpers.access import VERIFY_URL, link_url, sign_in

pytestmark = pytest.mark.django_db

RECEIPT = "/mi-cuenta/recibos/7/pdf/"


def test_a_link_with_a_landing_opens_it_after_the_identity_check(client, link_and_token):
    _, token = link_and_token

    assert client.get(link_url(token), {"next": RECEIPT}).url == VERIFY_URL
    response = client.post(VERIFY_URL, {"answer": "4050"})

    assert response.status_code == 302 and response.url == RECEIPT


@pytest.mark.parametrize("landing", ["https://evil.example/", "//evil.example/x", "mi-cuenta/"])
def test_a_landing_off_the_site_is_dropped_for_the_dashboard(client, link_and_token, landing):
    _, token = link_and_token

    client.get(link_url(token), {"next": landing})
    response = client.post(VERIFY_URL, {"answer": "4050"})

    assert response.url == "/mi-cuenta/"


def test_the_debtor_already_signed_in_goes_straight_to_the_landing(client, debtor):
    sign_in(client, debtor)
    link, token = payment_link_create(debtor=debtor)

    response = client.get(link_url(token), {"next": RECEIPT})

    assert response.url == RECEIPT
    assert AuditEvent.objects.filter(action="identity_check.passed").count() == 1  # sign_in's
    assert link.opens.count() == 1


def test_someone_else_signed_in_still_answers_the_check(client, link_and_token, other_debtor):
    sign_in(client, other_debtor)
    _, token = link_and_token

    assert client.get(link_url(token), {"next": RECEIPT}).url == VERIFY_URL


def test_the_public_address_carries_the_landing_encoded(settings):
    settings.PUBLIC_BASE_URL = "https://pagos.example.co"

    url = payment_link_url("TOKEN", landing=RECEIPT)

    assert url == "https://pagos.example.co/p/TOKEN?next=%2Fmi-cuenta%2Frecibos%2F7%2Fpdf%2F"
