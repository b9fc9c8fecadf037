"""A refund reaching an agreement: the installments it had paid open again, and when the
refunded payment had completed the agreement, the agreement is active again.

Payments calls these while writing a refund back, with the payment locked:
`agreement_reopen_after_refund` first (so the installments below belong to an active
agreement again), then `installment_refund` for each refunded allocation after posting its
refund entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from portal.audit.services import record
from portal.debtors.models import DebtStatus, LedgerEntry, LedgerKind
from portal.debtors.services import ledger_post, portfolio_today
from portal.debtors.status import debt_status_change

from ..models import Agreement, AgreementDebt, AgreementStatus, Installment, InstallmentStatus
from .moves import check_move, status_move


def installment_refund(*, installment: Installment, amount_minor: int, today: dt.date) -> None:
    """Take a refunded amount back off an installment of an active agreement; below its
    amount it is open again, late when its due date is before `today` (the debt's
    portfolio's day). Installments of a broken or completed agreement keep their history."""
    if installment.agreement.status != AgreementStatus.ACTIVE:
        return
    installment.paid_minor = max(installment.paid_minor - amount_minor, 0)
    if installment.paid_minor < installment.amount_minor:
        status = (
            InstallmentStatus.LATE if installment.due_date < today else InstallmentStatus.PENDING
        )
        if status != installment.status:
            check_move(Installment, installment.status, status)
        installment.status = status
        installment.paid_at = None
    installment.save(update_fields=["paid_minor", "status", "paid_at"])


@transaction.atomic(savepoint=False)  # inside the refund's transaction; alone, its own
def agreement_reopen_after_refund(
    *, agreement_id: int | None, payment_number: str, actor: Any = None
) -> bool:
    """The refunded payment had completed its agreement: make it active again, its discount
    write-off reversed and its debts back `in_agreement`, unless one of its debts is in
    another active agreement by now (then staff decide; audited). Returns whether it
    reopened; False for an agreement that is not completed."""
    if agreement_id is None:
        return False
    agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
    if agreement.status != AgreementStatus.COMPLETED:
        return False
    lines = list(agreement.lines.select_related("debt__portfolio").order_by("debt_id"))
    debt_ids = [line.debt_id for line in lines]
    if AgreementDebt.objects.filter(debt_id__in=debt_ids, is_active=True).exists():
        record(
            "agreement.not_reopened",
            actor=actor,
            subject=agreement,
            details={"payment": payment_number, "reason": "debt_in_another_agreement"},
        )
        return False
    reversed_discounts = {}
    for line in lines:
        for discount, written_off in _discounts_written_off(line.debt_id, agreement.number or ""):
            ledger_post(
                debt=line.debt,
                kind=LedgerKind.REVERSAL,
                amount_minor=written_off,
                effective_date=portfolio_today(line.debt.portfolio),
                description=f"{agreement.number} discount reversed",
                actor=actor,
                reverses=discount,
            )
            reversed_discounts[line.debt_id] = reversed_discounts.get(line.debt_id, 0) + written_off
    status_move(
        Agreement.objects.filter(pk=agreement.pk),
        to=AgreementStatus.ACTIVE,
        expect=[AgreementStatus.COMPLETED],
        completed_at=None,
    )
    agreement.lines.update(is_active=True)
    # agreement.reopened below states the move: no entry per debt. A debt disputed or
    # sent to legal since then stays where it is.
    debt_status_change(
        debt_ids,
        to=DebtStatus.IN_AGREEMENT,
        expect=[DebtStatus.PAID, DebtStatus.SETTLED, DebtStatus.ACTIVE],
    )
    record(
        "agreement.reopened",
        actor=actor,
        subject=agreement,
        details={"payment": payment_number, "discount_reversed": reversed_discounts},
    )
    return True


def _discounts_written_off(debt_id: int, number: str) -> list[tuple[LedgerEntry, int]]:
    """The agreement's discount entries on a debt and what of each is still written off
    (not yet reversed by an earlier reopening)."""
    discounts = (
        LedgerEntry.objects.filter(debt_id=debt_id, kind=LedgerKind.DISCOUNT, description=number)
        .annotate(restored=Coalesce(Sum("reversed_by__amount_minor"), 0))
        .order_by("id")
    )
    return [(d, -d.amount_minor - d.restored) for d in discounts if -d.amount_minor > d.restored]
