"""Promises to pay, and the daily review that settles promises and installments over time.

`daily_review` is run each morning by Celery beat; the moves it makes are the lifecycle's
(`agreements.lifecycle`): each a conditional UPDATE on the row's current status, written
with its audit event in one transaction, so running the review twice on the same day (or
two workers at once) changes and audits nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.audit.services import record
from portal.debtors.models import Debt, Debtor, DebtStatus, LedgerEntry, LedgerKind
from portal.debtors.services import portfolio_today
from portal.money import format_minor

from .lifecycle import agreement_break, installment_mark_late, promise_break, promise_keep
from .models import (
    Agreement,
    AgreementStatus,
    Installment,
    InstallmentStatus,
    OfferPolicy,
    PromiseStatus,
    PromiseToPay,
)
from .selectors import policy_for

DEFAULT_MAX_DAYS_TO_PROMISE = 15


class PromiseError(ValueError):
    pass


def promise_min_minor(*, policy: OfferPolicy | None, currency: str) -> int:
    """The smallest promise a policy takes: its own minimum, else the currency's smallest
    free payment on the portal (PAYMENT_MIN_FREE_MINOR), else one minor unit."""
    if policy is not None and policy.min_promise_minor:
        return policy.min_promise_minor
    return settings.PAYMENT_MIN_FREE_MINOR.get(currency, 1)


@transaction.atomic
def promise_create(
    *,
    debtor: Debtor,
    debt: Debt,
    amount_minor: int,
    promised_date: dt.date,
    source: str = "portal",
    actor=None,
    today: dt.date | None = None,
) -> PromiseToPay:
    """Record that `debtor` will pay `amount_minor` on `debt` by `promised_date`.

    The date must fall between today and the policy's `max_days_to_promise` (15 days when no
    policy applies); the amount between `promise_min_minor` (or the whole balance, when
    that is less) and the debt's balance.
    """
    # Locking the debt serialises two promises made at once on the same debt.
    debt = Debt.objects.select_for_update().select_related("portfolio").get(pk=debt.pk)
    if debt.debtor_id != debtor.pk:
        raise PromiseError(_("This debt does not belong to this debtor."))
    if debt.status != DebtStatus.ACTIVE:
        raise PromiseError(
            _("A promise can only be made on an active debt; this one is %(status)s.")
            % {"status": debt.get_status_display()}
        )
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise PromiseError(_("The promised amount must be greater than zero."))
    if amount_minor > debt.balance_minor:
        raise PromiseError(_("The promised amount cannot be more than the debt's balance."))
    policy = policy_for(debts=[debt])
    # A balance below the minimum can still be promised whole.
    least = min(promise_min_minor(policy=policy, currency=debt.currency), debt.balance_minor)
    if amount_minor < least:
        raise PromiseError(
            _("The promised amount must be at least %(amount)s.")
            % {"amount": format_minor(least, debt.currency)}
        )

    today = today or portfolio_today(debt.portfolio)
    max_days = policy.max_days_to_promise if policy else DEFAULT_MAX_DAYS_TO_PROMISE
    last_day = today + dt.timedelta(days=max_days)
    if promised_date < today:
        raise PromiseError(_("The promised date cannot be in the past."))
    if promised_date > last_day:
        raise PromiseError(
            _("The promised date must be within %(days)s days, on or before %(date)s.")
            % {"days": max_days, "date": date_format(last_day, "DATE_FORMAT")}
        )
    if debt.promises.filter(status=PromiseStatus.PENDING).exists():
        raise PromiseError(_("There is already a pending promise to pay on this debt."))

    promise = PromiseToPay(
        debtor=debtor,
        debt=debt,
        currency=debt.currency,
        amount_minor=amount_minor,
        promised_date=promised_date,
        source=source,
        created_by=actor if getattr(actor, "is_staff", False) else None,
    )
    promise.full_clean()
    promise.save()
    record(
        "promise.created",
        actor=actor if actor is not None else debtor,
        subject=promise,
        details={
            "debt_id": debt.pk,
            "amount_minor": amount_minor,
            "currency": debt.currency,
            "promised_date": promised_date,
            "max_days": max_days,
            "source": source,
        },
    )
    return promise


@dataclass
class ReviewResult:
    promises_kept: list[int] = field(default_factory=list)
    promises_broken: list[int] = field(default_factory=list)
    installments_late: list[int] = field(default_factory=list)
    agreements_broken: list[int] = field(default_factory=list)


def daily_review(*, today: dt.date) -> ReviewResult:
    """Settle what `today` decides: promises kept or broken, installments late, and
    agreements broken once an installment is late beyond the policy's grace days."""
    result = ReviewResult()
    for promise in PromiseToPay.objects.filter(status=PromiseStatus.PENDING).select_related(
        "debt__portfolio"
    ):
        outcome = _review_promise(promise, today=today)
        if outcome == PromiseStatus.KEPT:
            result.promises_kept.append(promise.pk)
        elif outcome == PromiseStatus.BROKEN:
            result.promises_broken.append(promise.pk)

    overdue = Installment.objects.filter(
        status=InstallmentStatus.PENDING,
        due_date__lt=today,
        agreement__status=AgreementStatus.ACTIVE,
        paid_minor__lt=F("amount_minor"),
    )
    for installment in overdue.order_by("due_date", "pk"):
        if installment_mark_late(installment=installment, today=today):
            result.installments_late.append(installment.pk)

    candidates = Agreement.objects.filter(
        status=AgreementStatus.ACTIVE,
        installments__status=InstallmentStatus.LATE,
        installments__due_date__lt=today,
    ).distinct()
    for agreement in candidates.select_related("quote__policy", "proposal__policy"):
        if agreement_break(agreement=agreement, today=today):
            result.agreements_broken.append(agreement.pk)
    return result


def _paid_towards(promise: PromiseToPay) -> int:
    """Payments posted on the promise's debt from the day it was made to the promised date."""
    made_on = portfolio_today(promise.debt.portfolio, now=promise.created_at)
    total = LedgerEntry.objects.filter(
        debt_id=promise.debt_id,
        kind=LedgerKind.PAYMENT,
        effective_date__gte=made_on,
        effective_date__lte=promise.promised_date,
    ).aggregate(total=Sum("amount_minor"))["total"]
    return -(total or 0)  # payments are negative entries


def _review_promise(promise: PromiseToPay, *, today: dt.date) -> str | None:
    paid = _paid_towards(promise)
    if paid >= promise.amount_minor:
        kept = promise_keep(promise=promise, paid_minor=paid, reviewed_on=today)
        return PromiseStatus.KEPT if kept else None
    if promise.promised_date < today:
        broken = promise_break(promise=promise, paid_minor=paid, reviewed_on=today)
        return PromiseStatus.BROKEN if broken else None
    return None
