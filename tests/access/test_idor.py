"""Every debtor URL, tried by another debtor with the first one's ids."""

import pytest

from portal.debtors.models import Debt
from tests.helpers.access import sign_in

pytestmark = pytest.mark.django_db


def test_other_debtor_sees_only_their_own_data(client, debtor, other_debtor):
    sign_in(client, other_debtor)
    mine = Debt.objects.get(debtor=debtor)
    dashboard = client.get("/mi-cuenta/").content.decode()
    assert "TC-200" in dashboard and "TC-100" not in dashboard
    history = client.get("/mi-cuenta/historial/").content.decode()
    assert "TC-100" not in history
    assert client.get(f"/mi-cuenta/historial/?debt={mine.pk}").status_code == 404
    assert (
        client.get(f"/mi-cuenta/historial/?debt={mine.pk}", HTTP_HX_REQUEST="true").status_code
        == 404
    )
    for url in ("/mi-cuenta/comunicaciones/", "/mi-cuenta/preferencias/"):
        body = client.get(url).content.decode()
        assert "Ana María" not in body and "TC-100" not in body


def test_preferences_post_changes_only_the_signed_in_debtor(client, debtor, other_debtor):
    sign_in(client, other_debtor)
    client.post(
        "/mi-cuenta/preferencias/",
        {
            "preferred_channel": "email",
            "contact_from": "09:00:00",
            "contact_to": "12:00:00",
            "email": "on",
            "debtor": debtor.pk,
            "debtor_id": debtor.pk,
        },
    )
    debtor.refresh_from_db()
    other_debtor.refresh_from_db()
    assert debtor.preferred_channel == "sms"
    assert other_debtor.preferred_channel == "email"


def test_a_staff_session_is_not_a_debtor_session(admin_client, debtor):
    assert admin_client.get("/mi-cuenta/").status_code == 302
