"""A payment reaching an agreement: its installments are paid oldest first, and once every
one is paid the agreement is completed, its discount written off.

Payments calls these inside its posting transaction, with the agreement row locked:
`agreement_payment_apply` says where the money goes (payments posts it to the ledger and
records the allocation), then, after posting, `agreement_complete` when every open
installment is paid. Lock order: agreement → installments → debts (the ledger locks debts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from portal.audit.services import record
from portal.debtors.models import DebtStatus, LedgerKind
from portal.debtors.services import ledger_post, portfolio_today
from portal.debtors.status import debt_status_change

from ..models import Agreement, AgreementStatus, Installment, InstallmentStatus
from .moves import OPEN_INSTALLMENT, check_move, status_move


@dataclass
class Applied:
    """What a payment did to an agreement's schedule."""

    parts: list[tuple[Installment, int]]  # each installment it paid on, and how much
    left_minor: int  # what the open installments could not take (goes to the debts)
    all_paid: bool  # every installment open before the payment is now paid


# savepoint=False: called inside the posting transaction, a savepoint would only add
# round trips; alone, it is the transaction.
@transaction.atomic(savepoint=False)
def agreement_payment_apply(
    *, agreement: Agreement, amount_minor: int, now: dt.datetime | None = None
) -> Applied:
    """Pay the agreement's open installments oldest first, an overpayment going to the
    next ones; the caller posts each part and whatever is left over."""
    installments = list(
        agreement.installments.select_for_update()
        .filter(status__in=OPEN_INSTALLMENT)
        .order_by("number")
    )
    now = now or timezone.now()
    parts: list[tuple[Installment, int]] = []
    left = amount_minor
    for installment in installments:
        take = min(left, installment.amount_minor - installment.paid_minor)
        if take <= 0:
            continue
        installment_pay(installment=installment, amount_minor=take, now=now)
        parts.append((installment, take))
        left -= take
        if not left:
            break
    return Applied(
        parts=parts,
        left_minor=left,
        all_paid=all(i.status == InstallmentStatus.PAID for i in installments),
    )


def installment_pay(*, installment: Installment, amount_minor: int, now: dt.datetime) -> None:
    """Add a payment to a locked installment; paid once it holds its whole amount (until
    then it stays pending or late, partly paid)."""
    installment.paid_minor += amount_minor
    fields = ["paid_minor"]
    if installment.paid_minor >= installment.amount_minor:
        check_move(Installment, installment.status, InstallmentStatus.PAID)
        installment.status, installment.paid_at = InstallmentStatus.PAID, now
        fields += ["status", "paid_at"]
    installment.save(update_fields=fields)


@transaction.atomic(savepoint=False)
def agreement_complete(*, agreement: Agreement) -> bool:
    """All installments paid: the agreement is completed, its discount is written off and
    its debts are settled (discounted) or paid; a debt charged again meanwhile stays open.
    Call it after the payment is posted: the write-off is what the debt still owes, at most
    its line's discount. Returns whether this call completed it."""
    now = timezone.now()
    changed = status_move(
        Agreement.objects.filter(pk=agreement.pk),
        to=AgreementStatus.COMPLETED,
        expect=[AgreementStatus.ACTIVE],
        completed_at=now,
    )
    if not changed:
        return False
    outcomes = {}
    for line in agreement.lines.select_related("debt__portfolio").order_by("debt_id"):
        debt = line.debt
        debt.refresh_from_db(fields=["balance_minor"])
        discount = min(line.discount_minor, max(debt.balance_minor, 0))
        if discount:
            ledger_post(
                debt=debt,
                kind=LedgerKind.DISCOUNT,
                amount_minor=-discount,
                effective_date=portfolio_today(debt.portfolio),
                description=agreement.number or "",
            )
        if debt.balance_minor <= 0:
            status = DebtStatus.SETTLED if line.discount_minor else DebtStatus.PAID
        else:
            status = DebtStatus.ACTIVE
        # agreement.completed below lists each debt's outcome: no entry of its own.
        debt_status_change(debt, to=status, expect=[DebtStatus.IN_AGREEMENT], now=now)
        outcomes[debt.pk] = {"status": status, "discount_minor": discount}
    agreement.lines.update(is_active=False)
    record(
        "agreement.completed",
        subject=agreement,
        details={"number": agreement.number, "debts": outcomes},
    )
    return True
