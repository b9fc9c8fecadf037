"""The Twilio backend through the real `twilio` client (its HTTP layer swapped for one that
records requests), and Twilio's callbacks signed with Twilio's own RequestValidator."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.urls import reverse
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from portal.audit.models import AuditEvent
from portal.outreach.channels import Outgoing, SendError
from portal.outreach.channels.twilio import TwilioBackend
from portal.outreach.models import Consent, InboundMessage, Message


class RecordingHttpClient(HttpClient):
    """What Twilio's API would have received; answers like the Messages API does."""

    def __init__(self, status: int = 201):
        super().__init__(logging.getLogger("twilio.http_client"), is_async=False)
        self.requests: list[dict] = []
        self.status = status

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, **kwargs):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        if self.status >= 400:
            body = {"code": 21211, "message": "The 'To' number is not a valid phone number."}
            return Response(self.status, json.dumps(body))
        sid = f"SM{len(self.requests):032d}"
        return Response(self.status, json.dumps({"sid": sid, "status": "queued"}))


def test_sms_goes_to_the_messages_api_with_a_status_callback():
    http = RecordingHttpClient()
    sid = TwilioBackend(http_client=http).send(
        Outgoing(message_id=7, channel="sms", to="+573001112233", text="Hola Ana")
    )
    (request,) = http.requests
    assert sid == "SM" + "1".zfill(32)
    assert request["method"] == "POST"
    assert request["uri"].endswith(f"/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json")
    assert request["data"]["To"] == "+573001112233"
    assert request["data"]["From"] == settings.TWILIO_SMS_FROM
    assert request["data"]["Body"] == "Hola Ana"
    assert request["data"]["StatusCallback"].endswith("/outreach/twilio/status/?m=7")


def test_whatsapp_uses_the_approved_template_with_its_variables():
    http = RecordingHttpClient()
    TwilioBackend(http_client=http).send(
        Outgoing(
            message_id=8,
            channel="whatsapp",
            to="+573001112233",
            text="Hola Ana",
            whatsapp_content_sid="HX" + "a" * 32,
            whatsapp_variables={"1": "Ana", "2": "$1.000", "3": "Banco", "4": "https://x/p/t"},
        )
    )
    data = http.requests[0]["data"]
    assert data["To"] == "whatsapp:+573001112233"
    assert data["From"] == f"whatsapp:{settings.TWILIO_WHATSAPP_FROM}"
    assert data["ContentSid"] == "HX" + "a" * 32
    assert json.loads(data["ContentVariables"])["1"] == "Ana"
    assert "Body" not in data


def test_a_refusal_from_twilio_is_a_send_error():
    backend = TwilioBackend(http_client=RecordingHttpClient(status=400))
    with pytest.raises(SendError, match="not a valid phone number"):
        backend.send(Outgoing(message_id=9, channel="sms", to="+1", text="x"))


