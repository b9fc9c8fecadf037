"""A debt's `disputed` status, shared by the two kinds of dispute that set it: card
disputes (payments.DebtDispute) and disputes the debtor raises on a call (the
outreach ContactOutcome with outcome "dispute"). While any of them is open the debt stays
`disputed`, which stops collection outreach; when the last one closes the debt goes back to
the status it had before the first.

The models are looked up by name: payments and staff build on debtors, not the reverse.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps

from .models import Debt, DebtStatus


def _card_disputes():
    return apps.get_model("payments", "DebtDispute").objects.filter(closed_at=None)


def _call_disputes():
    return apps.get_model("outreach", "ContactOutcome").objects.filter(
        outcome="dispute", resolution__isnull=True
    )


def debt_disputes_open(debt_id: int, *, excluding_call: int | None = None) -> bool:
    """Whether any dispute, card or call, is open on the debt (`excluding_call`: a call
    dispute being closed right now, not yet marked)."""
    calls = _call_disputes().filter(debt_id=debt_id)
    if excluding_call is not None:
        calls = calls.exclude(pk=excluding_call)
    return _card_disputes().filter(debt_id=debt_id).exists() or calls.exists()


def debt_status_before_dispute(debt: Debt) -> str:
    """What the debt returns to when its disputes close: its status now, or, if another
    dispute already made it `disputed`, the status that one remembered."""
    if debt.status != DebtStatus.DISPUTED:
        return debt.status
    card = _card_disputes().filter(debt_id=debt.pk).order_by("opened_at", "id")
    call = _call_disputes().filter(debt_id=debt.pk).order_by("occurred_at", "id")
    earlier = [
        *card.values_list("opened_at", "previous_status")[:1],
        *call.values_list("occurred_at", "previous_debt_status")[:1],
    ]
    earlier = [row for row in earlier if row[1] and row[1] != DebtStatus.DISPUTED]
    return min(earlier)[1] if earlier else debt.status


def debt_dispute_restore(
    *, debt_id: int, previous_status: str, now: dt.datetime, excluding_call: int | None = None
) -> bool:
    """Put a disputed debt back to `previous_status` once no dispute is open on it; returns
    whether it changed. A debt someone moved on meanwhile (closed, legal) is left alone."""
    if debt_disputes_open(debt_id, excluding_call=excluding_call):
        return False
    if not previous_status or previous_status == DebtStatus.DISPUTED:
        return False
    changed = Debt.objects.filter(pk=debt_id, status=DebtStatus.DISPUTED).update(
        status=previous_status, updated_at=now
    )
    return changed == 1
