"""Reconciliation: ask Stripe what happened and fix what a lost webhook left undone.

Stripe is the source of truth for an intent's status, a charge's refunded total and a
dispute's status. Each object is handled in its own short transaction, between page
fetches (no network call inside a transaction), through the same services the webhook
uses, so a second run finds nothing left to fix. In order: PaymentIntents (so payments
exist), refunds (ours still `requested` are settled or asked again with the same key;
anyone's are written back as the charge's cumulative total), disputes (opened, closed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import stripe
from django.db import transaction
from django.utils import timezone

from portal.audit.services import record

from .. import stripe_api
from ..models import AttemptStatus, DebtDispute, Payment, PaymentAttempt, Refund, RefundStatus
from .disputes import payment_dispute_close, payment_dispute_open
from .outcomes import attempt_mark_canceled, attempt_mark_failed, locked_attempt_for_intent
from .posting import PostingError, payment_post_intent
from .refunds import (
    RefundRetry,
    payment_apply_refunded_total,
    refund_execute,
    refund_for_stripe_refund,
    refund_mark_failed,
    refund_write_back,
)

log = logging.getLogger(__name__)

# A webhook failure overwrites any unfinished attempt; reconciliation only fixes attempts
# still waiting (a FAILED one was already told, by the browser path or the webhook).
WAITING = (AttemptStatus.NEW, AttemptStatus.OPEN, AttemptStatus.PROCESSING)


# A refund request the task may still be working on is left to it for this long.
REFUND_TASK_GRACE = dt.timedelta(minutes=15)
DISPUTE_OPEN = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")
DISPUTE_CLOSED = ("won", "lost", "warning_closed")


@dataclass
class ReconcileResult:
    checked: int = 0
    posted: int = 0
    failed: int = 0
    canceled: int = 0
    unchanged: int = 0
    errors: int = 0
    refunds_checked: int = 0
    refunds_fixed: int = 0
    disputes_checked: int = 0
    disputes_fixed: int = 0
    disputes_listed: bool = True
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        disputes = (
            f"disputes={self.disputes_checked} disputes_fixed={self.disputes_fixed}"
            if self.disputes_listed
            else "disputes=unchecked"
        )
        return (
            f"checked={self.checked} posted={self.posted} failed={self.failed} "
            f"canceled={self.canceled} unchanged={self.unchanged} errors={self.errors} "
            f"refunds={self.refunds_checked} refunds_fixed={self.refunds_fixed} {disputes}"
        )


def payments_reconcile(*, since: dt.datetime, page_size: int = 100) -> ReconcileResult:
    """Every PaymentIntent created since `since`, then every attempt still PROCESSING
    whose intent was not in that list (older ones stuck waiting for a webhook)."""
    result = ReconcileResult()
    seen: set[str] = set()
    for intent in stripe_api.intents_created_since(int(since.timestamp()), page_size=page_size):
        seen.add(intent["id"])
        _count(result, intent)
    for intent in _stuck_intents(exclude=seen):
        _count(result, intent)
    refunds_reconcile(result, since=since, page_size=page_size)
    disputes_reconcile(result, since=since, page_size=page_size)
    with transaction.atomic():
        record(
            "payments.reconciled",
            details={"since": since.isoformat(), "summary": result.summary()},
        )
    return result


def _stuck_intents(*, exclude: set[str]) -> Iterable[dict[str, Any]]:
    ids = (
        PaymentAttempt.objects.filter(status=AttemptStatus.PROCESSING)
        .exclude(stripe_payment_intent_id__in=exclude)
        .exclude(stripe_payment_intent_id=None)
        .order_by("id")
        .values_list("stripe_payment_intent_id", flat=True)
    )
    for intent_id in list(ids):
        try:
            yield stripe_api.intent_retrieve(intent_id).to_dict()
        except stripe.InvalidRequestError:
            log.warning("reconcile: Stripe does not know %s", intent_id)


def _count(result: ReconcileResult, intent: dict[str, Any]) -> None:
    result.checked += 1
    try:
        outcome, line = intent_reconcile(intent=intent)
    except PostingError as error:
        result.errors += 1
        result.lines.append(f"error {intent['id']}: {error}")
        return
    setattr(result, outcome, getattr(result, outcome) + 1)
    if line:
        result.lines.append(line)


def intent_reconcile(*, intent: dict[str, Any]) -> tuple[str, str]:
    """Bring our side of one intent in line with Stripe's; returns (outcome, report line)."""
    status = intent.get("status")
    if status == "succeeded":
        return _post(intent)
    if status in ("requires_payment_method", "canceled") and (
        intent.get("last_payment_error") or status == "canceled"
    ):
        with transaction.atomic():
            attempt = locked_attempt_for_intent(intent["id"])
            if attempt is None or attempt.status not in WAITING:
                return "unchanged", ""
            if status == "canceled":
                attempt_mark_canceled(attempt=attempt, intent_id=intent["id"], source="reconcile")
                return "canceled", f"canceled {intent['id']} attempt={attempt.pk}"
            attempt_mark_failed(attempt=attempt, intent=intent, source="reconcile", allowed=WAITING)
            return "failed", f"failed {intent['id']} attempt={attempt.pk}"
    return "unchanged", ""


