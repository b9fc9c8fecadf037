"""Starting a payment: the attempt row, its Stripe PaymentIntent, the Card Element confirm.

Order of work, so no network call ever runs inside a transaction: (1) write the attempt in
a transaction, (2) call Stripe with an idempotency key made of our ids, (3) store Stripe's
answer in a second transaction with a conditional UPDATE.
"""

from __future__ import annotations

import logging

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import AgreementStatus, InstallmentStatus, PromiseStatus
from portal.audit.services import record
from portal.debtors.models import Debt, Debtor, DebtStatus

from .. import stripe_api
from ..models import AttemptStatus, Method, PayForOtherLink, PaymentAttempt, Provider, Purpose
from ..selectors import Payable, payables_for, payment_methods_for
from ..selectors_third_party import third_party_payable

log = logging.getLogger(__name__)

# Attempts that may be picked up again; PROCESSING waits for the webhook, the rest are done.
REUSABLE = (AttemptStatus.NEW, AttemptStatus.OPEN, AttemptStatus.FAILED)


class PaymentError(Exception):
    """A payment request the rules refuse; the message is safe to show the debtor."""


def payable_for_key(*, debtor: Debtor, key: str) -> Payable:
    """The payable the debtor picked, recomputed from the database (never from the form)."""
    for payable in payables_for(debtor):
        if payable.key == key:
            return payable
    raise PaymentError(_("This payment option is no longer available."))


def idempotency_base(
    payable: Payable,
    amount_minor: int,
    provider: str = Provider.STRIPE,
    method: str = Method.CARD,
) -> str:
    """What is being paid and how, in our ids: the same thing, amount and way to pay give
    the same key (Stripe's card keeps the shorter key it always had)."""
    base = f"pay-{payable.key}-{amount_minor}{payable.currency}"
    if (provider, method) != (Provider.STRIPE, Method.CARD):
        base += f"-{provider}-{method}"
    return base


def check_amount(payable: Payable, amount_minor: int | None) -> int:
    """The amount to charge. Fixed options refuse any other amount than the one due; an
    amount of the debtor's choice must lie between the minimum and the balance."""
    if not payable.is_free:
        if amount_minor is not None and amount_minor != payable.amount_minor:
            raise PaymentError(_("The amount does not match what is due. Please try again."))
        return payable.amount_minor
    if amount_minor is None:
        raise PaymentError(_("Type the amount you want to pay."))
    if amount_minor < payable.amount_minor:
        raise PaymentError(_("The amount is below the minimum you can pay online."))
    if amount_minor > (payable.max_minor or 0):
        raise PaymentError(_("The amount is more than what you owe on this debt."))
    return amount_minor


