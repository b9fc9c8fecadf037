"""Notices (receipts, answers the debtor asked for) skip the caps but keep the contact window
unless the debtor is on the portal right then — read from their live session, not from the
notice's name — and carry their stored files when a deferral sends them later."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.access.services import debtor_logged_out, debtor_seen, debtor_signed_in
from portal.outreach.attachments import StoredFile
from portal.outreach.models import Message
from portal.outreach.outbox.now import notice_send_now
from portal.outreach.outbox.queue import message_queue
from portal.outreach.selectors import facts_for_many
from portal.outreach.tasks import dispatch_due
from tests.helpers.outreach import make_debtor

NIGHT = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # Tuesday 22:00 in Bogotá
MORNING = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday 07:00 in Bogotá
PDF = b"%PDF-1.7 receipt"


@pytest.fixture
def night():
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def stored_pdf() -> StoredFile:
    path = storages["private"].save("receipts/2026/11/P-1.pdf", ContentFile(PDF))
    return StoredFile(
        filename="P-1.pdf",
        path=path,
        sha256=hashlib.sha256(PDF).hexdigest(),
        mimetype="application/pdf",
    )


def receipt(debtor, attachments=None, key="receipt:1") -> Message:
    return notice_send_now(
        debtor=debtor,
        key=key,
        notice="payment_receipt",
        subject="Recibo P-1",
        text="Gracias por tu pago.",
        attachments=attachments,
    )


def test_a_night_notice_waits_for_the_window_and_the_beat_sends_it_with_its_file_once(
    night, debtor, ana_consents, stored_pdf
):
    message = receipt(debtor, [stored_pdf])

    assert (message.status, message.decision["reason"]) == ("deferred", "outside_window")
    assert message.not_before == MORNING
    assert mail.outbox == []

    night.move_to(MORNING)
    dispatch_due()
    dispatch_due()

    (email,) = mail.outbox
    assert email.attachments == [("P-1.pdf", PDF, "application/pdf")]
    message.refresh_from_db()
    assert (message.status, message.sent_at, message.context) == ("sent", MORNING, {})


def test_a_notice_goes_at_once_while_the_debtor_has_a_live_session(
    night, debtor, ana_consents, stored_pdf
):
    debtor_signed_in(debtor_id=debtor.pk)

    message = receipt(debtor, [stored_pdf])

    assert message.status == "sent"
    assert mail.outbox[0].attachments[0][1] == PDF


@pytest.mark.parametrize(
    "session",
    ["idle 16 minutes", "signed out", "signed in over 2 hours ago", "never signed in"],
)
def test_a_notice_keeps_the_window_when_the_debtor_is_not_on_the_portal(
    night, debtor, ana_consents, other_debtor, carlos_consents, session
):
    debtor_signed_in(debtor_id=other_debtor.pk)  # someone else's session changes nothing
    if session == "idle 16 minutes":
        night.move_to(NIGHT - dt.timedelta(minutes=16))
        debtor_signed_in(debtor_id=debtor.pk)
    elif session == "signed out":
        debtor_signed_in(debtor_id=debtor.pk)
        debtor_logged_out(debtor=debtor, reason="logout")
    elif session == "signed in over 2 hours ago":
        night.move_to(NIGHT - dt.timedelta(minutes=121))
        debtor_signed_in(debtor_id=debtor.pk)
        for minutes in range(10, 121, 10):  # busy all along: the absolute limit still ends it
            night.move_to(NIGHT - dt.timedelta(minutes=121 - minutes))
            debtor_seen(debtor_id=debtor.pk)
    night.move_to(NIGHT)

    assert receipt(debtor).status == "deferred"


def test_reminders_keep_the_window_even_while_the_debtor_is_on_the_portal(
    night, debtor, ana_consents, django_capture_on_commit_callbacks
):
    debtor_signed_in(debtor_id=debtor.pk)

    with django_capture_on_commit_callbacks(execute=True):
        message_queue(
            debtor=debtor,
            channel="sms",
            key="installment_due_today:1",
            kind="reminder",
            notice="installment_due_today",
            context={"first_name": "Ana", "creditor": "Banco Andino", "amount_minor": 1,
                     "currency": "COP", "due_date": "2026-11-25"},
        )  # fmt: skip

    message = Message.objects.get()
    assert (message.status, message.decision["reason"]) == ("deferred", "outside_window")


def test_whether_debtors_are_on_the_portal_is_one_query_for_the_whole_batch(
    night, portfolio, debtor, ana_consents
):
    others = [
        make_debtor(portfolio, number=f"77{n:08d}", name=f"Otro {n}", emails=[f"o{n}@x.co"])
        for n in range(3)
    ]
    for person in [debtor, *others]:
        debtor_signed_in(debtor_id=person.pk)
        receipt(person, key=f"receipt:{person.pk}")
    messages = list(Message.objects.select_related("debtor").order_by("id"))

    with CaptureQueriesContext(connection) as one:
        facts_for_many(messages[:1], now=NIGHT)
    with CaptureQueriesContext(connection) as four:
        facts = facts_for_many(messages, now=NIGHT)

    assert len(four) == len(one)
    assert all(f.on_portal for f in facts.values())
    assert sum("access_portalpresence" in q["sql"] for q in four.captured_queries) == 1


def test_a_file_changed_since_it_was_stored_fails_the_notice_rather_than_send_without_it(
    night, debtor, ana_consents, stored_pdf
):
    debtor_signed_in(debtor_id=debtor.pk)
    storages["private"].delete(stored_pdf.path)
    storages["private"].save(stored_pdf.path, ContentFile(b"%PDF-1.7 forged"))

    message = receipt(debtor, [stored_pdf])

    assert message.status == "failed" and "changed" in message.error
    assert mail.outbox == []


def test_a_retry_after_a_failure_sends_the_text_and_file_again(
    night, debtor, ana_consents, stored_pdf
):
    debtor_signed_in(debtor_id=debtor.pk)
    missing = StoredFile(**{**stored_pdf.as_json(), "path": "receipts/not-yet.pdf"})
    assert receipt(debtor, [missing]).status == "failed"
    storages["private"].save("receipts/not-yet.pdf", ContentFile(PDF))

    message = receipt(debtor, [missing])

    assert message.status == "sent"
    (email,) = mail.outbox
    assert "Gracias por tu pago." in email.body and email.attachments[0][1] == PDF
