"""The staff workspace in a real browser: a supervisor signs in to admin, opens a debtor,
sees whether calling now is allowed, logs a call with a promise, finds it on the timeline
(reloaded by htmx) and in the KPI numbers. Elements are found by id or data-testid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission

from agreements.models import PromiseToPay
from portal.outreach.services import consent_set
from portal.staff.roles import SUPERVISOR, roles_sync
from portal.staff.rollup import kpi_rollup_refresh
from tests.helpers.browser import ARTIFACTS, CSP_LISTENER

pytestmark = pytest.mark.e2e

PASSWORD = "s3cret-pass"


@pytest.fixture
def supervisor(transactional_db):
    from tests.factories import StaffFactory

    # Live-server tests flush the database between tests, groups made by the migration
    # included; the roles are rebuilt from their table the way `migrate` does.
    roles_sync(group_model=Group, permission_model=Permission)
    user = StaffFactory(username="supervisora-ana")
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    return user


def test_a_supervisor_logs_a_call_with_a_promise_and_sees_it_on_the_timeline_and_kpis(
    live_server, browser, journey_debtor, supervisor, axe_check
):
    consent_set(debtor=journey_debtor, channel="call", granted=True, source="import")
    kpi_rollup_refresh()  # what the beat task has done before the supervisor arrives
    debt = journey_debtor.debts.get()
    promised = dt.date.today() + dt.timedelta(days=5)  # noqa: DTZ011  (within 15 days)
    violations: list[dict] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO")
    context.set_default_timeout(10_000)
    context.expose_function("__reportCsp", lambda violation: violations.append(violation))
    context.add_init_script(CSP_LISTENER)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/debtors/debtor/")
        page.fill("#id_username", supervisor.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.locator("input[type=submit]").click()
        page.goto(f"{live_server.url}/admin/debtors/debtor/{journey_debtor.pk}/change/")

        # The call panel, loaded by htmx, says whether calling now is allowed and why.
        page.get_by_test_id("call-checks").wait_for()
        assert page.get_by_test_id("call-check").count() == 2  # the debtor, then the debt
        first = page.get_by_test_id("call-check").first.text_content()
        assert "Se permite llamar ahora." in first or "No llames" in first
        page.locator("#timeline [data-testid=timeline-row]").first.wait_for()
        page.screenshot(path=str(_artifact("50-staff-debtor")), full_page=True, caret="initial")
        # Django admin's own breadcrumbs are colour-only links: Django's markup, not ours.
        # On this admin page axe adds two <style> elements of its own while it checks; the
        # page's CSP blocks them: they are axe's, so they are dropped here.
        before = len(violations)
        axe_check(page, "debtor page with call panel", exclude=[".breadcrumbs"])
        del violations[before:]

        page.select_option("#id_method", "phone")
        page.select_option("#id_outcome", "promise")
        page.select_option("#id_debt", str(debt.pk))
        page.fill("#id_notes", "Promete pagar 250.000 el viernes")
        page.fill("#id_promise_amount", "250.000")
        page.fill("#id_promise_date", promised.isoformat())
        with page.expect_response(
            lambda r: "/admin/outreach/contactoutcome/log/" in r.url
        ) as answer:
            page.locator(".call-form button[type=submit]").click()
        assert answer.value.status == 200
        page.get_by_test_id("call-logged").wait_for()

        # The timeline reloads itself on the htmx event and shows the call as a note.
        note = page.locator("#timeline tr.timeline-note", has_text="call.promise")
        note.wait_for()
        assert "Promete pagar 250.000 el viernes" in note.text_content()
        page.screenshot(
            path=str(_artifact("51-staff-call-logged")), full_page=True, caret="initial"
        )
        promise = PromiseToPay.objects.get(debt=debt)
        assert (promise.amount_minor, promise.promised_date) == (250_000_00, promised)

        # The KPI page counts it: one attempt, one contact, with the right party.
        page.goto(f"{live_server.url}/admin/outreach/contactoutcome/kpis/")
        assert page.get_by_test_id("kpi-attempts").text_content().strip() == "1"
        assert page.get_by_test_id("kpi-contacts").text_content().strip() == "1"
        assert page.get_by_test_id("kpi-right-party").text_content().strip() == "1"
        assert page.locator("svg.kpi-chart").count() >= 4
        assert page.get_by_test_id("kpi-debts").text_content().strip() == "1"
        page.screenshot(path=str(_artifact("52-staff-kpis")), full_page=True, caret="initial")
        axe_check(page, "KPI dashboard", exclude=[".breadcrumbs"])
    finally:
        context.close()
    assert not violations, violations


def _artifact(name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
