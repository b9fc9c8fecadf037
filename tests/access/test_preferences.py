import pytest
from django.test import Client

from portal.audit.models import AuditEvent
from portal.outreach.models import Consent
from tests.helpers.access import sign_in

pytestmark = pytest.mark.django_db

VALID = {
    "preferred_channel": "whatsapp",
    "contact_from": "09:00:00",
    "contact_to": "13:00:00",
    "whatsapp": "on",
    "email": "on",
}


def test_changing_preferences_saves_and_audits_each_change(debtor_client, debtor):
    response = debtor_client.post("/mi-cuenta/preferencias/", VALID)
    assert response.status_code == 302
    debtor.refresh_from_db()
    assert debtor.preferred_channel == "whatsapp"
    assert str(debtor.contact_from) == "09:00:00"
    consents = dict(Consent.objects.filter(debtor=debtor).values_list("channel", "granted"))
    assert consents == {"whatsapp": True, "email": True, "sms": False, "call": False}
    assert AuditEvent.objects.filter(action="debtor.preferences_changed").count() == 1
    granted = AuditEvent.objects.filter(action="consent.granted").order_by("id")
    assert [e.details["channel"] for e in granted] == ["whatsapp", "email"]
    evidence = granted.first().details["evidence"]
    assert evidence["text_version"] and evidence["ip"] and "at" in evidence


def test_saving_the_same_preferences_twice_audits_nothing_new(debtor_client):
    debtor_client.post("/mi-cuenta/preferencias/", VALID)
    count = AuditEvent.objects.count()
    debtor_client.post("/mi-cuenta/preferencias/", VALID)
    assert AuditEvent.objects.count() == count


def test_opting_out_of_a_channel_revokes_its_consent(debtor_client, debtor):
    debtor_client.post("/mi-cuenta/preferencias/", VALID)
    debtor_client.post("/mi-cuenta/preferencias/", {**VALID, "email": ""})
    assert Consent.objects.get(debtor=debtor, channel="email").granted is False
    assert (
        AuditEvent.objects.filter(action="consent.revoked", details__channel="email").count() == 1
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"contact_from": "15:00:00", "contact_to": "09:00:00"},
        {"contact_from": "03:00:00"},
        {"preferred_channel": "sms"},  # not an accepted channel
        {"preferred_channel": "pigeon"},
    ],
)
def test_bad_preferences_are_refused_with_a_message_and_nothing_saved(debtor_client, debtor, bad):
    response = debtor_client.post("/mi-cuenta/preferencias/", {**VALID, **bad})
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    debtor.refresh_from_db()
    assert debtor.preferred_channel == "sms"
    assert not Consent.objects.exists()


def test_htmx_post_needs_the_csrf_header(debtor, settings):
    client = Client(enforce_csrf_checks=True)
    sign_in_csrf = Client(enforce_csrf_checks=False)
    sign_in(sign_in_csrf, debtor)
    client.cookies = sign_in_csrf.cookies
    page = client.get("/mi-cuenta/preferencias/")
    token = page.context["csrf_token"]
    assert f'"X-CSRFToken": "{token}"' in page.content.decode()
    refused = client.post("/mi-cuenta/preferencias/", VALID, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    accepted = client.post(
        "/mi-cuenta/preferencias/", VALID, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=str(token)
    )
    assert accepted.status_code == 302


def test_a_boosted_post_with_bad_hours_answers_400_with_the_form_and_its_error_once(
    debtor_client, debtor
):
    # base.html's htmx-config swaps 400 answers, so this page is what the debtor sees.
    bad = {**VALID, "contact_from": "15:00:00", "contact_to": "09:00:00"}
    response = debtor_client.post(
        "/mi-cuenta/preferencias/", bad, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true"
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count("Elige una hora final posterior a la hora de inicio.") == 1
    assert 'role="alert"' in body and "<form" in body


def test_the_page_tells_htmx_to_swap_form_errors_and_loads_the_error_script(debtor_client):
    body = debtor_client.get("/mi-cuenta/preferencias/").content.decode()
    assert '{"code": "400", "swap": true, "error": false}' in body
    assert '{"code": "422", "swap": true, "error": false}' in body
    assert 'src="/static/js/htmx-errors.js"' in body
    assert "data-error-network=" in body
