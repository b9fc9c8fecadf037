"""Ana disputes her card debt from the dashboard: the form, the hold it puts on the debt at
once, the acknowledgement with the case number, the attachments' checks, and her own
pages (nobody else's)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.debtors.dispute_cases import MAX_ATTACHMENT_BYTES
from portal.debtors.models import DisputeCase, DisputeDocument
from portal.outreach.models import Message
from portal.outreach.policy import decide
from portal.outreach.rules import rules_for
from portal.outreach.selectors import facts_for_many
from portal.outreach.services import consent_set
from tests.helpers.access import sign_in

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def new_url(debt) -> str:
    return reverse("selfservice:dispute_new", args=[debt.pk])


def post_dispute(client, debt, *files, reason="already_paid"):
    data = {"reason": reason, "text": "Pagué en la sucursal el 3 de noviembre"}
    if files:
        data["attachments"] = list(files)
    return client.post(new_url(debt), data)


def stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_dashboard_links_each_debt_to_its_dispute_form(ana, debt):
    page = ana.get(reverse("selfservice:dashboard")).content.decode()
    assert f'href="{new_url(debt)}"' in page and "Reclamar esta deuda" in page
    form = ana.get(new_url(debt)).content.decode()
    assert "Ya la pagué" in form and 'enctype="multipart/form-data"' in form
    assert "csrfmiddlewaretoken" in form


def test_filing_holds_the_debt_audits_and_acknowledges_with_the_case_number(
    ana, debtor, debt, django_capture_on_commit_callbacks
):
    receipt = SimpleUploadedFile("recibo.pdf", PDF_BYTES, content_type="application/pdf")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_dispute(ana, debt, receipt)

    case = DisputeCase.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("selfservice:dispute_detail", args=[case.pk])
    debt.refresh_from_db()
    assert debt.status == "disputed"
    assert AuditEvent.objects.filter(action="dispute.filed", debtor_id=debtor.pk).exists()
    # Outreach stops: the contact policy blocks a collection SMS on the disputed debt.
    consent_set(debtor=debtor, channel="sms", granted=True, source="import")
    sms = Message(pk=-1, debtor=debtor, debt=debt, channel="sms", to="+573001112233")
    facts = facts_for_many([sms], now=case.filed_at)[-1]
    assert decide(facts, channel="sms", at=case.filed_at, rules=rules_for("CO")).reason == (
        "debt_disputed"
    )
    # The acknowledgement, through the notice pipeline, names the case and the deadline.
    (email,) = mail.outbox
    assert email.to == ["ana@example.com"]
    assert case.number in email.subject and case.number in email.body
    # 15 business days after Tuesday 24 November, skipping Tuesday 8 December (a holiday).
    assert "16/12/2026" in email.body
    assert Message.objects.get(notice="dispute_received").status == "sent"
    document = DisputeDocument.objects.get(case=case)
    assert (document.content_type, document.original_name) == ("application/pdf", "recibo.pdf")
    detail = ana.get(response.url).content.decode()
    assert case.number in detail and "En revisión" in detail
    # The dashboard now points to the case instead of offering a second dispute.
    board = ana.get(reverse("selfservice:dashboard")).content.decode()
    assert "Ver mis reclamos" in board and f'href="{new_url(debt)}"' not in board


def test_a_file_too_big_is_refused_and_nothing_is_written(ana, debt):
    big = SimpleUploadedFile("extracto.pdf", b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES)

    response = post_dispute(ana, debt, big)

    assert response.status_code == 400
    assert "extracto.pdf es más grande que 5 MB" in response.content.decode()
    assert not DisputeCase.objects.exists() and not stored_files()
    debt.refresh_from_db()
    assert debt.status == "active"
    assert not mail.outbox


def test_a_program_named_pdf_is_refused_and_nothing_is_written(ana, debt):
    disguised = SimpleUploadedFile(
        "factura.pdf", b"MZ\x90\x00\x03" + b"\x00" * 64, content_type="application/pdf"
    )

    response = post_dispute(ana, debt, disguised)

    assert response.status_code == 400
    assert "factura.pdf no es un archivo PDF, PNG o JPEG" in response.content.decode()
    assert not DisputeCase.objects.exists() and not stored_files()


def test_a_document_is_downloaded_only_by_its_debtor_and_never_inline(
    ana, client, debtor, other_debtor, debt
):
    post_dispute(ana, debt, SimpleUploadedFile("foto.pdf", PNG_BYTES))
    case = DisputeCase.objects.get()
    document = case.documents.get()
    url = reverse("selfservice:dispute_document", args=[case.pk, document.pk])

    response = ana.get(url)

    assert response.status_code == 200
    # Sniffed: a PNG named .pdf goes back as the PNG it is, as a download.
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG_BYTES

    client.cookies.clear()
    sign_in(client, other_debtor)
    assert client.get(url).status_code == 404
    assert client.get(reverse("selfservice:dispute_detail", args=[case.pk])).status_code == 404
    assert client.get(new_url(debt)).status_code == 404
    assert case.number not in client.get(reverse("selfservice:disputes")).content.decode()


def test_another_debtors_debt_cannot_be_disputed(ana, other_debtor):
    response = post_dispute(ana, other_debtor.debts.get())
    assert response.status_code == 404
    assert not DisputeCase.objects.exists()


def test_a_missing_reason_is_asked_for(ana, debt):
    response = ana.post(new_url(debt), {"text": "x"})
    assert response.status_code == 400
    assert not DisputeCase.objects.exists()


def test_the_dispute_pages_take_a_fixed_number_of_queries(ana, debt, django_assert_max_num_queries):
    for name in ("recibo.pdf", "foto.png"):
        data = PDF_BYTES if name.endswith(".pdf") else PNG_BYTES
        ana.post(
            new_url(debt), {"reason": "other", "attachments": [SimpleUploadedFile(name, data)]}
        )
        DisputeCase.objects.update(status="rejected")  # free the debt for another case
    case = DisputeCase.objects.first()
    with django_assert_max_num_queries(5):
        assert ana.get(new_url(debt)).status_code == 200
    with django_assert_max_num_queries(6):
        assert ana.get(reverse("selfservice:disputes")).status_code == 200
    with django_assert_max_num_queries(7):
        assert ana.get(reverse("selfservice:dispute_detail", args=[case.pk])).status_code == 200


def test_filing_without_the_csrf_token_is_refused(ana, debt):
    ana.handler.enforce_csrf_checks = True  # signed in; now posts like a browser must
    response = ana.post(new_url(debt), {"reason": "other"})
    assert response.status_code == 403
    assert not DisputeCase.objects.exists()


def test_more_than_three_files_are_refused(ana, debt):
    files = [SimpleUploadedFile(f"doc{i}.pdf", PDF_BYTES) for i in range(4)]
    response = post_dispute(ana, debt, *files)
    assert response.status_code == 400
    assert "Adjunta máximo 3 archivos." in response.content.decode()
    assert not DisputeCase.objects.exists() and not stored_files()
