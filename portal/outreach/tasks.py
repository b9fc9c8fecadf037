"""Celery tasks: thin wrappers taking ids; each calls services that are safe to repeat."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .outbox.dispatch import messages_dispatch
from .outbox.recovery import messages_interrupted_recover
from .selectors import due_message_ids

DISPATCH_BATCH = 500


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def dispatch_messages(message_ids: list[int], on_portal: bool = False) -> dict:
    return messages_dispatch(message_ids, on_portal=on_portal)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def campaign_fan_out(campaign_id: int) -> int:
    from .campaigns import campaign_fan_out as fan_out
    from .campaigns import campaigns_finish

    chunks = fan_out(campaign_id=campaign_id)
    for start, recipients in chunks:
        campaign_chunk.delay(campaign_id, start, recipients)
    if not chunks:
        campaigns_finish(campaign_id=campaign_id)  # an empty segment: nothing to wait for
    return len(chunks)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def campaign_chunk(campaign_id: int, start: int, recipients: list[list[int]]) -> dict:
    from .campaigns import campaign_chunk_create, campaigns_finish

    due = campaign_chunk_create(campaign_id=campaign_id, start=start, recipients=recipients)
    totals: dict[str, int] = {}
    for i in range(0, len(due), DISPATCH_BATCH):
        for key, value in messages_dispatch(due[i : i + DISPATCH_BATCH]).items():
            totals[key] = totals.get(key, 0) + value
    campaigns_finish(campaign_id=campaign_id)
    return totals


@shared_task
def dispatch_due() -> int:
    """Beat, every minute: rows a dead worker left mid-hand-off are settled first (those
    that never reached the provider are queued again), then deferred messages whose window
    opened, throttled campaign rows and rows a dead worker never claimed go out."""
    from .campaigns import campaigns_finish

    messages_interrupted_recover()
    ids = due_message_ids(now=timezone.now())
    for i in range(0, len(ids), DISPATCH_BATCH):
        dispatch_messages.delay(ids[i : i + DISPATCH_BATCH])
    campaigns_finish()
    return len(ids)
