"""The debtor's Mercado Pago pages through the real client and the fake Mercado Pago: the
pay page's ways to pay in order, PSE to the bank and back, the cash voucher (page, PDF,
email), the result page following Mercado Pago's word, and every URL closed to others."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from payments.models import AttemptStatus, PaymentAttempt
from tests.helpers.access import sign_in

PAY_URL = "/mi-cuenta/pagar/"
# 10:00 in Bogotá on a Thursday: inside the contact window, so notices leave at once.
MORNING = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _morning():
    """The whole test at MORNING (time ticking): vouchers issued now are valid now."""
    with time_machine.travel(MORNING):
        yield


@pytest.fixture
def down(agreement):
    return agreement.installments.order_by("number").first()


def _start(ana, down, method: str):
    return ana.post(PAY_URL, {"option": f"installment-{down.pk}", "method": method})


@pytest.fixture
def pse_attempt(ana, down, fake_mercadopago):
    response = _start(ana, down, "mercadopago-pse")
    assert response.status_code == 303
    attempt = PaymentAttempt.objects.get()
    assert response["Location"] == reverse("payments:pse", args=[attempt.pk])
    return attempt


def _pse_post(ana, attempt, bank="1007"):
    url = reverse("payments:pse", args=[attempt.pk])
    return ana.post(url, {"bank": bank, "person_type": "individual", "email": "ana@example.com"})


@pytest.fixture
def voucher(ana, down, fake_mercadopago, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(ana, down, "mercadopago-cash")
    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("payments:cash", args=[attempt.pk])
    return attempt


def _testids(page: str, prefix: str) -> list[str]:
    return re.findall(rf'data-testid="({re.escape(prefix)}[^"]*)"', page)


def test_pay_page_lists_pse_then_cash_then_card(ana, down, fake_mercadopago):
    page = ana.get(PAY_URL).content.decode()

    key = f"pay-installment-{down.pk}"
    assert _testids(page, f"{key}-") == [
        f"{key}-mercadopago-pse",
        f"{key}-mercadopago-cash",
        f"{key}-mercadopago-card",
    ]
    assert "Eliges tu banco y apruebas la transferencia" in page
    assert "Recibes una referencia para pagar en un punto Efecty dentro de 3 días." in page


def test_with_stripe_too_the_card_is_stripes(ana, down, fake_mercadopago, stripe_settings):
    page = ana.get(PAY_URL).content.decode()

    key = f"pay-installment-{down.pk}"
    assert _testids(page, key) == [f"{key}-mercadopago-pse", f"{key}-mercadopago-cash", key]
    assert 'value="stripe-card"' in page and "mercadopago-card" not in page


def test_without_mercado_pago_only_stripes_card(ana, down, stripe_settings):
    page = ana.get(PAY_URL).content.decode()

    assert _testids(page, f"pay-installment-{down.pk}") == [f"pay-installment-{down.pk}"]
    assert "mercadopago" not in page and "PSE" not in page


def test_without_any_provider_the_page_says_how_else_to_pay(ana, down):
    page = ana.get(PAY_URL).content.decode()

    assert 'data-testid="payments-not-configured"' in page
    assert _start(ana, down, "mercadopago-pse").status_code == 503


def test_pse_sends_the_debtor_to_the_fake_bank(ana, pse_attempt, fake_mercadopago):
    page = ana.get(reverse("payments:pse", args=[pse_attempt.pk])).content.decode()
    assert "Bancolombia" in page and 'value="ana@example.com"' in page

    response = _pse_post(ana, pse_attempt)

    assert response.status_code == 303
    assert response["Location"].startswith(f"{fake_mercadopago.base}/pse/bank/")
    pse_attempt.refresh_from_db()
    assert pse_attempt.status == AttemptStatus.PROCESSING
    sent = fake_mercadopago.payments[pse_attempt.provider_payment_id]
    assert sent["callback_url"] == f"http://testserver/mi-cuenta/pagos/{pse_attempt.pk}/resultado/"
    assert sent["transaction_amount"] * 100 == pse_attempt.amount_minor


def test_pse_with_a_bank_not_on_the_list_is_refused_in_the_form(ana, pse_attempt):
    response = _pse_post(ana, pse_attempt, bank="9999")

    assert response.status_code == 400
    assert "Elige tu banco de la lista." in response.content.decode()
    assert PaymentAttempt.objects.get().provider_payment_id is None


def test_result_follows_mercado_pagos_word_approved(ana, pse_attempt, fake_mercadopago):
    _pse_post(ana, pse_attempt)
    pse_attempt.refresh_from_db()
    fake_mercadopago.set_status(pse_attempt.provider_payment_id, "approved", "accredited")

    page = ana.get(reverse("payments:result", args=[pse_attempt.pk])).content.decode()

    assert 'data-testid="payment-succeeded"' in page and 'data-testid="receipt-link"' in page


def test_result_while_the_bank_confirms(ana, pse_attempt):
    _pse_post(ana, pse_attempt)

    page = ana.get(reverse("payments:result", args=[pse_attempt.pk])).content.decode()

    assert 'data-testid="payment-processing"' in page
    assert "Tu banco está confirmando la transferencia" in page


def test_rejected_pse_says_what_to_do_next(ana, pse_attempt, fake_mercadopago):
    _pse_post(ana, pse_attempt)
    pse_attempt.refresh_from_db()
    fake_mercadopago.set_status(pse_attempt.provider_payment_id, "rejected", "rejected_by_bank")

    page = ana.get(reverse("payments:result", args=[pse_attempt.pk])).content.decode()

    assert "Tu banco no aprobó la transferencia. No se cobró nada." in page
    assert f'href="{reverse("payments:pse", args=[pse_attempt.pk])}"' in page
    assert f'href="{PAY_URL}" data-testid="pay-another-way"' in page
    # Another bank: a new Mercado Pago payment on the same attempt.
    again = _pse_post(ana, pse_attempt, bank="1051")
    assert again.status_code == 303 and "/pse/bank/" in again["Location"]


def test_the_voucher_page_shows_reference_barcode_and_deadline(ana, voucher):
    page = ana.get(reverse("payments:cash", args=[voucher.pk])).content.decode()

    details = voucher.provider_details
    assert details["reference"] and details["reference"] in page
    assert f'aria-label="{details["barcode"]}"' in page and "<svg " in page
    deadline = voucher.expires_at.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert f"Paga antes de las {deadline:%H:%M} del {deadline:%d/%m/%Y}." in page
    assert "lo aplicamos en pocos minutos y te enviamos el recibo por correo" in page


def test_the_pay_page_says_a_voucher_is_pending(ana, voucher, down):
    page = ana.get(PAY_URL).content.decode()

    assert f'data-testid="voucher-pending-installment-{down.pk}"' in page
    assert "Pago en efectivo pendiente — vence el" in page


def test_the_voucher_pdf(ana, voucher):
    response = ana.get(reverse("payments:voucher_pdf", args=[voucher.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"


def test_the_voucher_is_emailed_with_its_pdf(voucher):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert voucher.provider_details["reference"] in message.subject
    (name, content, mimetype), *_rest = message.attachments
    assert name.endswith(".pdf") and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")


def test_an_expired_voucher_offers_a_new_one(ana, voucher):
    PaymentAttempt.objects.filter(pk=voucher.pk).update(status=AttemptStatus.EXPIRED)

    page = ana.get(reverse("payments:cash", args=[voucher.pk])).content.decode()
    result = ana.get(reverse("payments:result", args=[voucher.pk])).content.decode()

    assert "Este comprobante venció: pide uno nuevo." in page
    assert 'data-testid="voucher-new"' in page and 'data-testid="payment-expired"' in result


def test_paying_the_voucher_shows_paid(ana, voucher, fake_mercadopago):
    fake_mercadopago.set_status(voucher.provider_payment_id, "approved", "accredited")

    page = ana.get(reverse("payments:result", args=[voucher.pk])).content.decode()

    assert 'data-testid="payment-succeeded"' in page


def test_card_on_mercado_pago_redirects_to_its_checkout(ana, down, fake_mercadopago):
    response = _start(ana, down, "mercadopago-card")

    assert response.status_code == 303
    assert response["Location"].startswith(f"{fake_mercadopago.base}/checkout/")


@pytest.mark.parametrize("name", ["pse", "cash", "voucher_pdf", "result"])
def test_other_debtor_gets_404_on_every_new_url(name, voucher, other_debtor):
    carlos = Client()
    sign_in(carlos, other_debtor)

    assert carlos.get(reverse(f"payments:{name}", args=[voucher.pk])).status_code == 404
    card = reverse("payments:mercadopago_card", args=[voucher.pk])
    assert carlos.post(card).status_code == 404


def test_pay_page_queries_are_fixed(ana, voucher, fake_mercadopago, django_assert_max_num_queries):
    # Stripe's page (test_pages) plus one: the live vouchers, all payables at once; and the
    # creditors with their NIT that the nav names on every signed-in page.
    with django_assert_max_num_queries(8):
        assert ana.get(PAY_URL).status_code == 200


def test_the_dashboard_says_a_voucher_is_pending(ana, voucher):
    page = ana.get("/mi-cuenta/").content.decode()

    assert 'data-testid="dashboard-voucher-pending"' in page
    assert "Pago en efectivo pendiente — vence el" in page
    assert reverse("payments:cash", args=[voucher.pk]) in page


def test_forms_that_lead_to_mercado_pago_allow_its_origins(ana, pse_attempt, fake_mercadopago):
    csp = ana.get(reverse("payments:pse", args=[pse_attempt.pk]))["Content-Security-Policy"]
    pay = ana.get(PAY_URL)["Content-Security-Policy"]

    for policy in (csp, pay):
        form_action = re.search(r"form-action ([^;]*)", policy).group(1)
        assert "'self'" in form_action and fake_mercadopago.base in form_action
        assert "https://*.mercadopago.com.co" in form_action


def test_mercado_pago_down_on_the_pse_page_says_so(ana, pse_attempt, settings):
    settings.MERCADOPAGO_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    response = _pse_post(ana, pse_attempt)

    assert response.status_code == 502
    assert "Los pagos por PSE no están disponibles en este momento." in response.content.decode()


def test_pending_pse_links_back_to_the_bank(ana, pse_attempt):
    bank = _pse_post(ana, pse_attempt)["Location"]

    page = ana.get(reverse("payments:result", args=[pse_attempt.pk])).content.decode()

    assert f'href="{bank}" data-testid="to-bank"' in page


def test_a_voucher_past_its_deadline_offers_a_new_one(ana, voucher):
    past = MORNING - dt.timedelta(minutes=5)  # the fake still calls it pending
    PaymentAttempt.objects.filter(pk=voucher.pk).update(expires_at=past)

    page = ana.get(reverse("payments:cash", args=[voucher.pk])).content.decode()

    assert "Este comprobante venció: pide uno nuevo." in page
    assert 'data-testid="voucher-new"' in page


def test_a_new_voucher_after_the_old_one_expired(ana, voucher, down, fake_mercadopago):
    PaymentAttempt.objects.filter(pk=voucher.pk).update(status=AttemptStatus.EXPIRED)

    response = _start(ana, down, "mercadopago-cash")

    fresh = PaymentAttempt.objects.exclude(pk=voucher.pk).get()
    assert response["Location"] == reverse("payments:cash", args=[fresh.pk])
    assert fresh.provider_payment_id not in (None, voucher.provider_payment_id)


def test_cash_without_an_email_says_what_is_missing(ana, down, debtor, fake_mercadopago):
    debtor.emails = []
    debtor.save(update_fields=["emails"])

    response = _start(ana, down, "mercadopago-cash")

    assert response.status_code == 400
    assert "necesitamos tu correo" in response.content.decode()


def test_a_voucher_past_its_deadline_gives_way_to_a_new_one_at_once(ana, voucher, down):
    past = MORNING - dt.timedelta(minutes=5)  # the fake still calls it pending
    PaymentAttempt.objects.filter(pk=voucher.pk).update(expires_at=past)

    again = _start(ana, down, "mercadopago-cash")

    voucher.refresh_from_db()
    new = PaymentAttempt.objects.exclude(pk=voucher.pk).get()
    assert voucher.status == AttemptStatus.EXPIRED
    assert new.provider_payment_id not in (None, voucher.provider_payment_id)
    assert again["Location"] == reverse("payments:cash", args=[new.pk])
