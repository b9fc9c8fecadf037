"""What providers tell us: delivery statuses and the debtor's own replies (STOP / BAJA / PARAR)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.services import record

from . import rendering
from .models import ConsentSource, InboundMessage, Message, MessageKind, MessageStatus
from .services import consent_set

STOP_WORDS = frozenset(
    {"STOP", "BAJA", "PARAR", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ALTO"}
)
# Twilio's statuses, mapped onto ours; a status only ever moves forward.
_STATUS = {
    "accepted": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
}
# `uncertain`: a killed worker's hand-off; the provider's word settles it.
_BEFORE = {
    MessageStatus.SENT: [MessageStatus.SENDING, MessageStatus.UNCERTAIN],
    MessageStatus.DELIVERED: [MessageStatus.SENDING, MessageStatus.UNCERTAIN, MessageStatus.SENT],
    MessageStatus.FAILED: [MessageStatus.SENDING, MessageStatus.UNCERTAIN, MessageStatus.SENT],
}


@transaction.atomic
def provider_status_apply(
    *, provider_id: str, status: str, error_code: str = "", message_id: str = ""
) -> bool:
    """Move the message forward (sent → delivered or failed); stale or repeated callbacks
    change nothing. Returns whether it changed.

    `message_id` (from the signed callback URL) finds a message left `uncertain` by a
    worker killed during its hand-off, whose provider id was never written: the callback
    is the proof it reached the provider, and gives it its provider id."""
    ours = _STATUS.get(status)
    if ours is None or not provider_id:
        return False
    fields = {"status": ours}
    if ours == MessageStatus.DELIVERED:
        fields["delivered_at"] = timezone.now()
    if ours == MessageStatus.FAILED:
        fields["error"] = f"provider: {status} {error_code}".strip()
    message = Message.objects.filter(provider_id=provider_id).first()
    if message is None and message_id.isdigit():
        message = Message.objects.filter(
            pk=int(message_id), status=MessageStatus.UNCERTAIN, provider_id__isnull=True
        ).first()
        fields["provider_id"] = provider_id
    if message is None:
        return False
    changed = Message.objects.filter(pk=message.pk, status__in=_BEFORE[ours]).update(**fields)
    if changed:
        record(
            f"message.{ours}",
            subject=message,
            details={"provider_status": status, "error_code": error_code},
        )
    return bool(changed)


def _debtor_for(sender: str):
    """The debtor we last wrote to at this address (replies come from where we sent)."""
    message = (
        Message.objects.filter(to=sender).exclude(sent_at=None).select_related("debtor").first()
    )
    return message.debtor if message else None


def inbound_receive(*, provider_id: str, channel: str, sender: str, body: str) -> str:
    """Store the reply once; a stop word revokes that channel's consent. Returns the
    confirmation to answer with — only when consent actually changed, so it goes once."""
    debtor = _debtor_for(sender)
    words = body.strip().upper().split()
    is_stop = bool(words) and words[0].strip(".!") in STOP_WORDS
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                provider_id=provider_id,
                channel=channel,
                sender=sender,
                body=body[:1600],
                debtor=debtor,
                action="stop" if is_stop else "",
            )
            record(
                "inbound.received",
                subject=inbound,
                details={"channel": channel, "debtor_id": getattr(debtor, "pk", None)},
            )
    except IntegrityError:
        return ""  # the provider retried a reply we already have
    if not (is_stop and debtor):
        return ""
    with transaction.atomic():
        changed = consent_set(
            debtor=debtor,
            channel=channel,
            granted=False,
            source=ConsentSource.INBOUND,
            evidence={"provider_id": provider_id, "from": sender, "body": body[:160]},
        )
        if changed is None:
            return ""
        text = rendering.render_notice(
            notice="stop_confirmation", channel=channel, language=debtor.language, context={}
        ).text
        now = timezone.now()
        Message.objects.create(
            key=f"stop-confirmation:{provider_id}",
            debtor=debtor,
            channel=channel,
            kind=MessageKind.NOTICE,
            notice="stop_confirmation",
            to=sender,
            body=text,
            status=MessageStatus.SENT,
            decision={"action": "send", "reason": "reply_to_opt_out", "at": now.isoformat()},
            sent_at=now,
        )
    return text
