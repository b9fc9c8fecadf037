"""Reads for the Mercado Pago pages: the debtor's cash vouchers still waiting to be paid."""

from __future__ import annotations

from django.utils import timezone

from portal.debtors.models import Debtor

from . import mercadopago_api
from .models import AttemptStatus, Method, PaymentAttempt, Provider, Purpose

_TARGET = {
    Purpose.INSTALLMENT: "installment_id",
    Purpose.AGREEMENT: "agreement_id",
    Purpose.PROMISE: "promise_id",
    Purpose.FREE: "debt_id",
}


def _live_vouchers(debtor: Debtor):
    return PaymentAttempt.objects.filter(
        debtor=debtor,
        provider=Provider.MERCADOPAGO,
        method=Method.CASH,
        status=AttemptStatus.PROCESSING,
        expires_at__gt=timezone.now(),
        provider_payment_id__isnull=False,
    ).order_by("expires_at", "id")


def payable_key(attempt: PaymentAttempt) -> str:
    """The key of the payable an attempt pays (`Payable.key`), from the attempt's own ids."""
    return f"{attempt.purpose}-{getattr(attempt, _TARGET[Purpose(attempt.purpose)])}"


def live_vouchers_by_key(debtor: Debtor) -> dict[str, PaymentAttempt]:
    """The debtor's cash vouchers not paid and not past their deadline, by the key of what
    each pays (the one expiring first when there are two), in one query."""
    found: dict[str, PaymentAttempt] = {}
    for attempt in _live_vouchers(debtor):
        found.setdefault(payable_key(attempt), attempt)
    return found


def live_voucher_for_installment(debtor: Debtor, installment_id: int) -> PaymentAttempt | None:
    return _live_vouchers(debtor).filter(installment_id=installment_id).first()


def live_vouchers_by_agreement(debtor: Debtor) -> dict[int, PaymentAttempt]:
    """For the dashboard: each agreement's cash voucher waiting to be paid (the one expiring
    first), in one query; none without Mercado Pago set up, without a query."""
    if not mercadopago_api.is_configured():
        return {}
    found: dict[int, PaymentAttempt] = {}
    for attempt in _live_vouchers(debtor).exclude(agreement_id=None):
        found.setdefault(attempt.agreement_id, attempt)
    return found
