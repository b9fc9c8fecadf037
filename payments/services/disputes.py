"""Card disputes. While a dispute is open the debts its payment went to are `disputed`,
and a disputed debt gets no outreach (the contract with portal/outreach). Closing the
dispute puts each debt back to the status it had; a lost dispute also takes the money
back off the debt, like a refund."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from portal.audit.services import record
from portal.debtors.disputes import dispute_hold_close, dispute_hold_open
from portal.debtors.models import Debt, HoldKind

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
        # The hold makes the debt disputed; if another open dispute (card or call) already
        # did, it remembers the status before that one.
        hold = dispute_hold_open(
            debt=debt,
            kind=HoldKind.CARD,
            reference=dispute["id"],
            details={"dispute": dispute["id"], "payment": payment.number},
            now=now,
        )
        DebtDispute.objects.create(
            debt=debt,
            payment=payment,
            stripe_dispute_id=dispute["id"],
            previous_status=hold.previous_status,
            reason=str(dispute.get("reason") or "")[:100],
            amount_minor=int(dispute.get("amount") or 0),
            opened_at=now,
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
        # Audited as debt.dispute_closed.
        back = dispute_hold_close(
            debt_id=row.debt_id,
            kind=HoldKind.CARD,
            reference=row.stripe_dispute_id,
            details={"dispute": dispute["id"], "outcome": outcome},
            now=now,
        )
        if back:
            restored.append(row.debt_id)
    if open_rows and outcome not in KEPT:
        amount = int(dispute.get("amount") or 0)
        payment_apply_refunded_total(
            payment=payment,
            refunded_total=payment.refunded_minor + amount,
            source="dispute_lost",
            reference=dispute["id"],
        )
    return restored