def signed_post(client, name: str, params: dict, *, token: str | None = None):
    path = reverse(f"outreach:{name}")
    url = settings.PUBLIC_BASE_URL.rstrip("/") + path
    signature = RequestValidator(token or settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
    return client.post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


@pytest.fixture
def sent_sms(debtor, ana_consents):
    return Message.objects.create(
        key="t1",
        debtor=debtor,
        channel="sms",
        kind="campaign",
        to="+573001112233",
        status="sent",
        provider_id="SM" + "9" * 32,
        sent_at="2026-11-24T15:00:00Z",
    )


def test_status_callbacks_move_the_message_forward_only(client, sent_sms):
    sid = sent_sms.provider_id
    response = signed_post(
        client, "twilio_status", {"MessageSid": sid, "MessageStatus": "delivered"}
    )
    assert response.status_code == 204
    late = signed_post(client, "twilio_status", {"MessageSid": sid, "MessageStatus": "sent"})
    assert late.status_code == 204
    sent_sms.refresh_from_db()
    assert sent_sms.status == "delivered" and sent_sms.delivered_at is not None
    assert AuditEvent.objects.filter(action="message.delivered").count() == 1


def test_a_failed_delivery_keeps_the_providers_error_code(client, sent_sms):
    params = {
        "MessageSid": sent_sms.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    signed_post(client, "twilio_status", params)
    sent_sms.refresh_from_db()
    assert (sent_sms.status, sent_sms.error) == ("failed", "provider: undelivered 30003")


@pytest.mark.parametrize("token", ["wrong-token", None])
def test_callbacks_with_a_bad_or_missing_signature_are_refused(client, sent_sms, token):
    params = {"MessageSid": sent_sms.provider_id, "MessageStatus": "delivered"}
    if token is None:
        response = client.post(reverse("outreach:twilio_status"), params)
    else:
        response = signed_post(client, "twilio_status", params, token=token)
    assert response.status_code == 403
    sent_sms.refresh_from_db()
    assert sent_sms.status == "sent"


def test_a_tampered_body_breaks_the_signature(client, sent_sms):
    path = reverse("outreach:twilio_status")
    url = settings.PUBLIC_BASE_URL.rstrip("/") + path
    params = {"MessageSid": sent_sms.provider_id, "MessageStatus": "delivered"}
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
    params["MessageStatus"] = "failed"
    response = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403


def inbound(client, sid: str, body: str, sender: str = "+573001112233"):
    return signed_post(
        client, "twilio_inbound", {"MessageSid": sid, "From": sender, "Body": body, "To": "+1"}
    )


@pytest.mark.parametrize("word", ["STOP", "baja", "Parar", "BAJA."])
def test_a_stop_word_revokes_that_channel_and_is_confirmed_once(
    client, sent_sms, debtor, ana_consents, word
):
    first = inbound(client, "SMin1", word)
    assert first.status_code == 200
    assert "<Message>No recibirás más mensajes nuestros por este canal." in first.content.decode()
    consent = Consent.objects.get(debtor=debtor, channel="sms")
    assert (consent.granted, consent.source) == (False, "inbound")
    assert consent.evidence["provider_id"] == "SMin1"
    assert Consent.objects.get(debtor=debtor, channel="email").granted  # only that channel
    again = inbound(client, "SMin2", "STOP")
    retried = inbound(client, "SMin1", word)
    assert "<Message>" not in again.content.decode()
    assert "<Message>" not in retried.content.decode()
    assert Message.objects.filter(notice="stop_confirmation").count() == 1
    assert InboundMessage.objects.count() == 2


def test_the_confirmation_is_in_the_debtors_language(client, sent_sms, debtor, ana_consents):
    debtor.language = "en"
    debtor.save()
    reply = inbound(client, "SMin3", "STOP").content.decode()
    assert "You will not receive more messages from us on this channel" in reply


def test_other_replies_are_stored_and_change_nothing(client, sent_sms, debtor, ana_consents):
    reply = inbound(client, "SMin4", "Mañana pago")
    assert "<Message>" not in reply.content.decode()
    assert Consent.objects.get(debtor=debtor, channel="sms").granted
    assert InboundMessage.objects.get().debtor == debtor


def test_whatsapp_stop_revokes_whatsapp(client, debtor, ana_consents, sent_sms):
    Message.objects.create(
        key="t2",
        debtor=debtor,
        channel="whatsapp",
        kind="campaign",
        to="+573001112233",
        status="sent",
        sent_at="2026-11-24T15:00:00Z",
    )
    from portal.outreach.services import consent_set

    consent_set(debtor=debtor, channel="whatsapp", granted=True, source="import")
    inbound(client, "SMwa1", "PARAR", sender="whatsapp:+573001112233")
    assert not Consent.objects.get(debtor=debtor, channel="whatsapp").granted
    assert Consent.objects.get(debtor=debtor, channel="sms").granted


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("twilio_inbound", {"MessageSid": "SM" + "1" * 200, "From": "+573001112233", "Body": "x"}),
        ("twilio_inbound", {"MessageSid": "SM1", "From": "+57" + "3" * 200, "Body": "x"}),
        ("twilio_inbound", {"From": "+573001112233", "Body": "x"}),
        ("twilio_status", {"MessageSid": "SM" + "2" * 200, "MessageStatus": "delivered"}),
        ("twilio_status", {"MessageSid": "SM2", "MessageStatus": "d" * 200}),
    ],
    ids=["long sid", "long sender", "no sid", "long status sid", "long status"],
)
def test_a_signed_callback_with_fields_twilio_never_sends_is_a_400(client, db, name, params):
    response = signed_post(client, name, params)

    assert response.status_code == 400
    assert response.content.decode()
    assert not InboundMessage.objects.exists()
