"""Time passing on an agreement: an unpaid installment past its due date is late, and an
agreement with one late beyond its policy's grace days is broken.

Called by the daily review (`agreements.promises.daily_review`). Each move is a guarded
UPDATE on the row's current status, written with its audit entry in one transaction, so a
second run (or a second worker) changes and audits nothing twice.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from portal.audit.services import record
from portal.debtors.models import Debt, DebtStatus
from portal.debtors.status import debt_status_change

from ..models import Agreement, AgreementStatus, Installment, InstallmentStatus
from ..selectors import policy_for
from .moves import OPEN_INSTALLMENT, status_move

DEFAULT_GRACE_DAYS = 10


@transaction.atomic(savepoint=False)
def installment_mark_late(*, installment: Installment, today: dt.date) -> bool:
    """A pending installment whose due date has passed is late; returns whether it moved."""
    changed = status_move(
        Installment.objects.filter(pk=installment.pk),
        to=InstallmentStatus.LATE,
        expect=[InstallmentStatus.PENDING],
    )
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
        policy = policy_for(debts=debts)
    return policy.grace_days if policy else DEFAULT_GRACE_DAYS


def agreement_break(*, agreement: Agreement, today: dt.date) -> bool:
    """Break an active agreement with an installment late more than its grace days: its
    open installments are cancelled and the debts it still holds are `active` again.
    Returns whether this call broke it (False inside the grace, or broken already)."""
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
    with transaction.atomic(savepoint=False):
        changed = status_move(
            Agreement.objects.filter(pk=agreement.pk),
            to=AgreementStatus.BROKEN,
            expect=[AgreementStatus.ACTIVE],
            broken_at=timezone.now(),
        )
        if not changed:
            return False
        debt_ids = list(agreement.lines.values_list("debt_id", flat=True))
        agreement.lines.update(is_active=False)
        # Only debts still held by this agreement go back; a disputed or legal one stays.
        # agreement.broken below lists them: no entry per debt.
        held = list(
            Debt.objects.filter(pk__in=debt_ids, status=DebtStatus.IN_AGREEMENT).values_list(
                "pk", flat=True
            )
        )
        moved = set(
            debt_status_change(held, to=DebtStatus.ACTIVE, expect=[DebtStatus.IN_AGREEMENT])
        )
        reopened = [pk for pk in held if pk in moved]
        cancelled = list(
            agreement.installments.filter(status__in=OPEN_INSTALLMENT)
            .order_by("number")
            .values_list("number", flat=True)
        )
        status_move(
            agreement.installments.filter(number__in=cancelled),
            to=InstallmentStatus.CANCELLED,
            expect=OPEN_INSTALLMENT,
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
