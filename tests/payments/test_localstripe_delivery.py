"""The whole server-side path against localstripe: PaymentIntent, card confirm, and the
webhook delivered by localstripe itself, signed with our secret, to the live server."""

from __future__ import annotations

import pytest
from django.core import mail

from agreements.models import InstallmentStatus
from payments.models import AttemptStatus, EventStatus, Payment, StripeEvent
from payments.services import attempt_confirm_card, attempt_open_intent, attempt_start
from tests.helpers.access import sign_in
from tests.localstripe import card_token, wait_for


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_the_success_and_the_installment_is_paid(
    stripe_webhooks, client, agreement
):
    # Ana pays from the portal, so her receipt leaves at once at any hour; off the portal
    # it would wait for the contact window (test_notice_window), and this test would
    # depend on the clock.
    sign_in(client, agreement.debtor)
    down = agreement.installments.order_by("number").first()
    attempt = attempt_start(debtor=agreement.debtor, key=f"installment-{down.pk}")
    attempt = attempt_open_intent(attempt=attempt)

    attempt = attempt_confirm_card(attempt=attempt, token_id=card_token(stripe_webhooks_base()))

    assert attempt.status == AttemptStatus.PROCESSING
    # The receipt leaves after the posting commits (on SQLite the live server shares the
    # test's connection, so rows can be seen before their transaction is over).
    wait_for(lambda: any("%2Frecibos%2F" in m.body for m in mail.outbox))
    payment = Payment.objects.get(attempt=attempt)
    assert payment.amount_minor == down.amount_minor
    down.refresh_from_db()
    assert down.status == InstallmentStatus.PAID
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert event.status == EventStatus.PROCESSED


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_a_decline_and_the_debtor_is_told(stripe_webhooks, client, debt):
    sign_in(client, debt.debtor)  # on the portal: told at once, whatever the hour
    attempt = attempt_start(debtor=debt.debtor, key=f"free-{debt.pk}", amount_minor=50_000_00)
    attempt = attempt_open_intent(attempt=attempt)

    attempt = attempt_confirm_card(
        attempt=attempt, token_id=card_token(stripe_webhooks_base(), "4000000000000341")
    )

    assert attempt.status == AttemptStatus.FAILED
    wait_for(lambda: StripeEvent.objects.filter(type="payment_intent.payment_failed").exists())
    wait_for(lambda: mail.outbox)
    assert not Payment.objects.exists()


def stripe_webhooks_base() -> str:
    from django.conf import settings

    return settings.STRIPE_API_BASE
