"""Refunds: asked for by staff in admin (through Stripe) or made in Stripe's dashboard
(arriving as `charge.refunded`); both are written back here, once, as the difference
between Stripe's cumulative refunded amount and what we already reversed.

A staff refund is a `Refund` row first (the admin request only writes it); the
`execute_refund` task then calls Stripe with the row's idempotency key, retrying with the
same key while Stripe's answer is unknown, and writes the result back once.

Writing back puts the money back on the debt (refund ledger entries through
`ledger_post`) and hands the agreement's side to the lifecycle (`agreements.lifecycle`):
when the payment had completed an agreement, that agreement is reopened (its discount
write-off reversed, its debts back `in_agreement`), and the installments the money had
paid show what is unpaid again.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import stripe
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.lifecycle import agreement_reopen_after_refund, installment_refund
from portal.audit.services import record
from portal.celery import delay_on_commit
from portal.debtors.models import Debt, DebtStatus, LedgerKind
from portal.debtors.services import ledger_post, portfolio_today
from portal.debtors.status import debt_status_change

from .. import mercadopago_api, stripe_api
from ..models import Method, Payment, PaymentStatus, Provider, Refund, RefundStatus
from ..tasks import execute_refund

log = logging.getLogger(__name__)


class RefundError(Exception):
    """A refund the rules refuse; the message is shown to staff."""


class RefundRetry(Exception):
    """Stripe's answer was lost or was "try later": the task tries again, same key."""


# -- staff refunds: request (our row) → Celery task → Stripe → write back -----------------


def refund_room(payment: Payment) -> int:
    """What staff may still refund: the payment less what is reversed and what is asked."""
    pending = (
        payment.refunds.filter(status=RefundStatus.REQUESTED).aggregate(s=Sum("amount_minor"))["s"]
        or 0
    )
    return payment.amount_minor - payment.refunded_minor - pending


@transaction.atomic
def refund_request(
    *,
    payment_id: int,
    amount_minor: int,
    reason: str,
    actor,
    token: uuid.UUID | None = None,
) -> Refund:
    """Reserve a refund under a lock on the payment: > 0 and at most what is left after
    earlier refunds, including ones Stripe has not answered yet; Stripe is asked by a task
    queued after commit. A second request with the same form token (a double click)
    returns the first one: the lock makes it wait until the first has committed."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if token is not None:
        earlier = Refund.objects.filter(request_token=token).first()
        if earlier is not None:
            if earlier.payment_id != payment.pk:
                raise RefundError("This form was used for another payment; open it again.")
            return earlier
    refusal = refund_refusal(payment)
    if refusal:
        raise RefundError(refusal)
    room = refund_room(payment)
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise RefundError("The amount must be more than zero.")
    if amount_minor > room:
        raise RefundError(f"At most {room} (minor units) can still be refunded.")
    generation = payment.refunds.count() + 1
    refund = Refund(
        payment=payment,
        amount_minor=amount_minor,
        currency=payment.currency,
        reason=reason[:255],
        idempotency_key=f"refund-payment-{payment.pk}-{generation}",
        request_token=token,
        requested_by=actor,
    )
    refund.full_clean()
    refund.save()
    record(
        "payment.refund_requested",
        actor=actor,
        subject=payment,
        details={
            "refund_id": refund.pk,
            "amount_minor": amount_minor,
            "currency": payment.currency,
            "reason": reason,
            "idempotency_key": refund.idempotency_key,
        },
    )
    delay_on_commit(execute_refund, refund.pk)
    return refund


def refund_execute(*, refund_id: int) -> Refund:
    """Ask Stripe (outside any transaction) for a requested refund, then write the outcome
    back once. Raises RefundRetry when the outcome is unknown; the caller tries again."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status != RefundStatus.REQUESTED:
            return refund
        earlier_tries = refund.attempts
        refund.attempts += 1
        refund.save(update_fields=["attempts"])
    payment = refund.payment
    if payment.provider == Provider.MERCADOPAGO:
        return _execute_at_mercadopago(refund)
    try:
        made = _made_by_an_earlier_try(refund) if earlier_tries else None
        if made is None:
            made = stripe_api.refund_create(
                payment_intent_id=payment.stripe_payment_intent_id,
                amount_minor=refund.amount_minor,
                idempotency_key=refund.idempotency_key,
                metadata={"refund_id": str(refund.pk), "payment": payment.number or ""},
            ).to_dict()
    except stripe_api.TRANSIENT_ERRORS as error:
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
            error=f"try {refund.attempts}: {error}"[:2000]
        )
        log.warning("refund %s: try %s got no answer: %s", refund.pk, refund.attempts, error)
        raise RefundRetry(str(error)) from error
    except stripe.StripeError as error:
        refund_mark_failed(refund=refund, error=str(error), source="admin")
        refund.refresh_from_db()
        return refund
    if made.get("status") in ("failed", "canceled"):
        refund_mark_failed(refund=refund, error=f"Stripe: {made.get('status')}", source="admin")
    else:
        refund_write_back(
            refund=refund,
            stripe_refund_id=made["id"],
            stripe_total=_stripe_total(payment),
            source="admin",
        )
    refund.refresh_from_db()
    return refund


