"""Receipts leave the posting path: the email goes right after the posting with the amount
and a personal link, no PDF; the PDF is rendered once, by its task on the "documents"
queue or by the first download, whichever comes first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from celery import current_app
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode

from payments.models import Payment
from payments.tasks import render_payment_receipt, send_payment_receipt
from portal.audit.models import AuditEvent
from portal.money import format_minor
from tests.factories import intent_payload
from tests.helpers.access import VERIFY_URL, sign_in
from tests.helpers.payments import started
from tests.localstripe import make_event, signed_event_post

RENDERED = "payment.receipt_rendered"
# Wednesday 10:00 in Bogotá: inside the contact window, so receipts go at once whatever the
# hour the suite runs (test_notice_window.py covers a receipt posted outside it).
IN_WINDOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _inside_the_contact_window():
    with time_machine.travel(IN_WINDOW, tick=True):
        yield


@pytest.fixture
def post(client, webhook_secret, django_capture_on_commit_callbacks):
    """Deliver a succeeded payment and run what it queues after commit, except the tasks
    named in `hold` (as if their queue had not got to them yet)."""

    def run(callbacks, hold):
        for callback in callbacks:
            if callback.__qualname__.removesuffix(".delay") not in hold:
                with django_capture_on_commit_callbacks() as queued:
                    callback()
                run(queued, hold)

    def send(attempt, *, hold: tuple[str, ...] = ()) -> Payment:
        event = make_event("payment_intent.succeeded", intent_payload(attempt))
        with django_capture_on_commit_callbacks() as queued:
            assert signed_event_post(client, event).status_code == 200
        run(queued, hold)
        return Payment.objects.get(stripe_payment_intent_id=attempt.stripe_payment_intent_id)

    return send


def personal_link(body: str) -> str:
    (link,) = [word for word in body.split() if "/p/" in word]
    return link


def stored_receipts(tmp_path) -> list[Path]:
    """Receipt files in the test's private storage (tests/conftest.py's _private_files)."""
    return [p for p in (tmp_path / "private" / "receipts").rglob("*") if p.is_file()]


def test_the_email_goes_before_any_pdf_with_the_amount_and_a_link(post, client, debt, tmp_path):
    sign_in(client, debt.debtor)  # on the portal: sent at once at any hour

    payment = post(
        started(debt.debtor, f"free-{debt.pk}", 60_000_00), hold=(render_payment_receipt.name,)
    )

    (email,) = mail.outbox
    assert email.attachments == []
    amount = format_minor(60_000_00, "COP", locale="es_CO")
    assert amount in email.body and payment.number in email.body
    link = personal_link(email.body)
    receipt_url = reverse("payments:receipt_pdf", args=[payment.pk])
    assert link.endswith("?" + urlencode({"next": receipt_url}))
    (html, mimetype), *_ = email.alternatives
    assert mimetype == "text/html" and f'href="{link}"' in html.replace("&amp;", "&")
    assert amount in html and "Ver tu recibo" in html  # Ana reads Spanish
    payment.refresh_from_db()
    assert payment.receipt_sent_at and payment.receipt_sha256 == ""
    assert stored_receipts(tmp_path) == []


def test_the_link_opens_the_receipt_after_the_sign_in_and_not_for_another(post, debt, other_debtor):
    payment = post(
        started(debt.debtor, f"free-{debt.pk}", 60_000_00),
    )
    link = personal_link(mail.outbox[0].body)
    browser = Client()

    assert browser.get(link.removeprefix(settings.PUBLIC_BASE_URL)).url == VERIFY_URL
    answered = browser.post(VERIFY_URL, {"answer": debt.debtor.document_number[-4:]})
    assert answered.url == reverse("payments:receipt_pdf", args=[payment.pk])
    pdf = browser.get(answered.url)
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")

    outsider = Client()
    sign_in(outsider, other_debtor)
    assert outsider.get(answered.url).status_code == 404


def test_the_documents_task_renders_and_stores_the_pdf_once(post, debt, tmp_path):
    # The receipt email's task queues the PDF: the posting itself publishes one task.
    payment = post(started(debt.debtor, f"free-{debt.pk}", 60_000_00))

    payment.refresh_from_db()
    (stored,) = stored_receipts(tmp_path)
    assert stored.read_bytes().startswith(b"%PDF") and len(payment.receipt_sha256) == 64
    assert render_payment_receipt.delay(payment.pk).get() == payment.receipt_sha256
    assert len(stored_receipts(tmp_path)) == 1
    assert AuditEvent.objects.filter(action=RENDERED).count() == 1


def test_the_posting_queues_only_the_email_whose_task_queues_the_pdf(post, debt, tmp_path):
    payment = post(
        started(debt.debtor, f"free-{debt.pk}", 60_000_00), hold=(send_payment_receipt.name,)
    )

    payment.refresh_from_db()
    assert stored_receipts(tmp_path) == [] and payment.receipt_sha256 == ""


def test_a_first_download_renders_and_stores_it_once(post, client, debt, tmp_path):
    sign_in(client, debt.debtor)
    payment = post(
        started(debt.debtor, f"free-{debt.pk}", 60_000_00), hold=(render_payment_receipt.name,)
    )
    url = reverse("payments:receipt_pdf", args=[payment.pk])

    first, second = client.get(url), client.get(url)

    assert first.status_code == second.status_code == 200
    assert b"".join(first.streaming_content) == b"".join(second.streaming_content)
    assert len(stored_receipts(tmp_path)) == 1
    assert AuditEvent.objects.filter(action=RENDERED).count() == 1
    # The queued task, arriving later, finds it done.
    render_payment_receipt.delay(payment.pk).get()
    assert len(stored_receipts(tmp_path)) == 1
    assert AuditEvent.objects.filter(action=RENDERED).count() == 1


def test_pdfs_go_to_the_documents_queue_and_the_rest_stays_on_celery():
    router = current_app.amqp.router

    def queue(name: str) -> str:
        return router.route({}, name)["queue"].name

    assert queue(render_payment_receipt.name) == "documents"
    assert queue("agreements.tasks.render_agreement_pdf") == "documents"
    assert queue(send_payment_receipt.name) == "celery"
    assert queue("payments.tasks.process_stripe_event") == "celery"
