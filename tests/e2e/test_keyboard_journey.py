"""Keyboard only, on a phone: link → identity check → offers → accept a plan, no pointer.

Each step moves focus with Tab until the control it needs has it, and acts with Enter or
Space, as someone using a keyboard or a switch device does; a control Tab never reaches
fails the test. Then the pages show a 1280-px window at 200 % zoom (640 CSS px, WCAG 1.4.4)
and reflow at 400 % (320 CSS px, WCAG 1.4.10) without scrolling sideways.
"""

from __future__ import annotations

import re

import pytest

from agreements.models import Agreement
from portal.access.services import payment_link_create
from tests.e2e.test_agreement_journey import plan_debtor  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

_FOCUSED = "(selector) => !!document.activeElement && document.activeElement.matches(selector)"
_SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


def tab_to(page, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(_FOCUSED, selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_keyboard_user_goes_from_the_link_to_an_accepted_plan(
    live_server,
    phone,
    watch,
    axe_check,
    plan_debtor,  # noqa: F811
):
    page = phone
    _, token = payment_link_create(debtor=plan_debtor)
    page.goto(f"{live_server.url}/p/{token}")
    page.wait_for_url(f"{live_server.url}/p/verificar/")

    tab_to(page, "#id_answer")
    page.keyboard.type(plan_debtor.document_number[-4:])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/mi-cuenta/")

    tab_to(page, "nav.tabs a[href='/mi-cuenta/ofertas/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_test_id("offer-plan-monthly-3").wait_for()

    tab_to(page, "[data-testid='offer-plan-monthly-3'] a.button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/mi-cuenta/ofertas/\d+/plan-monthly-3/$"))

    tab_to(page, "#id_accept_terms")
    page.keyboard.press("Space")
    tab_to(page, "#id_accept_esign")
    page.keyboard.press("Space")
    assert page.locator("#id_accept_terms").is_checked()
    assert page.locator("#id_accept_esign").is_checked()
    tab_to(page, "[data-testid='accept']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    agreement = Agreement.objects.get(debtor=plan_debtor)
    page.wait_for_url(f"{live_server.url}/mi-cuenta/acuerdos/{agreement.pk}/")
    tab_to(page, "[data-testid='calendar-link']")  # the calendar file is reachable too
    axe_check(page, "agreement (keyboard)")

    # A 1280x800 window at 200 % zoom (WCAG 1.4.4) and at 400 % (1.4.10): 640 and 320 CSS px.
    for width, height in ((640, 400), (320, 640)):
        page.set_viewport_size({"width": width, "height": height})
        for path in (
            "/mi-cuenta/",
            "/mi-cuenta/ofertas/",
            f"/mi-cuenta/acuerdos/{agreement.pk}/",
            "/mi-cuenta/pagar/",
        ):
            page.goto(live_server.url + path)
            assert not page.evaluate(_SIDEWAYS), f"{path} scrolls sideways at {width} px"
    assert not watch.page_errors, watch.page_errors
