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

from portal.audit.services import record
from portal.celery import delay_on_commit

from ..models import (
    AttemptStatus,
    EventStatus,
    Payment,
    RefundStatus,
    StripeEvent,
)
from .disputes import payment_dispute_close, payment_dispute_open
from .outcomes import attempt_mark_failed, locked_attempt_for_intent
from .posting import PostingError, payment_post_intent
from .refunds import (
    payment_apply_refunded_total,
    refund_for_stripe_refund,
    refund_mark_failed,
    refund_write_back,
)

log = logging.getLogger(__name__)


def _intent_id(event_type: str, obj: dict[str, Any]) -> str:
    if event_type.startswith("payment_intent."):
        return obj.get("id", "")
    intent = obj.get("payment_intent") or ""
    return intent.get("id", "") if isinstance(intent, dict) else intent


def stripe_event_problem(event: Any) -> str | None:
    """Why a verified body is not an event we can store and process, or None.

    Stripe signs whatever it sends, and so does anyone holding the secret: a signed body
    still has to be an event object, with an id and type, whose `data.object` is an object
    and whose metadata (the attempt and debtor it names) is a string map. Anything else is
    refused with a 400 and nothing is stored.
    """
    if not isinstance(event, dict):
        return "the body is not a JSON object"
    for key, longest in (("id", 255), ("type", 100)):  # the columns they are stored in
        value = event.get(key)
        if not isinstance(value, str) or not value or len(value) > longest:
            return f"the event has no valid {key!r}"
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return "the event has no data.object"
    metadata = obj.get("metadata", {})
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        return "data.object.metadata is not a map of strings"
    intent = obj.get("payment_intent")
    if intent is not None and not isinstance(intent, str | dict):
        return "data.object.payment_intent is neither an id nor an object"
    if event["type"].startswith("payment_intent.") and not isinstance(obj.get("id"), str):
        return "the payment intent has no id"
    return None


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
                delay_on_commit(process_stripe_event, row.pk)
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


# -- handlers: run inside the event's transaction; return the event's new status ---------


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
    payment = _payment_for(_intent_id("charge.refunded", charge))
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
    intent_id = _intent_id("refund.updated", stripe_refund)
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
    payment = _payment_for(_intent_id("charge.dispute.created", dispute))
    if payment is None:
        return EventStatus.DEFERRED
    payment_dispute_open(payment=payment, dispute=dispute)
    # A `closed` that overtook this event waits as deferred: its turn comes now.
    from ..tasks import process_deferred_events

    transaction.on_commit(partial(process_deferred_events.delay, payment.stripe_payment_intent_id))
    return EventStatus.PROCESSED


def _on_dispute_closed(dispute: dict[str, Any]) -> str:
    payment = _payment_for(_intent_id("charge.dispute.closed", dispute))
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
