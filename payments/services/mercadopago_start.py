"""Paying through Mercado Pago: a PSE transfer from the debtor's bank, a cash voucher to
pay at a collection point, or a card on Mercado Pago's checkout.

As with Stripe, no network call runs inside a transaction: (1) the attempt's try counter
moves on in a transaction (so every try has its own idempotency key), (2) Mercado Pago is
asked, (3) its answer is stored in a second transaction. What the money does is decided
only by Mercado Pago's own word, read from its API (`mercadopago_apply`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from portal.audit.services import record
from portal.celery import delay_on_commit

from .. import mercadopago_api
from ..models import AttemptStatus, Method, PaymentAttempt, Provider
from ..tasks import send_cash_voucher
from .mercadopago_apply import external_reference, mercadopago_payment_apply
from .paying import REUSABLE, PaymentError, attempt_is_payable

log = logging.getLogger(__name__)

PERSON_TYPES = ("individual", "association")
# One read of Mercado Pago per attempt in this many seconds, however often the page polls.
_REFRESH_EVERY_S = 3


def _check(attempt: PaymentAttempt, method: str) -> None:
    if attempt.provider != Provider.MERCADOPAGO or attempt.method != method:
        raise PaymentError(_("This payment can no longer be made. Please start again."))
    if not mercadopago_api.is_configured():
        raise PaymentError(_("This way to pay is not available right now."))
    if not attempt_is_payable(attempt):
        raise PaymentError(_("This payment can no longer be made. Please start again."))


def _next_try(attempt: PaymentAttempt) -> int:
    with transaction.atomic():
        locked = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        details = dict(locked.provider_details)
        details["tries"] = int(details.get("tries", 0)) + 1
        PaymentAttempt.objects.filter(pk=attempt.pk).update(provider_details=details)
    attempt.provider_details = details
    return details["tries"]


def _description(attempt: PaymentAttempt) -> str:
    # Someone else pays: the bank and the voucher show them nothing personal.
    if attempt.third_party_link_id:
        portfolio = (attempt.agreement or attempt.debt).portfolio
        return f"{portfolio.creditor.name} · {external_reference(attempt)}"[:200]
    if attempt.agreement_id:
        return f"{attempt.agreement.number} · {attempt.debtor.full_name}"[:200]
    return f"{attempt.debt.account_ref} · {attempt.debtor.full_name}"[:200]


def _payer(
    attempt: PaymentAttempt, email: str, payer_details: dict[str, Any] | None = None
) -> dict[str, Any]:
    if attempt.third_party_link_id:  # the payer is not the debtor: only what they typed
        return {"email": email, **(payer_details or {})}
    debtor = attempt.debtor
    first, _sep, last = debtor.full_name.partition(" ")
    return {
        "email": email,
        "first_name": first,
        "last_name": last or first,
        "identification": {"type": debtor.document_type, "number": debtor.document_number},
    }


def _store(attempt: PaymentAttempt, mp_payment: dict[str, Any], event: str, **details) -> None:
    """Keep Mercado Pago's answer on the attempt (unless a later try stored its own)."""
    with transaction.atomic():
        locked = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        merged = {**locked.provider_details, **details}
        merged.update(
            status=mp_payment.get("status", ""), status_detail=mp_payment.get("status_detail", "")
        )
        fields: dict[str, Any] = {
            "provider_payment_id": str(mp_payment["id"]),
            "provider_details": merged,
        }
        expires = mp_payment.get("date_of_expiration")
        if attempt.method == Method.CASH and expires:
            fields["expires_at"] = parse_datetime(expires)
        PaymentAttempt.objects.filter(pk=attempt.pk).update(**fields)
        PaymentAttempt.objects.filter(pk=attempt.pk, status__in=REUSABLE).update(
            status=AttemptStatus.PROCESSING, failure_message=""
        )
        record(
            event,
            subject=attempt,
            details={
                "provider_payment": str(mp_payment["id"]),
                "amount_minor": attempt.amount_minor,
                "currency": attempt.currency,
                **{k: v for k, v in details.items() if k != "barcode"},
            },
        )
    attempt.refresh_from_db()


