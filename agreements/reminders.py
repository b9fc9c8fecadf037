"""Which reminders are due today: installments due in 3 days and today, promises and
agreements broken in the last two days. Each goes through outreach's one notice pipeline
(`notice_send`, and so the contact policy) on the debtor's preferred written channel.

Each message's key names the installment, promise or agreement and the notice, so the
daily run can repeat (a retry, a second beat) without sending anything twice.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from portal.outreach.notices import notice_send

from .models import (
    Agreement,
    AgreementStatus,
    Installment,
    InstallmentStatus,
    PromiseStatus,
    PromiseToPay,
)


def _context(debtor, creditor: str, **values) -> dict:
    return {"first_name": (debtor.full_name.split() or [""])[0], "creditor": creditor, **values}


def _installment_key(notice: str, installment: Installment) -> str:
    """Once per installment and due date: a date the debtor moved is reminded again (the
    plain key stays for plans never changed, so nothing already sent goes twice)."""
    if installment.agreement.schedule_revision == 0:
        return f"{notice}:{installment.pk}"
    return f"{notice}:{installment.pk}:{installment.due_date.isoformat()}"


def _queue(debtor, notice: str, key: str, context: dict, **policy) -> None:
    notice_send(debtor=debtor, notice=notice, context=context, key=key, when="queue", **policy)


@transaction.atomic
def reminders_queue(*, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    counts = {"installment_due_soon": 0, "installment_due_today": 0}
    counts.update(promise_broken=0, agreement_broken=0)
    due = Installment.objects.filter(
        status=InstallmentStatus.PENDING,
        agreement__status=AgreementStatus.ACTIVE,
        due_date__in=[today, today + dt.timedelta(days=3)],
    ).select_related("agreement__debtor", "agreement__portfolio__creditor")
    for installment in due:
        agreement = installment.agreement
        soon = installment.due_date != today
        notice = "installment_due_soon" if soon else "installment_due_today"
        context = _context(
            agreement.debtor,
            agreement.portfolio.creditor.name,
            amount_minor=installment.amount_minor - installment.paid_minor,
            currency=agreement.currency,
            due_date=installment.due_date.isoformat(),
        )
        _queue(
            agreement.debtor,
            notice,
            _installment_key(notice, installment),
            context,
            country=agreement.portfolio.country,
        )
        counts[notice] += 1
    since = timezone.now() - dt.timedelta(days=2)
    for promise in PromiseToPay.objects.filter(
        status=PromiseStatus.BROKEN, resolved_at__gte=since
    ).select_related("debtor", "debt__portfolio__creditor"):
        context = _context(
            promise.debtor,
            promise.debt.portfolio.creditor.name,
            amount_minor=promise.amount_minor,
            currency=promise.currency,
            promised_date=promise.promised_date.isoformat(),
        )
        _queue(
            promise.debtor,
            "promise_broken",
            f"promise_broken:{promise.pk}",
            context,
            debt=promise.debt,
        )
        counts["promise_broken"] += 1
    for agreement in Agreement.objects.filter(
        status=AgreementStatus.BROKEN, broken_at__gte=since
    ).select_related("debtor", "portfolio__creditor"):
        context = _context(
            agreement.debtor,
            agreement.portfolio.creditor.name,
            number=agreement.number or str(agreement.pk),
        )
        _queue(
            agreement.debtor,
            "agreement_broken",
            f"agreement_broken:{agreement.pk}",
            context,
            country=agreement.portfolio.country,
        )
        counts["agreement_broken"] += 1
    return counts
