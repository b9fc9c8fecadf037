"""The queue of disputes filed on the portal: deadlines (Colombian business days, none for
US portfolios), overdue cases, who may answer, and each answer as the debtor then sees it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.debtors.models import LedgerEntry
from portal.selfservice.services import dispute_file
from portal.staff.timeline import timeline_page
from tests.factories import DebtFactory, PortfolioFactory, assign
from tests.helpers.access import sign_in
from tests.helpers.cast import DEBT_BALANCE
from tests.helpers.staff import BOGOTA

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:debtors_disputecase_changelist")
PDF = b"%PDF-1.7\n% carta del acreedor\n%%EOF\n"


def file_dispute(debtor, debt, reason="wrong_amount"):
    return dispute_file(debtor=debtor, debt=debt, reason=reason, text="Cobran de más", uploads=[])


def resolve_url(case) -> str:
    return reverse("admin:debtors_disputecase_resolve", args=[case.pk])


def test_the_queue_shows_each_deadline_and_marks_the_overdue(client, tuesday, debtor, debt, agent):
    case = file_dispute(debtor, debt)  # Tuesday 24 November → due Wednesday 16 December
    us = PortfolioFactory(code="us-cards", currency="USD", country="US")
    us_debt = DebtFactory(portfolio=us, debtor=debtor, currency="USD", account_ref="US-1")
    assign(us_debt)
    us_case = file_dispute(debtor, us_debt, reason="not_mine")
    client.force_login(agent)

    page = client.get(QUEUE).content.decode()
    assert case.number in page and us_case.number in page
    assert "16/12/2026 · quedan 22 días" in page
    assert "Cobro suspendido hasta enviar la verificación" in page
    assert 'data-overdue="1"' not in page

    with time_machine.travel(dt.datetime(2026, 12, 17, 9, 0, tzinfo=BOGOTA), tick=False):
        client.force_login(agent)  # the session of three weeks ago has expired
        page = client.get(QUEUE).content.decode()
        assert 'data-overdue="1"' in page and "vencido hace 1 día" in page
        overdue = client.get(QUEUE, {"deadline": "overdue"}).content.decode()
        assert case.number in overdue and us_case.number not in overdue
        no_term = client.get(QUEUE, {"deadline": "none"}).content.decode()
        assert us_case.number in no_term and case.number not in no_term


def test_an_agent_sees_the_case_but_cannot_answer_it(client, tuesday, debtor, debt, agent):
    case = file_dispute(debtor, debt)
    client.force_login(agent)
    page = client.get(reverse("admin:debtors_disputecase_change", args=[case.pk]))
    assert page.status_code == 200
    assert 'data-testid="dispute-resolve-form"' not in page.content.decode()
    response = client.post(resolve_url(case), {"status": "upheld", "action": "close", "note": "x"})
    assert response.status_code == 403
    debt.refresh_from_db()
    assert debt.status == "disputed"


def test_upheld_with_an_adjustment_in_pesos_posts_it_and_the_debtor_sees_it(
    client, tuesday, debtor, debt, supervisor, django_capture_on_commit_callbacks
):
    case = file_dispute(debtor, debt)
    client.force_login(supervisor)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            resolve_url(case),
            {
                "status": "upheld",
                "action": "adjust",
                "adjustment": "$100.000",
                "note": "Se cobró una comisión que no correspondía",
            },
        )

    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind="adjustment")
    assert entry.amount_minor == -100_000_00
    debt.refresh_from_db()
    assert (debt.balance_minor, debt.status) == (DEBT_BALANCE - 100_000_00, "active")
    (email,) = mail.outbox
    assert case.number in email.subject and "$100.000" in email.body
    assert "/p/" in email.body  # a personal link to the answer
    events = [e.event.action for e in timeline_page(debtor.pk, kind="payment").entries]
    assert "dispute.resolved" in events and "dispute.filed" in events

    portal = Client()
    sign_in(portal, debtor)
    detail = portal.get(reverse("selfservice:dispute_detail", args=[case.pk])).content.decode()
    assert "Aceptado" in detail and "bajamos el saldo en $100.000" in detail


def test_rejecting_needs_the_verification_which_the_debtor_then_downloads(
    client, tuesday, debtor, debt, supervisor
):
    case = file_dispute(debtor, debt)
    client.force_login(supervisor)

    missing = client.post(resolve_url(case), {"status": "rejected", "note": "Verificada"})
    assert missing.status_code == 400
    assert "Adjunta el documento de verificación de la deuda." in missing.content.decode()
    debt.refresh_from_db()
    assert debt.status == "disputed"

    letter = SimpleUploadedFile("verificacion.pdf", PDF, content_type="application/pdf")
    response = client.post(
        resolve_url(case),
        {"status": "rejected", "note": "El acreedor confirma", "document": letter},
    )
    assert response.status_code == 302
    debt.refresh_from_db()
    assert debt.status == "active"
    document = case.documents.get(kind="verification")
    staff_copy = client.get(
        reverse("admin:debtors_disputecase_document", args=[case.pk, document.pk])
    )
    assert staff_copy["Content-Disposition"].startswith("attachment")

    portal = Client()
    sign_in(portal, debtor)
    detail = portal.get(reverse("selfservice:dispute_detail", args=[case.pk])).content.decode()
    assert "Rechazado" in detail and 'data-testid="dispute-document-verification"' in detail
    download = portal.get(reverse("selfservice:dispute_document", args=[case.pk, document.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="dispute.resolved", debtor_id=debtor.pk).exists()


def test_a_disguised_verification_is_refused(client, tuesday, debtor, debt, supervisor):
    case = file_dispute(debtor, debt)
    client.force_login(supervisor)
    fake = SimpleUploadedFile("verificacion.pdf", b"<html><script>alert(1)</script>")
    response = client.post(resolve_url(case), {"status": "rejected", "note": "x", "document": fake})
    assert response.status_code == 400
    assert "no es un archivo PDF, PNG o JPEG" in response.content.decode()
    assert not case.documents.exists()


def test_the_debtors_page_links_to_their_disputes_only(client, tuesday, debtor, debt, agent):
    case = file_dispute(debtor, debt)
    client.force_login(agent)
    page = client.get(reverse("admin:debtors_debtor_change", args=[debtor.pk])).content.decode()
    link = f"{QUEUE}?debtor__id__exact={debtor.pk}"
    assert f'href="{link}"' in page and "Reclamos radicados en el portal" in page
    assert case.number in client.get(link).content.decode()
    assert (
        case.number not in client.get(f"{QUEUE}?debtor__id__exact={debtor.pk + 1}").content.decode()
    )


def test_upheld_and_closed_from_admin_closes_the_debt_and_shows_the_answer(
    client, tuesday, debtor, debt, supervisor
):
    case = file_dispute(debtor, debt, reason="identity_theft")
    client.force_login(supervisor)

    response = client.post(
        resolve_url(case), {"status": "upheld", "action": "close", "note": "Denuncia verificada"}
    )

    assert response.status_code == 302
    debt.refresh_from_db()
    assert debt.status == "closed"
    page = client.get(response.url).content.decode()
    assert 'data-testid="dispute-answer"' in page and "Cerrar la deuda" in page
    assert 'data-testid="dispute-resolve-form"' not in page
    assert "Respondido" in client.get(QUEUE).content.decode()


def test_upheld_without_saying_how_is_refused(client, tuesday, debtor, debt, supervisor):
    case = file_dispute(debtor, debt)
    client.force_login(supervisor)
    response = client.post(resolve_url(case), {"status": "upheld", "note": "Sí"})
    assert response.status_code == 400
    assert "Elige si se cierra la deuda o se ajusta su saldo." in response.content.decode()
    debt.refresh_from_db()
    assert debt.status == "disputed"


def test_the_timeline_names_the_reason_and_the_answer_in_words(
    client, tuesday, debtor, debt, supervisor
):
    case = file_dispute(debtor, debt)
    client.force_login(supervisor)
    client.post(
        resolve_url(case),
        {"status": "upheld", "action": "adjust", "adjustment": "$100.000", "note": "Comisión"},
    )

    page = client.get(reverse("admin:audit_auditevent_timeline", args=[debtor.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<b>Motivo:</b> El valor no es correcto" in html
    assert "<b>Estado:</b> Aceptado" in html and "<b>Acción:</b> Ajustar el saldo" in html
    assert "<b>Estado de la deuda después:</b> Activa" in html
    for code in ("wrong_amount", "upheld", "adjust"):
        assert f"</b> {code}<" not in html
