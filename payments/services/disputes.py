"""Card disputes. While a dispute is open the debts its payment went to are `disputed`,
and a disputed debt gets no outreach (the contract with portal/outreach). Closing the
dispute puts each debt back to the status it had; a lost dispute also takes the money
back off the debt, like a refund."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from portal.audit.services import record
from portal.debtors.disputes import debt_dispute_restore, debt_status_before_dispute
from portal.debtors.models import Debt, DebtStatus

from ..models import DebtDispute, Payment
from .refunds import payment_apply_refunded_total

# Stripe's closed statuses where the money stays with us.
KEPT = ("won", "warning_closed")


def payment_dispute_open(*, payment: Payment, dispute: dict[str, Any]) -> list[int]:
    """Flag a locked payment and its debts; returns the debts newly flagged (none on a
    repeated event)."""
    now = timezone.now()
    if payment.disputed_at is None:
        payment.disputed_at = now
        payment.save(update_fields=["disputed_at"])
    flagged = []
    debt_ids = sorted({a.debt_id for a in payment.allocations.all()})
    for debt in Debt.objects.select_for_update().filter(pk__in=debt_ids).order_by("id"):
        if DebtDispute.objects.filter(debt=debt, stripe_dispute_id=dispute["id"]).exists():
            continue
        # Already disputed by another open dispute (card or call): remember what it was
        # before that one.
        previous = debt_status_before_dispute(debt)
        DebtDispute.objects.create(
            debt=debt,
            payment=payment,
            stripe_dispute_id=dispute["id"],
            previous_status=previous,
            reason=str(dispute.get("reason") or "")[:100],
            amount_minor=int(dispute.get("amount") or 0),
            opened_at=now,
        )
        if debt.status != DebtStatus.DISPUTED:
            Debt.objects.filter(pk=debt.pk).update(status=DebtStatus.DISPUTED, updated_at=now)
        record(
            "debt.disputed",
            subject=debt,
            details={"dispute": dispute["id"], "payment": payment.number, "previous": previous},
        )
        flagged.append(debt.pk)
    if flagged:
        record(
            "payment.disputed",
            subject=payment,
            details={
                "dispute": dispute["id"],
                "reason": dispute.get("reason", ""),
                "amount_minor": dispute.get("amount"),
                "debt_ids": flagged,
            },
        )
    return flagged


def payment_dispute_close(*, payment: Payment, dispute: dict[str, Any]) -> list[int]:
    """Close the dispute on each debt; restore the debt's status once no dispute is open
    on it. Lost: the disputed amount leaves the payment (refund entries, reopened plan)."""
    now = timezone.now()
    outcome = str(dispute.get("status") or "closed")[:30]
    restored = []
    open_rows = list(
        DebtDispute.objects.select_for_update()
        .filter(payment=payment, stripe_dispute_id=dispute["id"], closed_at=None)
        .order_by("debt_id")
    )
    for row in open_rows:
        DebtDispute.objects.filter(pk=row.pk).update(closed_at=now, outcome=outcome)
        # Shared with disputes raised on calls: the debt stays disputed while any is open.
        back = debt_dispute_restore(
            debt_id=row.debt_id, previous_status=row.previous_status, now=now
        )
        if back:
            restored.append(row.debt_id)
        record(
            "debt.dispute_closed",
            subject=("debtors.debt", row.debt_id),
            details={
                "dispute": dispute["id"],
                "outcome": outcome,
                "restored_to": row.previous_status if back else None,
            },
        )
    if open_rows and outcome not in KEPT:
        amount = int(dispute.get("amount") or 0)
        payment_apply_refunded_total(
            payment=payment,
            refunded_total=payment.refunded_minor + amount,
            source="dispute_lost",
            reference=dispute["id"],
        )
    return restored
