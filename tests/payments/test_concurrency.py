"""Fifty simultaneous deliveries of one event post exactly one payment (PostgreSQL locks)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from payments.models import Payment, PaymentAllocation, StripeEvent
from payments.services import payment_post_intent
from portal.audit.models import AuditEvent
from portal.debtors.models import LedgerEntry
from tests.factories import intent_payload
from tests.localstripe import make_event, signed_event_post

from tests.helpers.payments import started

DELIVERIES = 50


def _in_threads(work) -> list[str]:
    start = threading.Barrier(DELIVERIES)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            start.wait(timeout=30)
            try:
                outcome = work(n)
            except Exception as error:  # noqa: BLE001 - anything else is the failure we look for
                outcome = f"{type(error).__name__}: {error}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_deliveries_of_one_event_post_exactly_one_payment(
    on_postgres, agreement, webhook_secret
):
    down = agreement.installments.order_by("number").first()
    attempt = started(agreement.debtor, f"installment-{down.pk}")
    event = make_event("payment_intent.succeeded", intent_payload(attempt))

    outcomes = _in_threads(lambda n: signed_event_post(Client(), event).status_code)

    assert Counter(outcomes) == {200: DELIVERIES}
    assert StripeEvent.objects.count() == 1
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert AuditEvent.objects.filter(action="payment.posted").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_distinct_events_for_one_intent_racing_post_exactly_one_payment(
    on_postgres, agreement, webhook_secret
):
    """Stripe may send the same news under different event ids (and reconciliation posts
    the same intent): the attempt row lock and the unique PaymentIntent id hold."""
    down = agreement.installments.order_by("number").first()
    attempt = started(agreement.debtor, f"installment-{down.pk}")
    events = [
        make_event("payment_intent.succeeded", intent_payload(attempt)) for _ in range(DELIVERIES)
    ]

    outcomes = _in_threads(lambda n: signed_event_post(Client(), events[n]).status_code)
    direct = _in_threads(
        lambda n: "posted" if payment_post_intent(intent=intent_payload(attempt)) else "none"
    )

    assert Counter(outcomes) == {200: DELIVERIES}
    assert Counter(direct) == {"none": DELIVERIES}
    assert StripeEvent.objects.filter(status="processed").count() == DELIVERIES
    assert Payment.objects.count() == 1
    assert PaymentAllocation.objects.count() == 1
    down.refresh_from_db()
    assert down.paid_minor == down.amount_minor
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
