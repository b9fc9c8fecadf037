"""Starting a payment: options and amounts from the server, tampering refused, one
PaymentIntent per thing paid (reused on return), and no crash without Stripe keys."""

from __future__ import annotations

import pytest
import requests
import stripe
from django.urls import reverse

from agreements.models import InstallmentStatus
from payments.models import AttemptStatus, PaymentAttempt
from portal.audit.models import AuditEvent
from tests.localstripe import card_token

PAY_URL = "/mi-cuenta/pagar/"


def _localstripe_intents(base: str) -> list[dict]:
    response = requests.get(f"{base}/v1/payment_intents", auth=("sk_test_portal", ""), timeout=5)
    return response.json()["data"]


def first_installment(agreement):
    return agreement.installments.order_by("number").first()


def test_pay_page_lists_the_next_installment_with_its_server_amount(
    ana, agreement, stripe_settings
):
    installment = first_installment(agreement)

    response = ana.get(PAY_URL)

    assert response.status_code == 200
    keys = [p.key for p in response.context["payables"]]
    assert keys[:2] == [f"installment-{installment.pk}", f"agreement-{agreement.pk}"]
    assert response.context["payables"][0].amount_minor == installment.amount_minor
    assert f'data-testid="payable-installment-{installment.pk}"' in response.content.decode()


def test_choosing_the_installment_creates_one_intent_for_its_amount(
    ana, agreement, stripe_settings
):
    installment = first_installment(agreement)

    response = ana.post(PAY_URL, {"option": f"installment-{installment.pk}"})
    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:checkout", args=[attempt.pk])
    assert attempt.amount_minor == installment.amount_minor
    assert attempt.stripe_payment_intent_id is None  # Stripe is called by the checkout page

    page = ana.get(response["Location"])

    assert page.status_code == 200
    attempt.refresh_from_db()
    intent = stripe.PaymentIntent.retrieve(
        attempt.stripe_payment_intent_id, api_key="sk_test_portal"
    )
    assert intent.amount == installment.amount_minor and intent.currency == "cop"
    assert intent.metadata["attempt_id"] == str(attempt.pk)
    assert attempt.status == AttemptStatus.OPEN
    assert attempt.client_secret in page.content.decode()
    assert attempt.idempotency_key == (
        f"pay-installment-{installment.pk}-{installment.amount_minor}COP.1"
    )


def test_coming_back_reuses_the_same_attempt_and_payment_intent(ana, agreement, stripe_settings):
    option = {"option": f"installment-{first_installment(agreement).pk}"}
    first = ana.post(PAY_URL, option)["Location"]
    ana.get(first)
    again = ana.post(PAY_URL, option)["Location"]
    ana.get(again)
    ana.get(again)

    assert first == again
    assert PaymentAttempt.objects.count() == 1
    assert len(_localstripe_intents(stripe_settings)) == 1
    assert AuditEvent.objects.filter(action="payment.intent_created").count() == 1


@pytest.mark.parametrize("tampered", ["1", "1000", "99999999"])
def test_an_amount_sent_for_a_fixed_option_is_refused(ana, agreement, stripe_settings, tampered):
    option = f"installment-{first_installment(agreement).pk}"

    response = ana.post(PAY_URL, {"option": option, "amount": tampered})

    assert response.status_code == 400
    assert not PaymentAttempt.objects.exists()


def test_the_card_confirm_refuses_an_amount_from_the_browser(ana, agreement, stripe_settings):
    checkout = ana.post(PAY_URL, {"option": f"installment-{first_installment(agreement).pk}"})
    ana.get(checkout["Location"])
    attempt = PaymentAttempt.objects.get()
    token = card_token(stripe_settings)

    response = ana.post(
        reverse("payments:confirm_card", args=[attempt.pk]), {"token": token, "amount": "100"}
    )

    assert response.status_code == 400
    intent = stripe.PaymentIntent.retrieve(
        attempt.stripe_payment_intent_id, api_key="sk_test_portal"
    )
    assert intent.status == "requires_payment_method"


def test_free_amount_must_be_between_the_minimum_and_the_balance(ana, debt, stripe_settings):
    option = f"free-{debt.pk}"

    too_low = ana.post(PAY_URL, {"option": option, "amount": "100"})
    too_high = ana.post(PAY_URL, {"option": option, "amount": "2000000"})
    fine = ana.post(PAY_URL, {"option": option, "amount": "150.000"})

    assert too_low.status_code == 400 and too_high.status_code == 400
    assert fine.status_code == 302
    assert PaymentAttempt.objects.get().amount_minor == 150_000_00


def test_an_option_of_another_debtor_is_refused(ana, other_debtor, stripe_settings):
    their_debt = other_debtor.debts.get()

    response = ana.post(PAY_URL, {"option": f"free-{their_debt.pk}", "amount": "50000"})

    assert response.status_code == 400
    assert not PaymentAttempt.objects.exists()


def test_a_paid_installment_is_no_longer_offered(ana, agreement, stripe_settings):
    installment = first_installment(agreement)
    installment.status = InstallmentStatus.PAID
    installment.paid_minor = installment.amount_minor
    installment.save()

    response = ana.post(PAY_URL, {"option": f"installment-{installment.pk}"})

    assert response.status_code == 400


def test_card_confirm_with_a_real_token_leaves_the_attempt_processing(
    ana, agreement, stripe_settings
):
    checkout = ana.post(PAY_URL, {"option": f"installment-{first_installment(agreement).pk}"})
    ana.get(checkout["Location"])
    attempt = PaymentAttempt.objects.get()

    response = ana.post(
        reverse("payments:confirm_card", args=[attempt.pk]),
        {"token": card_token(stripe_settings)},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    attempt.refresh_from_db()
    # Stripe says succeeded, but only the signed webhook posts the payment.
    assert attempt.status == AttemptStatus.PROCESSING
    assert not attempt.debtor.payments.exists()


def test_a_declined_card_marks_the_attempt_failed(ana, agreement, stripe_settings):
    checkout = ana.post(PAY_URL, {"option": f"installment-{first_installment(agreement).pk}"})
    ana.get(checkout["Location"])
    attempt = PaymentAttempt.objects.get()

    response = ana.post(
        reverse("payments:confirm_card", args=[attempt.pk]),
        {"token": card_token(stripe_settings, "4000000000000341")},
    )

    assert response.status_code == 402
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED


def test_without_stripe_keys_the_pages_say_payments_are_not_configured(ana, agreement, settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""

    page = ana.get(PAY_URL)
    post = ana.post(PAY_URL, {"option": f"installment-{first_installment(agreement).pk}"})

    assert page.status_code == 200
    assert 'data-testid="payments-not-configured"' in page.content.decode()
    assert post.status_code == 503
    assert not PaymentAttempt.objects.exists()
