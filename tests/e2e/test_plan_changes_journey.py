"""Changing an accepted plan in a real browser on a phone (390x844): move an installment's
date inside the limits (new schedule, PDF version 2), skip one installment, and ask for a
change beyond the limits that a supervisor approves or rejects in admin while the debtor
sees the outcome. Elements are found by id, data-testid or URL, never by translated text.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from agreements.models import (
    Agreement,
    AgreementDocument,
    ChangeStatus,
    InstallmentStatus,
    OfferPolicy,
    ScheduleChangeRequest,
)
from agreements.services import Evidence, agreement_accept_offer, quote_for_debtor
from tests.e2e.test_agreement_journey import (  # noqa: F401  (plan_debtor is a fixture)
    ADMIN_PASSWORD,
    _assert_browser_was_happy,
    _sign_in,
    plan_debtor,
)
from tests.helpers.browser import ARTIFACTS

pytestmark = pytest.mark.e2e


@pytest.fixture
def plan(plan_debtor) -> Agreement:  # noqa: F811
    """Ana's accepted 3-month plan (accepting is test_agreement_journey's to show); its
    version 1 PDF is rendered on commit, as after a real acceptance."""
    quote = quote_for_debtor(debtor=plan_debtor)
    evidence = Evidence(
        at=timezone.now(), ip="190.24.1.10", user_agent="pytest", payment_link_id=None
    )
    return agreement_accept_offer(
        debtor=plan_debtor,
        quote=quote,
        offer_key="plan-monthly-3",
        accepted_terms=True,
        accepted_esign=True,
        evidence=evidence,
    )


def _open_agreement(page, live_server, plan) -> None:
    _sign_in(page, live_server, plan.debtor)
    page.goto(f"{live_server.url}/mi-cuenta/acuerdos/{plan.pk}/")
    page.get_by_test_id("plan-changes").wait_for()


def _preview_move(page, plan, *, number: int, days: int) -> dt.date:
    new_date = plan.installments.get(number=number).due_date + dt.timedelta(days=days)
    page.get_by_test_id("change-date-link").tap()
    page.wait_for_url(re.compile(r".*/acuerdos/\d+/cambiar/fecha/$"))
    page.select_option("#id_installment", str(number))
    page.fill("#id_new_date", new_date.isoformat())
    with page.expect_navigation():
        page.get_by_test_id("preview-change").tap()
    page.get_by_test_id("change-confirm-form").wait_for()
    return new_date


def _sign_change(page) -> None:
    page.locator("#id_accept_terms").check()
    page.locator("#id_accept_esign").check()
    with page.expect_navigation():
        page.get_by_test_id("confirm-change").tap()
    page.wait_for_url(re.compile(r".*/mi-cuenta/acuerdos/\d+/$"))


def _pdf_text(page, link) -> str:
    from pypdf import PdfReader

    with page.expect_download() as download_info:
        link.tap()
    body = open(download_info.value.path(), "rb").read()  # noqa: SIM115 (Playwright's tmp file)
    assert body.startswith(b"%PDF")
    return "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages)


def _calendar(page) -> dict[str, tuple]:
    """The agreement's .ics as the browser downloads it, read by icalendar: per event UID,
    (date, SEQUENCE, summary)."""
    from icalendar import Calendar

    with page.expect_download() as download_info:
        page.get_by_test_id("calendar-link").tap()
    body = open(download_info.value.path(), "rb").read()  # noqa: SIM115 (Playwright's tmp file)
    return {
        str(event["uid"]): (event.decoded("dtstart"), int(event["sequence"]), str(event["summary"]))
        for event in Calendar.from_ical(body).walk("VEVENT")
    }


def test_moving_a_date_inside_the_limits_shows_the_new_schedule_and_pdf_version_2(
    live_server, phone, watch, axe_check, shoot, plan
):
    page = phone
    _open_agreement(page, live_server, plan)
    page.get_by_test_id("pdf-link").wait_for(timeout=30_000)
    axe_check(page, "agreement with changes")
    before = _calendar(page)
    installments = list(plan.installments.order_by("number"))
    assert sorted(day for day, _seq, _summary in before.values()) == [
        i.due_date for i in installments
    ]
    assert {seq for _day, seq, _summary in before.values()} == {0}
    first = installments[1]
    amount = f"{first.amount_minor // 100:,}".replace(",", ".")
    assert any(amount in summary for _day, _seq, summary in before.values()), before
    assert page.get_by_test_id("moves-left").count() == 1

    new_date = _preview_move(page, plan, number=1, days=5)
    assert page.locator("table.schedule tbody tr").count() == 4  # down payment + 3
    assert page.get_by_test_id("change-needs-review").count() == 0
    shoot(page, "60-change-date-preview")
    axe_check(page, "change date preview")
    assert plan.installments.get(number=1).due_date != new_date  # nothing before consent

    _sign_change(page)
    link = page.locator("[data-testid=pdf-link][data-version='2']")
    link.wait_for(timeout=30_000)
    page.get_by_test_id("pdf-version-1").wait_for()
    shoot(page, "61-changed-agreement")
    axe_check(page, "changed agreement")
    plan.refresh_from_db()
    assert plan.installments.get(number=1).due_date == new_date
    assert plan.schedule_revision == 1
    after = _calendar(page)  # the same events, SEQUENCE raised, installment 1 moved
    assert after.keys() == before.keys()
    assert {seq for _day, seq, _summary in after.values()} == {1}
    moved = next(uid for uid in after if uid.startswith(f"agreement-{plan.pk}-installment-1@"))
    assert after[moved][0] == new_date and before[moved][0] != new_date
    text = _pdf_text(page, link)
    assert plan.number in text and "Versión 2" in text
    assert AgreementDocument.objects.get(agreement=plan).version == 2

    _assert_browser_was_happy(watch)


def test_skipping_one_installment_appends_it_at_the_end(
    live_server, phone, watch, axe_check, shoot, plan
):
    OfferPolicy.objects.update(allow_skip=True)
    page = phone
    _open_agreement(page, live_server, plan)

    page.get_by_test_id("skip-link").tap()
    page.wait_for_url(re.compile(r".*/acuerdos/\d+/cambiar/saltar/$"))
    page.select_option("#id_installment", "2")
    with page.expect_navigation():
        page.get_by_test_id("preview-change").tap()
    page.get_by_test_id("change-summary").wait_for()
    assert page.locator("table.schedule tbody tr").count() == 4  # 2 gone, a new 4th
    shoot(page, "62-skip-preview")
    axe_check(page, "skip preview")
    _sign_change(page)

    page.locator("[data-testid=pdf-link][data-version='2']").wait_for(timeout=30_000)
    assert page.locator("table.schedule .status-cancelled").count() == 1
    shoot(page, "63-skipped")
    axe_check(page, "after a skip")
    assert plan.installments.get(number=2).status == InstallmentStatus.CANCELLED
    live = plan.installments.exclude(status=InstallmentStatus.CANCELLED)
    assert sum(i.amount_minor for i in live) == plan.total_minor
    assert live.order_by("-number").first().number == 4

    _assert_browser_was_happy(watch)


def _staff_decides(browser, live_server, change, *, approve: bool) -> None:
    from tests.factories import StaffFactory

    StaffFactory(username="supervisora", is_superuser=True)
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO")
    try:
        admin = staff.new_page()
        queue = "/admin/agreements/schedulechangerequest/"
        admin.goto(f"{live_server.url}/admin/login/?next={queue}")
        admin.fill("#id_username", "supervisora")
        admin.fill("#id_password", ADMIN_PASSWORD)
        with admin.expect_navigation():
            admin.locator("input[type=submit]").click()
        admin.wait_for_url(f"{live_server.url}{queue}")
        admin.locator(f"#result_list a[href$='/schedulechangerequest/{change.pk}/change/']").click()
        admin.locator("#approve-form").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        admin.screenshot(path=str(ARTIFACTS / "65-admin-change-review.png"))
        if approve:
            with admin.expect_navigation():
                admin.locator("#approve-form input[type=submit]").click()
        else:
            admin.fill("#reject-form textarea", "Ya moviste esta cuota una vez.")
            with admin.expect_navigation():
                admin.locator("#reject-form input[type=submit]").click()
        admin.locator("ul.messagelist li.success").wait_for()
    finally:
        staff.close()


@pytest.mark.parametrize("approve", [True, False], ids=["approved", "rejected"])
def test_a_change_beyond_the_limits_goes_to_review_and_the_debtor_sees_the_outcome(
    live_server, browser, phone, watch, axe_check, shoot, plan, approve
):
    page = phone
    _open_agreement(page, live_server, plan)
    old_date = plan.installments.get(number=1).due_date

    new_date = _preview_move(page, plan, number=1, days=20)  # the policy allows 15
    page.get_by_test_id("change-needs-review").wait_for()
    shoot(page, "64-change-needs-review")
    axe_check(page, "change needs review")
    page.fill("#id_reason", "Me pagan el salario el día 20.")
    _sign_change(page)
    page.get_by_test_id("change-pending").wait_for()
    assert page.get_by_test_id("change-date-link").count() == 0
    change = ScheduleChangeRequest.objects.get(agreement=plan)
    assert change.status == ChangeStatus.PENDING

    _staff_decides(browser, live_server, change, approve=approve)

    page.reload()
    plan.refresh_from_db()
    if approve:
        page.get_by_test_id("change-approved").wait_for()
        page.locator("[data-testid=pdf-link][data-version='2']").wait_for(timeout=30_000)
        assert plan.installments.get(number=1).due_date == new_date
        assert plan.schedule_revision == 1
    else:
        page.get_by_test_id("change-rejected").wait_for()
        assert plan.installments.get(number=1).due_date == old_date
        assert plan.schedule_revision == 0
    shoot(page, f"66-review-{'approved' if approve else 'rejected'}")
    axe_check(page, "after the review")

    _assert_browser_was_happy(watch)
