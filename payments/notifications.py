"""Payment notices to debtors by email, in their language, the way agreements/ sends them:
rendered with the data they describe, sent only after the transaction commits (or from a
task that runs after it), and audited as `message.sent` / `message.skipped`."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from portal.audit.services import record
from portal.debtors.models import Debtor
from portal.outreach.attachments import StoredFile
from portal.outreach.outbox.now import notice_send_now

from .models import PaymentAttempt


class NoticeFailed(RuntimeError):
    """The provider refused a notice; a task that raises it may retry (the outbox resends)."""


def render_notice(*, debtor: Debtor, notice: str, context: dict[str, Any]) -> tuple[str, str]:
    """Subject and text body of `payments/email/<notice>_*.txt` in the debtor's language."""
    full_context = {"debtor": debtor, "PORTAL_NAME": settings.PORTAL_NAME, **context}
    with translation.override(debtor.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"payments/email/{notice}_subject.txt", full_context)
        body = render_to_string(f"payments/email/{notice}_body.txt", full_context)
    return " ".join(subject.split()), body


def send_notice(
    *,
    debtor: Debtor,
    notice: str,
    subject: str,
    body: str,
    attachments: list[StoredFile] | None = None,
    on_portal: bool = False,
) -> str:
    """Send now (callers are after commit) and audit it. Returns the message's status —
    "sent", "deferred" (to the debtor's next contact window, then sent by the beat with its
    attachments), "blocked" — or "no email"; raises when the provider failed, so a task's
    retry sends it again.

    Notices are outside the caps but keep the window unless the debtor is on the portal:
    the policy reads their live session, so a receipt for a payment posted by a night
    webhook, the reconciliation or autopay waits for the morning. `on_portal=True` only
    from the debtor's own request.
    """
    to = debtor.emails[0] if debtor.emails else ""
    if not to:
        record(
            "message.skipped",
            subject=debtor,
            details={"channel": "email", "notice": notice, "reason": "no_email"},
        )
        return "no email"
    # Through outreach: an outbox row, the contact policy and its audit.
    digest = hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()[:32]
    message = notice_send_now(
        debtor=debtor,
        key=f"notice:{notice}:{debtor.pk}:{digest}",
        notice=notice,
        subject=subject,
        text=body,
        on_portal=on_portal,
        attachments=attachments,
    )
    if message.status == "failed":
        raise NoticeFailed(f"{notice} to debtor {debtor.pk} failed: {message.error}")
    return message.status


def notify_payment_failed(
    *,
    attempt: PaymentAttempt,
    message: str,
    notice: str = "payment_failed",
    context: dict[str, Any] | None = None,
) -> None:
    """Tell the debtor the card was not charged, with a fresh personal link to try again
    (`autopay_failed` for a saved card charged by autopay, with the retries left).

    The link is minted in the caller's transaction, so a rolled-back failure leaves none.
    """
    from portal.access.services import payment_link_create

    debtor = attempt.debtor
    portfolio = None
    if attempt.agreement_id:
        portfolio = attempt.agreement.portfolio
    elif attempt.debt_id:
        portfolio = attempt.debt.portfolio
    _link, token = payment_link_create(debtor=debtor, portfolio=portfolio)
    retry_url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("access:open_link", args=[token])
    subject, body = render_notice(
        debtor=debtor,
        notice=notice,
        context={
            "attempt": attempt,
            "reason": message,
            "retry_url": retry_url,
            **(context or {}),
        },
    )
    transaction.on_commit(
        lambda: send_notice(debtor=debtor, notice=notice, subject=subject, body=body),
        robust=True,
    )
