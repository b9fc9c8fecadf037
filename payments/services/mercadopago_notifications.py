"""Mercado Pago notifications: stored once, then processed once, in any order.

The webhook request verifies the `x-signature`, stores the notification under its unique
id in one statement (a redelivery stores nothing) and wakes a drainer, as for Stripe's
events: a cache write, a Celery message only when no drainer holds the slot. A
notification only names a payment; a drainer reads that payment's current state from
Mercado Pago (outside any transaction) and applies it (`mercadopago_apply`), so an old
"pending" arriving after "approved" changes nothing, and two notifications of one payment
post it once. The beat picks up what a lost wake or a dead worker left.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from portal.audit.services import record
from portal.db import datetime_param

from .. import mercadopago_api
from ..models import EventStatus, MercadoPagoNotification
from ..tasks import drain_mercadopago_notifications
from .events import wake_once
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


_STORE = (
    "INSERT INTO payments_mercadopagonotification (notification_id, request_id, topic, action, "
    "data_id, livemode, payload, status, error, received_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', %s) "
    "ON CONFLICT (notification_id) DO NOTHING RETURNING id"
)
_WAKE_KEY = "payments:mercadopago-drainer:{slot}"


def mercadopago_notification_receive(*, body: dict[str, Any], request_id: str) -> int | None:
    """Store a verified notification once and wake a drainer; its id, or None for a
    redelivery of one already stored. One statement in autocommit, as for Stripe's events:
    a redelivery is skipped by the unique notification id."""
    topic = str(body.get("type") or body.get("topic"))
    waiting = topic == "payment"
    params = [
        str(body["id"]),
        request_id[:64],
        topic,
        str(body.get("action") or ""),
        str(body["data"]["id"]),
        bool(body.get("live_mode")),
        json.dumps(body),
        EventStatus.RECEIVED if waiting else EventStatus.IGNORED,
        datetime_param(timezone.now()),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_STORE, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if waiting:
        slot = row[0] % settings.PAYMENT_EVENT_DRAINERS

        def wake_mercadopago_drainer() -> None:
            mercadopago_drainer_wake(slot=slot)

        transaction.on_commit(wake_mercadopago_drainer, robust=True)
    return row[0]


def mercadopago_drainer_wake(*, slot: int) -> None:
    """Queue a drain task for `slot` unless one is already queued or running for it."""
    wake_once(key=_WAKE_KEY.format(slot=slot), task=drain_mercadopago_notifications, slot=slot)


def mercadopago_notifications_drain(*, slot: int | None = None, budget: int = 1000) -> int:
    """Process waiting notifications, oldest first, until none waits or `budget` are done;
    returns how many. Each is claimed in a short transaction (`FOR UPDATE SKIP LOCKED`, so
    drainers never wait for each other or take the same one), its payment read from
    Mercado Pago outside any transaction, then applied. Raises NotificationRetry (the
    claimed one waits again) while Mercado Pago cannot be reached."""
    key = None if slot is None else _WAKE_KEY.format(slot=slot)
    done = 0
    try:
        while done < budget:
            claimed = _claim_next()
            if claimed is None and key is not None:
                cache.delete(key)
                key = None
                claimed = _claim_next()  # one last look: new ones now wake a new drainer
            if claimed is None:
                return done
            mercadopago_notification_process(notification_pk=claimed)
            done += 1
    except Exception:
        if key is not None:
            cache.delete(key)
        raise
    if key is not None:
        cache.delete(key)
        drain_mercadopago_notifications.delay(slot)  # more may wait: another run, in turn
    return done


def _claim_next() -> int | None:
    with transaction.atomic():
        notification = (
            MercadoPagoNotification.objects.select_for_update(skip_locked=True)
            .filter(status=EventStatus.RECEIVED)
            .order_by("id")
            .only("id")
            .first()
        )
        if notification is None:
            return None
        MercadoPagoNotification.objects.filter(pk=notification.pk).update(
            status=EventStatus.CLAIMED, processed_at=timezone.now()
        )
    return notification.pk


def mercadopago_notification_process(*, notification_pk: int) -> str:
    """Read the notified payment from Mercado Pago and apply it; returns the final status.
    Raises NotificationRetry while Mercado Pago cannot be reached (it waits again)."""
    notification = MercadoPagoNotification.objects.filter(pk=notification_pk).first()
    if notification is None or notification.status not in (
        EventStatus.RECEIVED,
        EventStatus.CLAIMED,
    ):
        return notification.status if notification else "missing"
    try:
        mp_payment = mercadopago_api.payment_get(notification.data_id)
    except mercadopago_api.MercadoPagoError as error:
        if error.status == 0 or error.status == 429 or error.status >= 500:
            MercadoPagoNotification.objects.filter(pk=notification_pk).update(
                status=EventStatus.RECEIVED, error=f"waiting: {error}"[:2000]
            )
            raise NotificationRetry(str(error)) from error
        return _mark(notification_pk, EventStatus.FAILED, error=f"Mercado Pago: {error}")
    try:
        with transaction.atomic():
            locked = MercadoPagoNotification.objects.select_for_update().get(pk=notification_pk)
            if locked.status not in (EventStatus.RECEIVED, EventStatus.CLAIMED):
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
    """Notifications a dead worker left claimed wait again, and a drain runs for what
    waits longer than `older_than` (a lost wake); returns how many were waiting."""
    cutoff = timezone.now() - older_than
    MercadoPagoNotification.objects.filter(
        status=EventStatus.CLAIMED, processed_at__lt=cutoff
    ).update(status=EventStatus.RECEIVED)
    waiting = MercadoPagoNotification.objects.filter(
        status=EventStatus.RECEIVED, received_at__lt=cutoff
    ).count()
    if waiting:
        drain_mercadopago_notifications.delay(None)
    return waiting


def _mark(notification_pk: int, status: str, *, error: str) -> str:
    with transaction.atomic():
        changed = MercadoPagoNotification.objects.filter(
            pk=notification_pk, status__in=(EventStatus.RECEIVED, EventStatus.CLAIMED)
        ).update(status=status, error=error[:2000], processed_at=timezone.now())
        if changed:
            record(
                "payment.notification_failed",
                subject=("payments.mercadopagonotification", notification_pk),
                details={"error": error[:500]},
            )
    log.error("mercado pago notification %s not processed: %s", notification_pk, error)
    return status