def _execute_at_mercadopago(refund: Refund) -> Refund:
    """Mercado Pago's side of `refund_execute`: its idempotency key replays an earlier
    try's refund; its cumulative total comes back with the payment's notification."""
    try:
        made = mercadopago_api.refund_create(
            payment_id=refund.payment.provider_payment_id,
            amount_minor=refund.amount_minor,
            currency=refund.currency,
            idempotency_key=refund.idempotency_key,
        )
    except mercadopago_api.MercadoPagoError as error:
        if error.status == 0 or error.status == 429 or error.status >= 500:
            Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
                error=f"try {refund.attempts}: {error}"[:2000]
            )
            raise RefundRetry(str(error)) from error
        refund_mark_failed(refund=refund, error=f"Mercado Pago: {error}", source="admin")
    else:
        refund_write_back(
            refund=refund,
            stripe_refund_id=None,
            provider_refund_id=str(made.get("id", "")),
            stripe_total=0,
            source="admin",
        )
    refund.refresh_from_db()
    return refund


def refund_refusal(payment: Payment) -> str:
    """Why this payment cannot be refunded through its provider ("" when it can)."""
    if payment.method == Method.CASH:
        return _(
            "Cash paid at a collection point cannot be given back through Mercado Pago: "
            "refund it by bank transfer to the debtor and record it as a ledger adjustment."
        )
    return ""


def _made_by_an_earlier_try(refund: Refund) -> dict[str, Any] | None:
    """An earlier try may have reached Stripe and lost its answer. Stripe replays the same
    key for 24 hours; after that (or on a server that ignores keys) the refund is found by
    our id in its metadata."""
    for made in stripe_api.refunds_for_intent(refund.payment.stripe_payment_intent_id):
        if str((made.get("metadata") or {}).get("refund_id")) == str(refund.pk):
            return made
    return None


def _stripe_total(payment: Payment) -> int:
    try:
        # Stripe's cumulative total also counts refunds made in its dashboard.
        return stripe_api.intent_refunded_total(payment.stripe_payment_intent_id)
    except stripe.StripeError:
        log.warning("payment %s: Stripe's refunded total not read", payment.pk, exc_info=True)
        return 0


def refund_mark_failed(*, refund: Refund, error: str, source: str) -> bool:
    """Stripe said no: the reserved amount is free again. Once; audited."""
    with transaction.atomic():
        changed = Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
            status=RefundStatus.FAILED, error=error[:2000], completed_at=timezone.now()
        )
        if changed:
            record(
                "payment.refund_failed",
                actor=refund.requested_by,
                subject=("payments.payment", refund.payment_id),
                details={"refund_id": refund.pk, "error": error[:500], "source": source},
            )
    return bool(changed)


