"""Sending a notice now: one another app already rendered, through the same policy and
outbox row as every message (callers are after their commit)."""

from __future__ import annotations

from portal.debtors.models import Debtor

from ..attachments import StoredFile
from ..models import Message, MessageKind, MessageStatus
from ..selectors import address_for
from .dispatch import messages_dispatch


def notice_send_now(
    *,
    debtor: Debtor,
    key: str,
    notice: str,
    subject: str,
    text: str,
    channel: str = "email",
    on_portal: bool = False,
    attachments: list[StoredFile] | None = None,
    html: str = "",
) -> Message:
    """A notice another app rendered, sent now through the policy (callers are after
    commit). Blocked or deferred, it says so on the returned message.

    `on_portal=True` only from the debtor's own request; otherwise the policy reads whether
    they have a live portal session. Attachments are references to stored files, kept on
    the message, so a notice deferred to the next window still carries them.
    """
    context = {"subject": subject, "text": text}
    if html:
        context["html"] = html
    if attachments:
        context["attachments"] = [f.as_json() for f in attachments]
    message, _created = Message.objects.get_or_create(
        key=key,
        defaults={
            "debtor": debtor,
            "channel": channel,
            "kind": MessageKind.NOTICE,
            "notice": notice,
            "context": context,
            "to": address_for(debtor, channel),
        },
    )
    if not _created and message.status == MessageStatus.FAILED:
        # The caller retries (a task's retry after a provider error): send it again, with
        # the text and files the failed hand-off cleared from the row.
        Message.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
            status=MessageStatus.QUEUED, error="", context=context
        )
    messages_dispatch([message.pk], on_portal=on_portal)
    message.refresh_from_db()
    return message