def pse_payment_start(
    *,
    attempt: PaymentAttempt,
    bank_id: str,
    person_type: str,
    email: str,
    ip_address: str,
    callback_url: str,
    payer_details: dict[str, Any] | None = None,
) -> str:
    """Create the PSE payment at the debtor's bank; returns the bank's page to send them
    to. While a transfer is pending the attempt is not payable (`_check`): the result page
    links back to that bank's page instead. `payer_details` (name, document) is the
    account holder's when someone else pays."""
    _check(attempt, Method.PSE)
    banks = dict(mercadopago_api.pse_banks())
    if bank_id not in banks:
        raise PaymentError(_("Choose your bank from the list."))
    if person_type not in PERSON_TYPES:
        raise PaymentError(_("Choose whether you pay as a person or as a company."))
    tries = _next_try(attempt)
    mp_payment = mercadopago_api.payment_create(
        body={
            "transaction_amount": mercadopago_api.amount_from_minor(
                attempt.amount_minor, attempt.currency
            ),
            "description": _description(attempt),
            "payment_method_id": "pse",
            "external_reference": external_reference(attempt),
            "callback_url": callback_url,
            "payer": {**_payer(attempt, email, payer_details), "entity_type": person_type},
            "transaction_details": {"financial_institution": bank_id},
            "additional_info": {"ip_address": ip_address or "127.0.0.1"},
        },
        idempotency_key=f"{attempt.idempotency_key}:pse:{tries}",
    )
    url = (mp_payment.get("transaction_details") or {}).get("external_resource_url") or ""
    if not url:
        raise mercadopago_api.MercadoPagoError(502, {"message": "no bank URL in the answer"})
    _store(
        attempt,
        mp_payment,
        "payment.pse_started",
        bank_id=bank_id,
        bank_name=banks[bank_id],
        redirect_url=url,
    )
    return url


def cash_voucher_start(*, attempt: PaymentAttempt, email: str) -> PaymentAttempt:
    """Issue (once) the voucher to pay in cash at a collection point before a deadline;
    it is also emailed. A voucher still valid is returned as it is."""
    _check(attempt, Method.CASH)
    now = timezone.now()
    if attempt.provider_payment_id and attempt.expires_at and attempt.expires_at > now:
        return attempt
    tries = _next_try(attempt)
    deadline = now + dt.timedelta(days=settings.MERCADOPAGO_CASH_DAYS)
    mp_payment = mercadopago_api.payment_create(
        body={
            "transaction_amount": mercadopago_api.amount_from_minor(
                attempt.amount_minor, attempt.currency
            ),
            "description": _description(attempt),
            "payment_method_id": "efecty",
            "external_reference": external_reference(attempt),
            "date_of_expiration": deadline.isoformat(timespec="milliseconds"),
            "payer": _payer(attempt, email),
        },
        idempotency_key=f"{attempt.idempotency_key}:cash:{tries}",
    )
    _store(
        attempt,
        mp_payment,
        "payment.cash_voucher_issued",
        network="Efecty",
        reference=str(mp_payment["id"]),
        barcode=(mp_payment.get("barcode") or {}).get("content", ""),
        voucher_url=(mp_payment.get("transaction_details") or {}).get("external_resource_url", ""),
    )
    delay_on_commit(send_cash_voucher, attempt.pk)
    return attempt


