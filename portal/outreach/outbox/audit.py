"""The audit entry of a notice: written when it is deferred or blocked, sent or failed."""

from __future__ import annotations

from portal.audit.services import record

from ..models import Message


def notice_audit(action: str, message: Message, decision: dict) -> None:
    """Notices get one event each, shaped as the apps that send them always wrote them."""
    record(
        action,
        subject=("debtors.debtor", message.debtor_id),
        details={
            "channel": message.channel,
            "notice": message.notice,
            "to": message.to,
            "subject": message.subject or message.context.get("subject", ""),
            "message_id": message.pk,
            "decision": decision,
        },
    )
