"""Changing an active agreement's schedule: a date moved or an installment skipped inside the
policy's limits is applied at once with the acceptance's evidence, the PDF reissued as a
new version and the calendar's SEQUENCE raised; anything beyond becomes a request that
staff approve or reject in admin, the debtor told either way. Through real HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from agreements.models import (
    Agreement,
    AgreementDocument,
    ChangeStatus,
    InstallmentStatus,
    ScheduleChangeRequest,
)
from agreements.schedules import add_months
from portal.audit.models import AuditEvent
from tests.agreements.conftest import TICKS
from tests.helpers.access import sign_in

pytestmark = pytest.mark.django_db


def change_url(agreement, kind="fecha") -> str:
    return reverse("agreements:schedule_change", args=[agreement.pk, kind])


def detail_url(agreement) -> str:
    return reverse("agreements:agreement_detail", args=[agreement.pk])


def installment(agreement, number):
    return agreement.installments.get(number=number)


def move(client, agreement, *, number=1, days=5, confirm=True, ticks=True, reason=""):
    new_date = installment(agreement, number).due_date + dt.timedelta(days=days)
    data = {"installment": number, "new_date": new_date.isoformat(), "reason": reason}
    if confirm:
        data["confirm"] = "true"
        if ticks:
            data.update(TICKS)
    return client.post(change_url(agreement), data, HTTP_USER_AGENT="Mozilla/5.0 (phone)")


def skip(client, agreement, *, number=2, reason=""):
    data = {"installment": number, "confirm": "true", "reason": reason, **TICKS}
    return client.post(change_url(agreement, "saltar"), data)


def live_total(agreement) -> int:
    return sum(
        i.amount_minor for i in agreement.installments.exclude(status=InstallmentStatus.CANCELLED)
    )


@pytest.fixture
def supervisor_client(client, supervisor):
    from django.test import Client

    staff = Client()
    staff.force_login(supervisor)
    return staff


# -- the page offers the changes ----------------------------------------------------------


def test_the_agreement_page_offers_both_changes_and_says_how_many_are_left(ana, agreement):
    html = ana.get(detail_url(agreement)).content.decode()

    assert 'data-testid="change-date-link"' in html and 'data-testid="skip-link"' in html
    assert "1 vez más" in html  # one date change left on her own
    assert "Pedir saltar una cuota" in html  # the policy allows no skip: a review


def test_the_form_lists_only_pending_unpaid_installments(ana, agreement):
    agreement.installments.filter(number=1).update(paid_minor=1_000_00)

    form = ana.get(change_url(agreement)).context["form"]

    assert [n for n, _label in form.fields["installment"].choices] == [2, 3]


# -- a move inside the limits --------------------------------------------------------------


def test_the_preview_shows_the_new_schedule_and_changes_nothing(ana, agreement):
    old = installment(agreement, 1).due_date

    response = move(ana, agreement, confirm=False)

    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.within_limits
    assert [line.due_date for line in preview.lines if line.number == 1] == [
        old + dt.timedelta(days=5)
    ]
    html = response.content.decode()
    assert 'data-testid="confirm-change"' in html and 'name="accept_esign"' in html
    assert installment(agreement, 1).due_date == old
    assert not ScheduleChangeRequest.objects.exists()


def test_confirming_without_the_ticks_keeps_the_preview_and_changes_nothing(ana, agreement):
    response = move(ana, agreement, ticks=False)

    assert response.status_code == 200
    assert response.context["preview"] and response.context["form"].non_field_errors()
    assert not ScheduleChangeRequest.objects.exists()


def test_a_move_inside_the_limits_is_applied_with_the_acceptance_evidence(
    ana, agreement, django_capture_on_commit_callbacks
):
    old = installment(agreement, 1).due_date
    with django_capture_on_commit_callbacks(execute=True):
        response = move(ana, agreement)

    assert response.status_code == 302 and response["Location"] == detail_url(agreement)
    agreement.refresh_from_db()
    assert installment(agreement, 1).due_date == old + dt.timedelta(days=5)
    assert agreement.schedule_revision == 1
    assert live_total(agreement) == agreement.total_minor
    change = ScheduleChangeRequest.objects.get()
    assert change.status == ChangeStatus.APPLIED and change.from_date == old
    assert change.evidence["accepted_terms"] and change.evidence["accepted_esign"]
    assert change.evidence["user_agent"] == "Mozilla/5.0 (phone)"
    assert change.evidence["terms_sha256"] == agreement.terms_sha256
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "schedule_change.requested" in actions and "agreement.schedule_changed" in actions
    document = AgreementDocument.objects.get()
    assert document.version == 2 and document.sha256  # rendered by the task


def test_version_2_downloads_and_version_1_is_kept(
    ana, agreement, django_capture_on_commit_callbacks
):
    from agreements.documents import agreement_pdf_render

    agreement_pdf_render(agreement_id=agreement.pk)
    with django_capture_on_commit_callbacks(execute=True):
        move(ana, agreement)
    agreement.refresh_from_db()

    html = ana.get(detail_url(agreement)).content.decode()
    assert 'data-version="2"' in html and 'data-testid="pdf-version-1"' in html
    v2 = ana.get(reverse("agreement_files:debtor_pdf_version", args=[agreement.pk, 2]))
    v1 = ana.get(reverse("agreement_files:debtor_pdf_version", args=[agreement.pk, 1]))
    body2, body1 = b"".join(v2.streaming_content), b"".join(v1.streaming_content)
    assert body2.startswith(b"%PDF") and body1.startswith(b"%PDF") and body1 != body2
    import hashlib

    assert hashlib.sha256(body1).hexdigest() == agreement.pdf_sha256
    assert hashlib.sha256(body2).hexdigest() == AgreementDocument.objects.get().sha256


def test_the_calendar_shows_the_moved_date_with_a_higher_sequence(ana, agreement):
    move(ana, agreement)

    response = ana.get(reverse("agreements:agreement_ics", args=[agreement.pk]))
    events = Calendar.from_ical(response.content).walk("VEVENT")

    moved = next(
        e for e in events if str(e["uid"]).startswith(f"agreement-{agreement.pk}-installment-1@")
    )
    assert moved.decoded("dtstart") == installment(agreement, 1).due_date
    assert all(e["sequence"] == 1 for e in events)


# -- limits and fixed rules ----------------------------------------------------------------


def test_a_date_in_the_past_or_out_of_order_is_refused_outright(ana, agreement):
    today_move = move(ana, agreement, days=-400, confirm=False)
    after_next = move(ana, agreement, number=1, days=45, confirm=False)

    for response in (today_move, after_next):
        assert response.status_code == 200 and "preview" not in response.context
        assert response.context["form"].non_field_errors()


def test_more_days_than_allowed_becomes_a_request_with_a_reason(ana, agreement, policy):
    policy.max_move_days = 3
    policy.save(update_fields=["max_move_days"])
    old = installment(agreement, 1).due_date

    preview = move(ana, agreement, confirm=False)
    assert 'data-testid="change-needs-review"' in preview.content.decode()
    no_reason = move(ana, agreement)
    assert no_reason.status_code == 200 and not ScheduleChangeRequest.objects.exists()

    response = move(ana, agreement, reason="Me pagan el salario el día 20.")

    assert response.status_code == 302
    change = ScheduleChangeRequest.objects.get()
    assert change.status == ChangeStatus.PENDING and change.breaks
    assert installment(agreement, 1).due_date == old  # nothing applied yet
    agreement.refresh_from_db()
    assert agreement.schedule_revision == 0
    html = ana.get(detail_url(agreement)).content.decode()
    assert 'data-testid="change-pending"' in html and "change-date-link" not in html
    assert ana.get(change_url(agreement)).status_code == 302  # nothing more while it waits


def test_a_second_move_goes_to_review(ana, agreement):
    move(ana, agreement)

    response = move(ana, agreement, number=2, days=3, confirm=False)

    assert response.context["preview"].breaks


def test_a_skip_allowed_by_the_policy_appends_the_amount_one_period_after_the_last(
    ana, agreement, policy
):
    policy.allow_skip = True
    policy.save(update_fields=["allow_skip"])
    skipped = installment(agreement, 2)
    last = installment(agreement, 3)

    response = skip(ana, agreement)

    assert response.status_code == 302
    skipped.refresh_from_db()
    assert skipped.status == InstallmentStatus.CANCELLED
    appended = installment(agreement, 4)
    assert appended.amount_minor == skipped.amount_minor
    assert appended.due_date == add_months(last.due_date, 1)
    assert live_total(agreement) == agreement.total_minor
    agreement.refresh_from_db()
    assert agreement.schedule_revision == 1
    # A second skip is beyond the limit: a review.
    assert skip(ana, agreement, number=3, reason="Otra vez").status_code == 302
    assert ScheduleChangeRequest.objects.filter(status=ChangeStatus.PENDING).count() == 1


def test_a_skip_the_policy_does_not_allow_becomes_a_request(ana, agreement):
    response = skip(ana, agreement, reason="Perdí el empleo este mes.")

    assert response.status_code == 302
    assert ScheduleChangeRequest.objects.get().status == ChangeStatus.PENDING
    assert installment(agreement, 2).status == InstallmentStatus.PENDING


# -- staff review ------------------------------------------------------------------------


@pytest.fixture
def pending(ana, agreement):
    skip(ana, agreement, reason="Perdí el empleo este mes.")
    return ScheduleChangeRequest.objects.get()


def test_the_review_queue_lists_pending_requests(supervisor_client, pending):
    response = supervisor_client.get(reverse("admin:agreements_schedulechangerequest_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [pending]
    page = supervisor_client.get(
        reverse("admin:agreements_schedulechangerequest_change", args=[pending.pk])
    )
    assert 'id="approve-form"' in page.content.decode()


def test_staff_approve_and_the_debtor_is_told(
    ana, supervisor_client, pending, agreement, supervisor, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    url = reverse("admin:agreements_schedulechangerequest_approve", args=[pending.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(url)

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ChangeStatus.APPROVED and pending.decided_by == supervisor
    assert installment(agreement, 2).status == InstallmentStatus.CANCELLED
    assert live_total(agreement) == agreement.total_minor
    agreement.refresh_from_db()
    assert agreement.schedule_revision == 1
    assert AgreementDocument.objects.get().version == 2
    assert AuditEvent.objects.filter(action="schedule_change.approved").count() == 1
    assert [m.subject for m in mail.outbox] == ["Aprobamos tu cambio al plan de pagos"]
    assert 'data-testid="change-approved"' in ana.get(detail_url(agreement)).content.decode()


def test_staff_reject_with_a_reason_and_the_debtor_sees_it(
    ana, supervisor_client, pending, agreement, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    url = reverse("admin:agreements_schedulechangerequest_reject", args=[pending.pk])
    assert supervisor_client.post(url, {"reason": ""}).status_code == 302
    assert ScheduleChangeRequest.objects.get().status == ChangeStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(url, {"reason": "Ya saltó una cuota el año pasado."})

    pending.refresh_from_db()
    assert pending.status == ChangeStatus.REJECTED
    assert installment(agreement, 2).status == InstallmentStatus.PENDING
    assert len(mail.outbox) == 1 and "Ya saltó una cuota" in mail.outbox[0].body
    html = ana.get(detail_url(agreement)).content.decode()
    assert 'data-testid="change-rejected"' in html and "Ya saltó una cuota" in html
    assert AuditEvent.objects.filter(action="schedule_change.rejected").count() == 1


def test_an_agent_cannot_decide(client, agent, pending):
    client.force_login(agent)
    url = reverse("admin:agreements_schedulechangerequest_approve", args=[pending.pk])
    assert client.post(url).status_code == 403


# -- scope and cost -----------------------------------------------------------------------


def test_another_debtor_reaches_no_change(client, agreement, other_debtor):
    sign_in(client, other_debtor)
    data = {"installment": 1, "new_date": "2030-01-01", "confirm": "true", **TICKS}

    for kind in ("fecha", "saltar"):
        assert client.get(change_url(agreement, kind)).status_code == 404
        assert client.post(change_url(agreement, kind), data).status_code == 404
    for version in (1, 2):
        url = reverse("agreement_files:debtor_pdf_version", args=[agreement.pk, version])
        assert client.get(url).status_code == 404
    assert not ScheduleChangeRequest.objects.exists()


def test_a_broken_agreement_offers_no_change(ana, agreement):
    Agreement.objects.filter(pk=agreement.pk).update(status="broken")

    assert "change-date-link" not in ana.get(detail_url(agreement)).content.decode()
    assert ana.get(change_url(agreement)).status_code == 302


def test_the_pages_take_a_fixed_number_of_queries(ana, agreement, django_assert_max_num_queries):
    move(ana, agreement)  # one change and two document versions on the page
    with django_assert_max_num_queries(8):
        ana.get(detail_url(agreement))
    with django_assert_max_num_queries(8):
        ana.get(change_url(agreement))
    with django_assert_max_num_queries(9):
        move(ana, agreement, number=2, days=3, confirm=False)
    with django_assert_max_num_queries(20):  # session, lock, reads, request, audit chain
        move(ana, agreement, number=2, days=3, reason="Necesito unos días más.")


def test_a_moved_date_is_reminded_again_three_days_before_it(ana, agreement):
    from agreements.reminders import reminders_queue
    from portal.outreach.models import Message

    old = installment(agreement, 1).due_date
    reminders_queue(today=old - dt.timedelta(days=3))
    assert Message.objects.filter(notice="installment_due_soon").count() == 1

    move(ana, agreement, days=5)
    new = old + dt.timedelta(days=5)
    reminders_queue(today=new - dt.timedelta(days=3))
    reminders_queue(today=new - dt.timedelta(days=3))  # a second run sends nothing more

    assert Message.objects.filter(notice="installment_due_soon").count() == 2


def test_staff_see_the_versions_on_the_agreement_and_download_them(
    ana, agreement, agent, django_capture_on_commit_callbacks
):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        move(ana, agreement)
    staff = Client()
    staff.force_login(agent)

    page = staff.get(reverse("admin:agreements_agreement_change", args=[agreement.pk]))

    url = reverse("agreement_files:staff_pdf_version", args=[agreement.pk, 2])
    assert page.status_code == 200 and url in page.content.decode()
    response = staff.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_limits_are_in_the_policy_admin_in_spanish(client, supervisor, policy):
    from portal.staff.roles import ADMINISTRATOR
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(username="admin-limites", role=ADMINISTRATOR))
    html = client.get(reverse("admin:agreements_offerpolicy_change", args=[policy.pk]))
    html = html.content.decode()

    assert 'name="max_date_moves"' in html and 'name="allow_skip"' in html
    assert "Cambios que el deudor puede hacer solo a un acuerdo activo" in html
    assert "máximo de días que se puede mover una cuota" in html.lower()


def test_while_version_2_renders_the_box_polls_for_it(ana, agreement):
    move(ana, agreement)  # the render task waits for a commit that never comes in this test

    html = ana.get(detail_url(agreement)).content.decode()
    partial = ana.get(detail_url(agreement), HTTP_HX_REQUEST="true").content.decode()

    assert 'data-testid="pdf-pending"' in html and 'hx-trigger="every 3s"' in html
    assert partial.strip().startswith('<div id="agreement-document"')


def test_once_the_moves_are_used_the_page_says_so_and_offers_a_review(ana, agreement):
    move(ana, agreement)

    html = ana.get(detail_url(agreement)).content.decode()

    assert "Ya usaste los cambios de fecha" in html and "0 veces" not in html
    assert "Pedir cambiar una fecha" in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_moves_apply_exactly_one(on_postgres, debtor, debt, policy):
    from django.utils import timezone

    from agreements.services import (
        AgreementError,
        Evidence,
        agreement_accept_offer,
        quote_for_debtor,
        schedule_change_submit,
    )
    from tests.helpers.concurrency import run_times

    evidence = Evidence(at=timezone.now(), ip="190.24.1.10", user_agent="t", payment_link_id=None)
    quote = quote_for_debtor(debtor=debtor)
    agreement = agreement_accept_offer(
        debtor=debtor,
        quote=quote,
        offer_key="plan-monthly-3",
        accepted_terms=True,
        accepted_esign=True,
        evidence=evidence,
    )
    first = installment(agreement, 1).due_date

    def click(n: int) -> str:
        try:
            schedule_change_submit(
                debtor=debtor,
                agreement_id=agreement.pk,
                kind="move",
                number=1,
                new_date=first + dt.timedelta(days=1 + n % 5),
                reason="",
                accepted_terms=True,
                accepted_esign=True,
                evidence=evidence,
            )
        except AgreementError:
            return "refused"
        return "applied"

    outcomes = [o.value if o.error is None else repr(o.error) for o in run_times(click, 10)]

    assert sorted(outcomes) == ["applied"] + ["refused"] * 9  # the rest needed a review
    agreement.refresh_from_db()
    assert agreement.schedule_revision == 1
    assert AgreementDocument.objects.filter(agreement=agreement).count() == 1


def test_version_2_names_itself_the_new_date_and_the_changes_evidence(
    ana, agreement, django_capture_on_commit_callbacks
):
    from io import BytesIO

    from pypdf import PdfReader

    with django_capture_on_commit_callbacks(execute=True):
        move(ana, agreement)
    document = AgreementDocument.objects.get()

    text = "".join(p.extract_text() or "" for p in PdfReader(BytesIO(document.pdf.read())).pages)

    assert "Versión 2 de este documento" in text
    assert installment(agreement, 1).due_date.strftime("%d/%m/%Y") in text
    assert "Mozilla/5.0 (phone)" in text  # the change's own evidence
