"""SMS and WhatsApp through Twilio's Messages API, with a status callback per message.

WhatsApp messages outside a 24-hour session must use an approved template: when the
campaign names one (`content_sid`), it is sent with its variables instead of free text.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from . import Backend, Outgoing, SendError


def status_callback_url(message_id: int) -> str:
    """Names our message too (Twilio signs the whole URL): a hand-off whose answer a killed
    worker never wrote down is still matched when its status arrives."""
    base = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("outreach:twilio_status")
    return f"{base}?m={message_id}"


class TwilioBackend(Backend):
    def __init__(self, http_client=None):
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
        )

    def _sender(self, channel: str) -> dict[str, str]:
        if settings.TWILIO_MESSAGING_SERVICE_SID and channel == "sms":
            return {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
        if channel == "whatsapp":
            return {"from_": f"whatsapp:{settings.TWILIO_WHATSAPP_FROM}"}
        return {"from_": settings.TWILIO_SMS_FROM}

    def send(self, outgoing: Outgoing) -> str:
        to = outgoing.to
        params: dict = {
            **self._sender(outgoing.channel),
            "status_callback": status_callback_url(outgoing.message_id),
        }
        if outgoing.channel == "whatsapp":
            to = f"whatsapp:{to}"
            if outgoing.whatsapp_content_sid:
                params["content_sid"] = outgoing.whatsapp_content_sid
                params["content_variables"] = json.dumps(outgoing.whatsapp_variables)
            else:
                params["body"] = outgoing.text
        else:
            params["body"] = outgoing.text
        try:
            sent = self.client.messages.create(to=to, **params)
        except TwilioException as exc:
            raise SendError(str(exc)[:250]) from exc
        return sent.sid
