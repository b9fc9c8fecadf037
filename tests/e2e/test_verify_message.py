"""From the bare address to "Verify this message" on a phone, without signing in."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_someone_unsure_of_a_message_finds_how_to_check_it(live_server, phone, watch, axe_check):
    page = phone
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Mira cómo comprobarlo").click()
    page.wait_for_url(live_server.url + "/verifica-este-mensaje/")

    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "¿Este mensaje es realmente nuestro?"
    assert page.get_by_test_id("link-example").inner_text().endswith("/p/…")
    assert page.get_by_test_id("verify-message-link").is_visible()  # in the footer too
    axe_check(page, "verify-message")
    assert not watch.unexpected_console_errors()


def test_the_accessibility_statement_reads_in_spanish_and_passes_axe(
    live_server, phone, watch, axe_check
):
    page = phone
    page.goto(live_server.url + "/accesibilidad/")

    assert page.get_by_role("heading", level=1).inner_text() == "Declaración de accesibilidad"
    assert "zoom al 400%" in page.content()
    axe_check(page, "accessibility statement")
