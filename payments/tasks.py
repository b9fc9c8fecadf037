"""Celery tasks: thin wrappers that take ids, call one service and own their retries."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def process_stripe_event(self, event_pk: int) -> str:
    from .services import stripe_event_process

    return stripe_event_process(event_pk=event_pk)


@shared_task
def process_deferred_events(payment_intent_id: str) -> int:
    """A refund or dispute that arrived before its payment: process it now."""
    from .services import deferred_events_for, stripe_event_process

    pks = deferred_events_for(payment_intent_id)
    for pk in pks:
        stripe_event_process(event_pk=pk)
    return len(pks)


@shared_task(bind=True, max_retries=3, default_retry_delay=60)
def send_payment_receipt(self, payment_id: int) -> str:
    from .receipts import receipt_send

    return receipt_send(payment_id=payment_id)