def refund_write_back(
    *,
    refund: Refund,
    stripe_refund_id: str | None,
    stripe_total: int,
    source: str,
    provider_refund_id: str = "",
) -> bool:
    """Stripe made the refund: mark our row succeeded and post the money, once. Only the
    call that moves the row out of `requested` posts; the amount posted is the difference
    to what is already reversed, so a `charge.refunded` that came first (or later) adds
    nothing twice."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=refund.payment_id)
        changed = Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
            status=RefundStatus.SUCCEEDED,
            stripe_refund_id=stripe_refund_id,
            provider_refund_id=provider_refund_id,
            completed_at=timezone.now(),
            error="",
        )
        if not changed:
            return False
        ours = (
            locked.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(s=Sum("amount_minor"))[
                "s"
            ]
            or 0
        )
        # Both are lower bounds of what Stripe has refunded: never less than the refunds we
        # know succeeded, never counted twice.
        payment_apply_refunded_total(
            payment=locked,
            refunded_total=max(stripe_total, ours),
            source=source,
            reference=stripe_refund_id,
            actor=refund.requested_by,
        )
        record(
            "payment.refund_succeeded",
            actor=refund.requested_by,
            subject=locked,
            details={
                "refund_id": refund.pk,
                "stripe_refund": stripe_refund_id,
                "provider_refund": provider_refund_id,
                "amount_minor": refund.amount_minor,
                "attempts": refund.attempts,
                "source": source,
            },
        )
    return True


def refund_for_stripe_refund(stripe_refund: dict[str, Any]) -> Refund | None:
    """Our row for a Stripe refund: by its id, else by our id in its metadata."""
    found = Refund.objects.filter(stripe_refund_id=stripe_refund.get("id")).first()
    if found is None:
        ours = str((stripe_refund.get("metadata") or {}).get("refund_id") or "")
        if ours.isdigit():
            found = Refund.objects.filter(pk=int(ours)).first()
    return found


# -- writing back (webhook and admin) -----------------------------------------------------


def payment_apply_refunded_total(
    *, payment: Payment, refunded_total: int, source: str, reference: str = "", actor=None
) -> int:
    """Write back Stripe's cumulative refunded amount on a locked payment; returns what
    was newly reversed (0 for an older or repeated notice)."""
    refunded_total = min(int(refunded_total), payment.amount_minor)
    delta = refunded_total - payment.refunded_minor
    if delta <= 0:
        return 0
    reopened = agreement_reopen_after_refund(
        agreement_id=payment.agreement_id, payment_number=payment.number, actor=actor
    )
    parts = _reverse_allocations(payment, delta, actor=actor)
    payment.refunded_minor = refunded_total
    payment.status = (
        PaymentStatus.REFUNDED
        if refunded_total >= payment.amount_minor
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["refunded_minor", "status"])
    reopened_debts = _reopen_paid_debts({debt_id for debt_id, _i, _a in parts})
    record(
        "payment.refunded",
        actor=actor,
        subject=payment,
        details={
            "source": source,
            "reference": reference,
            "refunded_minor": delta,
            "refunded_total_minor": refunded_total,
            "currency": payment.currency,
            "reversed": parts,
            "agreement_reopened": reopened,
            "debts_reopened": reopened_debts,
        },
    )
    return delta


def _reverse_allocations(payment: Payment, amount: int, *, actor=None) -> list[list[int]]:
    """Refund entries against the newest allocations first; the lifecycle takes back what
    they paid on their installments (one of an active agreement becomes open again)."""
    already = payment.refunded_minor
    parts: list[list[int]] = []
    left = amount
    for allocation in payment.allocations.select_related(
        "debt__portfolio", "installment__agreement", "ledger_entry"
    ).order_by("-id"):
        # Earlier refunds consumed the newest allocations first: skip what they took.
        available = allocation.amount_minor - min(already, allocation.amount_minor)
        already = max(already - allocation.amount_minor, 0)
        take = min(left, available)
        if take <= 0:
            continue
        debt = allocation.debt
        today = portfolio_today(debt.portfolio)
        ledger_post(
            debt=debt,
            kind=LedgerKind.REFUND,
            amount_minor=take,
            effective_date=today,
            description=f"{payment.number} refund",
            actor=actor,
            reverses=allocation.ledger_entry,
        )
        if allocation.installment:
            installment_refund(installment=allocation.installment, amount_minor=take, today=today)
        parts.append([debt.pk, allocation.installment_id or 0, take])
        left -= take
        if not left:
            break
    return parts


def _reopen_paid_debts(debt_ids: set[int]) -> list[int]:
    """A paid or settled debt outside any active agreement owes again: active."""
    owing = Debt.objects.filter(
        pk__in=debt_ids, status__in=(DebtStatus.PAID, DebtStatus.SETTLED), balance_minor__gt=0
    ).values_list("pk", flat=True)
    return debt_status_change(
        list(owing),
        to=DebtStatus.ACTIVE,
        expect=[DebtStatus.PAID, DebtStatus.SETTLED],
        event="debt.reopened",
    )
