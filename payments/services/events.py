"""Stripe webhook events: stored once, then processed once, in any order.

`stripe_event_receive` runs in the webhook request: it stores the verified event under its
unique Stripe id (a second delivery hits the unique index and is dropped) and queues the
processing after commit. `stripe_event_process` runs in a Celery task: it locks the event
row, hands the object to the handler for its type, and records the outcome.

Order never matters: a refund or dispute that arrives before its payment is posted waits
as DEFERRED and is processed right after the payment posts; a failure that arrives after
the success changes nothing; amounts refunded are cumulative on Stripe's side, so only the
difference to what we already reversed is posted.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from agreements.models import AgreementStatus, InstallmentStatus
from portal.audit.services import record

from ..models import (
    AttemptStatus,
    EventStatus,
    Payment,
    PaymentAttempt,
    PaymentStatus,
    StripeEvent,
)
from ..notifications import notify_payment_failed
from .posting import PostingError, payment_post_intent

log = logging.getLogger(__name__)


def _intent_id(event_type: str, obj: dict[str, Any]) -> str:
    if event_type.startswith("payment_intent."):
        return obj.get("id", "")
    intent = obj.get("payment_intent") or ""
    return intent.get("id", "") if isinstance(intent, dict) else intent


def stripe_event_receive(*, event: dict[str, Any]) -> StripeEvent | None:
    """Store a verified event once and queue its processing; None for a duplicate."""
    from ..tasks import process_stripe_event

    handled = event["type"] in HANDLERS
    obj = event.get("data", {}).get("object", {})
    created = event.get("created")
    try:
        with transaction.atomic():
            row = StripeEvent.objects.create(
                stripe_id=event["id"],
                type=event["type"],
                payment_intent_id=_intent_id(event["type"], obj)[:255],
                livemode=bool(event.get("livemode")),
                payload=event,
                status=EventStatus.RECEIVED if handled else EventStatus.IGNORED,
                stripe_created_at=dt.datetime.fromtimestamp(created, tz=dt.UTC)
                if isinstance(created, int)
                else None,
            )
            if handled:
                transaction.on_commit(partial(process_stripe_event.delay, row.pk), robust=True)
    except IntegrityError:
        return None
    return row


def stripe_event_process(*, event_pk: int) -> str:
    """Process one stored event at most once; returns its final status."""
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().get(pk=event_pk)
            if event.status not in (EventStatus.RECEIVED, EventStatus.DEFERRED):
                return event.status
            outcome = HANDLERS[event.type](event.payload["data"]["object"])
            StripeEvent.objects.filter(pk=event.pk).update(
                status=outcome, processed_at=timezone.now(), error=""
            )
            return outcome
    except PostingError as error:
        with transaction.atomic():
            StripeEvent.objects.filter(pk=event_pk).update(
                status=EventStatus.FAILED, error=str(error)[:2000], processed_at=timezone.now()
            )
            record(
                "payment.event_failed",
                subject=("payments.stripeevent", event_pk),
                details={"error": str(error)},
            )
        log.error("stripe event %s not posted: %s", event_pk, error)
        return EventStatus.FAILED


def deferred_events_for(intent_id: str) -> list[int]:
    return list(
        StripeEvent.objects.filter(payment_intent_id=intent_id, status=EventStatus.DEFERRED)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)
    )


# -- handlers: run inside the event's transaction; return the event's new status ---------


def _on_succeeded(intent: dict[str, Any]) -> str:
    payment_post_intent(intent=intent)
    return EventStatus.PROCESSED


def _on_failed(intent: dict[str, Any]) -> str:
    attempt = (
        # of=self: lock the attempt only (PostgreSQL refuses to lock the outer joins).
        PaymentAttempt.objects.select_for_update(of=("self",))
        .select_related("debtor", "debt__portfolio", "agreement__portfolio")
        .filter(stripe_payment_intent_id=intent["id"])
        .first()
    )
    if attempt is None:
        return EventStatus.IGNORED
    if attempt.status in (AttemptStatus.SUCCEEDED, AttemptStatus.CANCELED):
        return EventStatus.PROCESSED  # late: the intent already succeeded; change nothing
    error = intent.get("last_payment_error") or {}
    message = (error.get("message") or "")[:500]
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        status=AttemptStatus.FAILED, failure_message=message, updated_at=timezone.now()
    )
    record(
        "payment.failed",
        subject=attempt,
        details={
            "payment_intent": intent["id"],
            "code": error.get("code") or "",
            "message": message,
            "amount_minor": attempt.amount_minor,
            "currency": attempt.currency,
        },
    )
    notify_payment_failed(attempt=attempt, message=message)
    return EventStatus.PROCESSED


def _payment_for(intent_id: str) -> Payment | None:
    if not intent_id:
        return None
    return Payment.objects.select_for_update().filter(stripe_payment_intent_id=intent_id).first()


def _on_refunded(charge: dict[str, Any]) -> str:
    payment = _payment_for(_intent_id("charge.refunded", charge))
    if payment is None:
        return EventStatus.DEFERRED
    refunded_total = min(int(charge.get("amount_refunded") or 0), payment.amount_minor)
    delta = refunded_total - payment.refunded_minor
    if delta <= 0:
        return EventStatus.PROCESSED  # an older event, or one we already reversed
    reversed_parts = _reverse_allocations(payment, delta)
    payment.refunded_minor = refunded_total
    payment.status = (
        PaymentStatus.REFUNDED
        if refunded_total >= payment.amount_minor
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["refunded_minor", "status"])
    record(
        "payment.refunded",
        subject=payment,
        details={
            "charge": charge.get("id", ""),
            "refunded_minor": delta,
            "refunded_total_minor": refunded_total,
            "currency": payment.currency,
            "reversed": reversed_parts,
            # A completed agreement is not reopened here: staff review it (refunds UI).
            "agreement_completed": bool(
                payment.agreement and payment.agreement.status == AgreementStatus.COMPLETED
            ),
        },
    )
    return EventStatus.PROCESSED


def _reverse_allocations(payment: Payment, amount: int) -> list[list[int]]:
    """Refund entries against the newest allocations first, taking back what they paid on
    their installments (an installment of an active agreement becomes open again)."""
    from portal.debtors.models import LedgerKind
    from portal.debtors.services import ledger_post, portfolio_today

    already = payment.refunded_minor
    parts: list[list[int]] = []
    left = amount
    for allocation in payment.allocations.select_related(
        "debt__portfolio", "installment__agreement"
    ).order_by("-id"):
        # Earlier refunds consumed the newest allocations first: skip what they took.
        available = allocation.amount_minor - min(already, allocation.amount_minor)
        already = max(already - allocation.amount_minor, 0)
        take = min(left, available)
        if take <= 0:
            continue
        debt = allocation.debt
        ledger_post(
            debt=debt,
            kind=LedgerKind.REFUND,
            amount_minor=take,
            effective_date=portfolio_today(debt.portfolio),
            description=f"{payment.number} refund",
        )
        installment = allocation.installment
        if installment and installment.agreement.status == AgreementStatus.ACTIVE:
            installment.paid_minor = max(installment.paid_minor - take, 0)
            if installment.paid_minor < installment.amount_minor:
                today = portfolio_today(debt.portfolio)
                installment.status = (
                    InstallmentStatus.LATE
                    if installment.due_date < today
                    else InstallmentStatus.PENDING
                )
                installment.paid_at = None
            installment.save(update_fields=["paid_minor", "status", "paid_at"])
        parts.append([debt.pk, allocation.installment_id or 0, take])
        left -= take
        if not left:
            break
    return parts


def _on_dispute(dispute: dict[str, Any]) -> str:
    payment = _payment_for(_intent_id("charge.dispute.created", dispute))
    if payment is None:
        return EventStatus.DEFERRED
    if payment.disputed_at is None:
        payment.disputed_at = timezone.now()
        payment.save(update_fields=["disputed_at"])
        record(
            "payment.disputed",
            subject=payment,
            details={
                "dispute": dispute.get("id", ""),
                "reason": dispute.get("reason", ""),
                "amount_minor": dispute.get("amount"),
                "debt_ids": sorted({a.debt_id for a in payment.allocations.all()}),
            },
        )
    return EventStatus.PROCESSED


HANDLERS = {
    "payment_intent.succeeded": _on_succeeded,
    "payment_intent.payment_failed": _on_failed,
    "charge.refunded": _on_refunded,
    "charge.dispute.created": _on_dispute,
}
