"""A debt's status: the moves it may make, written once, and the one service that makes them.

Every app that changes a debt's status calls `debt_status_change`; nothing else writes
`Debt.status` (the portfolio import creates debts `active` in its own set-based SQL, inside
this app). The service is set-based (one guarded UPDATE), so a concurrent writer that moved
the debt first simply makes the call change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from portal.audit.services import record

from .models import Debt, DebtStatus

S = DebtStatus

# status -> the statuses it may move to. Disputed goes back to whatever it held before the
# first dispute; legal and closed are staff decisions and leave only through them.
MOVES: dict[str, frozenset[str]] = {
    S.ACTIVE: frozenset({S.IN_AGREEMENT, S.PAID, S.DISPUTED, S.LEGAL, S.CLOSED}),
    S.IN_AGREEMENT: frozenset({S.ACTIVE, S.PAID, S.SETTLED, S.DISPUTED, S.LEGAL, S.CLOSED}),
    S.PAID: frozenset({S.ACTIVE, S.IN_AGREEMENT, S.DISPUTED, S.CLOSED}),
    S.SETTLED: frozenset({S.ACTIVE, S.IN_AGREEMENT, S.DISPUTED, S.CLOSED}),
    S.DISPUTED: frozenset({S.ACTIVE, S.IN_AGREEMENT, S.PAID, S.SETTLED, S.LEGAL, S.CLOSED}),
    S.LEGAL: frozenset({S.ACTIVE, S.IN_AGREEMENT, S.PAID, S.SETTLED, S.DISPUTED, S.CLOSED}),
    # A closed debt can still be disputed (a card dispute on an old payment, a debtor on a
    # call); closing its hold puts it back to closed.
    S.CLOSED: frozenset({S.ACTIVE, S.DISPUTED}),
}


class DebtStatusError(ValueError):
    """A move the table does not allow; a programming error, not a debtor's mistake."""


def debt_status_allowed(current: str, to: str) -> bool:
    return to in MOVES.get(current, frozenset())


def debt_status_change(
    debts: Debt | Iterable[int],
    *,
    to: str,
    expect: Iterable[str],
    event: str | None = None,
    details: dict[str, Any] | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Move the debts (a Debt or ids) that are in one of the `expect` statuses to `to`, in
    one guarded UPDATE; returns the ids that moved (in id order).

    `event` names the audit entry written for each debt that moved (`debt.paid`,
    `debt.reopened`, ...) with `from`, `to` and `details`; None when the caller's own entry
    already states the move (`agreement.created`, `agreement.completed` list their debts).
    """
    expect = frozenset(expect)
    bad = sorted(status for status in expect if not debt_status_allowed(status, to))
    if bad:
        raise DebtStatusError(f"a debt cannot move from {', '.join(bad)} to {to}")
    ids = [debts.pk] if isinstance(debts, Debt) else list(debts)
    rows = list(
        Debt.objects.select_for_update()
        .filter(pk__in=ids, status__in=expect)
        .order_by("pk")
        .values_list("pk", "status", "debtor_id")
    )
    if not rows:
        return []
    moved = [pk for pk, _status, _debtor in rows]
    Debt.objects.filter(pk__in=moved).update(status=to, updated_at=now or timezone.now())
    if isinstance(debts, Debt) and debts.pk in moved:
        debts.status = to
    if event:
        for pk, before, debtor_id in rows:
            record(
                event,
                actor=actor,
                subject=(Debt._meta.label_lower, pk),
                debtor=debtor_id,
                details={"from": before, "to": to, **(details or {})},
            )
    return moved
