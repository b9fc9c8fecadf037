"""Someone else pays, in real browsers on a phone (390x844): Ana makes a pay-only link for
her next installment on the pay page; a fresh browser context (a relative, no session of
hers) opens it, sees the creditor, the amount and the due date and nothing of Ana's (name,
document, email, phone, other debts: checked on every page of the flow, the fake bank's
included), pays by PSE through the fake Mercado Pago or by card through localstripe, and
the installment is paid on Ana's side. axe checks every page of ours.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from agreements.models import InstallmentStatus
from payments.models import Payment
from portal.audit.models import AuditEvent
from portal.debtors.services import ledger_post
from tests.e2e.test_agreement_journey import (  # noqa: F401 - fixture
    _assert_browser_was_happy,
    _sign_in,
    plan_debtor,
)
from tests.factories import DebtFactory, PortfolioFactory
from tests.helpers.browser import CSP_LISTENER, PHONE, fill_test_card
from tests.helpers.payments import accept_offer
from tests.localstripe import (  # noqa: F401 - fixtures
    localstripe,
    localstripe_server,
    stripe_settings,
    stripe_webhooks,
    wait_for,
)
from tests.mercadopago import fake_mercadopago, fake_mercadopago_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e


@pytest.fixture
def first(plan_debtor):  # noqa: F811 - the imported fixture
    agreement = accept_offer(plan_debtor, "plan-monthly-3")
    # Another debt of hers, outside the agreement: the relative must not learn of it.
    other = DebtFactory(
        portfolio=PortfolioFactory(code="moto-e2e", creditor__name="Motos del Valle"),
        debtor=plan_debtor,
        account_ref="MOTO-777",
    )
    ledger_post(debt=other, kind="charge", amount_minor=300_000_00)
    return agreement.installments.order_by("number").first()


def _personal(debtor) -> list[str]:
    values = [debtor.full_name, debtor.document_number, "MOTO-777", "Motos del Valle"]
    values += list(debtor.emails) + [phone.removeprefix("+57") for phone in debtor.phones]
    return [v for v in values if v]


@pytest.fixture
def relative(browser, watch):
    """A second phone: its own browser context, so no cookie of Ana's."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    context.expose_function("__reportCsp", watch.report_csp)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            watch.failed_responses.append((urlsplit(r.url).path, r.status))
            if r.status >= 400
            else None
        ),
    )
    yield page
    context.close()


def _make_link(page, live_server, debtor, first, axe_check, shoot) -> str:
    _sign_in(page, live_server, debtor)
    page.goto(f"{live_server.url}/mi-cuenta/pagar/")
    page.get_by_test_id("third-party-box").wait_for()
    axe_check(page, "pay page with the third-party box")
    page.get_by_test_id(f"third-party-option-installment-{first.pk}").check()
    with page.expect_navigation():
        page.get_by_test_id("third-party-create").tap()
    page.get_by_test_id("third-party-created").wait_for()
    assert (
        page.get_by_test_id("third-party-whatsapp")
        .get_attribute("href")
        .startswith("https://wa.me/?text=")
    )
    shoot(page, "60-third-party-link-created")
    axe_check(page, "third-party link created")
    return page.get_by_test_id("third-party-url").input_value()


def _assert_nothing_personal(page, debtor) -> None:
    content = page.content()
    for value in _personal(debtor):
        assert value not in content, f"{value!r} on {page.url}"


def _open_as_relative(relative, url, debtor, first, axe_check, shoot) -> None:
    relative.goto(url)
    relative.wait_for_url(re.compile(r".*/pagar-por-otro/$"))
    box = relative.get_by_test_id("third-party-payable")
    assert "Banco Andino" in box.inner_text()
    amount = f"{(first.amount_minor - first.paid_minor) // 100:,}".replace(",", ".")
    assert amount in relative.get_by_test_id("third-party-amount").inner_text()
    assert str(first.due_date.year) in relative.get_by_test_id("third-party-due").inner_text()
    assert relative.locator("nav.tabs").count() == 0
    _assert_nothing_personal(relative, debtor)
    shoot(relative, "61-third-party-pay")
    axe_check(relative, "third-party pay page")


