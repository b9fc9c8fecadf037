"""Paying through Mercado Pago in a real browser on a phone, against the fake Mercado Pago
(payments/devmercadopago): PSE approved at the fake bank, PSE rejected with a clear next
step, and a cash voucher paid at the (simulated) Efecty point. axe checks the pay page, the
PSE form, the voucher and the result page.

The fake posts signed notifications to the live server's webhook; the result page also
reads Mercado Pago itself before rendering, so the journeys do not hang on notification
timing.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from agreements.models import InstallmentStatus
from payments.models import PaymentAttempt
from tests.e2e.test_agreement_journey import (  # noqa: F401 - fixture
    _assert_browser_was_happy,
    _sign_in,
    plan_debtor,
)
from tests.helpers.payments import accept_offer
from tests.localstripe import wait_for
from tests.mercadopago import fake_mercadopago, fake_mercadopago_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e


@pytest.fixture
def mp(fake_mercadopago, live_server):  # noqa: F811 - the imported fixture
    fake_mercadopago.register_webhook(live_server.url + reverse("payments_webhooks:mercadopago"))
    return fake_mercadopago


@pytest.fixture
def first(plan_debtor):  # noqa: F811 - the imported fixture
    agreement = accept_offer(plan_debtor, "plan-monthly-3")
    return agreement.installments.order_by("number").first()


def _to_pay_page(page, live_server, debtor, first, axe_check, shoot):
    _sign_in(page, live_server, debtor)
    page.goto(f"{live_server.url}/mi-cuenta/pagar/")
    page.get_by_test_id(f"payable-installment-{first.pk}").wait_for()
    shoot(page, "49-pay-options-mercadopago")
    axe_check(page, "pay options with Mercado Pago")


def _through_pse_to_the_bank(page, live_server, mp, first, axe_check, shoot):
    with page.expect_navigation():
        page.get_by_test_id(f"pay-installment-{first.pk}-mercadopago-pse").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/pagos/\d+/pse/$"))
    shoot(page, "50-pse-form")
    axe_check(page, "PSE form")
    page.get_by_test_id("pse-bank").select_option("1007")
    with page.expect_navigation():
        page.get_by_test_id("pse-continue").tap()
    page.wait_for_url(re.compile(rf"^{re.escape(mp.base)}/pse/bank/\d+"))
    shoot(page, "51-fake-bank")


def test_pse_approved_at_the_bank_pays_the_installment(
    mp,
    live_server,
    phone,
    watch,
    axe_check,
    shoot,
    plan_debtor,  # noqa: F811 - the imported fixture
    first,
):
    page = phone
    _to_pay_page(page, live_server, plan_debtor, first, axe_check, shoot)
    _through_pse_to_the_bank(page, live_server, mp, first, axe_check, shoot)

    with page.expect_navigation():
        page.get_by_test_id("bank-approve").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/pagos/\d+/resultado/$"))
    page.get_by_test_id("payment-succeeded").wait_for(timeout=20_000)
    page.get_by_test_id("receipt-link").wait_for()
    assert "Pago recibido" in page.get_by_test_id("payment-succeeded").inner_text()
    shoot(page, "52-pse-succeeded")
    axe_check(page, "PSE payment succeeded")

    def paid():
        first.refresh_from_db()
        return first.status == InstallmentStatus.PAID

    wait_for(paid)
    _assert_browser_was_happy(watch)


def test_pse_rejected_by_the_bank_says_what_to_do_next(
    mp,
    live_server,
    phone,
    watch,
    axe_check,
    shoot,
    plan_debtor,  # noqa: F811 - the imported fixture
    first,
):
    page = phone
    _to_pay_page(page, live_server, plan_debtor, first, axe_check, shoot)
    _through_pse_to_the_bank(page, live_server, mp, first, axe_check, shoot)

    with page.expect_navigation():
        page.get_by_test_id("bank-reject").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/pagos/\d+/resultado/$"))
    failed = page.get_by_test_id("payment-failed")
    failed.wait_for(timeout=20_000)
    assert "Tu banco no aprobó la transferencia. No se cobró nada." in failed.inner_text()
    shoot(page, "53-pse-rejected")
    axe_check(page, "PSE payment rejected")

    # "Try another bank" opens the PSE form again for the same payment.
    with page.expect_navigation():
        page.get_by_test_id("retry").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/pagos/\d+/pse/$"))
    page.go_back()
    with page.expect_navigation():
        page.get_by_test_id("pay-another-way").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/pagar/")
    first.refresh_from_db()
    assert first.status != InstallmentStatus.PAID
    _assert_browser_was_happy(watch)


def test_cash_voucher_paid_at_efecty(
    mp,
    live_server,
    phone,
    watch,
    axe_check,
    shoot,
    plan_debtor,  # noqa: F811 - the imported fixture
    first,
):
    page = phone
    _to_pay_page(page, live_server, plan_debtor, first, axe_check, shoot)

    with page.expect_navigation():
        page.get_by_test_id(f"pay-installment-{first.pk}-mercadopago-cash").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/pagos/\d+/efectivo/$"))
    pk = int(re.search(r"/pagos/(\d+)/efectivo/", page.url).group(1))
    attempt = wait_for(
        lambda: PaymentAttempt.objects.filter(pk=pk).exclude(provider_payment_id=None).first()
    )
    assert (
        page.get_by_test_id("voucher-reference").inner_text()
        == attempt.provider_details["reference"]
    )
    page.get_by_test_id("voucher-barcode").locator("svg[role=img]").wait_for()
    assert "Paga antes de las" in page.get_by_test_id("voucher-deadline").inner_text()
    shoot(page, "54-voucher")
    axe_check(page, "cash voucher")

    # The debtor pays at an Efecty point; Mercado Pago says so.
    mp.set_status(attempt.provider_payment_id, "approved", "accredited")
    page.goto(f"{live_server.url}{reverse('payments:result', args=[pk])}")
    page.get_by_test_id("payment-succeeded").wait_for(timeout=20_000)
    shoot(page, "55-cash-paid")
    axe_check(page, "cash payment received")

    def paid():
        first.refresh_from_db()
        return first.status == InstallmentStatus.PAID

    wait_for(paid)
    _assert_browser_was_happy(watch)
