"""A promise to pay ends kept (paid in full: one payment online, or payments the daily review
adds up) or broken (its date passed first). Each is a guarded UPDATE on `pending` with its
audit entry, so whichever comes first wins and the other changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from portal.audit.services import record

from ..models import PromiseStatus, PromiseToPay
from .moves import status_move


def promise_keep(
    *, promise: PromiseToPay, paid_minor: int, reviewed_on: dt.date | None = None
) -> bool:
    """Keep the promise once `paid_minor` covers it: paid online by one payment (no
    `reviewed_on`), or added up by the daily review of `reviewed_on`. Less than the
    promised amount changes nothing (the daily review adds up partial payments)."""
    if paid_minor < promise.amount_minor:
        return False
    if reviewed_on is None:
        details = {"amount_minor": promise.amount_minor, "paid_minor": paid_minor, "online": True}
    else:
        details = _review_details(promise, paid_minor, reviewed_on)
    return _resolve(promise, PromiseStatus.KEPT, "promise.kept", details)


def promise_break(*, promise: PromiseToPay, paid_minor: int, reviewed_on: dt.date) -> bool:
    """The daily review of `reviewed_on` found the promised date passed unpaid."""
    details = _review_details(promise, paid_minor, reviewed_on)
    return _resolve(promise, PromiseStatus.BROKEN, "promise.broken", details)


def _review_details(promise: PromiseToPay, paid_minor: int, reviewed_on: dt.date) -> dict:
    return {
        "debt_id": promise.debt_id,
        "amount_minor": promise.amount_minor,
        "paid_minor": paid_minor,
        "currency": promise.currency,
        "promised_date": promise.promised_date,
        "reviewed_on": reviewed_on,
    }


@transaction.atomic(savepoint=False)  # inside a posting's transaction, or its own
def _resolve(promise: PromiseToPay, to: str, action: str, details: dict[str, Any]) -> bool:
    changed = status_move(
        PromiseToPay.objects.filter(pk=promise.pk),
        to=to,
        expect=[PromiseStatus.PENDING],
        resolved_at=timezone.now(),
    )
    if changed:
        record(action, subject=promise, details=details)
    return bool(changed)