def mercadopago_card_start(*, attempt: PaymentAttempt, back_url: str, email: str) -> str:
    """A card payment on Mercado Pago's checkout (card data never reaches us); returns
    the checkout page to send the debtor to. The result comes back by notification."""
    _check(attempt, Method.CARD)
    tries = _next_try(attempt)
    amount = mercadopago_api.amount_from_minor(attempt.amount_minor, attempt.currency)
    preference = mercadopago_api.preference_create(
        body={
            "items": [
                {
                    "id": f"{attempt.idempotency_key}:card:{tries}",
                    "title": _description(attempt),
                    "quantity": 1,
                    "unit_price": amount,
                    "currency_id": attempt.currency,
                }
            ],
            "payer": {"email": email},
            "external_reference": external_reference(attempt),
            "back_urls": {"success": back_url, "failure": back_url, "pending": back_url},
            "auto_return": "approved",
            "payment_methods": {
                "excluded_payment_types": [{"id": "ticket"}, {"id": "bank_transfer"}],
                "installments": 1,
            },
        }
    )
    url = preference.get("init_point") or preference.get("sandbox_init_point") or ""
    with transaction.atomic():
        details = {
            **attempt.provider_details,
            "preference_id": preference.get("id", ""),
            "redirect_url": url,
        }
        PaymentAttempt.objects.filter(pk=attempt.pk).update(
            provider_details=details, status=AttemptStatus.OPEN
        )
        record(
            "payment.checkout_started",
            subject=attempt,
            details={"provider": Provider.MERCADOPAGO, "preference": preference.get("id", "")},
        )
    return url


def attempt_refresh_from_provider(*, attempt: PaymentAttempt) -> PaymentAttempt:
    """Ask Mercado Pago how an unfinished attempt stands and apply it (the result page
    follows the real status even before the notification arrives). At most one read per
    attempt every few seconds; trouble reaching Mercado Pago leaves the attempt as it is."""
    finished = (AttemptStatus.SUCCEEDED, AttemptStatus.CANCELED, AttemptStatus.EXPIRED)
    if attempt.provider != Provider.MERCADOPAGO or attempt.status in finished:
        return attempt
    if not mercadopago_api.is_configured():
        return attempt
    if not cache.add(f"payments:mp-refresh:{attempt.pk}", 1, _REFRESH_EVERY_S):
        return attempt
    try:
        if attempt.provider_payment_id:
            found = [mercadopago_api.payment_get(attempt.provider_payment_id)]
        else:
            found = mercadopago_api.payments_search(
                updated_since=attempt.created_at, external_reference=external_reference(attempt)
            )
    except mercadopago_api.MercadoPagoError:
        log.warning("attempt %s: Mercado Pago not reachable", attempt.pk, exc_info=True)
        return attempt
    for mp_payment in found:
        mercadopago_payment_apply(mp_payment=mp_payment, source="return")
    attempt.refresh_from_db()
    return attempt


def cash_vouchers_expire(*, grace: dt.timedelta = dt.timedelta(hours=1)) -> int:
    """Vouchers past their deadline: Mercado Pago's word is applied (paid at the last
    minute posts); one it still calls pending an hour later is expired here. Money that
    arrives later still posts. Returns how many expired."""
    now = timezone.now()
    due = PaymentAttempt.objects.filter(
        provider=Provider.MERCADOPAGO,
        method=Method.CASH,
        status=AttemptStatus.PROCESSING,
        expires_at__lt=now,
    ).exclude(provider_payment_id=None)
    expired = 0
    for attempt in due[:500]:
        try:
            mercadopago_payment_apply(
                mp_payment=mercadopago_api.payment_get(attempt.provider_payment_id),
                source="expiry",
            )
        except mercadopago_api.MercadoPagoError:
            log.warning("voucher %s: Mercado Pago not reachable", attempt.pk, exc_info=True)
            continue
        if attempt.expires_at + grace > now:
            continue
        with transaction.atomic():
            changed = PaymentAttempt.objects.filter(
                pk=attempt.pk, status=AttemptStatus.PROCESSING
            ).update(status=AttemptStatus.EXPIRED, updated_at=now)
            if changed:
                expired += 1
                record(
                    "payment.expired",
                    subject=attempt,
                    details={"provider_payment": attempt.provider_payment_id, "source": "expiry"},
                )
    return expired
