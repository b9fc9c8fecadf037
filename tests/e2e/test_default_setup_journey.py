"""The newcomer's journey on the default setup, as `make run` starts it: SQLite, no Redis,
Stripe test mode on a localstripe started and wired by payments.devstripe (the code
`manage.py run_demo` uses): the demo link seed_demo prints → identity check → offers →
accept a plan with a down payment → pay it with the test card 4242 → receipt → the
dashboard shows the agreement, the next installment and a balance whose parts sum to it.
Run on PostgreSQL too (DATABASE_URL): nothing here depends on the engine.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import stripe
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from agreements.models import Agreement, InstallmentStatus, OfferPolicy
from payments.devstripe import LocalStripe
from payments.models import Payment
from portal.access.services import link_resolve
from portal.debtors.selectors import mora_stages, stage_for_days
from portal.debtors.services import portfolio_today
from tests.e2e.test_agreement_journey import _assert_browser_was_happy
from tests.factories import OfferPolicyFactory
from tests.helpers.browser import fill_test_card
from tests.localstripe import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_stripe(settings, live_server):
    """What run_demo does for runserver, done for the live server."""
    local = LocalStripe.start()
    try:
        for name, value in local.stripe_settings().items():
            setattr(settings, name, value)
        local.register_webhook(live_server.url + reverse("payments_webhooks:stripe"))
        yield local
    finally:
        local.stop()
        stripe.api_base = "https://api.stripe.com"


@pytest.fixture
def demo_link(transactional_db, settings):
    """seed_demo as `make run` calls it; the link it prints, and whom it opens for."""
    out = io.StringIO()
    call_command("seed_demo", debtors=10, force=True, stdout=out)
    match = re.search(r"demo debtor link: (\S+)", out.getvalue())
    assert match, out.getvalue()
    path = urlsplit(match.group(1)).path
    link = link_resolve(path.rsplit("/", 1)[1]).link
    _ensure_offer_policy(link.debtor)
    return path, link.debtor


def _ensure_offer_policy(debtor) -> None:
    # Until seed_demo creates offer policies itself (another branch does), one for the
    # demo debtor's stage, allowing monthly plans with a down payment.
    debt = debtor.debts.get()
    stage = stage_for_days(debt.days_past_due, mora_stages())
    if OfferPolicy.objects.filter(stage=stage).exists():
        return
    OfferPolicyFactory(
        name=f"{stage.name} demo",
        stage=stage,
        currency="COP",
        discount_interest_fees_pct=Decimal("50"),
        discount_principal_pct=Decimal("10"),
        max_installments=12,
        min_down_payment_pct=Decimal("10"),
        min_installment_minor=50_000_00,
        allowed_frequencies=["monthly"],
        max_days_to_first_payment=30,
    )


def _major(text: str) -> Decimal:
    """'$4.050.000,00' or '$4.050.000' (es-CO) as a Decimal of major units."""
    digits = re.sub(r"[^\d,]", "", text).replace(",", ".")
    return Decimal(digits)


def test_a_newcomer_pays_the_demo_down_payment_in_test_mode_and_sees_it_on_the_dashboard(
    demo_stripe, demo_link, live_server, phone, watch, axe_check, shoot
):
    page = phone
    path, debtor = demo_link

    # 1. The demo link, then the identity check.
    page.goto(live_server.url + path)
    page.wait_for_url(f"{live_server.url}/p/verificar/")
    page.fill("#id_answer", debtor.document_number[-4:])
    with page.expect_navigation():
        page.locator("main form button[type=submit]").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/")

    # 2. Offers: accept the first plan (it starts with a down payment).
    page.goto(f"{live_server.url}/mi-cuenta/ofertas/")
    page.locator("[data-testid^='offer-plan-'] a.button").first.tap()
    page.locator("#id_accept_terms").check()
    page.locator("#id_accept_esign").check()
    with page.expect_navigation():
        page.get_by_test_id("accept").tap()
    agreement = Agreement.objects.get(debtor=debtor)
    down, following = agreement.installments.order_by("number")[:2]
    assert down.number == 0 and down.due_date <= portfolio_today(agreement.portfolio)

    # 3. The pay page says test mode and which card; the demo's other ways are below.
    page.get_by_test_id("pay-link").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/pagar/")
    assert "4242 4242 4242 4242" in page.get_by_test_id("test-mode").inner_text()
    page.get_by_test_id("other-ways-demo-cop").wait_for()
    assert page.get_by_test_id("way-bank_transfer").is_visible()
    shoot(page, "50-default-pay-options")
    axe_check(page, "default setup pay options")
    with page.expect_navigation():
        page.get_by_test_id(f"pay-installment-{down.pk}").tap()

    # 4. The card form of localstripe's Stripe.js stand-in, and the test card.
    page.get_by_test_id("test-mode").wait_for()
    fill_test_card(page)
    with page.expect_navigation():
        page.get_by_test_id("pay-button").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/pagos/\d+/resultado/$"))

    # 5. localstripe's signed webhook posts the payment; the receipt shows up.
    page.get_by_test_id("payment-succeeded").wait_for(timeout=20_000)
    page.get_by_test_id("receipt-link").wait_for(timeout=20_000)
    shoot(page, "51-default-receipt")
    axe_check(page, "default setup receipt")
    with page.expect_download() as download:
        page.get_by_test_id("receipt-link").tap()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    wait_for(lambda: any("%2Frecibos%2F" in m.body for m in mail.outbox))  # emailed with its link
    payment = Payment.objects.get(debtor=debtor)
    assert payment.amount_minor == down.amount_minor
    down.refresh_from_db()
    assert down.status == InstallmentStatus.PAID

    # 6. The dashboard: the agreement, its next installment, parts that sum to the balance.
    with page.expect_navigation():
        page.get_by_test_id("to-balance").tap()
    card = page.get_by_test_id(f"dashboard-agreement-{agreement.pk}")
    assert agreement.number in card.inner_text()
    assert "cuota 1 " in card.get_by_test_id("next-installment").inner_text().lower()
    amount = _major(card.get_by_test_id("next-installment-amount").inner_text())
    assert amount * 100 == following.amount_minor
    figures = page.locator("section.debt dl.figures > div dd")
    principal, interest, fees, balance = (_major(figures.nth(i).inner_text()) for i in range(4))
    assert principal + interest + fees == balance
    assert balance == _major(page.get_by_test_id("total-balance").inner_text())
    debt = debtor.debts.get()
    assert balance * 100 == debt.balance_minor
    shoot(page, "52-default-dashboard")
    axe_check(page, "default setup dashboard")

    _assert_browser_was_happy(watch)
