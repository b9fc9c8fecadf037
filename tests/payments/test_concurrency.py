"""Fifty simultaneous deliveries of one event post exactly one payment (PostgreSQL locks)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from payments.models import Payment, PaymentAllocation, StripeEvent
from payments.services import payment_post_intent
from portal.audit.models import AuditEvent
from portal.debtors.models import LedgerEntry
from tests.factories import intent_payload
from tests.helpers.concurrency import run_times
from tests.helpers.payments import started
from tests.localstripe import make_event, signed_event_post

DELIVERIES = 50


def _in_threads(work) -> list:
    """`work(n)` in DELIVERIES threads at once: what each returned, or the error it raised
    (anything raised is the failure we look for)."""
    return [_label(outcome) for outcome in run_times(work, DELIVERIES)]


def _label(outcome):
    if outcome.error is None:
        return outcome.value
    return f"{type(outcome.error).__name__}: {outcome.error}"


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
