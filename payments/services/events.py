"""Stripe webhook events: stored once, then processed once, in any order.

`stripe_event_receive` runs in the webhook request: it stores the verified event under its
unique Stripe id (a second delivery hits the unique index and is dropped) and wakes a
drainer after commit. The stored RECEIVED rows are the queue: `stripe_events_drain` runs in
Celery workers, takes the oldest waiting events with `FOR UPDATE SKIP LOCKED` (so drainers
never wait for each other), up to `PAYMENT_EVENT_BATCH` per transaction, hands each object
to the handler for its type and records the outcomes, until none waits.

Waking costs the request one cache write, not a Celery message per event: each event picks
one of `PAYMENT_EVENT_DRAINERS` slots, and a drain task is queued for a slot only when none
is queued or running for it (`cache.add`). A drainer lets go of its slot before its last
look for work, so an event stored meanwhile either is seen by that look or wakes a new
drainer. The beat drains every minute too, for anything a lost wake left behind.

Order never matters: a refund or dispute that arrives before its payment is posted waits
as DEFERRED and is processed right after the payment posts; a failure that arrives after
the success changes nothing; amounts refunded are cumulative on Stripe's side, so only the
difference to what we already reversed is posted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from portal.audit.services import record
from portal.db import datetime_param

from ..models import EventStatus, StripeEvent
from .event_handlers import HANDLERS, intent_id_of
from .posting import PostingError

log = logging.getLogger(__name__)

_WAKE_KEY = "payments:stripe-event-drainer:{slot}"
# A drainer that died without letting go of its slot holds it this long at most.
_WAKE_TTL_S = 60
_LATEST_TIMESTAMP = 253_402_300_799  # 9999-12-31 23:59:59 UTC, the last a datetime holds


def stripe_event_problem(event: Any) -> str | None:
    """Why a verified body is not an event we can store and process, or None.

    Stripe signs whatever it sends, and so does anyone holding the secret: a signed body
    still has to be an event object, with an id and type, whose `data.object` is an object
    and whose metadata (the attempt and debtor it names) is a string map. Anything else is
    refused with a 400 and nothing is stored.
    """
    if not isinstance(event, dict):
        return "the body is not a JSON object"
    for key, longest in (("id", 255), ("type", 100)):  # the columns they are stored in
        value = event.get(key)
        if not isinstance(value, str) or not value or len(value) > longest:
            return f"the event has no valid {key!r}"
    created = event.get("created")
    if created is not None and not (
        type(created) is int and 0 <= created <= _LATEST_TIMESTAMP  # bool is an int too
    ):
        return "the event's created time is not a Unix timestamp"
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return "the event has no data.object"
    metadata = obj.get("metadata", {})
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        return "data.object.metadata is not a map of strings"
    intent = obj.get("payment_intent")
    if intent is not None and not isinstance(intent, str | dict):
        return "data.object.payment_intent is neither an id nor an object"
    if event["type"].startswith("payment_intent.") and not isinstance(obj.get("id"), str):
        return "the payment intent has no id"
    return None


_STORE = (
    "INSERT INTO payments_stripeevent (stripe_id, type, payment_intent_id, livemode, payload, "
    "status, error, stripe_created_at, received_at) VALUES (%s, %s, %s, %s, %s, %s, '', %s, %s) "
    "ON CONFLICT (stripe_id) DO NOTHING RETURNING id"
)


def stripe_event_receive(*, event: dict[str, Any]) -> int | None:
    """Store a verified event once and wake a drainer; its id, or None for a duplicate.

    One statement in autocommit, the same on both engines: a duplicate is skipped by the
    unique Stripe id, so the request needs no transaction or savepoint around the INSERT
    (three round trips fewer than the ORM's create in an atomic block).
    """
    handled = event["type"] in HANDLERS
    obj = event.get("data", {}).get("object", {})
    created = event.get("created")
    params = [
        event["id"],
        event["type"],
        intent_id_of(event["type"], obj)[:255],
        bool(event.get("livemode")),
        json.dumps(event),
        EventStatus.RECEIVED if handled else EventStatus.IGNORED,
        datetime_param(dt.datetime.fromtimestamp(created, tz=dt.UTC))
        if isinstance(created, int)
        else None,
        datetime_param(timezone.now()),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_STORE, params)
        row = cursor.fetchone()
    if row is None:
        return None
    event_pk = row[0]
    if handled:
        slot = event_pk % settings.PAYMENT_EVENT_DRAINERS

        def wake_drainer() -> None:
            drainer_wake(slot=slot)

        transaction.on_commit(wake_drainer, robust=True)  # at once outside a transaction
    return event_pk


def drainer_wake(*, slot: int) -> None:
    """Queue a drain task for `slot` unless one is already queued or running for it."""
    from ..tasks import drain_stripe_events

    wake_once(key=_WAKE_KEY.format(slot=slot), task=drain_stripe_events, slot=slot)


def wake_once(*, key: str, task, slot: int) -> None:
    """`task.delay(slot)` unless the cache says one is queued or running under `key` (a
    drainer that died holds it `_WAKE_TTL_S` at most)."""
    if not cache.add(key, 1, _WAKE_TTL_S):
        return
    try:
        task.delay(slot)
    except Exception:
        cache.delete(key)  # the next one stored tries again; the beat drains meanwhile
        raise


def stripe_events_drain(*, slot: int | None = None, budget: int = 1000) -> tuple[int, bool]:
    """Process waiting events, oldest first, until none waits or `budget` are done.

    Returns (events processed, whether work may be left: the caller queues another run).
    `slot` is the wake slot this run holds (None for the beat's sweep, which holds none).
    """
    key = None if slot is None else _WAKE_KEY.format(slot=slot)
    done = 0
    try:
        while done < budget:
            taken = _process_batch(min(settings.PAYMENT_EVENT_BATCH, budget - done))
            if taken:
                done += taken
                continue
            if key is None:
                return done, False
            cache.delete(key)
            # One last look now that new events wake a new drainer.
            taken = _process_batch(min(settings.PAYMENT_EVENT_BATCH, budget - done))
            if not taken:
                return done, False
            done += taken
    except Exception:
        if key is not None:
            cache.delete(key)  # the task retries; meanwhile new events wake another drainer
        raise
    return done, True


def _process_batch(limit: int) -> int:
    """Process up to `limit` of the oldest waiting events no other drainer holds, in one
    transaction with a savepoint per event; returns how many were taken (0: none waits).

    One transaction for several events saves each of them a BEGIN, a claim, a status
    UPDATE and a COMMIT's WAL flush, the per-event cost that limited postings per second
    (docs/performance.md). An event whose handler fails rolls back to its own savepoint
    and is marked failed; the others commit. A database error (a lost connection, a
    deadlock) rolls the whole batch back: every event in it waits for the task's retry.
    """
    with transaction.atomic():
        events = list(
            StripeEvent.objects.select_for_update(skip_locked=True)
            .filter(status=EventStatus.RECEIVED)
            .order_by("id")[:limit]
        )
        outcomes: dict[str, list[int]] = {}
        for event in events:
            try:
                with transaction.atomic():
                    outcome = HANDLERS[event.type](event.payload["data"]["object"])
            except PostingError as error:
                _mark_failed(event.pk, error)
                continue
            except OperationalError:
                raise  # the database's trouble, not the event's: the task retries
            except Exception as error:
                # A bug: the event is marked failed (staff see why in admin) instead of
                # being taken again by every later run.
                log.exception("stripe event %s failed", event.pk)
                _mark_failed(event.pk, error)
                continue
            outcomes.setdefault(outcome, []).append(event.pk)
        now = timezone.now()
        for outcome, pks in outcomes.items():
            StripeEvent.objects.filter(pk__in=pks).update(
                status=outcome, processed_at=now, error=""
            )
    return len(events)


def stripe_event_process(*, event_pk: int) -> str:
    """Process one stored event at most once; returns its final status."""
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().get(pk=event_pk)
            if event.status not in (EventStatus.RECEIVED, EventStatus.DEFERRED):
                return event.status
            return _handle(event)
    except PostingError as error:
        _mark_failed(event_pk, error)
        return EventStatus.FAILED


def _handle(event: StripeEvent) -> str:
    outcome = HANDLERS[event.type](event.payload["data"]["object"])
    StripeEvent.objects.filter(pk=event.pk).update(
        status=outcome, processed_at=timezone.now(), error=""
    )
    return outcome


def _mark_failed(event_pk: int, error: Exception) -> None:
    with transaction.atomic():
        StripeEvent.objects.filter(pk=event_pk).update(
            status=EventStatus.FAILED, error=str(error)[:2000], processed_at=timezone.now()
        )
        record(
            "payment.event_failed",
            subject=("payments.stripeevent", event_pk),
            details={"error": str(error)},
        )
    log.error("stripe event %s not processed: %s", event_pk, error)
