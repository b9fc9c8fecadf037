"""Reconciliation with Mercado Pago: every payment changed there since a time is applied
as Mercado Pago reports it now, so a notification that never arrived (or failed) costs
nothing but the wait. Applying is idempotent, so overlapping runs post nothing twice."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from portal.audit.services import record

from .. import mercadopago_api
from .mercadopago_apply import mercadopago_payment_apply
from .posting import PostingError

log = logging.getLogger(__name__)


def mercadopago_reconcile(*, since: dt.datetime) -> dict[str, int]:
    """Apply every payment Mercado Pago changed since `since`; returns the outcomes
    counted ("posted", "failed", "unknown", ... and "errors")."""
    counts: Counter[str] = Counter()
    for mp_payment in mercadopago_api.payments_search(updated_since=since):
        try:
            counts[mercadopago_payment_apply(mp_payment=mp_payment, source="reconcile")] += 1
        except PostingError as error:
            counts["errors"] += 1
            log.error("mercado pago payment %s not applied: %s", mp_payment.get("id"), error)
    summary = dict(counts)
    if counts["posted"] or counts["refunded"] or counts["errors"]:
        record(
            "payment.reconciled",
            details={"provider": "mercadopago", "since": since.isoformat(), **summary},
        )
    return summary
