"""What a Mercado Pago payment's current state means for us, applied once.

Notifications, reconciliation, the debtor's return from the bank and the voucher expiry
sweep all read the payment from Mercado Pago (never from the browser) and hand it here,
inside one transaction. Applying the same state twice changes nothing, and a stale state
never steps back from a newer one: an approved payment is posted once (unique provider
id), a "pending" read after the approval is ignored, a refund writes back the
difference to what we already reversed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import record

from .. import mercadopago_api
from ..models import AttemptStatus, Payment, PaymentAttempt, Provider
from .outcomes import attempt_mark_failed
from .posting import PostingError, payment_post
from .refunds import payment_apply_refunded_total

REFERENCE_PREFIX = "attempt-"

WAITING = ("pending", "in_process", "authorized", "in_mediation")
# Statuses a waiting state may move an attempt to PROCESSING from.
STARTABLE = (AttemptStatus.NEW, AttemptStatus.OPEN)
STOPPABLE = (AttemptStatus.NEW, AttemptStatus.OPEN, AttemptStatus.PROCESSING)


def external_reference(attempt: PaymentAttempt) -> str:
    return f"{REFERENCE_PREFIX}{attempt.pk}"


def _attempt_pk(mp_payment: dict[str, Any]) -> int | None:
    reference = str(mp_payment.get("external_reference") or "")
    number = reference.removeprefix(REFERENCE_PREFIX)
    if not reference.startswith(REFERENCE_PREFIX) or not number.isdigit():
        return None
    return int(number)


def locked_attempt_for(mp_payment: dict[str, Any]) -> PaymentAttempt | None:
    """Our attempt for a Mercado Pago payment: by our reference on it, else by its id."""
    attempts = PaymentAttempt.objects.select_for_update(of=("self",)).select_related(
        "debtor", "debt__portfolio", "agreement__portfolio"
    )
    pk = _attempt_pk(mp_payment)
    if pk is not None:
        return attempts.filter(pk=pk, provider=Provider.MERCADOPAGO).first()
    return attempts.filter(
        provider=Provider.MERCADOPAGO, provider_payment_id=str(mp_payment.get("id", ""))
    ).first()


@transaction.atomic
def mercadopago_payment_apply(*, mp_payment: dict[str, Any], source: str) -> str:
    """Apply one payment as Mercado Pago reports it now; returns what happened:
    "posted", "already posted", "waiting", "failed", "expired", "canceled", "refunded",
    "unchanged" or "unknown" (not one of our payments)."""
    payment_id = str(mp_payment.get("id") or "")
    if not payment_id:
        raise PostingError("a Mercado Pago payment without an id")
    attempt = locked_attempt_for(mp_payment)
    if attempt is None:
        return "unknown"
    status = str(mp_payment.get("status") or "")
    detail = str(mp_payment.get("status_detail") or "")
    _remember(attempt, payment_id, status, detail)

    if status in ("approved", "refunded", "charged_back"):
        outcome = _post(attempt, mp_payment, payment_id, source)
        refunded = _refunded_total(mp_payment, status)
        if refunded and _write_back_refunds(payment_id, refunded, source, status):
            return "refunded"
        return outcome
    if status in WAITING:
        changed = PaymentAttempt.objects.filter(pk=attempt.pk, status__in=STARTABLE).update(
            status=AttemptStatus.PROCESSING, updated_at=timezone.now()
        )
        return "waiting" if changed else "unchanged"
    if status == "rejected":
        failed = attempt_mark_failed(
            attempt=attempt,
            intent={
                "id": payment_id,
                "last_payment_error": {"code": detail, "message": _rejection_message(attempt)},
            },
            source=source,
            allowed=STOPPABLE + (AttemptStatus.FAILED,),
            notify=attempt.status != AttemptStatus.FAILED,
        )
        return "failed" if failed else "unchanged"
    if status == "cancelled":
        to = AttemptStatus.EXPIRED if detail == "expired" else AttemptStatus.CANCELED
        changed = PaymentAttempt.objects.filter(pk=attempt.pk, status__in=STOPPABLE).update(
            status=to, updated_at=timezone.now()
        )
        if changed:
            record(
                f"payment.{to}",
                subject=attempt,
                details={"provider_payment": payment_id, "detail": detail, "source": source},
            )
        return to if changed else "unchanged"
    return "unchanged"


def _remember(attempt: PaymentAttempt, payment_id: str, status: str, detail: str) -> None:
    """Keep Mercado Pago's id and status on the attempt (what its pages show)."""
    details = dict(attempt.provider_details)
    details.update(status=status, status_detail=detail)
    fields: dict[str, Any] = {"provider_details": details}
    if not attempt.provider_payment_id:
        fields["provider_payment_id"] = payment_id
        attempt.provider_payment_id = payment_id
    PaymentAttempt.objects.filter(pk=attempt.pk).update(**fields)
    attempt.provider_details = details


def _post(attempt: PaymentAttempt, mp_payment: dict[str, Any], payment_id: str, source: str) -> str:
    currency = str(mp_payment.get("currency_id") or "").upper()
    amount = _minor(mp_payment.get("transaction_amount"), currency, payment_id)
    payment = payment_post(
        attempt=attempt,
        provider=Provider.MERCADOPAGO,
        provider_payment_id=payment_id,
        amount_minor=amount,
        currency=currency,
    )
    if payment is None:
        return "already posted"
    record(
        "payment.provider_confirmed",
        subject=payment,
        details={
            "provider": Provider.MERCADOPAGO,
            "provider_payment": payment_id,
            "payment_method": str(mp_payment.get("payment_method_id") or ""),
            "source": source,
        },
    )
    return "posted"


def _minor(value: Any, currency: str, payment_id: str) -> int:
    try:
        return mercadopago_api.amount_to_minor(value or 0, currency)
    except (TypeError, ValueError) as error:
        raise PostingError(f"mercadopago {payment_id}: amount {value!r} unreadable") from error


def _refunded_total(mp_payment: dict[str, Any], status: str) -> int:
    currency = str(mp_payment.get("currency_id") or "").upper()
    payment_id = str(mp_payment.get("id"))
    if status == "charged_back":
        # A chargeback takes the whole payment back, whatever was refunded before.
        return _minor(mp_payment.get("transaction_amount"), currency, payment_id)
    return _minor(mp_payment.get("transaction_amount_refunded"), currency, payment_id)


def _write_back_refunds(payment_id: str, refunded: int, source: str, status: str) -> int:
    payment = (
        Payment.objects.select_for_update()
        .filter(provider=Provider.MERCADOPAGO, provider_payment_id=payment_id)
        .first()
    )
    if payment is None:
        return 0
    return payment_apply_refunded_total(
        payment=payment,
        refunded_total=refunded,
        source=f"{source}:chargeback" if status == "charged_back" else source,
        reference=payment_id,
    )


def _rejection_message(attempt: PaymentAttempt) -> str:
    if attempt.method == "pse":
        return _("Your bank did not approve the transfer. Nothing was charged.")
    return _("The payment was not approved. Nothing was charged.")