def _installment_paid_on_anas_side(page, live_server, first) -> None:
    def paid():
        first.refresh_from_db()
        return first.status == InstallmentStatus.PAID

    wait_for(paid)
    page.goto(f"{live_server.url}/mi-cuenta/pagar/")
    assert page.get_by_test_id(f"payable-installment-{first.pk}").count() == 0
    posted = AuditEvent.objects.get(action="payment.posted")
    assert posted.details["payer"] == "third_party"
    assert Payment.objects.get().debtor_id == first.agreement.debtor_id


def test_a_relative_pays_the_installment_by_pse(
    fake_mercadopago,  # noqa: F811 - the imported fixture
    live_server,
    phone,
    relative,
    watch,
    axe_check,
    shoot,
    plan_debtor,  # noqa: F811 - the imported fixture
    first,
):
    fake_mercadopago.register_webhook(live_server.url + reverse("payments_webhooks:mercadopago"))
    url = _make_link(phone, live_server, plan_debtor, first, axe_check, shoot)
    _open_as_relative(relative, url, plan_debtor, first, axe_check, shoot)

    relative.get_by_test_id("third-party-email").fill("tio.pedro@example.com")
    with relative.expect_navigation():
        relative.get_by_test_id("third-party-pay-mercadopago-pse").tap()
    relative.wait_for_url(re.compile(r".*/pagos/\d+/pse/$"))
    assert relative.get_by_test_id("pse-email").input_value() == "tio.pedro@example.com"
    _assert_nothing_personal(relative, plan_debtor)
    shoot(relative, "62-third-party-pse")
    axe_check(relative, "third-party PSE form")
    relative.get_by_test_id("pse-bank").select_option("1007")
    relative.get_by_test_id("pse-full-name").fill("Pedro Gómez")
    relative.get_by_test_id("pse-document-type").select_option("CC")
    relative.get_by_test_id("pse-document-number").fill("79111222")
    with relative.expect_navigation():
        relative.get_by_test_id("pse-continue").tap()
    relative.wait_for_url(re.compile(rf"^{re.escape(fake_mercadopago.base)}/pse/bank/\d+"))
    _assert_nothing_personal(relative, plan_debtor)  # the bank's page too

    with relative.expect_navigation():
        relative.get_by_test_id("bank-approve").tap()
    relative.wait_for_url(re.compile(r".*/pagos/\d+/resultado/$"))
    relative.get_by_test_id("payment-succeeded").wait_for(timeout=20_000)
    assert relative.get_by_test_id("third-party-thanks").count() == 1
    assert relative.get_by_test_id("receipt-link").count() == 0
    assert relative.get_by_test_id("to-balance").count() == 0
    _assert_nothing_personal(relative, plan_debtor)
    shoot(relative, "63-third-party-paid")
    axe_check(relative, "third-party payment succeeded")

    _installment_paid_on_anas_side(phone, live_server, first)
    relative.goto(url)  # the link now says it is paid, with nothing to pay
    relative.get_by_test_id("third-party-already-paid").wait_for()
    assert relative.locator("[data-testid^=third-party-pay-]").count() == 0
    _assert_nothing_personal(relative, plan_debtor)
    _assert_browser_was_happy(watch)


def test_a_relative_pays_the_installment_by_card(
    stripe_webhooks,  # noqa: F811 - the imported fixture
    phone,
    relative,
    watch,
    axe_check,
    shoot,
    plan_debtor,  # noqa: F811 - the imported fixture
    first,
):
    live_server = stripe_webhooks
    url = _make_link(phone, live_server, plan_debtor, first, axe_check, shoot)
    _open_as_relative(relative, url, plan_debtor, first, axe_check, shoot)

    with relative.expect_navigation():
        relative.get_by_test_id("third-party-pay-stripe-card").tap()
    relative.wait_for_url(re.compile(r".*/pagos/\d+/$"))
    fill_test_card(relative)
    _assert_nothing_personal(relative, plan_debtor)
    axe_check(relative, "third-party checkout", exclude=["#card-element"])
    with relative.expect_navigation():
        relative.get_by_test_id("pay-button").tap()
    relative.wait_for_url(re.compile(r".*/pagos/\d+/resultado/$"))
    relative.get_by_test_id("payment-succeeded").wait_for(timeout=20_000)
    assert relative.get_by_test_id("receipt-link").count() == 0
    _assert_nothing_personal(relative, plan_debtor)
    shoot(relative, "64-third-party-card-paid")
    axe_check(relative, "third-party card payment succeeded")

    _installment_paid_on_anas_side(phone, live_server, first)
    _assert_browser_was_happy(watch)
