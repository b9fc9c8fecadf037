"""Email through Django's email API: text and HTML, with RFC 8058 one-click unsubscribe."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from ..attachments import files_read
from . import Backend, Outgoing, SendError


class EmailBackend(Backend):
    def send(self, outgoing: Outgoing) -> str:
        message = EmailMultiAlternatives(
            outgoing.subject,
            outgoing.text,
            settings.DEFAULT_FROM_EMAIL,
            [outgoing.to],
            headers=outgoing.headers,
        )
        for attachment in files_read(outgoing.stored_attachments):
            message.attach(*attachment)
        if outgoing.html:
            message.attach_alternative(outgoing.html, "text/html")
        try:
            message.send()
        except Exception as exc:  # SMTP errors come in many classes; all mean "not sent"
            raise SendError(str(exc)[:250]) from exc
        return f"email-{outgoing.message_id}"
