"""On a phone, Ana disputes her card debt from the dashboard with a receipt attached, and
lands on her case with its number and deadline: axe clean on the form and the case."""

from __future__ import annotations

import re

import pytest

from portal.access.services import payment_link_create
from portal.debtors.models import DisputeCase

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECEIPT = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_debtor_disputes_a_debt_from_the_dashboard_on_a_phone(
    live_server, phone, watch, axe_check, journey_debtor
):
    page = phone
    _, token = payment_link_create(debtor=journey_debtor)
    page.goto(f"{live_server.url}/p/{token}")
    page.fill("#id_answer", journey_debtor.document_number[-4:])
    page.locator("main form button[type=submit]").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/")

    page.get_by_test_id("dispute-link").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/reclamos/nuevo/\d+/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Reclamar una deuda"
    axe_check(page, "dispute form")

    page.get_by_label("Ya la pagué").check()
    page.get_by_label("Cuéntanos qué pasó").fill("Pagué el 3 de noviembre en la sucursal.")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "recibo.pdf", "mimeType": "application/pdf", "buffer": RECEIPT}],
    )
    page.get_by_role("button", name="Enviar mi reclamo").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/reclamos/\d+/$"))

    case = DisputeCase.objects.get()
    assert page.get_by_role("heading", level=1).inner_text() == f"Reclamo {case.number}"
    assert page.get_by_test_id("dispute-status").inner_text() == "En revisión"
    assert page.get_by_test_id("dispute-document-attachment").inner_text() == "recibo.pdf"
    assert case.debt.status == "disputed"
    axe_check(page, "dispute case")
    assert not watch.unexpected_console_errors()
