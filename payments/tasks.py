"""Celery tasks: thin wrappers that take ids, call one service and own their retries."""

from celery import shared_task
from django.db import OperationalError

from portal.celery import delay_on_commit
from portal.outreach.notices import NoticeFailed


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def drain_stripe_events(self, slot: int | None = None) -> int:
    """Woken by stored webhook events (one task per slot at a time), and by the beat every
    minute (slot None): process waiting events until none is left."""
    from .services import stripe_events_drain

    done, more = stripe_events_drain(slot=slot)
    if more:
        drain_stripe_events.delay(slot)  # keeps the slot; lets other tasks in between
    return done


@shared_task
def process_deferred_events(payment_intent_id: str) -> int:
    """A refund or dispute that arrived before its payment: process it now."""
    from .selectors import deferred_events_for
    from .services import stripe_event_process

    pks = deferred_events_for(payment_intent_id)
    for pk in pks:
        stripe_event_process(event_pk=pk)
    return len(pks)


@shared_task(bind=True, max_retries=8, acks_late=True)
def execute_refund(self, refund_id: int) -> str:
    """Call Stripe for a refund staff requested. While the outcome is unknown (network,
    5xx, 429) the refund stays `requested` and is tried again with the same idempotency
    key, 10 s, 20 s, ... up to 10 minutes apart; after the last try the hourly
    reconciliation asks again."""
    from .services.refunds import RefundRetry, refund_execute

    try:
        return refund_execute(refund_id=refund_id).status
    except (RefundRetry, OperationalError) as exc:
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 600)) from exc


@shared_task(bind=True, max_retries=3, default_retry_delay=60)
def send_payment_receipt(self, payment_id: int) -> str:
    """Queued by the posting: queue the receipt's PDF on the "documents" queue (from here,
    not from the posting: every posting saves a broker publish) and email the receipt."""
    from .receipts import receipt_send

    if not self.request.retries:
        delay_on_commit(render_payment_receipt, payment_id)  # at once: no transaction here
    try:
        return receipt_send(payment_id=payment_id)
    except NoticeFailed as exc:  # receipt_send gave its claim back: the retry sends it
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=3, default_retry_delay=30, acks_late=True)
def render_payment_receipt(self, payment_id: int) -> str:
    """On the "documents" queue (settings.CELERY_TASK_ROUTES): PDFs wait behind postings."""
    from .receipts import receipt_render

    return receipt_render(payment_id=payment_id).receipt_sha256


@shared_task
def reconcile_recent_payments() -> str:
    """Beat, hourly: payments, refunds and disputes lost webhooks missed in the last few
    days, and refund requests whose task gave up."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from . import stripe_api
    from .services.reconciling import payments_reconcile

    if not stripe_api.is_configured():
        return "not configured"
    since = timezone.now() - dt.timedelta(days=settings.PAYMENT_RECONCILE_DAYS)
    return payments_reconcile(since=since).summary()


@shared_task
def charge_due_autopays() -> dict:
    """Beat, daily: charge the saved card of each active autopay for installments due by
    its portfolio's local date (not the server's TIME_ZONE)."""
    from . import stripe_api
    from .services.autopay import autopay_charge_due

    if not stripe_api.is_configured():
        return {"skipped": "not configured"}
    return autopay_charge_due()


@shared_task(bind=True, max_retries=8, acks_late=True)
def drain_mercadopago_notifications(self, slot: int | None = None) -> int:
    """Woken by stored notifications (one task per slot at a time) and by the beat's sweep:
    process waiting ones; while Mercado Pago cannot be reached, try again 10 s, 20 s, ...
    up to 10 minutes apart."""
    from .services.mercadopago_notifications import (
        NotificationRetry,
        mercadopago_notifications_drain,
    )

    try:
        return mercadopago_notifications_drain(slot=slot)
    except (NotificationRetry, OperationalError) as exc:
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 600)) from exc


@shared_task
def mercadopago_housekeeping() -> dict:
    """Beat, every 10 minutes: notifications a lost task left waiting, payments changed at
    Mercado Pago that no notification brought (the last day), and cash vouchers past their
    deadline."""
    import datetime as dt

    from django.utils import timezone

    from . import mercadopago_api
    from .services.mercadopago_notifications import mercadopago_notifications_sweep
    from .services.mercadopago_reconcile import mercadopago_reconcile
    from .services.mercadopago_start import cash_vouchers_expire

    if not mercadopago_api.is_configured():
        return {"skipped": "not configured"}
    swept = mercadopago_notifications_sweep(older_than=dt.timedelta(minutes=2))
    result = mercadopago_reconcile(since=timezone.now() - dt.timedelta(days=1))
    return {"requeued": swept, **result, "expired": cash_vouchers_expire()}


@shared_task(bind=True, max_retries=3, default_retry_delay=60)
def send_cash_voucher(self, attempt_id: int) -> str:
    """Email the debtor their cash voucher (reference, barcode, deadline; the PDF attached)."""
    from .vouchers import voucher_send

    try:
        return voucher_send(attempt_id=attempt_id)
    except NoticeFailed as exc:
        raise self.retry(exc=exc) from exc
