"""Staff in Spanish, in a real browser: a supervisor signs in, finds the collections
workspace on the admin home, reviews the proposal waiting there, creates a campaign with
the channel checkboxes and a balance range typed in pesos, and opens the KPI dashboard.
Elements are found by id or data-testid; texts are checked in Spanish."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission

from agreements import services
from agreements.models import ProposalStatus
from portal.outreach.models import Campaign
from portal.staff.roles import SUPERVISOR, roles_sync
from portal.staff.tasks import refresh_kpis_all
from tests.factories import OfferPolicyFactory
from tests.helpers.browser import ARTIFACTS, CSP_LISTENER

pytestmark = pytest.mark.e2e

PASSWORD = "s3cret-pass"


@pytest.fixture
def supervisor(transactional_db):
    from tests.factories import StaffFactory

    roles_sync(group_model=Group, permission_model=Permission)  # flushed with the database
    user = StaffFactory(username="supervisora-ana")
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    return user


@pytest.fixture
def pending_proposal(journey_debtor, live_stages):
    """Ana asks for ten monthly installments: more than the six approved automatically."""
    intermedia = next(s for s in live_stages if s.code == "intermedia")
    OfferPolicyFactory(
        name="Intermedia general",
        stage=intermedia,
        currency="COP",
        max_installments=12,
        min_installment_minor=50_000_00,
        allowed_frequencies=["monthly"],
        auto_max_installments=6,
        auto_min_down_payment_pct=Decimal("0"),
    )
    proposal, agreement = services.proposal_submit(
        debtor=journey_debtor,
        installments=10,
        frequency="monthly",
        first_due_date=dt.date.today() + dt.timedelta(days=10),  # noqa: DTZ011
        down_payment_minor=0,
        accepted_terms=True,
        accepted_esign=True,
        evidence=services.Evidence(
            at=dt.datetime.now(dt.UTC),
            ip="190.24.1.10",
            user_agent="Mozilla/5.0 (e2e)",
            payment_link_id=None,
        ),
    )
    assert agreement is None and proposal.status == ProposalStatus.PENDING
    return proposal


def test_a_supervisor_works_the_day_in_spanish_from_the_workspace_to_the_kpis(
    live_server, browser, journey_debtor, pending_proposal, supervisor, axe_check
):
    violations: list[dict] = []
    # An English browser: staff still read Spanish until they pick English themselves.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    context.expose_function("__reportCsp", lambda violation: violations.append(violation))
    context.add_init_script(CSP_LISTENER)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/")
        assert page.locator("html").get_attribute("lang") == "es-co"
        page.fill("#id_username", supervisor.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.locator("input[type=submit]").click()

        # The admin home is the workspace, in Spanish.
        assert "Espacio de trabajo de cobranza" in page.locator("h1").first.text_content()
        proposals = page.get_by_test_id("ws-proposals")
        assert "Propuestas por revisar" in proposals.text_content()
        assert proposals.locator(".workspace-figure").text_content().strip() == "1"
        assert page.get_by_test_id("ws-campaigns").is_visible()
        assert page.get_by_test_id("ws-kpis").is_visible()
        assert page.locator("a[href$='/admin/axes/accessattempt/']").count() == 0
        page.screenshot(path=str(_artifact("60-staff-workspace")), full_page=True, caret="initial")
        axe_check(page, "staff workspace", exclude=[".breadcrumbs"])

        # Proposal review: from the card to the queue, open Ana's plan, approve it.
        proposals.locator("a").click()
        page.locator("#result_list a", has_text=f"#{pending_proposal.pk}").first.click()
        review = page.locator("#proposal-review")
        review.wait_for()
        assert "$" in page.locator(".field-balance_amount").text_content()
        evidence = page.locator(".field-consent_evidence").text_content()
        assert "190.24.1.10" in evidence and "{" not in evidence  # in words, not JSON
        with page.expect_navigation():
            page.locator("#approve-form input[type=submit]").click()
        assert page.locator(".messagelist .success").count() == 1
        pending_proposal.refresh_from_db()
        assert pending_proposal.status == ProposalStatus.APPROVED

        # A campaign: channels ticked in a list, the balance range typed in pesos.
        page.goto(f"{live_server.url}/admin/outreach/campaign/add/")
        assert (
            page.locator("label[for=id_balance_min_minor]").text_content().startswith("Saldo desde")
        )
        page.fill("#id_name", "Diciembre intermedia")
        page.select_option("#id_portfolio", str(journey_debtor.debts.get().portfolio_id))
        page.check("input[name=channels][value=email]")
        page.check("input[name=channels][value=sms]")
        page.fill("#id_balance_min_minor", "100.000")
        page.fill("#id_balance_max_minor", "5.000.000")
        with page.expect_navigation():
            page.locator("input[name=_save]").click()
        assert page.locator(".messagelist .success").count() == 1
        campaign = Campaign.objects.get(name="Diciembre intermedia")
        assert campaign.channels == ["sms", "email"]
        assert (campaign.balance_min_minor, campaign.balance_max_minor) == (
            100_000_00,
            5_000_000_00,
        )
        row = page.locator("#result_list tr", has_text="Diciembre intermedia")
        assert "$100.000 – $5.000.000" in row.text_content()
        page.screenshot(path=str(_artifact("61-staff-campaign")), full_page=True, caret="initial")

        # The KPI dashboard, computed for what is in the database. Where no beat runs (the
        # default: SQLite, no Redis) opening the dashboard must be enough; where one runs
        # (Redis configured), its nightly task is what computes them, so run it first.
        if not settings.KPI_REFRESH_ON_VIEW:
            refresh_kpis_all()
        page.goto(f"{live_server.url}/admin/")
        with page.expect_navigation():
            page.get_by_test_id("ws-kpis").click()
        assert "Tablero de indicadores" in page.locator("h1").first.text_content()
        assert page.get_by_test_id("kpi-debts").first.text_content().strip() == "1"
        assert page.get_by_test_id("kpi-collected").first.text_content().strip() != ""
        assert page.locator("svg.kpi-chart").count() >= 4
        page.screenshot(path=str(_artifact("62-staff-kpis-es")), full_page=True, caret="initial")
    finally:
        context.close()
    assert not violations, violations


def _artifact(name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
