"""Reconciliation: ask Stripe what happened and fix what a lost webhook left undone.

Stripe is the source of truth for an intent's status. Each intent is handled in its own
short transaction, between page fetches (no network call inside a transaction), through
the same services the webhook uses, so a second run finds nothing left to fix.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import stripe
from django.db import transaction

from portal.audit.services import record

from .. import stripe_api
from ..models import AttemptStatus, PaymentAttempt
from .outcomes import attempt_mark_canceled, attempt_mark_failed, locked_attempt_for_intent
from .posting import PostingError, payment_post_intent

log = logging.getLogger(__name__)

# A webhook failure overwrites any unfinished attempt; reconciliation only fixes attempts
# still waiting (a FAILED one was already told, by the browser path or the webhook).
WAITING = (AttemptStatus.NEW, AttemptStatus.OPEN, AttemptStatus.PROCESSING)


@dataclass
class ReconcileResult:
    checked: int = 0
    posted: int = 0
    failed: int = 0
    canceled: int = 0
    unchanged: int = 0
    errors: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"checked={self.checked} posted={self.posted} failed={self.failed} "
            f"canceled={self.canceled} unchanged={self.unchanged} errors={self.errors}"
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
