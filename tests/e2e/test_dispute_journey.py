"""On a phone, Ana disputes her card debt from the dashboard with a receipt attached and
lands on her case; a payment-link campaign launched afterwards blocks her message because
the debt is disputed; a supervisor answers the case in admin (upheld, the balance lowered by
$100.000); back on the phone, Ana reads the answer and sees her new balance. Axe-checked on
the form, the case, the queue and the answer page."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

from portal.access.services import payment_link_create
from portal.debtors.models import DisputeCase
from portal.outreach.campaigns import campaign_launch
from portal.outreach.models import Message
from portal.outreach.services import consent_set
from portal.staff.roles import SUPERVISOR, roles_sync
from tests.factories import CampaignFactory, CampaignTemplateFactory, StaffFactory
from tests.helpers.browser import CSP_LISTENER

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECEIPT = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LETTER = b"%PDF-1.7\n% carta del acreedor\n%%EOF\n"
PASSWORD = "s3cret-pass"


@pytest.fixture
def supervisor(transactional_db):
    # Live-server tests flush the database, the roles' groups included: rebuilt as `migrate` does.
    roles_sync(group_model=Group, permission_model=Permission)
    user = StaffFactory(username="supervisora-reclamos", password=PASSWORD)
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    return user


def test_a_dispute_filed_on_a_phone_pauses_collection_until_staff_answer_it(
    live_server, browser, phone, watch, axe_check, journey_debtor, supervisor
):
    page = phone
    case = _file_the_dispute(page, live_server, journey_debtor, axe_check)
    debt = case.debt
    assert debt.status == "disputed"

    # A payment-link campaign on her portfolio, launched afterwards: she has consented to SMS,
    # yet her message is blocked with the reason the contact policy gives a disputed debt.
    consent_set(debtor=journey_debtor, channel="sms", granted=True, source="staff",
                evidence={"e2e": True})  # fmt: skip
    campaign = CampaignFactory(name="Reclamo abierto", portfolio=debt.portfolio, channels=["sms"])
    CampaignTemplateFactory(campaign=campaign, body="Hola {first_name}, paga {amount}: {link}")
    campaign_launch(campaign=campaign)
    message = Message.objects.get(campaign=campaign, debtor=journey_debtor)
    assert (message.status, message.block_reason) == ("blocked", "debt_disputed")
    assert message.payment_link_id is None  # no link was minted for a blocked message

    # A supervisor signs in to admin, sees the block on the campaign, then answers the case.
    progress = f"/admin/outreach/campaign/{campaign.pk}/progress/"
    with _desk(browser, live_server, supervisor, progress) as (desk, violations):
        assert desk.locator("[data-funnel=blocked]").text_content().strip() == "1"
        assert desk.locator("[data-funnel=blocked-debt_disputed]").text_content().strip() == "1"
        assert not violations, violations

        form = _open_the_case(desk, live_server, case, axe_check, violations)
        form.get_by_label("Aceptado").check()
        form.get_by_label("Ajustar el saldo").check()
        form.get_by_label("Bajar el saldo en").fill("$100.000")
        form.get_by_label("Respuesta al deudor").fill("Se cobró una comisión que no correspondía.")
        with desk.expect_navigation():
            form.get_by_role("button", name="Enviar la respuesta").click()
        assert desk.get_by_text(f"Reclamo {case.number} respondido.").count() == 1
        assert "$100.000" in desk.get_by_test_id("dispute-answer").inner_text()

    case.refresh_from_db()
    debt.refresh_from_db()
    assert (case.status, case.adjustment_minor) == ("upheld", 100_000_00)
    assert (debt.status, debt.balance_minor) == ("active", 1_184_000_00)

    # Back on the phone: the case shows the answer, the dashboard the lowered balance.
    page.reload()
    assert page.get_by_test_id("dispute-status").inner_text() == "Aceptado"
    outcome = page.get_by_test_id("dispute-outcome").inner_text()
    assert "bajamos el saldo en $100.000" in outcome
    assert "Se cobró una comisión que no correspondía." in outcome
    axe_check(page, "dispute case answered")
    page.goto(f"{live_server.url}/mi-cuenta/")
    assert page.get_by_test_id("total-balance").inner_text() == "$1.184.000"
    assert not watch.unexpected_console_errors()
    assert not watch.csp_violations and not watch.page_errors


def test_a_rejected_dispute_comes_with_the_verification_the_debtor_downloads(
    live_server, browser, phone, watch, axe_check, journey_debtor, supervisor
):
    page = phone
    case = _file_the_dispute(page, live_server, journey_debtor, axe_check)

    with _desk(browser, live_server, supervisor, "/admin/") as (desk, violations):
        form = _open_the_case(desk, live_server, case, axe_check, violations)
        form.get_by_label("Rechazado").check()
        form.get_by_label("Respuesta al deudor").fill("El acreedor confirma el saldo.")
        form.get_by_label("Documento de verificación").set_input_files(
            files=[{"name": "verificacion.pdf", "mimeType": "application/pdf", "buffer": LETTER}]
        )
        with desk.expect_navigation():
            form.get_by_role("button", name="Enviar la respuesta").click()
        assert desk.get_by_text(f"Reclamo {case.number} respondido.").count() == 1
        assert "Rechazado" in desk.get_by_test_id("dispute-answer").inner_text()

    case.debt.refresh_from_db()
    assert case.debt.status == "active"

    page.reload()
    assert page.get_by_test_id("dispute-status").inner_text() == "Rechazado"
    assert "El acreedor confirma el saldo." in page.get_by_test_id("dispute-outcome").inner_text()
    axe_check(page, "dispute case rejected")
    with page.expect_download() as download:
        page.get_by_test_id("dispute-document-verification").tap()
    assert download.value.suggested_filename == "verificacion.pdf"
    assert Path(download.value.path()).read_bytes() == LETTER
    assert not watch.unexpected_console_errors()
    assert not watch.csp_violations and not watch.page_errors


@contextmanager
def _desk(browser, live_server, user, next_path: str):
    """A staff browser signed in to admin at `next_path`; yields the page and the CSP
    violations it reports, and fails if any is left at the end."""
    violations: list[dict] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO")
    context.set_default_timeout(10_000)
    context.expose_function("__reportCsp", lambda violation: violations.append(violation))
    context.add_init_script(CSP_LISTENER)
    try:
        desk = context.new_page()
        desk.goto(f"{live_server.url}/admin/login/?next={next_path}")
        desk.fill("#id_username", user.username)
        desk.fill("#id_password", PASSWORD)
        with desk.expect_navigation():
            desk.locator("input[type=submit]").click()
        assert desk.url == live_server.url + next_path
        yield desk, violations
    finally:
        context.close()
    assert not violations, violations


def _open_the_case(desk, live_server, case, axe_check, violations):
    """The queue in Spanish, then the case with the debtor's receipt: both axe-checked.
    Returns the answer form."""
    desk.goto(f"{live_server.url}/admin/debtors/disputecase/")
    heading = desk.get_by_role("heading", level=1).inner_text()
    assert heading == "Seleccione reclamo en línea para ver"
    row = desk.locator("#result_list tbody tr", has_text=case.number)
    assert "Ya la pagué" in row.inner_text()
    # Django admin's own breadcrumbs are colour-only links: Django's markup, not ours.
    # axe adds <style> elements of its own while it checks, which the CSP blocks: dropped.
    before = len(violations)
    axe_check(desk, "dispute queue (admin)", exclude=[".breadcrumbs"])
    del violations[before:]

    row.get_by_role("link", name=case.number).click()
    form = desk.get_by_test_id("dispute-resolve-form")
    form.wait_for()
    assert desk.get_by_test_id("dispute-documents").inner_text().startswith("recibo.pdf")
    before = len(violations)
    axe_check(desk, "dispute answer page (admin)", exclude=[".breadcrumbs"])
    del violations[before:]
    return form


def _file_the_dispute(page, live_server, debtor, axe_check) -> DisputeCase:
    """Ana opens her link, passes the identity check and files a dispute from the dashboard."""
    _, token = payment_link_create(debtor=debtor)
    page.goto(f"{live_server.url}/p/{token}")
    page.fill("#id_answer", debtor.document_number[-4:])
    page.locator("main form button[type=submit]").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/")
    assert page.get_by_test_id("total-balance").inner_text() == "$1.284.000"

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

    case = DisputeCase.objects.select_related("debt__portfolio").get()
    assert page.get_by_role("heading", level=1).inner_text() == f"Reclamo {case.number}"
    assert page.get_by_test_id("dispute-status").inner_text() == "En revisión"
    assert page.get_by_test_id("dispute-document-attachment").inner_text() == "recibo.pdf"
    axe_check(page, "dispute case")
    return case
