"""Queueing a message: one row per key, dispatched by a task after the caller commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from portal.debtors.models import Debt, Debtor

from ..models import Message, MessageKind
from ..selectors import address_for
from ..tasks import dispatch_messages


def message_queue(
    *,
    debtor: Debtor,
    channel: str,
    key: str,
    kind: str = MessageKind.NOTICE,
    notice: str = "",
    context: dict[str, Any] | None = None,
    debt: Debt | None = None,
    on_portal: bool = False,
) -> Message:
    """Create the message once per `key` and dispatch it after commit.

    `context` must be JSON: it is stored and rendered at send time in the debtor's language.
    `on_portal` says the debtor is on the portal now (a receipt may go out of hours).
    """
    message, created = Message.objects.get_or_create(
        key=key,
        defaults={
            "debtor": debtor,
            "channel": channel,
            "kind": kind,
            "notice": notice,
            "context": context or {},
            "debt": debt,
            "to": address_for(debtor, channel),
        },
    )
    if created:
        ids = [message.pk]
        transaction.on_commit(lambda: dispatch_messages.delay(ids, on_portal), robust=True)
    return message
