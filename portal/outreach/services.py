from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from portal.audit.services import record
from portal.debtors.models import Debt, Debtor

from .models import Channel, Consent, ConsentSource, Message, MessageKind, MessageStatus


@transaction.atomic
def consent_set(
    *,
    debtor: Debtor,
    channel: str,
    granted: bool,
    source: str,
    evidence: dict[str, Any] | None = None,
    actor=None,
) -> Consent | None:
    """Grant or revoke one channel. Returns None (and audits nothing) when unchanged."""
    current = Consent.objects.select_for_update().filter(debtor=debtor, channel=channel).first()
    if current is not None and current.granted == granted:
        return None
    consent, _ = Consent.objects.update_or_create(
        debtor=debtor,
        channel=channel,
        defaults={
            "granted": granted,
            "source": source,
            "evidence": evidence or {},
            "changed_at": timezone.now(),
        },
    )
    record(
        "consent.granted" if granted else "consent.revoked",
        actor=actor,
        subject=debtor,
        details={
            "channel": channel,
            "source": source,
            "evidence": evidence or {},
            "previous": None if current is None else current.granted,
        },
    )
    return consent


def email_unsubscribe(
    *, debtor_id: int, message_id: int, one_click: bool, ip: str | None, user_agent: str
) -> Consent | None:
    """The link in an email: revoke email consent (once), keeping which message it came from."""
    debtor = Debtor.objects.get(pk=debtor_id)
    return consent_set(
        debtor=debtor,
        channel="email",
        granted=False,
        source=ConsentSource.UNSUBSCRIBE,
        evidence={
            "message_id": message_id,
            "one_click": one_click,
            "ip": ip,
            "user_agent": user_agent[:200],
            "at": timezone.now().isoformat(),
        },
    )


def call_attempt_record(
    *,
    debtor: Debtor,
    debt: Debt | None,
    to: str,
    at,
    key: str,
    decision: dict[str, Any],
) -> Message:
    """An outbound call an agent made, kept as a sent "call" message so the contact policy
    counts it like every other attempt (daily and weekly caps, 7 calls per debt in 7 days).
    The caller audits the call; `key` makes recording it twice a no-op."""
    message, _created = Message.objects.get_or_create(
        key=key,
        defaults={
            "debtor": debtor,
            "debt": debt,
            "channel": Channel.CALL,
            "kind": MessageKind.CALL,
            "to": to,
            "status": MessageStatus.SENT,
            "decision": decision,
            "not_before": at,
            "created_at": at,
            "sent_at": at,
        },
    )
    return message
