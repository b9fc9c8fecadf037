"""Promises to pay, and the daily review that settles promises and installments over time.

`daily_review` is run each morning by Celery beat. Every change is a conditional UPDATE on
the row's current status, written with its audit event in one transaction, so running the
review twice on the same day (or two workers at once) changes and audits nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.audit.services import record
from portal.debtors.models import Debt, Debtor, DebtStatus, LedgerEntry, LedgerKind
from portal.debtors.services import portfolio_today

from .models import (
    Agreement,
    AgreementStatus,
    Installment,
    InstallmentStatus,
    OfferPolicy,
    PromiseStatus,
    PromiseToPay,
)

DEFAULT_MAX_DAYS_TO_PROMISE = 15
DEFAULT_GRACE_DAYS = 10


class PromiseError(ValueError):
    pass


def _policy_for_debts(debts: list[Debt]) -> OfferPolicy | None:
    from .selectors import policy_for

    return policy_for(debts=debts)


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
    policy applies); the amount between one minor unit and the debt's balance.
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

    today = today or portfolio_today(debt.portfolio)
    policy = _policy_for_debts([debt])
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
        if _mark_late(installment, today=today):
            result.installments_late.append(installment.pk)

    candidates = Agreement.objects.filter(
        status=AgreementStatus.ACTIVE,
        installments__status=InstallmentStatus.LATE,
        installments__due_date__lt=today,
    ).distinct()
    for agreement in candidates.select_related("quote__policy", "proposal__policy"):
        if _break_if_past_grace(agreement, today=today):
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
        outcome, action = PromiseStatus.KEPT, "promise.kept"
    elif promise.promised_date < today:
        outcome, action = PromiseStatus.BROKEN, "promise.broken"
    else:
        return None
    with transaction.atomic():
        changed = PromiseToPay.objects.filter(pk=promise.pk, status=PromiseStatus.PENDING).update(
            status=outcome, resolved_at=timezone.now()
        )
        if not changed:
            return None
        record(
            action,
            subject=promise,
            details={
                "debt_id": promise.debt_id,
                "amount_minor": promise.amount_minor,
                "paid_minor": paid,
                "currency": promise.currency,
                "promised_date": promise.promised_date,
                "reviewed_on": today,
            },
        )
    return outcome


def _mark_late(installment: Installment, *, today: dt.date) -> bool:
    with transaction.atomic():
        changed = Installment.objects.filter(
            pk=installment.pk, status=InstallmentStatus.PENDING
        ).update(status=InstallmentStatus.LATE)
        if changed:
            record(
                "installment.late",
                subject=installment,
                details={
                    "agreement_id": installment.agreement_id,
                    "number": installment.number,
                    "due_date": installment.due_date,
                    "amount_minor": installment.amount_minor,
                    "paid_minor": installment.paid_minor,
                    "reviewed_on": today,
                },
            )
    return bool(changed)


def grace_days_for(agreement: Agreement) -> int:
    """The grace of the policy the agreement was made under (its quote's or proposal's);
    failing that, the policy now in force for its debts; failing that, 10 days."""
    policy = None
    if agreement.quote_id:
        policy = agreement.quote.policy
    elif agreement.proposal_id:
        policy = agreement.proposal.policy
    else:
        debts = [line.debt for line in agreement.lines.select_related("debt")]
        policy = _policy_for_debts(debts)
    return policy.grace_days if policy else DEFAULT_GRACE_DAYS


def _break_if_past_grace(agreement: Agreement, *, today: dt.date) -> bool:
    grace_days = grace_days_for(agreement)
    cutoff = today - dt.timedelta(days=grace_days)
    # Late "more than grace_days": due before the cutoff, not on it.
    late = list(
        agreement.installments.filter(status=InstallmentStatus.LATE, due_date__lt=cutoff)
        .order_by("number")
        .values("number", "due_date", "amount_minor", "paid_minor")
    )
    if not late:
        return False
    with transaction.atomic():
        changed = Agreement.objects.filter(pk=agreement.pk, status=AgreementStatus.ACTIVE).update(
            status=AgreementStatus.BROKEN, broken_at=timezone.now()
        )
        if not changed:
            return False
        debt_ids = list(agreement.lines.values_list("debt_id", flat=True))
        agreement.lines.update(is_active=False)
        # Only debts still held by this agreement go back; a disputed or legal one stays.
        reopened = list(
            Debt.objects.filter(pk__in=debt_ids, status=DebtStatus.IN_AGREEMENT).values_list(
                "pk", flat=True
            )
        )
        Debt.objects.filter(pk__in=reopened).update(status=DebtStatus.ACTIVE)
        cancelled = list(
            agreement.installments.filter(
                status__in=[InstallmentStatus.PENDING, InstallmentStatus.LATE]
            )
            .order_by("number")
            .values_list("number", flat=True)
        )
        agreement.installments.filter(number__in=cancelled).update(
            status=InstallmentStatus.CANCELLED
        )
        record(
            "agreement.broken",
            subject=agreement,
            details={
                "number": agreement.number,
                "grace_days": grace_days,
                "late_installments": late,
                "cancelled_installments": cancelled,
                "debts_reactivated": reopened,
                "reviewed_on": today,
            },
        )
    return True
