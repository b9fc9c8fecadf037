"""Email: text + HTML, RFC 8058 headers, the signed one-click unsubscribe; consent from each
source, each change audited."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.outreach.attachments import StoredFile
from portal.outreach.models import Consent
from portal.outreach.outbox.now import notice_send_now
from portal.outreach.outbox.queue import message_queue
from portal.outreach.rendering import unsubscribe_token
from portal.outreach.services import consent_set

TUESDAY_10 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        yield traveller


def test_an_email_has_text_html_and_one_click_unsubscribe_headers(
    tuesday, debtor, ana_consents, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(
            debtor=debtor,
            channel="email",
            key="reminder-test",
            kind="reminder",
            notice="installment_due_today",
            context={
                "first_name": "Ana",
                "creditor": "Banco Andino",
                "amount_minor": 150_000_00,
                "currency": "COP",
                "due_date": "2026-11-24",
            },
        )
    (email,) = mail.outbox
    message.refresh_from_db()
    assert message.status == "sent"
    unsubscribe = email.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/outreach/baja/")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Banco Andino" in email.body
    assert unsubscribe.strip("<>") in email.body  # the opt-out is in the text too
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and unsubscribe.strip("<>") in html


def _token(debtor) -> str:
    return unsubscribe_token(debtor_id=debtor.pk, message_id=41)


def test_the_unsubscribe_link_asks_before_acting_on_a_get(client, debtor, ana_consents):
    response = client.get(reverse("outreach:unsubscribe", args=[_token(debtor)]))
    assert response.status_code == 200
    assert Consent.objects.get(debtor=debtor, channel="email").granted


def test_one_click_post_revokes_email_consent_with_its_evidence(client, debtor, ana_consents):
    url = reverse("outreach:unsubscribe", args=[_token(debtor)])
    response = client.post(url, {"List-Unsubscribe": "One-Click"}, HTTP_USER_AGENT="Gmail")
    assert response.status_code == 200
    consent = Consent.objects.get(debtor=debtor, channel="email")
    assert (consent.granted, consent.source) == (False, "unsubscribe")
    assert consent.evidence["message_id"] == 41 and consent.evidence["one_click"] is True
    event = AuditEvent.objects.filter(action="consent.revoked").latest("id")
    assert event.details["source"] == "unsubscribe"
    client.post(url, {"List-Unsubscribe": "One-Click"})
    assert AuditEvent.objects.filter(action="consent.revoked").count() == 1  # once


def test_an_expired_or_tampered_unsubscribe_link_changes_nothing(client, debtor, ana_consents):
    token = _token(debtor)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=91)):
        expired = client.post(reverse("outreach:unsubscribe", args=[token]))
    tampered = client.post(reverse("outreach:unsubscribe", args=[token[:-2] + "xx"]))
    assert (expired.status_code, tampered.status_code) == (404, 404)
    assert Consent.objects.get(debtor=debtor, channel="email").granted


def test_no_email_after_unsubscribing(
    tuesday, client, debtor, ana_consents, django_capture_on_commit_callbacks
):
    client.post(reverse("outreach:unsubscribe", args=[_token(debtor)]))
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(
            debtor=debtor,
            channel="email",
            key="r2",
            kind="reminder",
            notice="agreement_broken",
            context={"number": "A-1", "creditor": "B"},
        )
    message.refresh_from_db()
    assert (message.status, message.block_reason) == ("blocked", "consent_revoked")
    assert not mail.outbox


def test_staff_consent_changes_are_audited_with_the_agent(debtor, ana_consents, agent):
    consent_set(
        debtor=debtor,
        channel="whatsapp",
        granted=True,
        source="staff",
        evidence={"call_recording": "rec-991"},
        actor=agent,
    )
    event = AuditEvent.objects.filter(action="consent.granted").latest("id")
    assert (event.actor_type, event.actor_label) == ("staff", agent.username)
    assert event.details["evidence"] == {"call_recording": "rec-991"}
    assert event.details["previous"] is None


def test_a_receipt_carries_its_stored_attachment_and_goes_out_while_on_the_portal(
    debtor, ana_consents
):
    path = storages["private"].save("receipts/r.pdf", ContentFile(b"%PDF-1.7 r"))
    pdf = StoredFile(
        filename="r.pdf",
        path=path,
        sha256=hashlib.sha256(b"%PDF-1.7 r").hexdigest(),
        mimetype="application/pdf",
    )
    night = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # 22:00 in Bogotá
    with time_machine.travel(night, tick=False):
        message = notice_send_now(
            debtor=debtor,
            key="receipt:1",
            notice="payment_receipt",
            subject="Recibo",
            text="Gracias",
            on_portal=True,
            attachments=[pdf],
        )
        later = notice_send_now(
            debtor=debtor,
            key="decision:1",
            notice="proposal_rejected",
            subject="Decisión",
            text="No aprobada",
        )
    assert message.status == "sent"
    assert mail.outbox[0].attachments[0] == ("r.pdf", b"%PDF-1.7 r", "application/pdf")
    assert (later.status, later.decision["reason"]) == ("deferred", "outside_window")