def _post(intent: dict[str, Any]) -> tuple[str, str]:
    metadata = intent.get("metadata") or {}
    ours = "attempt_id" in metadata or (
        PaymentAttempt.objects.filter(stripe_payment_intent_id=intent["id"]).exists()
    )
    if not ours:
        return "unchanged", ""  # someone else's intent on the same Stripe account
    with transaction.atomic():
        payment = payment_post_intent(intent=intent)
        if payment is None:
            return "unchanged", ""
        record(
            "payment.reconciled",
            subject=payment,
            details={"payment_intent": intent["id"], "number": payment.number},
        )
    return "posted", (
        f"posted {intent['id']} attempt={payment.attempt_id} {payment.number} "
        f"{payment.amount_minor} {payment.currency}"
    )


# -- refunds --------------------------------------------------------------------------------


def refunds_reconcile(result: ReconcileResult, *, since: dt.datetime, page_size: int) -> None:
    """Refunds created since `since` (ours and the dashboard's) and our requests the task
    gave up on: each payment ends with Stripe's cumulative refunded total written back."""
    touched: dict[int, Payment] = {}
    for made in stripe_api.refunds_created_since(int(since.timestamp()), page_size=page_size):
        result.refunds_checked += 1
        payment = _payment_of(made)
        if payment is None:
            continue  # not ours, or its payment is not posted (then the intents come first)
        touched[payment.pk] = payment
        ours = refund_for_stripe_refund(made)
        if ours is None or ours.payment_id != payment.pk:
            continue
        if made.get("status") in ("succeeded", "pending"):
            if refund_write_back(
                refund=ours, stripe_refund_id=made["id"], stripe_total=0, source="reconcile"
            ):
                result.refunds_fixed += 1
                result.lines.append(f"refund settled {made['id']} refund={ours.pk}")
        elif made.get("status") in ("failed", "canceled") and refund_mark_failed(
            refund=ours, error=f"Stripe: {made.get('status')}", source="reconcile"
        ):
            result.refunds_fixed += 1
            result.lines.append(f"refund failed {made['id']} refund={ours.pk}")
    for refund in _abandoned_requests():
        result.refunds_checked += 1
        try:
            refund = refund_execute(refund_id=refund.pk)
        except RefundRetry as error:
            result.errors += 1
            result.lines.append(f"error refund={refund.pk}: {error}")
            continue
        if refund.status != RefundStatus.REQUESTED:
            result.refunds_fixed += 1
            result.lines.append(f"refund {refund.status} refund={refund.pk} (asked again)")
    for payment in touched.values():
        total = stripe_api.intent_refunded_total(payment.stripe_payment_intent_id)
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            delta = payment_apply_refunded_total(
                payment=locked, refunded_total=total, source="reconcile"
            )
        if delta:
            result.refunds_fixed += 1
            result.lines.append(
                f"refunded {payment.number} {delta} {payment.currency} (total {total})"
            )


def _payment_of(stripe_object: dict[str, Any]) -> Payment | None:
    """The payment a refund or dispute belongs to: by PaymentIntent, else by charge."""
    intent = stripe_object.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    if intent_id:
        return Payment.objects.filter(stripe_payment_intent_id=intent_id).first()
    charge = stripe_object.get("charge")
    charge_id = charge.get("id") if isinstance(charge, dict) else charge
    if charge_id:
        return Payment.objects.filter(stripe_charge_id=charge_id).first()
    return None


def _abandoned_requests() -> list[Refund]:
    """Requests still `requested` well after their task should have finished."""
    cutoff = timezone.now() - REFUND_TASK_GRACE
    return list(
        Refund.objects.filter(status=RefundStatus.REQUESTED, created_at__lt=cutoff).order_by("id")
    )


# -- disputes -------------------------------------------------------------------------------


def disputes_reconcile(result: ReconcileResult, *, since: dt.datetime, page_size: int) -> None:
    """Disputes created since `since`: open ones flag their debts, closed ones are closed
    (opened first if the opening was missed too). localstripe has no disputes: a 404 on
    the list says so in the summary instead of failing the run."""
    try:
        for dispute in stripe_api.disputes_created_since(
            int(since.timestamp()), page_size=page_size
        ):
            result.disputes_checked += 1
            line = dispute_reconcile(dispute=dispute)
            if line:
                result.disputes_fixed += 1
                result.lines.append(line)
    except stripe.StripeError as error:
        if error.http_status != 404:
            raise
        result.disputes_listed = False
        result.lines.append(f"disputes not checked: Stripe answered 404 ({error})")


def dispute_reconcile(*, dispute: dict[str, Any]) -> str:
    """Bring one dispute in line with Stripe's status; returns a report line, or ""."""
    payment = _payment_of(dispute)
    if payment is None:
        return ""
    status = dispute.get("status")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        rows = DebtDispute.objects.filter(payment=payment, stripe_dispute_id=dispute["id"])
        opened = []
        if not rows.exists() and (status in DISPUTE_OPEN or status in DISPUTE_CLOSED):
            opened = payment_dispute_open(payment=payment, dispute=dispute)
        closed = []
        if status in DISPUTE_CLOSED and rows.filter(closed_at=None).exists():
            closed = rows.filter(closed_at=None).values_list("debt_id", flat=True)
            closed = list(closed)
            payment_dispute_close(payment=payment, dispute=dispute)
        if not opened and not closed:
            return ""
        record(
            "payment.dispute_reconciled",
            subject=payment,
            details={"dispute": dispute["id"], "status": status, "opened": opened},
        )
    return f"dispute {dispute['id']} {status} {payment.number} debts={sorted(opened or closed)}"
