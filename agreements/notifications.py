"""Notices to debtors about their proposals and agreements, by email after commit,
through outreach's outbox and contact policy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from portal.audit.services import record
from portal.debtors.models import Debtor
from portal.outreach.outbox.now import notice_send_now

NOTICES = frozenset(
    {
        "proposal_received",
        "proposal_approved",
        "proposal_countered",
        "proposal_rejected",
        "agreement_created",
    }
)
# Answers to what the debtor just did on the portal go out at once (sent from their own
# request); staff decisions go at once only while the debtor has a live portal session
# (the policy reads it), otherwise at their contact window.
ON_PORTAL = frozenset({"proposal_received", "agreement_created"})


def notify_debtor(*, debtor: Debtor, notice: str, context: dict[str, Any]) -> None:
    """Render `notice` in the debtor's language now, send it once the transaction commits.

    Rendering happens inside the caller's transaction so the text matches the data it
    describes; the send waits for commit so a rolled-back decision never reaches anyone.
    """
    if notice not in NOTICES:
        raise ValueError(f"unknown notice {notice!r}")
    to = debtor.emails[0] if debtor.emails else ""
    if not to:
        record(
            "message.skipped",
            subject=debtor,
            details={"channel": "email", "notice": notice, "reason": "no_email"},
        )
        return
    full_context = {"debtor": debtor, **context}
    with translation.override(debtor.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"agreements/email/{notice}_subject.txt", full_context)
        body = render_to_string(f"agreements/email/{notice}_body.txt", full_context)
    subject = " ".join(subject.split())
    about = ",".join(f"{k}={v.pk}" for k, v in sorted(context.items()) if hasattr(v, "pk"))
    key = f"notice:{notice}:{debtor.pk}:{about}"

    def send() -> None:
        notice_send_now(
            debtor=debtor,
            key=key,
            notice=notice,
            subject=subject,
            text=body,
            on_portal=notice in ON_PORTAL,
        )

    transaction.on_commit(send, robust=True)
