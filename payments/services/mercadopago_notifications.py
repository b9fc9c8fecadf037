"""Mercado Pago notifications: stored once, then processed once, in any order.

The webhook request verifies the `x-signature`, stores the notification under its unique
id (a redelivery finds it and stores nothing) and queues its processing after commit. A
notification only names a payment; processing reads that payment's current state from
Mercado Pago (outside any transaction) and applies it (`mercadopago_apply`), so an old
"pending" arriving after "approved" changes nothing, and two notifications of one payment
post it once. The beat picks up anything a lost task left waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.services import record
from portal.celery import delay_on_commit

from .. import mercadopago_api
from ..models import EventStatus, MercadoPagoNotification
from ..tasks import process_mercadopago_notification
from .mercadopago_apply import mercadopago_payment_apply
from .posting import PostingError

log = logging.getLogger(__name__)

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class NotificationRetry(Exception):
    """Mercado Pago could not be asked now: the task tries again later."""


def _clean_id(value: Any, longest: int = 64) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    if not text or len(text) > longest or not set(text) <= _ID_CHARS:
        return None
    return text


def mercadopago_notification_problem(body: Any, *, query_data_id: str | None) -> str | None:
    """Why a verified body is not a notification we can store, or None. The signature
    covers the `data.id` of the query string, so the body must name the same payment."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    topic = body.get("type") or body.get("topic")
    if not isinstance(topic, str) or not topic or len(topic) > 40:
        return "the notification has no valid 'type'"
    action = body.get("action", "")
    if not isinstance(action, str) or len(action) > 60:
        return "the notification's 'action' is not a short string"
    if _clean_id(body.get("id")) is None:
        return "the notification has no valid 'id'"
    data = body.get("data")
    data_id = _clean_id(data.get("id")) if isinstance(data, dict) else None
    if data_id is None:
        return "the notification has no valid data.id"
    if query_data_id is not None and query_data_id != data_id:
        return "data.id in the query and in the body differ"
    return None


def mercadopago_notification_receive(*, body: dict[str, Any], request_id: str) -> int | None:
    """Store a verified notification once and queue its processing; its id, or None for
    a redelivery of one already stored."""
    try:
        with transaction.atomic():
            notification = MercadoPagoNotification.objects.create(
                notification_id=str(body["id"]),
                request_id=request_id[:64],
                topic=str(body.get("type") or body.get("topic")),
                action=str(body.get("action") or ""),
                data_id=str(body["data"]["id"]),
                livemode=bool(body.get("live_mode")),
                payload=body,
                status=(
                    EventStatus.RECEIVED
                    if (body.get("type") or body.get("topic")) == "payment"
                    else EventStatus.IGNORED
                ),
            )
            if notification.status == EventStatus.RECEIVED:
                delay_on_commit(process_mercadopago_notification, notification.pk)
    except IntegrityError:
        return None
    return notification.pk


def mercadopago_notification_process(*, notification_pk: int) -> str:
    """Read the notified payment from Mercado Pago and apply it; returns the final status.
    Raises NotificationRetry while Mercado Pago cannot be reached (the task retries)."""
    notification = MercadoPagoNotification.objects.filter(pk=notification_pk).first()
    if notification is None or notification.status != EventStatus.RECEIVED:
        return notification.status if notification else "missing"
    try:
        mp_payment = mercadopago_api.payment_get(notification.data_id)
    except mercadopago_api.MercadoPagoError as error:
        if error.status == 0 or error.status == 429 or error.status >= 500:
            raise NotificationRetry(str(error)) from error
        return _mark(notification_pk, EventStatus.FAILED, error=f"Mercado Pago: {error}")
    try:
        with transaction.atomic():
            locked = MercadoPagoNotification.objects.select_for_update().get(pk=notification_pk)
            if locked.status != EventStatus.RECEIVED:
                return locked.status
            outcome = mercadopago_payment_apply(mp_payment=mp_payment, source="webhook")
            status = EventStatus.IGNORED if outcome == "unknown" else EventStatus.PROCESSED
            MercadoPagoNotification.objects.filter(pk=notification_pk).update(
                status=status, processed_at=timezone.now(), error=""
            )
            return status
    except PostingError as error:
        return _mark(notification_pk, EventStatus.FAILED, error=str(error))


def mercadopago_notifications_sweep(*, older_than: dt.timedelta) -> int:
    """Queue again what waits longer than `older_than` (a lost task); returns how many."""
    cutoff = timezone.now() - older_than
    pks = list(
        MercadoPagoNotification.objects.filter(
            status=EventStatus.RECEIVED, received_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in pks:
        process_mercadopago_notification.delay(pk)
    return len(pks)


def _mark(notification_pk: int, status: str, *, error: str) -> str:
    with transaction.atomic():
        changed = MercadoPagoNotification.objects.filter(
            pk=notification_pk, status=EventStatus.RECEIVED
        ).update(status=status, error=error[:2000], processed_at=timezone.now())
        if changed:
            record(
                "payment.notification_failed",
                subject=("payments.mercadopagonotification", notification_pk),
                details={"error": error[:500]},
            )
    log.error("mercado pago notification %s not processed: %s", notification_pk, error)
    return status
