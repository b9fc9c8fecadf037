"""What each Stripe event type does; each runs inside its event's transaction and returns
the event's new status."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from portal.audit.services import record

from ..models import AttemptStatus, EventStatus, Payment, RefundStatus
from .disputes import payment_dispute_close, payment_dispute_open
from .outcomes import attempt_mark_failed, locked_attempt_for_intent
from .posting import payment_post_intent
from .refunds import (
    payment_apply_refunded_total,
    refund_for_stripe_refund,
    refund_mark_failed,
    refund_write_back,
)


def intent_id_of(event_type: str, obj: dict[str, Any]) -> str:
    """The PaymentIntent an event's object is about ("" when it names none)."""
    if event_type.startswith("payment_intent."):
        return obj.get("id", "")
    intent = obj.get("payment_intent") or ""
    return intent.get("id", "") if isinstance(intent, dict) else intent


def _on_succeeded(intent: dict[str, Any]) -> str:
    payment_post_intent(intent=intent)
    return EventStatus.PROCESSED


def _on_failed(intent: dict[str, Any]) -> str:
    attempt = locked_attempt_for_intent(intent["id"])
    if attempt is None:
        return EventStatus.IGNORED
    if attempt.autopay_id and attempt.status == AttemptStatus.FAILED:
        return EventStatus.PROCESSED  # autopay already told the debtor when Stripe declined
    # A late failure after a success or a cancellation changes nothing.
    attempt_mark_failed(attempt=attempt, intent=intent, source="webhook")
    return EventStatus.PROCESSED


def _payment_for(intent_id: str) -> Payment | None:
    if not intent_id:
        return None
    return Payment.objects.select_for_update().filter(stripe_payment_intent_id=intent_id).first()


def _on_refunded(charge: dict[str, Any]) -> str:
    payment = _payment_for(intent_id_of("charge.refunded", charge))
    if payment is None:
        return EventStatus.DEFERRED
    # Cumulative on Stripe's side: an older or repeated event reverses nothing.
    payment_apply_refunded_total(
        payment=payment,
        refunded_total=int(charge.get("amount_refunded") or 0),
        source="webhook",
        reference=charge.get("id", ""),
    )
    return EventStatus.PROCESSED


def _on_refund(stripe_refund: dict[str, Any]) -> str:
    """A refund object changed. Ours (found by id or metadata) is settled here if its task
    has not done it yet; money from refunds made elsewhere comes with `charge.refunded`."""
    intent_id = intent_id_of("refund.updated", stripe_refund)
    payment = _payment_for(intent_id)
    if payment is None:
        return EventStatus.DEFERRED if intent_id else EventStatus.IGNORED
    refund = refund_for_stripe_refund(stripe_refund)
    if refund is None or refund.payment_id != payment.pk:
        return EventStatus.IGNORED
    status = stripe_refund.get("status")
    if status in ("succeeded", "pending"):
        # No network call here: what we know succeeded is the lower bound written back;
        # `charge.refunded` and the task bring Stripe's cumulative total.
        refund_write_back(
            refund=refund, stripe_refund_id=stripe_refund["id"], stripe_total=0, source="webhook"
        )
    elif status in ("failed", "canceled"):
        refund_mark_failed(refund=refund, error=f"Stripe: {status}", source="webhook")
        if refund.status == RefundStatus.SUCCEEDED:
            # Stripe gave the money back to us after all. Staff decide what to do with the
            # debt; nothing is reversed automatically.
            record(
                "payment.refund_failed_after_success",
                subject=payment,
                details={"refund_id": refund.pk, "stripe_refund": stripe_refund["id"]},
            )
    return EventStatus.PROCESSED


def _on_dispute(dispute: dict[str, Any]) -> str:
    payment = _payment_for(intent_id_of("charge.dispute.created", dispute))
    if payment is None:
        return EventStatus.DEFERRED
    payment_dispute_open(payment=payment, dispute=dispute)
    # A `closed` that overtook this event waits as deferred: its turn comes now.
    from ..tasks import process_deferred_events

    transaction.on_commit(partial(process_deferred_events.delay, payment.stripe_payment_intent_id))
    return EventStatus.PROCESSED


def _on_dispute_closed(dispute: dict[str, Any]) -> str:
    payment = _payment_for(intent_id_of("charge.dispute.closed", dispute))
    if payment is None:
        return EventStatus.DEFERRED
    if not payment.disputes.filter(stripe_dispute_id=dispute.get("id", "")).exists():
        return EventStatus.DEFERRED  # closed before its opening was processed: wait for it
    payment_dispute_close(payment=payment, dispute=dispute)
    return EventStatus.PROCESSED


HANDLERS = {
    "payment_intent.succeeded": _on_succeeded,
    "payment_intent.payment_failed": _on_failed,
    "charge.refunded": _on_refunded,
    "refund.created": _on_refund,
    "refund.updated": _on_refund,
    "charge.refund.updated": _on_refund,
    "charge.dispute.created": _on_dispute,
    "charge.dispute.closed": _on_dispute_closed,
}
