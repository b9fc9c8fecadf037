"""Automatic payments in a real browser on a phone: accept a plan → "Set up automatic
payments" → tick the authorisation → save the test card 4242 4242 4242 4242 in localstripe's
Card Element stand-in (Stripe.js `confirmCardSetup`) → autopay is on with the card's last
four → turn it off → the offer to set it up is back.
"""

from __future__ import annotations

import re

import pytest

from agreements.models import Agreement
from payments.models import Autopay, AutopayStatus
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
    wait_for,
)

pytestmark = pytest.mark.e2e


def test_debtor_turns_autopay_on_with_a_card_and_off_again(
    stripe_settings,  # noqa: F811 - the imported fixture
    live_server,
    phone,
    watch,
    axe_check,
    shoot,
    plan_debtor,  # noqa: F811 - the imported fixture
):
    page = phone
    _sign_in(page, live_server, plan_debtor)
    page.goto(f"{live_server.url}/mi-cuenta/ofertas/")
    page.get_by_test_id("offer-plan-monthly-3").locator("a.button").tap()
    page.locator("#id_accept_terms").check()
    page.locator("#id_accept_esign").check()
    with page.expect_navigation():
        page.get_by_test_id("accept").tap()
    agreement = Agreement.objects.get(debtor=plan_debtor)
    agreement_url = page.url

    # 1. From the agreement page: set up, read and tick the authorisation.
    with page.expect_navigation():
        page.get_by_test_id("autopay-link").tap()
    page.get_by_test_id("autopay-consent-text").wait_for()
    page.get_by_test_id("autopay-consent").check()
    with page.expect_navigation():
        page.get_by_test_id("autopay-start").tap()
    page.wait_for_url(re.compile(r".*/tarjeta/$"))

    # 2. The card form (localstripe's Card Element stand-in), then save.
    fill_test_card(page)
    shoot(page, "50-autopay-card")
    axe_check(page, "autopay card", exclude=["#card-element"])
    page.get_by_test_id("save-card").tap()

    # 3. On, with the card's last four, as Stripe saved it.
    on = page.get_by_test_id("autopay-on")
    on.wait_for(timeout=20_000)
    assert "4242" in on.inner_text()
    shoot(page, "51-autopay-on")
    autopay = wait_for(
        lambda: Autopay.objects.filter(agreement=agreement, status=AutopayStatus.ACTIVE).first()
    )
    assert autopay.card_last4 == "4242" and autopay.stripe_payment_method_id

    # 4. Off from the agreement page: the offer to set it up is back.
    page.goto(agreement_url)
    page.get_by_test_id("autopay-on").wait_for()
    with page.expect_navigation():
        page.get_by_test_id("autopay-off").tap()
    page.goto(agreement_url)
    page.get_by_test_id("autopay-link").wait_for()
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.OFF and autopay.disabled_at
    shoot(page, "52-autopay-off")

    _assert_browser_was_happy(watch)
