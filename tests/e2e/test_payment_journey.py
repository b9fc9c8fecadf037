"""Paying in a real browser on a phone: link → identity check → accept a 3-installment plan →
pay the first installment (the down payment) with the test card 4242 4242 4242 4242 →
processing → succeeded → balance and history updated → receipt emailed with its link.

Stripe here is localstripe: its Stripe.js stand-in (served by localstripe at
/js.stripe.com/v3/, chosen with the test-only STRIPE_JS_URL) mounts the *Card Element*
path of static/js/payment.js; localstripe then delivers the signed
`payment_intent.succeeded` webhook to the live server, which posts the payment.
The Payment Element path (production) is not covered by this test: the stand-in lacks it.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

from agreements.models import Agreement, InstallmentStatus
from payments.models import Payment
from tests.e2e.test_agreement_journey import (  # noqa: F401 - fixture
    _assert_browser_was_happy,
    _sign_in,
    plan_debtor,
)
from tests.helpers.browser import fill_test_card
from tests.localstripe import (  # noqa: F401 - fixtures
    localstripe,
    localstripe_server,
    stripe_settings,
    stripe_webhooks,
    wait_for,
)

pytestmark = pytest.mark.e2e


def test_debtor_pays_the_first_installment_with_a_card_and_gets_a_receipt(
    stripe_webhooks,  # noqa: F811 - the imported fixture
    phone,
    watch,
    axe_check,
    shoot,
    plan_debtor,  # noqa: F811 - the imported fixture
):
    live_server = stripe_webhooks
    page = phone
    _sign_in(page, live_server, plan_debtor)
    debt = plan_debtor.debts.get()
    balance_before = debt.balance_minor

    # 1. Accept 3 monthly installments (with a down payment, installment 0).
    page.goto(f"{live_server.url}/mi-cuenta/ofertas/")
    page.get_by_test_id("offer-plan-monthly-3").locator("a.button").tap()
    page.locator("#id_accept_terms").check()
    page.locator("#id_accept_esign").check()
    with page.expect_navigation():
        page.get_by_test_id("accept").tap()
    agreement = Agreement.objects.get(debtor=plan_debtor)
    first = agreement.installments.order_by("number").first()

    # 2. From the agreement, "Pay online": the first installment is offered at its amount.
    page.get_by_test_id("pay-link").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/pagar/")
    page.get_by_test_id(f"payable-installment-{first.pk}").wait_for()
    shoot(page, "40-pay-options")
    axe_check(page, "pay options")
    with page.expect_navigation():
        page.get_by_test_id(f"pay-installment-{first.pk}").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/pagos/\d+/$"))

    # 3. The card form (localstripe's Card Element stand-in), then pay.
    fill_test_card(page)
    shoot(page, "41-checkout")
    axe_check(page, "checkout", exclude=["#card-element"])
    with page.expect_navigation():
        page.get_by_test_id("pay-button").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/pagos/\d+/resultado/$"))

    # 4. Processing until the webhook decides, then succeeded (htmx polling swaps the box).
    outcome = page.locator("#payment-outcome")
    assert outcome.get_attribute("data-status") in {"processing", "succeeded"}
    if outcome.get_attribute("data-status") == "processing":
        shoot(page, "42-processing")
        axe_check(page, "payment processing")
    page.get_by_test_id("payment-succeeded").wait_for(timeout=20_000)
    shoot(page, "43-succeeded")
    axe_check(page, "payment succeeded")

    # The receipt leaves once the posting has committed (on SQLite the live server shares
    # this thread's connection, so wait for the commit before reading rows).
    wait_for(lambda: any("%2Frecibos%2F" in m.body for m in mail.outbox))
    payment = Payment.objects.get(debtor=plan_debtor)
    assert payment.amount_minor == first.amount_minor
    first.refresh_from_db()
    assert first.status == InstallmentStatus.PAID

    # 5. Balance and history show it.
    debt.refresh_from_db()
    assert debt.balance_minor == balance_before - first.amount_minor
    page.get_by_test_id("to-history").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/historial/")
    assert page.get_by_text(payment.number, exact=False).count() >= 1
    shoot(page, "44-history")

    # 6. The receipt went out with a link to it (the PDF is rendered off the posting path).
    receipts = [m for m in mail.outbox if payment.number in m.subject]
    assert len(receipts) == 1 and receipts[0].to == plan_debtor.emails[:1]
    assert receipts[0].attachments == [] and "/p/" in receipts[0].body

    _assert_browser_was_happy(watch)
