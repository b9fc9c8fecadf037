"""The pay page is never a dead end: the portfolio's other ways to pay (bank transfer, cash
points, phone) with the exact amount due and the debtor's reference, always when card
payments are not configured and below the card option when they are; and a test-mode
notice with the test card whenever no real money can move."""

from __future__ import annotations

import pytest

from portal.debtors.models import PaymentMethod, PaymentMethodKind
from tests.factories import PortfolioFactory
from tests.helpers.access import sign_in

PAY_URL = "/mi-cuenta/pagar/"


@pytest.fixture
def no_card_payments(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""


@pytest.fixture
def ways(portfolio):
    return [
        PaymentMethod.objects.create(
            portfolio=portfolio,
            kind=PaymentMethodKind.BANK_TRANSFER,
            name="Bancolombia",
            account="Cuenta corriente 123-456789-01",
            holder="Banco Andino S.A. · NIT 900123456-8",
            position=0,
        ),
        PaymentMethod.objects.create(
            portfolio=portfolio,
            kind=PaymentMethodKind.CASH,
            name="Efecty o Baloto",
            agreement_code="112233",
            position=1,
        ),
        PaymentMethod.objects.create(
            portfolio=portfolio,
            kind=PaymentMethodKind.PHONE,
            name="Línea de pagos",
            phone="+57 601 555 0199",
            instructions="Lunes a viernes de 8:00 a 18:00",
            position=2,
        ),
    ]


def test_without_card_payments_the_page_lists_the_ways_with_amount_and_reference(
    ana, agreement, ways, no_card_payments
):
    down = agreement.installments.order_by("number").first()

    response = ana.get(PAY_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="payments-not-configured"' in page
    assert 'data-testid="pay-installment-' not in page  # no card button that cannot work
    for text in ("123-456789-01", "NIT 900123456-8", "112233", "+57 601 555 0199"):
        assert text in page
    assert 'href="tel:+576015550199"' in page
    due = page.split(f'data-testid="due-installment-{down.pk}"', 1)[1].split("</li>", 1)[0]
    assert "$" in due and _digits(down.amount_minor // 100) in _digits_of(due)
    assert agreement.number in due
    # Staff's order, in Spanish by default.
    assert page.index("Bancolombia") < page.index("Efecty") < page.index("Línea de pagos")
    assert "Transferencia o consignación bancaria" in page


def test_with_card_payments_the_other_ways_come_below_the_card_option(
    ana, agreement, ways, stripe_settings
):
    page = ana.get(PAY_URL).content.decode()

    card = page.index('data-testid="pay-installment-')
    other = page.index('data-testid="other-ways-tarjetas"')
    assert card < other
    assert "Otras formas de pagar" in page


def test_an_open_debt_without_agreement_shows_its_account_as_reference(
    ana, debt, ways, no_card_payments
):
    page = ana.get(PAY_URL).content.decode()

    due = page.split(f'data-testid="due-free-{debt.pk}"', 1)[1].split("</li>", 1)[0]
    assert "TC-100" in due
    assert _digits(debt.balance_minor // 100) in _digits_of(due)


def test_inactive_ways_and_other_portfolios_ways_are_not_listed(ana, debt, ways, no_card_payments):
    PaymentMethod.objects.filter(kind=PaymentMethodKind.PHONE).update(active=False)
    elsewhere = PortfolioFactory(code="otra-cartera")
    PaymentMethod.objects.create(
        portfolio=elsewhere, kind=PaymentMethodKind.CASH, name="SuRed", agreement_code="999"
    )

    page = ana.get(PAY_URL).content.decode()

    assert "Bancolombia" in page
    assert "Línea de pagos" not in page
    assert "SuRed" not in page


def test_other_debtor_sees_only_their_own_dues(client, debt, other_debtor, ways, no_card_payments):
    sign_in(client, other_debtor)

    page = client.get(PAY_URL).content.decode()

    assert "TC-200" in page and "Bancolombia" in page
    assert "TC-100" not in page
    assert f'data-testid="due-free-{debt.pk}"' not in page


def test_without_ways_and_without_keys_the_page_still_says_what_is_due(
    ana, agreement, no_card_payments
):
    down = agreement.installments.order_by("number").first()

    page = ana.get(PAY_URL).content.decode()

    assert 'data-testid="payments-not-configured"' in page
    assert agreement.number in page
    assert _digits(down.amount_minor // 100) in _digits_of(page)


def test_test_keys_show_the_test_card_on_the_pay_and_checkout_pages(
    ana, agreement, stripe_settings
):
    down = agreement.installments.order_by("number").first()

    pay = ana.get(PAY_URL).content.decode()
    checkout = ana.post(PAY_URL, {"option": f"installment-{down.pk}"}, follow=True)

    assert 'data-testid="test-mode"' in pay and "4242 4242 4242 4242" in pay
    assert checkout.status_code == 200
    assert 'data-testid="test-mode"' in checkout.content.decode()


def test_live_keys_show_no_test_mode_notice(ana, agreement, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_portal"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_live_portal"
    settings.STRIPE_API_BASE = ""

    page = ana.get(PAY_URL).content.decode()

    assert 'data-testid="pay-installment-' in page
    assert 'data-testid="test-mode"' not in page


def _digits(n: int) -> str:
    return str(n)


def _digits_of(html: str) -> str:
    return "".join(ch for ch in html if ch.isdigit())
