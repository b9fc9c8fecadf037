"""The webhook: signatures, replays, unknown types, ordering, refunds and disputes.

Events are built and signed here exactly as Stripe signs them (HMAC-SHA256 of
"<timestamp>.<payload>" with the endpoint secret), because localstripe sends neither
`charge.refunded` nor `charge.dispute.created`; the real-delivery test is in
test_localstripe_delivery.py.
"""

from __future__ import annotations

import time

import pytest
from django.core import mail

from agreements.models import InstallmentStatus
from payments.models import (
    AttemptStatus,
    EventStatus,
    Payment,
    PaymentStatus,
    StripeEvent,
)
from portal.audit.models import AuditEvent
from portal.debtors.models import LedgerEntry
from tests.factories import intent_payload
from tests.helpers.payments import started
from tests.localstripe import make_event, signature_header


def succeeded(attempt, **kwargs):
    return make_event("payment_intent.succeeded", intent_payload(attempt, **kwargs))


def refunded(attempt, amount_refunded: int, **kwargs):
    charge = {
        "id": f"ch_{attempt.stripe_payment_intent_id[3:]}",
        "object": "charge",
        "payment_intent": attempt.stripe_payment_intent_id,
        "amount": attempt.amount_minor,
        "amount_refunded": amount_refunded,
        "refunded": amount_refunded >= attempt.amount_minor,
    }
    return make_event("charge.refunded", charge, **kwargs)


def test_a_bad_signature_is_refused_and_nothing_is_stored(deliver, client, debt, webhook_secret):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    response = deliver(succeeded(attempt), secret="whsec_wrong")
    missing = client.post("/payments/stripe/webhook/", data="{}", content_type="application/json")

    assert response.status_code == 400 and missing.status_code == 400
    assert not StripeEvent.objects.exists() and not Payment.objects.exists()


def test_a_signature_older_than_the_tolerance_is_refused(deliver, client, debt, webhook_secret):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    response = deliver(succeeded(attempt), timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_signature_dated_beyond_the_tolerance_ahead_is_refused(deliver, debt, caplog):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    response = deliver(succeeded(attempt), timestamp=int(time.time()) + 6 * 60)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists() and not Payment.objects.exists()
    assert "in the future" in caplog.text


def test_a_signature_dated_inside_the_tolerance_ahead_is_accepted(deliver, debt):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    response = deliver(succeeded(attempt), timestamp=int(time.time()) + 4 * 60)

    assert response.status_code == 200
    assert Payment.objects.count() == 1


def test_without_a_webhook_secret_every_event_is_refused(deliver, client, debt, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    assert deliver(succeeded(attempt)).status_code == 400


def test_an_unknown_event_type_is_stored_and_ignored(db, deliver):
    event = make_event("customer.created", {"id": "cus_1", "object": "customer"})

    response = deliver(event)

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == EventStatus.IGNORED


def test_a_succeeded_intent_posts_one_payment_to_the_debt(deliver, client, debt, webhook_secret):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    response = deliver(succeeded(attempt))

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert (payment.amount_minor, payment.currency) == (50_000_00, "COP")
    assert payment.stripe_payment_intent_id == attempt.stripe_payment_intent_id
    entry = LedgerEntry.objects.get(debt=debt, kind="payment")
    assert entry.amount_minor == -50_000_00
    debt.refresh_from_db()
    assert debt.balance_minor == 1_060_000_00 - 50_000_00
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert StripeEvent.objects.get().status == EventStatus.PROCESSED
    assert AuditEvent.objects.filter(action="payment.posted").count() == 1


def test_second_delivery_of_the_same_event_posts_nothing(deliver, ana, debt, webhook_secret):
    # Ana is on the portal (she just paid there), so the receipt leaves at whatever hour.
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)
    event = succeeded(attempt)

    first = deliver(event)
    second = deliver(event)

    assert first.status_code == second.status_code == 200
    assert second.content == b"duplicate"
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    (receipt,) = mail.outbox
    assert Payment.objects.get().number in receipt.subject


def test_two_different_events_for_the_same_intent_post_one_payment(
    deliver, client, debt, webhook_secret
):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    deliver(succeeded(attempt))
    deliver(succeeded(attempt))

    assert StripeEvent.objects.count() == 2
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1


def test_a_failure_notifies_the_debtor_with_a_retry_link(deliver, ana, debt, webhook_secret):
    # On the portal, so told at once at any hour; off it, at the window (test_notice_window).
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    deliver(make_event("payment_intent.payment_failed", intent_payload(attempt, status="x")))

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED
    assert attempt.failure_message == "Your card was declined."
    (message,) = mail.outbox
    assert message.to == ["ana@example.com"]
    assert "/p/" in message.body and "no se completó" in message.body
    assert not Payment.objects.exists()


def test_a_late_failure_after_success_changes_nothing(deliver, client, debt, webhook_secret):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)
    failure = make_event(
        "payment_intent.payment_failed", intent_payload(attempt, status="requires_payment_method")
    )

    deliver(succeeded(attempt))
    deliver(failure)

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert Payment.objects.count() == 1
    assert not AuditEvent.objects.filter(action="payment.failed").exists()


def test_failure_then_success_posts_the_payment(deliver, client, debt, webhook_secret):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)
    failure = make_event(
        "payment_intent.payment_failed", intent_payload(attempt, status="requires_payment_method")
    )

    deliver(failure)
    deliver(succeeded(attempt))

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert Payment.objects.count() == 1


