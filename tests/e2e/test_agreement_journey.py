"""Agreements in a real browser on a phone: choose a 3-installment plan, sign it, download the
PDF; and propose a plan outside the auto-approve bounds that a supervisor approves in admin.
Elements are found by id, data-testid or URL, never by (translated) text.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest

from agreements.models import Agreement, Proposal, ProposalStatus
from portal.access.services import payment_link_create
from portal.debtors.services import ledger_post, portfolio_today
from tests.factories import OfferPolicyFactory
from tests.helpers.browser import ARTIFACTS

pytestmark = pytest.mark.e2e

VERIFY_PATH = "/p/verificar/"
ADMIN_PASSWORD = "s3cret-pass"


@pytest.fixture
def plan_debtor(live_stages):
    """Ana owes 1,060,000.00 COP on a card 45 days late; the intermedia policy applies."""
    from tests.factories import DebtFactory, DebtorFactory, PortfolioFactory

    portfolio = PortfolioFactory(code="tarjetas-acuerdos", creditor__name="Banco Andino")
    intermedia = next(stage for stage in live_stages if stage.code == "intermedia")
    OfferPolicyFactory(
        name="Intermedia general",
        stage=intermedia,
        currency="COP",
        discount_interest_fees_pct=Decimal("50"),
        discount_principal_pct=Decimal("10"),
        max_installments=12,
        min_down_payment_pct=Decimal("10"),
        min_installment_minor=50_000_00,
        allowed_frequencies=["weekly", "biweekly", "monthly"],
        max_days_to_first_payment=30,
        auto_max_installments=6,
        auto_min_down_payment_pct=Decimal("20"),
        auto_min_installment_minor=100_000_00,
        auto_max_days_to_first_payment=15,
    )
    debtor = DebtorFactory(document_number="1020304050", full_name="Ana María Peña", language="es")
    debt = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-100", days_past_due=45)
    ledger_post(debt=debt, kind="charge", amount_minor=1_060_000_00)
    return debtor


def _sign_in(page, live_server, debtor) -> None:
    _, token = payment_link_create(debtor=debtor)
    page.goto(f"{live_server.url}/p/{token}")
    assert page.url == live_server.url + VERIFY_PATH
    page.fill("#id_answer", debtor.document_number[-4:])
    with page.expect_navigation():
        page.locator("main form button[type=submit]").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/")


def _assert_browser_was_happy(watch) -> None:
    assert not watch.csp_violations, f"CSP violations: {watch.csp_violations}"
    assert not watch.csp_console_errors(), watch.csp_console_errors()
    assert not watch.page_errors, f"JavaScript errors: {watch.page_errors}"
    assert not watch.unexpected_console_errors(), watch.unexpected_console_errors()
    failed = {path for path, _status in watch.failed_responses}
    assert failed <= {"/favicon.ico"}, watch.failed_responses


def test_debtor_chooses_a_three_installment_plan_signs_it_and_downloads_the_pdf(
    live_server, phone, watch, axe_check, shoot, plan_debtor
):
    from pypdf import PdfReader

    page = phone
    _sign_in(page, live_server, plan_debtor)

    # 1. "Pay / Agreements" in the tab bar leads to the offers.
    page.locator("nav.tabs a[href='/mi-cuenta/ofertas/']").tap()
    page.wait_for_url(f"{live_server.url}/mi-cuenta/ofertas/")
    page.get_by_test_id("offer-lump_sum").wait_for()
    assert page.locator("nav.tabs").count() == 1
    shoot(page, "20-offers")
    axe_check(page, "offers")

    # 2. Choose 3 monthly installments: the confirm page shows the schedule and the terms.
    page.get_by_test_id("offer-plan-monthly-3").locator("a.button").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/ofertas/\d+/plan-monthly-3/$"))
    assert page.locator("table.schedule tbody tr").count() == 4  # down payment + 3
    shoot(page, "21-offer-confirm")
    axe_check(page, "offer confirm")

    # 3. Both ticks, then accept: the agreement page.
    page.locator("#id_accept_terms").check()
    page.locator("#id_accept_esign").check()
    with page.expect_navigation():
        page.get_by_test_id("accept").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/acuerdos/\d+/$"))
    agreement = Agreement.objects.get(debtor=plan_debtor)
    assert page.url == f"{live_server.url}/mi-cuenta/acuerdos/{agreement.pk}/"
    assert agreement.installments.filter(number__gt=0).count() == 3

    # 4. The PDF link appears (right away, or once the polling box sees it), then downloads.
    link = page.get_by_test_id("pdf-link")
    link.wait_for(timeout=30_000)
    shoot(page, "22-agreement")
    axe_check(page, "agreement")
    with page.expect_download() as download_info:
        link.tap()
    body = open(download_info.value.path(), "rb").read()  # noqa: SIM115 (tmp file Playwright owns)
    assert body.startswith(b"%PDF")
    agreement.refresh_from_db()
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages)
    assert agreement.number and agreement.number in text

    # 5. The list shows it too.
    page.goto(f"{live_server.url}/mi-cuenta/acuerdos/")
    assert page.locator(f"a[href='/mi-cuenta/acuerdos/{agreement.pk}/']").count() == 1
    shoot(page, "23-agreement-list")
    axe_check(page, "agreement list")

    _assert_browser_was_happy(watch)


def test_plan_outside_the_bounds_waits_then_a_supervisor_approves_it_in_admin(
    live_server, browser, phone, watch, axe_check, shoot, plan_debtor
):
    from tests.factories import StaffFactory

    page = phone
    _sign_in(page, live_server, plan_debtor)
    today = portfolio_today(plan_debtor.debts.get().portfolio)

    # 1. The debtor designs 10 monthly installments without a down payment.
    page.goto(f"{live_server.url}/mi-cuenta/propuesta/")
    page.get_by_test_id("plan-preview").locator("table.schedule").wait_for()  # loaded preview
    shoot(page, "30-propose")
    axe_check(page, "propose")

    with page.expect_response(lambda r: r.url.endswith("/propuesta/vista-previa/")) as preview:
        page.fill("#id_installments", "10")
        page.fill("#id_first_due_date", (today + dt.timedelta(days=10)).isoformat())
        page.fill("#id_down_payment", "")
    assert preview.value.request.headers.get("hx-request") == "true"
    assert preview.value.request.headers.get("x-csrftoken")
    page.locator(".break-review[data-bound='installments']").wait_for()
    assert page.locator(".break-review[data-bound='down_payment']").count() == 1
    assert page.locator("#plan-preview table.schedule tbody tr").count() == 10
    shoot(page, "31-propose-preview-review")
    axe_check(page, "propose with review notes")

    # 2. Ticks and send: the status page says it waits for an advisor.
    page.locator("#id_accept_terms").check()
    page.locator("#id_accept_esign").check()
    with page.expect_navigation():
        page.get_by_test_id("send-proposal").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/propuestas/\d+/$"))
    page.get_by_test_id("proposal-waiting").wait_for()
    proposal = Proposal.objects.get(debtor=plan_debtor)
    assert proposal.status == ProposalStatus.PENDING
    assert not Agreement.objects.exists()
    shoot(page, "32-proposal-waiting")
    axe_check(page, "proposal waiting")

    # 3. A supervisor, in another browser, approves it from the review queue.
    StaffFactory(username="supervisora", is_superuser=True)
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO")
    try:
        admin = staff.new_page()
        admin.goto(f"{live_server.url}/admin/login/?next=/admin/agreements/proposal/")
        admin.fill("#id_username", "supervisora")
        admin.fill("#id_password", ADMIN_PASSWORD)
        with admin.expect_navigation():
            admin.locator("input[type=submit]").click()
        admin.wait_for_url(f"{live_server.url}/admin/agreements/proposal/")
        admin.locator(f"#result_list a[href$='/proposal/{proposal.pk}/change/']").click()
        admin.locator("#approve-form").wait_for()
        admin.screenshot(path=str(_artifact("33-admin-review")))
        with admin.expect_navigation():
            admin.locator("#approve-form input[type=submit]").click()
        admin.locator("ul.messagelist li.success").wait_for()
        admin.screenshot(path=str(_artifact("34-admin-approved")))
    finally:
        staff.close()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED

    # 4. The debtor reloads and finds the agreement.
    page.reload()
    page.get_by_test_id("agreement-link").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/acuerdos/\d+/$"))
    agreement = Agreement.objects.get(debtor=plan_debtor)
    assert agreement.proposal == proposal
    assert page.get_by_test_id("agreement-number").text_content().strip() == str(
        agreement.number or agreement.pk
    )
    shoot(page, "35-approved-agreement")
    axe_check(page, "approved agreement")

    _assert_browser_was_happy(watch)


def _artifact(name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
