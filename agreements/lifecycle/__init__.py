"""The agreement lifecycle, end to end: the states of agreements, installments and promises
to pay with their allowed moves (`moves`), and the services that make those moves.

Agreements are created by `agreements.services` (active); payments calls
`agreement_payment_apply` and `agreement_complete` after posting a payment, `promise_keep`
for a promise paid online, and `agreement_reopen_after_refund` / `installment_refund` when
writing a refund back; the daily review (`agreements.promises.daily_review`) marks
installments late, breaks agreements past their grace and settles promises.
"""

from __future__ import annotations

from .breaking import DEFAULT_GRACE_DAYS, agreement_break, grace_days_for, installment_mark_late
from .moves import (
    AGREEMENT_MOVES,
    INSTALLMENT_MOVES,
    MOVES,
    OPEN_INSTALLMENT,
    PROMISE_MOVES,
    LifecycleError,
    check_move,
    move_allowed,
    status_move,
)
from .paying import Applied, agreement_complete, agreement_payment_apply, installment_pay
from .promises import promise_break, promise_keep
from .refunding import agreement_reopen_after_refund, installment_refund

__all__ = [
    "AGREEMENT_MOVES",
    "Applied",
    "DEFAULT_GRACE_DAYS",
    "INSTALLMENT_MOVES",
    "LifecycleError",
    "MOVES",
    "OPEN_INSTALLMENT",
    "PROMISE_MOVES",
    "agreement_break",
    "agreement_complete",
    "agreement_payment_apply",
    "agreement_reopen_after_refund",
    "check_move",
    "grace_days_for",
    "installment_mark_late",
    "installment_pay",
    "installment_refund",
    "move_allowed",
    "promise_break",
    "promise_keep",
    "status_move",
]