def test_a_refund_writes_refund_entries_once_and_reopens_the_installment(
    deliver, client, agreement, webhook_secret
):
    first = agreement.installments.order_by("number").first()
    attempt = started(agreement.debtor, f"installment-{first.pk}")
    deliver(succeeded(attempt))
    debt = agreement.lines.get().debt
    debt.refresh_from_db()
    paid_balance = debt.balance_minor

    partial = refunded(attempt, 10_000_00)
    deliver(partial)
    deliver(partial)  # replay
    deliver(refunded(attempt, 5_000_00))  # older, smaller cumulative

    payment = Payment.objects.get()
    assert payment.refunded_minor == 10_000_00
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    debt.refresh_from_db()
    assert debt.balance_minor == paid_balance + 10_000_00
    first.refresh_from_db()
    assert first.paid_minor == first.amount_minor - 10_000_00
    assert first.status in (InstallmentStatus.PENDING, InstallmentStatus.LATE)


def test_a_refund_that_arrives_before_its_payment_waits_then_applies(
    deliver, client, debt, webhook_secret
):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    deliver(refunded(attempt, 50_000_00))
    assert StripeEvent.objects.get().status == EventStatus.DEFERRED
    deliver(succeeded(attempt))

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.REFUNDED
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}
    debt.refresh_from_db()
    assert debt.balance_minor == 1_060_000_00


def test_a_dispute_flags_the_payment_once(deliver, client, debt, webhook_secret):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)
    deliver(succeeded(attempt))
    dispute = make_event(
        "charge.dispute.created",
        {
            "id": "dp_1",
            "object": "dispute",
            "charge": "ch_1",
            "payment_intent": attempt.stripe_payment_intent_id,
            "amount": 50_000_00,
            "reason": "fraudulent",
        },
    )

    deliver(dispute)
    deliver(dispute)

    assert Payment.objects.get().disputed_at is not None
    assert AuditEvent.objects.filter(action="payment.disputed").count() == 1


def test_an_intent_we_never_started_is_recorded_as_failed(deliver, client, webhook_secret, debt):
    event = make_event(
        "payment_intent.succeeded",
        {"id": "pi_unknown", "amount": 100, "currency": "cop", "metadata": {}},
    )

    response = deliver(event)

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == EventStatus.FAILED and "no payment attempt" in stored.error
    assert not Payment.objects.exists()


HOSTILE = {
    "a JSON array": [1, 2],
    "a JSON string": "evt",
    "an event without type": {"id": "evt_x", "data": {"object": {}}},
    "an event without id": {"type": "payment_intent.succeeded", "data": {"object": {"id": "pi"}}},
    "a type longer than any": {"id": "evt_t", "type": "x" * 101, "data": {"object": {}}},
    "an event with empty data": {"id": "evt_y", "type": "payment_intent.succeeded", "data": {}},
    "metadata that is a string": {
        "id": "evt_z",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_z", "metadata": "attempt=1"}},
    },
    "a creation time out of range": {
        "id": "evt_c",
        "type": "payment_intent.succeeded",
        "created": 10**20,
        "data": {"object": {"id": "pi_c"}},
    },
    "a payment intent without id": {
        "id": "evt_w",
        "type": "payment_intent.succeeded",
        "data": {"object": {"metadata": {}}},
    },
}


@pytest.mark.parametrize("body", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_signed_body_that_is_no_event_is_refused_and_nothing_is_stored(db, deliver, body):
    response = deliver(body)

    assert response.status_code == 400
    assert response.content.decode()  # says what is wrong
    assert not StripeEvent.objects.exists()
    assert not Payment.objects.exists()


def _post_raw(client, body: str, signature: str):
    return client.post(
        "/payments/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


# Python's json reads NaN; PostgreSQL's jsonb refuses it, which would be a 500 at the INSERT.
_NAN_EVENT = (
    '{"id": "evt_n", "type": "payment_intent.succeeded",'
    ' "data": {"object": {"id": "pi_n", "amount": NaN}}}'
)

REFUSALS = {
    "no signature header": lambda: ("{}", ""),
    "a wrong secret": lambda: ("{}", signature_header("{}", secret="whsec_wrong")),
    "a stale timestamp": lambda: ("{}", signature_header("{}", timestamp=int(time.time()) - 301)),
    "a future timestamp": lambda: ("{}", signature_header("{}", timestamp=int(time.time()) + 301)),
    "a signed body that is not JSON": lambda: ("not json", signature_header("not json")),
    "a signed body that is no event": lambda: ("[1, 2]", signature_header("[1, 2]")),
    "a number JSON cannot hold": lambda: (_NAN_EVENT, signature_header(_NAN_EVENT)),
}


@pytest.mark.parametrize("make", list(REFUSALS.values()), ids=list(REFUSALS))
def test_every_refusal_writes_a_warning_saying_why(db, client, webhook_secret, caplog, make):
    body, signature = make()

    with caplog.at_level("WARNING", logger="payments.webhooks"):
        response = _post_raw(client, body, signature)

    assert response.status_code == 400
    (line,) = [r for r in caplog.records if r.name == "payments.webhooks"]
    assert line.levelname == "WARNING" and "refused" in line.getMessage()
    assert len(line.getMessage()) > len("stripe webhook refused (400): ")
    assert not StripeEvent.objects.exists()


def test_without_a_secret_the_refusal_is_logged(db, client, settings, caplog):
    settings.STRIPE_WEBHOOK_SECRET = ""

    with caplog.at_level("WARNING", logger="payments.webhooks"):
        response = _post_raw(client, "{}", signature_header("{}"))

    assert response.status_code == 400
    assert "no webhook secret configured" in caplog.text
