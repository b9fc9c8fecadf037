"""Debtor payment pages: the result box polls until the webhook decides, every URL is
closed to `other_debtor`, and each page runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.promises import promise_create
from payments.models import Payment, PaymentAttempt
from portal.debtors.services import ledger_post, portfolio_today
from tests.factories import DebtFactory, intent_payload
from tests.helpers.access import sign_in
from tests.helpers.payments import started
from tests.localstripe import card_token, make_event


@pytest.fixture
def attempt(agreement):
    down = agreement.installments.order_by("number").first()
    return started(agreement.debtor, f"installment-{down.pk}")


def test_result_polls_while_processing_then_shows_success(ana, attempt, deliver):
    url = reverse("payments:result", args=[attempt.pk])

    page = ana.get(url).content.decode()
    assert 'data-testid="payment-processing"' in page and 'hx-trigger="every 2s"' in page
    polled = ana.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert polled.strip().startswith('<div id="payment-outcome"') and "<html" not in polled

    deliver(make_event("payment_intent.succeeded", intent_payload(attempt)))

    done = ana.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="payment-succeeded"' in done and "every 2s" not in done
    assert Payment.objects.get().number in done


def test_result_offers_the_receipt_before_its_pdf_is_rendered(ana, attempt, deliver):
    url = reverse("payments:result", args=[attempt.pk])
    deliver(make_event("payment_intent.succeeded", intent_payload(attempt)))
    # Between the posting's commit and the documents queue: no PDF yet, the link renders it.
    Payment.objects.update(receipt_sha256="", receipt_pdf="")

    page = ana.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert 'data-testid="payment-succeeded"' in page and "every 2s" not in page
    assert 'data-testid="receipt-link"' in page


def test_result_shows_a_failure_with_a_retry(ana, attempt, deliver):
    deliver(make_event("payment_intent.payment_failed", intent_payload(attempt, status="x")))

    page = ana.get(reverse("payments:result", args=[attempt.pk])).content.decode()

    assert 'data-testid="payment-failed"' in page
    assert reverse("payments:checkout", args=[attempt.pk]) in page


def test_checkout_allows_stripe_js_only_on_that_page(ana, attempt, stripe_settings):
    PaymentAttempt.objects.filter(pk=attempt.pk).update(stripe_payment_intent_id=None)

    response = ana.get(reverse("payments:checkout", args=[attempt.pk]))
    other = ana.get("/mi-cuenta/pagar/")

    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and stripe_settings in csp
    assert "frame-src https://js.stripe.com https://hooks.stripe.com" in csp
    assert "unsafe-inline" not in csp
    assert stripe_settings not in other["Content-Security-Policy"]
    html = response.content.decode()
    assert f'src="{stripe_settings}/js.stripe.com/v3/" nonce="' in html
    assert 'type="module" src="/static/js/payment.js" nonce="' in html


@pytest.mark.parametrize("name", ["payments:checkout", "payments:result", "payments:confirm_card"])
def test_other_debtor_cannot_see_or_use_the_attempt(
    client, attempt, other_debtor, name, stripe_settings
):
    sign_in(client, other_debtor)
    url = reverse(name, args=[attempt.pk])

    response = client.post(url, {"token": "tok_x"}) if "confirm" in name else client.get(url)

    assert response.status_code == 404


def test_other_debtor_cannot_download_the_receipt(client, ana, attempt, deliver, other_debtor):
    deliver(make_event("payment_intent.succeeded", intent_payload(attempt)))
    payment = Payment.objects.get()
    url = reverse("payments:receipt_pdf", args=[payment.pk])
    assert ana.get(url).status_code == 200
    ana.logout()

    sign_in(client, other_debtor)

    assert client.get(url).status_code == 404


def test_other_debtor_does_not_see_the_debtors_options(
    client, agreement, other_debtor, stripe_settings
):
    sign_in(client, other_debtor)

    response = client.get("/mi-cuenta/pagar/")
    keys = [p.key for p in response.context["payables"]]

    assert keys == [f"free-{other_debtor.debts.get().pk}"]


def test_signed_out_visitors_are_sent_away(client, attempt):
    for url in ("/mi-cuenta/pagar/", reverse("payments:result", args=[attempt.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("access:signed_out")


def _queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **headers).status_code == 200
    return len(captured.captured_queries)


def test_page_queries_are_fixed(ana, attempt, portfolio, stripe_settings):
    """Bounds measured with database sessions; Redis-cached sessions save one query."""
    checkout = reverse("payments:checkout", args=[attempt.pk])
    result = reverse("payments:result", args=[attempt.pk])
    ana.get(checkout)  # creates the PaymentIntent once; later visits reuse it
    assert _queries(ana, "/mi-cuenta/pagar/") <= 6  # one for all portfolios' other ways to pay
    assert _queries(ana, checkout) <= 3
    assert _queries(ana, result, HTTP_HX_REQUEST="true") <= 4

    # More debts and a promise to pay: one query more (the open debts' promises,
    # prefetched), and then no more however many debts there are.
    for n in range(3):
        extra = DebtFactory(portfolio=portfolio, debtor=attempt.debtor, account_ref=f"X-{n}")
        ledger_post(debt=extra, kind="charge", amount_minor=300_000_00)
    promise_create(
        debtor=attempt.debtor,
        debt=extra,
        amount_minor=100_000_00,
        promised_date=portfolio_today(portfolio) + dt.timedelta(days=3),
    )
    with_debts = _queries(ana, "/mi-cuenta/pagar/")
    assert with_debts <= 7
    assert len(ana.get("/mi-cuenta/pagar/").context["payables"]) == 2 + 3 + 1
    for n in range(5):
        more = DebtFactory(portfolio=portfolio, debtor=attempt.debtor, account_ref=f"Y-{n}")
        ledger_post(debt=more, kind="charge", amount_minor=300_000_00)
    assert _queries(ana, "/mi-cuenta/pagar/") == with_debts


def test_card_confirm_twice_is_refused_the_second_time(ana, agreement, stripe_settings):
    down = agreement.installments.order_by("number").first()
    ana.get(ana.post("/mi-cuenta/pagar/", {"option": f"installment-{down.pk}"})["Location"])
    attempt = PaymentAttempt.objects.get()
    url = reverse("payments:confirm_card", args=[attempt.pk])

    first = ana.post(url, {"token": card_token(stripe_settings)})
    second = ana.post(url, {"token": card_token(stripe_settings)})

    assert first.status_code == 200 and second.status_code == 409
