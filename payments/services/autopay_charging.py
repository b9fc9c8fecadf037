"""Autopay charges: installments due on active autopays, charged off-session, retried a
limited number of times. See autopay.py for the whole picture."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agreements.models import Agreement, AgreementStatus, Installment
from portal.audit.services import record
from portal.debtors.models import Portfolio
from portal.debtors.services import portfolio_today

from .. import stripe_api
from ..models import AttemptStatus, Autopay, AutopayStatus, PaymentAttempt, Purpose
from ..selectors import OPEN_INSTALLMENT
from .outcomes import attempt_failure_notify, attempt_mark_failed
from .posting import payment_post_intent

log = logging.getLogger(__name__)
WAITING = (AttemptStatus.OPEN, AttemptStatus.PROCESSING)


def autopay_charge_due(
    *, now: dt.datetime | None = None, today: dt.date | None = None
) -> dict[str, int]:
    """Charge every open installment due by its portfolio's local date at `now` on an
    active autopay; returns how many charges ended each way (paid, failed, waiting,
    exhausted, ...). Due dates are dates in the portfolio's calendar (agreements are made
    with `portfolio_today`), so "due today" is judged there, not in the server's
    TIME_ZONE: at 23:30 in Bogotá a Bogotá installment due tomorrow is not due, even though
    it is already tomorrow in UTC. `today` (tests, backfills) stands for every portfolio's
    local date."""
    now = now or timezone.now()
    active = Agreement.objects.filter(
        status=AgreementStatus.ACTIVE, autopays__status=AutopayStatus.ACTIVE
    )
    due: list[tuple[dt.date, int, int, int, int]] = []
    for portfolio in Portfolio.objects.filter(pk__in=active.values("portfolio_id")).order_by("id"):
        local_today = today or portfolio_today(portfolio, now)
        due.extend(
            Installment.objects.filter(
                status__in=OPEN_INSTALLMENT,
                due_date__lte=local_today,
                agreement__portfolio=portfolio,
                agreement__status=AgreementStatus.ACTIVE,
                agreement__autopays__status=AutopayStatus.ACTIVE,
            ).values_list("due_date", "agreement_id", "number", "pk", "agreement__autopays__pk")
        )
    outcomes = Counter(
        autopay_charge_installment(autopay_id=autopay_id, installment_id=installment_id)
        for _due, _agreement, _number, installment_id, autopay_id in sorted(due)
    )
    return dict(outcomes)


def autopay_charge_installment(*, autopay_id: int, installment_id: int) -> str:
    attempt_or_outcome = _attempt_to_send(autopay_id, installment_id)
    if isinstance(attempt_or_outcome, str):
        return attempt_or_outcome
    attempt = attempt_or_outcome
    autopay = attempt.autopay
    try:
        intent = stripe_api.intent_charge_off_session(
            amount_minor=attempt.amount_minor,
            currency=attempt.currency,
            customer_id=autopay.stripe_customer_id,
            payment_method_id=autopay.stripe_payment_method_id,
            metadata={
                "attempt_id": str(attempt.pk),
                "debtor_id": str(attempt.debtor_id),
                "purpose": attempt.purpose,
                "autopay_id": str(autopay.pk),
            },
            idempotency_key=attempt.idempotency_key,
        )
    except stripe.CardError as error:
        return _declined(attempt, error)
    except stripe.StripeError:
        # Unknown outcome: the attempt stays `new`, the next run resends the same key.
        log.exception("autopay charge for attempt %s did not get an answer", attempt.pk)
        return "error"
    with transaction.atomic():
        PaymentAttempt.objects.filter(pk=attempt.pk, status=AttemptStatus.NEW).update(
            stripe_payment_intent_id=intent.id,
            status=AttemptStatus.PROCESSING,
            updated_at=timezone.now(),
        )
        record(
            "autopay.charged",
            subject=attempt,
            details={"payment_intent": intent.id, "stripe_status": intent.status},
        )
    if intent.status == "succeeded":
        # Stripe's own answer to our server: post now (the webhook later finds it posted).
        payment_post_intent(intent=intent.to_dict())
        return "paid"
    return "processing"


def _attempt_to_send(autopay_id: int, installment_id: int) -> PaymentAttempt | str:
    """Under locks: the attempt to send now (a new one, or a `new` one whose answer was
    lost), or why nothing is sent."""
    with transaction.atomic():
        autopay = Autopay.objects.select_for_update().get(pk=autopay_id)
        if autopay.status != AutopayStatus.ACTIVE:
            return "off"
        installment = (
            Installment.objects.select_for_update(of=("self",))
            .select_related("agreement")
            .get(pk=installment_id)
        )
        if (
            installment.status not in OPEN_INSTALLMENT
            or installment.agreement.status != AgreementStatus.ACTIVE
            or installment.paid_minor >= installment.amount_minor
        ):
            return "nothing_due"
        earlier = list(
            PaymentAttempt.objects.filter(autopay=autopay, installment=installment).order_by("id")
        )
        unsent = [a for a in earlier if a.status == AttemptStatus.NEW]
        if unsent:
            unsent[0].autopay = autopay
            return unsent[0]
        if any(a.status in WAITING for a in earlier):
            return "waiting"
        failures = [a for a in earlier if a.status == AttemptStatus.FAILED]
        if len(failures) >= settings.PAYMENT_AUTOPAY_MAX_ATTEMPTS:
            return "exhausted"
        spacing = dt.timedelta(days=settings.PAYMENT_AUTOPAY_RETRY_DAYS)
        if failures and failures[-1].updated_at > timezone.now() - spacing:
            return "not_yet"
        number = len(earlier) + 1
        attempt = PaymentAttempt(
            debtor_id=autopay.debtor_id,
            purpose=Purpose.INSTALLMENT,
            agreement=installment.agreement,
            installment=installment,
            currency=installment.agreement.currency,
            amount_minor=installment.amount_minor - installment.paid_minor,
            idempotency_key=f"autopay-installment-{installment.pk}.{number}",
            autopay=autopay,
        )
        attempt.full_clean()
        attempt.save()
        record(
            "autopay.charge_started",
            subject=attempt,
            details={
                "autopay_id": autopay.pk,
                "installment_id": installment.pk,
                "attempt_number": number,
                "amount_minor": attempt.amount_minor,
                "currency": attempt.currency,
                "idempotency_key": attempt.idempotency_key,
            },
        )
        return attempt


def _declined(attempt: PaymentAttempt, error: stripe.CardError) -> str:
    body = getattr(error, "error", None)
    intent = getattr(body, "payment_intent", None) if body else None
    intent_id = getattr(intent, "id", None) or ""
    message = (error.user_message or str(error))[:500]
    with transaction.atomic():
        locked = (
            PaymentAttempt.objects.select_for_update(of=("self",))
            .select_related("debtor", "agreement__portfolio")
            .get(pk=attempt.pk)
        )
        if intent_id and not locked.stripe_payment_intent_id:
            PaymentAttempt.objects.filter(pk=locked.pk).update(stripe_payment_intent_id=intent_id)
        attempt_mark_failed(
            attempt=locked,
            intent={
                "id": intent_id or "",
                "last_payment_error": {
                    "code": getattr(error, "code", "") or "",
                    "message": message,
                },
            },
            source="autopay",
            notify=False,
        )
        failures = PaymentAttempt.objects.filter(
            autopay_id=locked.autopay_id,
            installment_id=locked.installment_id,
            status=AttemptStatus.FAILED,
        ).count()
        left = max(settings.PAYMENT_AUTOPAY_MAX_ATTEMPTS - failures, 0)
        attempt_failure_notify(
            attempt=locked,
            reason=message,
            notice="autopay_failed",
            context={"retries_left": left, "retry_days": settings.PAYMENT_AUTOPAY_RETRY_DAYS},
        )
    return "failed"
