"""The stored events are the queue: drainers take them oldest first and let go of their
wake slot, so nothing stored waits for a wake that never comes."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.cache import cache

from payments.models import Payment, StripeEvent
from payments.services import stripe_event_receive, stripe_events_drain
from payments.tasks import drain_stripe_events
from portal.audit.models import AuditEvent
from tests.factories import intent_payload
from tests.helpers.concurrency import run_together
from tests.helpers.payments import started
from tests.localstripe import make_event

pytestmark = pytest.mark.django_db

SLOT_KEY = "payments:stripe-event-drainer:0"


@pytest.fixture(autouse=True)
def one_slot(settings):
    settings.PAYMENT_EVENT_DRAINERS = 1


def _succeeded(debt, number: int) -> dict:
    """A succeeded event for a new payment of Ana's debt: COP 50.000 plus `number` thousand
    (the same amount again would reuse the open attempt)."""
    attempt = started(debt.debtor, f"free-{debt.pk}", (50_000 + 1_000 * number) * 100)
    return make_event("payment_intent.succeeded", intent_payload(attempt))


def test_an_event_is_processed_by_the_drainer_it_wakes(debt, deliver):
    response = deliver(_succeeded(debt, 0))

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == "processed"
    assert Payment.objects.count() == 1
    assert cache.get(SLOT_KEY) is None  # the drainer let go of its slot


def test_while_a_drainer_holds_the_slot_an_event_waits_for_it(debt, deliver):
    cache.add(SLOT_KEY, 1)  # a drain task is queued and has not run yet

    deliver(_succeeded(debt, 0))
    assert StripeEvent.objects.get().status == "received"

    assert stripe_events_drain(slot=0) == (1, False)
    assert StripeEvent.objects.get().status == "processed"
    assert cache.get(SLOT_KEY) is None

    deliver(_succeeded(debt, 1))  # the slot is free again: this one wakes a drainer
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert Payment.objects.count() == 2


def test_an_event_whose_wake_was_lost_is_processed_by_the_beat(debt, deliver):
    cache.add(SLOT_KEY, 1)  # the drain task queued for the slot was lost with the broker
    deliver(_succeeded(debt, 0))

    drain_stripe_events.delay()  # the beat's sweep, holding no slot

    assert StripeEvent.objects.get().status == "processed"
    assert Payment.objects.count() == 1


def test_an_event_that_breaks_its_handler_is_failed_and_the_next_one_still_posts(debt, deliver):
    cache.add(SLOT_KEY, 1)
    broken = make_event(
        "charge.refunded",
        {"id": "ch_x", "object": "charge", "payment_intent": "pi_x", "amount_refunded": "lots"},
    )
    # Nothing is posted for pi_x, so the refund waits as deferred, never breaking: give it
    # a payment so the handler reaches the amount.
    good = _succeeded(debt, 0)
    broken["data"]["object"]["payment_intent"] = good["data"]["object"]["id"]
    deliver(good)
    deliver(broken)
    deliver(_succeeded(debt, 1))

    assert stripe_events_drain(slot=0) == (3, False)

    statuses = dict(StripeEvent.objects.values_list("type", "status"))
    assert statuses == {"payment_intent.succeeded": "processed", "charge.refunded": "failed"}
    assert Payment.objects.count() == 2
    failed = StripeEvent.objects.get(type="charge.refunded")
    assert "lots" in failed.error
    assert AuditEvent.objects.filter(action="payment.event_failed").count() == 1


def test_a_long_queue_is_drained_in_runs_that_hand_over(debt, deliver):
    cache.add(SLOT_KEY, 1)
    for number in range(3):
        deliver(_succeeded(debt, number))

    assert stripe_events_drain(slot=0, budget=2) == (2, True)  # the task queues another run
    assert cache.get(SLOT_KEY) == 1  # and keeps the slot for it
    assert stripe_events_drain(slot=0, budget=2) == (1, False)
    assert Payment.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_drainers_racing_process_every_event_once(on_postgres, debt):
    cache.add(SLOT_KEY, 1)  # store without waking: the two drainers below find them all
    events = []
    for number in range(4):
        event = _succeeded(debt, number)
        events += [event] + [dict(event, id=f"{event['id']}_again{n}") for n in range(4)]
    for event in events:
        assert stripe_event_receive(event=event) is not None

    outcomes = run_together(lambda: stripe_events_drain(), lambda: stripe_events_drain())

    assert [o.error for o in outcomes] == [None, None]
    assert sum(o.value[0] for o in outcomes) == len(events)
    assert Counter(StripeEvent.objects.values_list("status", flat=True)) == {
        "processed": len(events)
    }
    assert Payment.objects.count() == 4
    assert AuditEvent.objects.filter(action="payment.posted").count() == 4
