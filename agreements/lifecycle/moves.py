"""The states of an agreement, an installment and a promise to pay, and the moves between
them, written once. Every lifecycle service checks its move here before it writes, so a
move nobody wrote down is a programming error, never a silent status change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model, QuerySet

from ..models import (
    Agreement,
    AgreementStatus,
    Installment,
    InstallmentStatus,
    PromiseStatus,
    PromiseToPay,
)

# An active agreement ends completed (its last installment paid), broken (an installment
# late beyond the grace days) or cancelled; a refund of the payment that completed it makes
# it active again. Broken and cancelled are final.
AGREEMENT_MOVES: dict[str, frozenset[str]] = {
    AgreementStatus.ACTIVE: frozenset(
        {AgreementStatus.COMPLETED, AgreementStatus.BROKEN, AgreementStatus.CANCELLED}
    ),
    AgreementStatus.COMPLETED: frozenset({AgreementStatus.ACTIVE}),
    AgreementStatus.BROKEN: frozenset(),
    AgreementStatus.CANCELLED: frozenset(),
}

# A partly paid installment stays pending (or late) with `paid_minor` below its amount. A
# refund takes a paid one back to pending or late, by its due date in the portfolio's day
# (which may put a late one back to pending); breaking the agreement cancels the open ones.
INSTALLMENT_MOVES: dict[str, frozenset[str]] = {
    InstallmentStatus.PENDING: frozenset(
        {InstallmentStatus.PAID, InstallmentStatus.LATE, InstallmentStatus.CANCELLED}
    ),
    InstallmentStatus.LATE: frozenset(
        {InstallmentStatus.PAID, InstallmentStatus.PENDING, InstallmentStatus.CANCELLED}
    ),
    InstallmentStatus.PAID: frozenset({InstallmentStatus.PENDING, InstallmentStatus.LATE}),
    InstallmentStatus.CANCELLED: frozenset(),
}

# A promise is kept (paid in full, online or added up by the daily review), broken (its date
# passed first) or cancelled; each of those is final.
PROMISE_MOVES: dict[str, frozenset[str]] = {
    PromiseStatus.PENDING: frozenset(
        {PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.CANCELLED}
    ),
    PromiseStatus.KEPT: frozenset(),
    PromiseStatus.BROKEN: frozenset(),
    PromiseStatus.CANCELLED: frozenset(),
}

MOVES: dict[type[Model], dict[str, frozenset[str]]] = {
    Agreement: AGREEMENT_MOVES,
    Installment: INSTALLMENT_MOVES,
    PromiseToPay: PROMISE_MOVES,
}

# What a payment may still go to: an installment neither paid nor cancelled.
OPEN_INSTALLMENT = (InstallmentStatus.PENDING, InstallmentStatus.LATE)


class LifecycleError(ValueError):
    """A move the maps do not allow; a programming error, not a debtor's mistake."""


def move_allowed(model: type[Model], current: str, to: str) -> bool:
    return to in MOVES[model].get(current, frozenset())


def check_move(model: type[Model], current: str, to: str) -> None:
    if not move_allowed(model, current, to):
        raise LifecycleError(f"a {model._meta.model_name} cannot move from {current} to {to}")


def status_move(queryset: QuerySet, *, to: str, expect: Iterable[str], **fields: Any) -> int:
    """Move the rows of `queryset` that are in one of the `expect` statuses to `to`, in one
    guarded UPDATE (with `fields`); returns how many moved. A concurrent writer that moved a
    row first simply makes it not count, so callers audit only what they changed."""
    expect = list(expect)
    for current in expect:
        check_move(queryset.model, current, to)
    return queryset.filter(status__in=expect).update(status=to, **fields)
