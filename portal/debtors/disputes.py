"""A debt's dispute holds, whatever raised them: a card dispute (payments) or a dispute the
debtor raised on a call (staff). While any hold on a debt is open the debt stays
`disputed`, which stops collection outreach; when the last one closes the debt goes back to
the status it had before the first. The apps that raise disputes keep their own records and
call these two services; nothing else opens or closes a hold, and every status write goes
through `portal.debtors.status.debt_status_change`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from portal.audit.services import record

from .models import Debt, DebtStatus, DisputeHold
from .status import debt_status_allowed, debt_status_change


def _status_before_holds(debt: Debt) -> str:
    """What the debt returns to when its holds close: its status now, or, if an open hold
    already made it `disputed`, the status the earliest one remembered."""
    if debt.status != DebtStatus.DISPUTED:
        return debt.status
    earlier = (
        DisputeHold.objects.filter(debt_id=debt.pk, closed_at=None)
        .exclude(previous_status__in=["", DebtStatus.DISPUTED])
        .order_by("opened_at", "id")
        .values_list("previous_status", flat=True)
        .first()
    )
    return earlier or debt.status


@transaction.atomic
def dispute_hold_open(
    *,
    debt: Debt,
    kind: str,
    reference: str,
    actor: Any = None,
    details: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> DisputeHold:
    """Hold the debt for one dispute (`kind`, `reference`: who raised it and their record of
    it): the debt becomes `disputed` and the hold remembers the status before the first
    open hold. Audited as `debt.disputed` with `details` and that `previous` status. A hold
    already opened for the same dispute is returned as it is (a repeated event)."""
    now = now or timezone.now()
    debt = Debt.objects.select_for_update().get(pk=debt.pk)
    existing = DisputeHold.objects.filter(debt=debt, kind=kind, reference=reference).first()
    if existing is not None:
        return existing
    previous = _status_before_holds(debt)
    hold = DisputeHold.objects.create(
        debt=debt,
        kind=kind,
        reference=reference,
        previous_status=previous,
        opened_at=now,
        # A debtor filing on the portal is named by the audit entry, not here (a user).
        opened_by=actor if isinstance(actor, AbstractBaseUser) else None,
    )
    if debt.status != DebtStatus.DISPUTED:
        # The audit entry below states the move.
        debt_status_change(debt, to=DebtStatus.DISPUTED, expect=[debt.status], now=now)
    record(
        "debt.disputed",
        actor=actor,
        subject=debt,
        details={**(details or {}), "previous": previous},
    )
    return hold


@transaction.atomic
def dispute_hold_close(
    *,
    debt_id: int,
    kind: str,
    reference: str,
    actor: Any = None,
    to: str | None = None,
    event: str | None = "debt.dispute_closed",
    details: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> str | None:
    """Close the dispute's hold on the debt; returns the status the debt moved to (None when
    it stayed).

    - `to` None: once no other hold is open, the debt goes back to the status the hold
      remembered; a debt someone moved on meanwhile (closed, legal) is left alone;
    - `to` a status (an upheld call dispute closes the debt): the debt moves there now,
      whatever other holds remain.

    `event` names the audit entry (with `details` and `restored_to`); None when the caller's
    own entry states it (`call.dispute_resolved`)."""
    now = now or timezone.now()
    # Lock the debt first, as opening does, so an open and a close cannot interleave.
    Debt.objects.select_for_update().filter(pk=debt_id).values_list("pk", flat=True).first()
    hold = (
        DisputeHold.objects.select_for_update()
        .filter(debt_id=debt_id, kind=kind, reference=reference, closed_at=None)
        .first()
    )
    if hold is not None:
        hold.closed_at, hold.closed_by = now, actor
        hold.save(update_fields=["closed_at", "closed_by"])
    moved_to = None
    if to is not None:
        expect = [status for status in DebtStatus.values if debt_status_allowed(status, to)]
        if debt_status_change([debt_id], to=to, expect=expect, now=now):
            moved_to = to
    elif hold is not None and _restorable(hold):
        back = hold.previous_status
        if debt_status_change([debt_id], to=back, expect=[DebtStatus.DISPUTED], now=now):
            moved_to = back
    if event:
        record(
            event,
            actor=actor,
            subject=(Debt._meta.label_lower, debt_id),
            details={**(details or {}), "restored_to": moved_to},
        )
    return moved_to


def _restorable(hold: DisputeHold) -> bool:
    """The last open hold closed, and it remembers a status to go back to."""
    if hold.previous_status in ("", DebtStatus.DISPUTED):
        return False
    return not DisputeHold.objects.filter(debt_id=hold.debt_id, closed_at=None).exists()
