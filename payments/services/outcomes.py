"""An attempt's outcome decided by Stripe, shared by the webhook, reconciliation and
autopay: failed (with a notice to the debtor) or cancelled. Called inside the caller's
transaction; the attempt row is locked here."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from portal.audit.services import record
from portal.outreach.notices import notice_send

from ..models import AttemptStatus, PaymentAttempt

# Statuses a failure may overwrite: never a success or a cancellation.
FAILABLE = (
    AttemptStatus.NEW,
    AttemptStatus.OPEN,
    AttemptStatus.PROCESSING,
    AttemptStatus.FAILED,
)


def locked_attempt_for_intent(intent_id: str) -> PaymentAttempt | None:
    # of=self: lock the attempt only (PostgreSQL refuses to lock the outer joins).
    return (
        PaymentAttempt.objects.select_for_update(of=("self",))
        .select_related("debtor", "debt__portfolio", "agreement__portfolio")
        .filter(stripe_payment_intent_id=intent_id)
        .first()
    )


def attempt_mark_failed(
    *,
    attempt: PaymentAttempt,
    intent: dict[str, Any],
    source: str,
    allowed: tuple[str, ...] = FAILABLE,
    notify: bool = True,
) -> bool:
    """Mark a locked attempt failed with Stripe's message, audit it and (after commit) tell
    the debtor; False when its status is not one of `allowed` (nothing changes)."""
    if attempt.status not in allowed:
        return False
    error = intent.get("last_payment_error") or {}
    message = (error.get("message") or "")[:500]
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        status=AttemptStatus.FAILED, failure_message=message, updated_at=timezone.now()
    )
    attempt.status, attempt.failure_message = AttemptStatus.FAILED, message
    record(
        "payment.failed",
        subject=attempt,
        details={
            "payment_intent": intent["id"],
            "code": error.get("code") or "",
            "message": message,
            "amount_minor": attempt.amount_minor,
            "currency": attempt.currency,
            "source": source,
        },
    )
    if notify:
        attempt_failure_notify(attempt=attempt, reason=message)
    return True


def attempt_failure_notify(
    *,
    attempt: PaymentAttempt,
    reason: str,
    notice: str = "payment_failed",
    context: dict[str, Any] | None = None,
) -> None:
    """Tell the debtor, after commit, the card was not charged, with a fresh personal link
    into the attempt's portfolio to try again (`autopay_failed` for a saved card charged by
    autopay, with the retries left). The link is minted in the caller's transaction, so a
    rolled-back failure leaves none."""
    portfolio = None
    if attempt.agreement_id:
        portfolio = attempt.agreement.portfolio
    elif attempt.debt_id:
        portfolio = attempt.debt.portfolio
    notice_send(
        debtor=attempt.debtor,
        notice=notice,
        context={"attempt": attempt, "reason": reason, **(context or {})},
        link=portfolio or True,
    )


def attempt_mark_canceled(*, attempt: PaymentAttempt, intent_id: str, source: str) -> bool:
    """The intent was cancelled on Stripe's side: the attempt can never be paid."""
    changed = PaymentAttempt.objects.filter(
        pk=attempt.pk,
        status__in=(AttemptStatus.NEW, AttemptStatus.OPEN, AttemptStatus.PROCESSING),
    ).update(status=AttemptStatus.CANCELED, updated_at=timezone.now())
    if changed:
        record(
            "payment.canceled",
            subject=attempt,
            details={"payment_intent": intent_id, "source": source},
        )
    return bool(changed)