@transaction.atomic
def attempt_start(
    *,
    debtor: Debtor,
    key: str,
    amount_minor: int | None = None,
    provider: str = Provider.STRIPE,
    method: str = Method.CARD,
    third_party_link: PayForOtherLink | None = None,
) -> PaymentAttempt:
    """Find or create the attempt for what the debtor picked and how they pay it; no
    provider call here.

    Coming back to pay the same thing with the same amount the same way returns the same
    attempt (and so the same PaymentIntent or voucher). A finished one (paid, cancelled,
    expired) makes room for a new try. With `third_party_link`, someone else pays what
    the link pays (recomputed now); their attempts are their own, apart from the debtor's.
    """
    if third_party_link is None:
        payable = payable_for_key(debtor=debtor, key=key)
    else:
        payable = third_party_payable(third_party_link)
        if payable is None or payable.key != key or not third_party_link.is_live():
            raise PaymentError(_("This payment option is no longer available."))
    amount = check_amount(payable, amount_minor)
    if not any(
        (option.provider, option.method) == (provider, method)
        for option in payment_methods_for(
            payable.portfolio, payable.currency, configured_only=False
        )
    ):
        raise PaymentError(_("This way to pay is not available. Please choose another."))
    base = idempotency_base(payable, amount, provider, method)
    if third_party_link is not None:
        base += f"-tp{third_party_link.pk}"
    previous = (
        PaymentAttempt.objects.select_for_update()
        .filter(debtor=debtor, idempotency_key__startswith=f"{base}.")
        .order_by("-id")
        .first()
    )
    if previous is not None and _voucher_overdue(previous):
        _expire_for_renewal(previous)
    if previous is not None and previous.status not in (
        AttemptStatus.SUCCEEDED,
        AttemptStatus.CANCELED,
        AttemptStatus.EXPIRED,
    ):
        return previous
    generation = int(previous.idempotency_key.rsplit(".", 1)[1]) + 1 if previous else 1
    attempt = PaymentAttempt(
        debtor=debtor,
        purpose=payable.purpose,
        agreement=payable.agreement,
        installment=payable.installment,
        promise=payable.promise,
        debt=payable.debt,
        currency=payable.currency,
        amount_minor=amount,
        provider=provider,
        method=method,
        idempotency_key=f"{base}.{generation}",
        third_party_link=third_party_link,
    )
    attempt.full_clean()
    try:
        with transaction.atomic():
            attempt.save()
    except IntegrityError:
        # Two clicks at once: the other one created it; use that.
        return PaymentAttempt.objects.get(idempotency_key=attempt.idempotency_key)
    record(
        "payment.attempt_created",
        actor=debtor if third_party_link is None else None,
        subject=attempt,
        details={
            "payer": payer_of(attempt),
            "purpose": attempt.purpose,
            "provider": provider,
            "method": method,
            "amount_minor": amount,
            "currency": attempt.currency,
            "idempotency_key": attempt.idempotency_key,
            "agreement_id": attempt.agreement_id,
            "installment_id": attempt.installment_id,
            "promise_id": attempt.promise_id,
            "debt_id": attempt.debt_id,
        },
    )
    return attempt


def payer_of(attempt: PaymentAttempt) -> str:
    """Who pays, for the audit log: the debtor, or someone else through a pay-only link."""
    return "third_party" if attempt.third_party_link_id else "debtor"


def _voucher_overdue(attempt: PaymentAttempt) -> bool:
    return (
        attempt.method == Method.CASH
        and attempt.status == AttemptStatus.PROCESSING
        and attempt.expires_at is not None
        and attempt.expires_at < timezone.now()
    )


def _expire_for_renewal(attempt: PaymentAttempt) -> None:
    """A voucher past its deadline gives way to a new one at once, without waiting for the
    provider or the sweep to close it; should it still be paid, that money posts anyway."""
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        status=AttemptStatus.EXPIRED, updated_at=timezone.now()
    )
    attempt.status = AttemptStatus.EXPIRED
    record(
        "payment.expired",
        subject=attempt,
        details={"provider_payment": attempt.provider_payment_id, "source": "renewal"},
    )


def attempt_open_intent(*, attempt: PaymentAttempt) -> PaymentAttempt:
    """Make sure the attempt has a PaymentIntent: reuse the stored one, else create it."""
    if attempt.stripe_payment_intent_id:
        return attempt
    intent = stripe_api.intent_create(
        amount_minor=attempt.amount_minor,
        currency=attempt.currency,
        metadata={
            "attempt_id": str(attempt.pk),
            "debtor_id": str(attempt.debtor_id),
            "purpose": attempt.purpose,
        },
        idempotency_key=attempt.idempotency_key,
    )
    with transaction.atomic():
        stored = PaymentAttempt.objects.filter(
            pk=attempt.pk, stripe_payment_intent_id__isnull=True
        ).update(
            stripe_payment_intent_id=intent.id,
            client_secret=intent.client_secret,
            status=AttemptStatus.OPEN,
        )
        if stored:
            record(
                "payment.intent_created",
                subject=attempt,
                details={
                    "payment_intent": intent.id,
                    "amount_minor": attempt.amount_minor,
                    "currency": attempt.currency,
                    "idempotency_key": attempt.idempotency_key,
                },
            )
    attempt.refresh_from_db()
    if not stored and attempt.stripe_payment_intent_id != intent.id:
        # A concurrent request stored its own intent first (Stripe would have returned the
        # same one for the same key; a fake may not). Ours is orphaned: cancel it.
        try:
            stripe_api.intent_cancel(intent.id)
        except stripe.StripeError:
            log.warning("could not cancel orphan PaymentIntent %s", intent.id, exc_info=True)
    return attempt


