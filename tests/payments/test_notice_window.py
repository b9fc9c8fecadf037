"""Payment notices keep Colombia's contact window unless the debtor is on the portal right
then (Ley 2300, art. 8): a receipt for a payment posted at night by a webhook or by
autopay waits for the morning, and the beat sends it then, with its link, once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse
from django.utils.http import urlencode

from payments.models import Payment
from payments.tasks import send_payment_receipt
from portal.audit.models import AuditEvent
from portal.outreach.models import Message
from portal.outreach.tasks import dispatch_due
from tests.factories import intent_payload
from tests.helpers.access import sign_in
from tests.helpers.payments import started
from tests.localstripe import make_event

from .test_autopay import charge_on, first_due, save_card

NIGHT = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # Tuesday 22:00 in Bogotá
MORNING = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday 07:00, window opens


@pytest.fixture
def night():
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


def pay(deliver, attempt) -> Payment:
    assert (
        deliver(make_event("payment_intent.succeeded", intent_payload(attempt))).status_code == 200
    )
    return Payment.objects.get(stripe_payment_intent_id=attempt.stripe_payment_intent_id)


def test_a_receipt_at_22_waits_for_7_and_the_beat_sends_it_with_its_link_once(night, deliver, debt):
    payment = pay(deliver, started(debt.debtor, f"free-{debt.pk}", 60_000_00))

    message = Message.objects.get(notice="payment_receipt")
    assert (message.status, message.decision["reason"]) == ("deferred", "outside_window")
    assert message.not_before == MORNING
    assert mail.outbox == []
    deferred = AuditEvent.objects.get(action="message.deferred")
    assert deferred.details["decision"]["until"] == MORNING.isoformat()
    # The receipt task's retry (or a second delivery) adds nothing.
    assert send_payment_receipt.delay(payment.pk).get() == "already sent"

    night.move_to(MORNING - dt.timedelta(minutes=1))
    dispatch_due()
    assert mail.outbox == []
    night.move_to(MORNING)
    dispatch_due()
    dispatch_due()

    (email,) = mail.outbox
    assert email.to == ["ana@example.com"] and payment.number in email.subject
    assert email.attachments == []
    receipt = reverse("payments:receipt_pdf", args=[payment.pk])
    assert "/p/" in email.body and urlencode({"next": receipt}) in email.body
    message.refresh_from_db()
    assert (message.status, message.sent_at) == ("sent", MORNING)


def test_the_same_receipt_goes_at_once_while_the_debtor_is_on_the_portal(
    night, client, deliver, debt
):
    sign_in(client, debt.debtor)

    payment = pay(deliver, started(debt.debtor, f"free-{debt.pk}", 60_000_00))

    (email,) = mail.outbox
    assert payment.number in email.subject and "/p/" in email.body
    assert Message.objects.get(notice="payment_receipt").status == "sent"


def test_a_debtor_who_signed_out_gets_the_receipt_in_the_morning(night, client, deliver, debt):
    sign_in(client, debt.debtor)
    client.post("/salir/")

    pay(deliver, started(debt.debtor, f"free-{debt.pk}", 60_000_00))

    assert mail.outbox == []
    assert Message.objects.get(notice="payment_receipt").status == "deferred"


def test_a_night_card_failure_is_deferred_and_the_webhook_still_succeeds(night, deliver, debt):
    attempt = started(debt.debtor, f"free-{debt.pk}", 50_000_00)

    response = deliver(
        make_event("payment_intent.payment_failed", intent_payload(attempt, status="x"))
    )

    assert response.status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == "failed"
    assert Message.objects.get(notice="payment_failed").status == "deferred"
    assert mail.outbox == []
    night.move_to(MORNING)
    dispatch_due()
    (email,) = mail.outbox
    assert "/p/" in email.body


def test_an_autopay_charge_at_night_sends_its_receipt_in_the_morning(
    night, ana, agreement, stripe_settings, django_capture_on_commit_callbacks
):
    save_card(ana, agreement)
    ana.post("/salir/")

    with django_capture_on_commit_callbacks(execute=True):
        assert charge_on(first_due(agreement).due_date) == {"paid": 1}

    assert Message.objects.get(notice="payment_receipt").status == "deferred"
    payment = Payment.objects.get(agreement=agreement)
    assert [m for m in mail.outbox if payment.number in m.subject] == []
    night.move_to(MORNING)
    dispatch_due()
    (receipt,) = [m for m in mail.outbox if payment.number in m.subject]
    assert "/p/" in receipt.body and receipt.attachments == []


def test_an_autopay_decline_tells_at_once_a_debtor_on_the_portal_and_waits_otherwise(
    night, ana, agreement, stripe_settings, django_capture_on_commit_callbacks
):
    save_card(ana, agreement, "pm_card_chargeCustomerFail")
    down = first_due(agreement)

    with django_capture_on_commit_callbacks(execute=True):
        assert charge_on(down.due_date) == {"failed": 1}
    assert Message.objects.get(notice="autopay_failed").status == "sent"

    ana.post("/salir/")
    night.move_to(NIGHT + dt.timedelta(days=2, minutes=5))  # Thursday 22:05, retry is due
    with django_capture_on_commit_callbacks(execute=True):
        assert charge_on(down.due_date) == {"failed": 1}
    second = Message.objects.filter(notice="autopay_failed").latest("id")
    assert second.status == "deferred"
    assert len(mail.outbox) == 1


class RefusesOnce(LocmemBackend):
    """An SMTP server that refuses the first message it is given."""

    refused = 0

    def send_messages(self, messages):
        if not RefusesOnce.refused:
            RefusesOnce.refused += 1
            raise ConnectionRefusedError("smtp down")
        return super().send_messages(messages)


def test_a_receipt_the_provider_refused_is_retried_by_its_task_and_sent_once(
    night, client, deliver, debt, settings, monkeypatch
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusesOnce"
    RefusesOnce.refused = 0
    # Tasks still run inline, but their errors stay in the task as on a worker: a retry runs.
    monkeypatch.setitem(send_payment_receipt.app.conf, "task_eager_propagates", False)
    sign_in(client, debt.debtor)

    payment = pay(deliver, started(debt.debtor, f"free-{debt.pk}", 60_000_00))

    (email,) = mail.outbox
    assert payment.number in email.subject
    message = Message.objects.get(notice="payment_receipt")
    assert (message.status, message.attempts, RefusesOnce.refused) == ("sent", 2, 1)
