"""Debtor pages never fail silently: a form refused by the server shows its error in place,
once, without a page load; a request that never gets an answer says so in place."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.access.services import payment_link_create

pytestmark = pytest.mark.e2e

PREFERENCES = "/mi-cuenta/preferencias/"
SAVE = "main form.card button[type=submit]"


def _sign_in(page, live_server, debtor) -> None:
    _, token = payment_link_create(debtor=debtor)
    page.goto(f"{live_server.url}/p/{token}")
    page.fill("#id_answer", debtor.document_number[-4:])
    page.locator("main form button[type=submit]").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/")


def _open_preferences(page, live_server) -> None:
    page.locator(f"nav.tabs a[href='{PREFERENCES}']").tap()
    page.wait_for_url(live_server.url + PREFERENCES)
    page.locator("#id_whatsapp").wait_for()
    page.evaluate("window.__e2eMarker = 'still here'")


def test_bad_hours_on_the_boosted_preferences_form_show_the_error_in_place(
    live_server, phone, watch, axe_check, shoot, journey_debtor
):
    page = phone
    _sign_in(page, live_server, journey_debtor)
    _open_preferences(page, live_server)

    page.locator("#id_whatsapp").check()
    page.locator("input[name=preferred_channel][value=whatsapp]").check()
    page.select_option("#id_contact_from", "15:00:00")
    page.select_option("#id_contact_to", "09:00:00")
    with page.expect_response(
        lambda r: r.url.endswith(PREFERENCES) and r.request.method == "POST"
    ) as answered:
        page.locator(SAVE).tap()

    assert answered.value.status == 400
    assert answered.value.request.headers.get("hx-request") == "true"
    error = page.locator("main form.card p.error[role=alert]")
    error.wait_for()
    assert error.count() == 1
    assert "hora final" in error.text_content()
    assert page.evaluate("window.__e2eMarker") == "still here", "the error reloaded the page"
    assert page.input_value("#id_contact_from") == "15:00:00"  # what was typed stays
    shoot(page, "09-preferences-error-in-place")
    axe_check(page, "preferences with an error")
    assert not watch.csp_violations and not watch.page_errors
    journey_debtor.refresh_from_db()
    assert journey_debtor.contact_from == dt.time(8)  # nothing saved


def test_a_request_that_gets_no_answer_says_so_in_place(live_server, phone, watch, journey_debtor):
    page = phone
    _sign_in(page, live_server, journey_debtor)
    _open_preferences(page, live_server)
    expected = page.evaluate("document.body.dataset.errorNetwork")
    page.route(
        f"**{PREFERENCES}",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )

    page.locator(SAVE).tap()

    box = page.locator("main form.card [data-htmx-error][role=alert]")
    box.wait_for()
    assert box.text_content() == expected and "conexión" in expected
    assert page.evaluate("window.__e2eMarker") == "still here"
    assert not watch.csp_violations and not watch.page_errors