def attempt_is_payable(attempt: PaymentAttempt) -> bool:
    """Is what this attempt pays still open? (An installment paid meanwhile is not.)"""
    if attempt.status not in REUSABLE:
        return False
    if attempt.purpose == Purpose.INSTALLMENT:
        installment = attempt.installment
        return (
            installment.status in (InstallmentStatus.PENDING, InstallmentStatus.LATE)
            and attempt.agreement.status == AgreementStatus.ACTIVE
        )
    if attempt.purpose == Purpose.AGREEMENT:
        return attempt.agreement.status == AgreementStatus.ACTIVE
    if attempt.purpose == Purpose.PROMISE:
        return attempt.promise.status == PromiseStatus.PENDING
    debt = Debt.objects.only("status", "balance_minor").get(pk=attempt.debt_id)
    return debt.status == DebtStatus.ACTIVE and debt.balance_minor > 0


def attempt_confirm_card(*, attempt: PaymentAttempt, token_id: str) -> PaymentAttempt:
    """Card Element path: confirm the intent with the card Stripe.js tokenised.

    The outcome is only *processing* here: the payment is posted when the signed webhook
    says it succeeded, never on the browser's word.
    """
    if not attempt.stripe_payment_intent_id or not attempt_is_payable(attempt):
        raise PaymentError(_("This payment can no longer be made. Please start again."))
    if not token_id.startswith("tok_") or len(token_id) > 255:
        raise PaymentError(_("The card could not be read. Please try again."))
    try:
        intent = stripe_api.intent_confirm_with_token(
            intent_id=attempt.stripe_payment_intent_id,
            token_id=token_id,
            idempotency_key=attempt.idempotency_key,
        )
    except stripe.CardError as error:
        return _attempt_failed_now(attempt, error.user_message or str(error))
    except stripe.InvalidRequestError as error:
        log.warning("confirm refused for %s: %s", attempt.stripe_payment_intent_id, error)
        return _attempt_failed_now(attempt, _("The card was not accepted."))
    status = {
        "succeeded": AttemptStatus.PROCESSING,
        "processing": AttemptStatus.PROCESSING,
        "requires_capture": AttemptStatus.PROCESSING,
    }.get(intent.status, AttemptStatus.OPEN)
    with transaction.atomic():
        # Never step back from what a webhook already decided.
        PaymentAttempt.objects.filter(pk=attempt.pk, status__in=REUSABLE).update(
            status=status, failure_message=""
        )
        record(
            "payment.confirmed",
            subject=attempt,
            details={"payment_intent": intent.id, "stripe_status": intent.status},
        )
    attempt.refresh_from_db()
    attempt.stripe_status = intent.status
    return attempt


def _attempt_failed_now(attempt: PaymentAttempt, message: str) -> PaymentAttempt:
    with transaction.atomic():
        PaymentAttempt.objects.filter(pk=attempt.pk, status__in=REUSABLE).update(
            status=AttemptStatus.FAILED, failure_message=message[:500]
        )
        record(
            "payment.declined",
            subject=attempt,
            details={"payment_intent": attempt.stripe_payment_intent_id, "message": message},
        )
    attempt.refresh_from_db()
    attempt.stripe_status = "requires_payment_method"
    return attempt
