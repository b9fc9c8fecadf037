"""A debtor's visit in a real browser on a phone: link, identity check, balance, history,
preferences. Elements are found by id, role, CSS class or data-testid, never by English text,
because the page copy is translated (es-CO first).
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.access.services import payment_link_create
from portal.money import format_minor
from portal.outreach.selectors import consents_for

pytestmark = pytest.mark.e2e

VERIFY_PATH = "/p/verificar/"
ANSWER = "#id_answer"
SUBMIT = "main form button[type=submit]"
HISTORY_ROWS = "ol.history li.entry"


def _submit_answer(page, answer: str):
    """Type the answer and submit; returns the response to the POST (not the redirect's)."""
    page.fill(ANSWER, answer)
    with (
        page.expect_response(
            lambda r: r.url.endswith(VERIFY_PATH) and r.request.method == "POST"
        ) as posted,
        page.expect_navigation(),
    ):
        page.locator(SUBMIT).tap()
    return posted.value


def _assert_browser_was_happy(watch) -> None:
    assert not watch.csp_violations, f"CSP violations: {watch.csp_violations}"
    assert not watch.csp_console_errors(), f"CSP console errors: {watch.csp_console_errors()}"
    assert not watch.page_errors, f"JavaScript errors: {watch.page_errors}"
    assert not watch.unexpected_console_errors(), watch.unexpected_console_errors()
    # 400/429 are the identity check's answers; the favicon is served, so nothing else fails.
    failed = {path for path, _status in watch.failed_responses}
    assert failed <= {VERIFY_PATH}, watch.failed_responses


def test_debtor_opens_link_fails_once_then_sees_balance_history_and_saves_preferences(
    live_server, phone, watch, axe_check, shoot, journey_debtor
):
    debtor = journey_debtor
    page = phone
    _, token = payment_link_create(debtor=debtor)

    # 1. The link from the SMS lands on the identity check, at a URL without the token.
    response = page.goto(f"{live_server.url}/p/{token}")
    assert response.status == 200
    assert page.url == live_server.url + VERIFY_PATH
    assert page.locator(ANSWER).is_visible()
    shoot(page, "01-identity-check")
    axe_check(page, "identity check")

    # 2. A wrong answer: the error is shown and announced, and we stay on the check.
    assert _submit_answer(page, "0000").status == 400
    assert page.url == live_server.url + VERIFY_PATH
    assert page.locator("#answer-error").is_visible()
    assert page.get_attribute(ANSWER, "aria-invalid") == "true"
    shoot(page, "02-identity-check-wrong-answer")
    axe_check(page, "identity check with error")

    # 3. The right answer: the dashboard, with the total exactly as the server formats it.
    assert _submit_answer(page, debtor.document_number[-4:]).status == 302
    page.wait_for_url(f"{live_server.url}/mi-cuenta/")
    total = page.get_by_test_id("total-balance")
    assert total.is_visible()
    assert total.text_content().strip() == format_minor(
        debtor.debts.get().balance_minor, "COP", locale="es_CO"
    )
    shoot(page, "03-dashboard")
    axe_check(page, "dashboard")

    # 4. History from the debt's card; "load more" appends rows without a page load.
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load (CSP nonce?)"
    debt = debtor.debts.get()
    history_url = f"{live_server.url}/mi-cuenta/historial/?debt={debt.pk}"
    page.locator(f"main a[href='/mi-cuenta/historial/?debt={debt.pk}']").tap()
    page.wait_for_url(history_url)
    assert page.locator(HISTORY_ROWS).count() == 20
    shoot(page, "04-history")
    axe_check(page, "history")

    page.evaluate("window.__e2eMarker = 'still here'")
    with page.expect_response(lambda r: "page=2" in r.url) as more:
        page.locator("ol.history li.load-more a").tap()
    assert more.value.request.headers.get("hx-request") == "true"
    page.wait_for_function(f"document.querySelectorAll('{HISTORY_ROWS}').length > 20")
    assert page.locator(HISTORY_ROWS).count() == 25  # 1 charge + 24 payments
    assert page.locator("ol.history li.load-more").count() == 0  # nothing more to load
    assert page.evaluate("window.__e2eMarker") == "still here", "load more reloaded the page"
    assert page.url == history_url
    shoot(page, "05-history-more")
    axe_check(page, "history after load more")

    # 5. Preferences: WhatsApp preferred, 09:00-17:00, WhatsApp and email accepted.
    page.locator("nav.tabs a[href='/mi-cuenta/preferencias/']").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/preferencias/")
    page.locator("#id_whatsapp").wait_for()
    shoot(page, "06-preferences")
    axe_check(page, "preferences")

    page.locator("#id_whatsapp").check()
    page.locator("#id_email").check()
    page.locator("input[name=preferred_channel][value=whatsapp]").check()
    page.select_option("#id_contact_from", "09:00:00")
    page.select_option("#id_contact_to", "17:00:00")
    with page.expect_request(
        lambda r: r.url.endswith("/mi-cuenta/preferencias/") and r.method == "POST"
    ) as saved:
        page.locator("main form.card button[type=submit]").tap()
    # hx-boost posts with fetch and the CSRF token from <body hx-headers>.
    assert saved.value.headers.get("hx-request") == "true"
    assert saved.value.headers.get("x-csrftoken")
    notice = page.locator("main .notices[role=status] .notice-success")
    notice.wait_for()
    assert page.evaluate("window.__e2eMarker") == "still here", "boosted form reloaded the page"
    shoot(page, "07-preferences-saved")
    axe_check(page, "preferences saved")

    debtor.refresh_from_db()
    assert debtor.preferred_channel == "whatsapp"
    assert (debtor.contact_from, debtor.contact_to) == (dt.time(9), dt.time(17))
    consents = consents_for(debtor)
    assert consents["whatsapp"] is True and consents["email"] is True
    assert not consents["sms"] and not consents["call"]
    # The saved form shows what was stored.
    assert page.locator("#id_whatsapp").is_checked()
    assert page.locator("input[name=preferred_channel][value=whatsapp]").is_checked()
    assert page.input_value("#id_contact_from") == "09:00:00"

    _assert_browser_was_happy(watch)


def test_five_wrong_answers_pause_the_link(
    live_server, phone, watch, axe_check, shoot, journey_debtor
):
    page = phone
    _, token = payment_link_create(debtor=journey_debtor)
    page.goto(f"{live_server.url}/p/{token}")

    for _attempt in range(4):
        assert _submit_answer(page, "0000").status == 400
    locked = _submit_answer(page, "0000")

    assert locked.status == 429
    assert page.locator(ANSWER).count() == 0
    assert page.get_by_test_id("locked-out").is_visible()
    shoot(page, "08-locked-out")
    axe_check(page, "locked out")

    # Reloading the check does not bring the form back while the pause lasts.
    assert page.goto(live_server.url + VERIFY_PATH).status == 429
    assert page.locator(ANSWER).count() == 0
    _assert_browser_was_happy(watch)


def test_history_tab_keeps_the_page(live_server, phone, journey_debtor):
    page = phone
    _, token = payment_link_create(debtor=journey_debtor)
    page.goto(f"{live_server.url}/p/{token}")
    _submit_answer(page, journey_debtor.document_number[-4:])
    page.wait_for_url(f"{live_server.url}/mi-cuenta/")

    page.locator("nav.tabs a[href='/mi-cuenta/historial/']").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/historial/")
    page.wait_for_load_state("networkidle")

    assert page.locator("nav.tabs").count() == 1
    assert page.locator(HISTORY_ROWS).count() == 20
    assert page.locator(f"ol.history > {HISTORY_ROWS.split()[-1]}").count() == 20
