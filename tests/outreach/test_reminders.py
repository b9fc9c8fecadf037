"""Reminders through the contact policy, in the debtor's language, each sent once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from agreements.models import Agreement, Installment, PromiseToPay
from agreements.reminders import reminders_queue
from agreements.tasks import send_reminders
from portal.outreach.models import Message

TUESDAY_10 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        yield traveller


def agreement_for(debtor, portfolio, **fields) -> Agreement:
    return Agreement.objects.create(
        debtor=debtor, portfolio=portfolio, kind="plan", currency="COP",
        balance_minor=1_060_000_00, total_minor=1_000_000_00, terms_version="v1",
        terms_text="t", terms_sha256="0" * 64, accepted_at=TUESDAY_10, **fields,
    )  # fmt: skip


def test_installments_due_in_three_days_and_today_are_reminded_once(
    tuesday,
    debtor,
    ana_consents,
    other_debtor,
    carlos_consents,
    portfolio,
    django_capture_on_commit_callbacks,
):
    other_debtor.language = "en"
    other_debtor.preferred_channel = "email"
    other_debtor.save()
    Installment.objects.create(
        agreement=agreement_for(debtor, portfolio), number=1, due_date=TODAY,
        amount_minor=250_000_00,
    )  # fmt: skip
    Installment.objects.create(
        agreement=agreement_for(other_debtor, portfolio), number=1,
        due_date=TODAY + dt.timedelta(days=3), amount_minor=250_000_00,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        counts = send_reminders()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_queue(today=TODAY)
    assert counts["installment_due_today"] == counts["installment_due_soon"] == 1
    today = Message.objects.get(notice="installment_due_today")
    soon = Message.objects.get(notice="installment_due_soon")
    assert (today.channel, today.status, today.kind) == ("sms", "sent", "reminder")
    assert "Ana" in today.body and "Banco Andino" in today.body
    (email,) = mail.outbox
    assert email.to == ["carlos@example.com"] and soon.status == "sent"
    assert "is due on Nov 27, 2026" in email.subject  # the English date format
    assert Message.objects.count() == 2


def test_broken_promises_and_agreements_get_a_follow_up(
    tuesday, debtor, ana_consents, portfolio, django_capture_on_commit_callbacks
):
    debt = debtor.debts.get()
    PromiseToPay.objects.create(
        debtor=debtor, debt=debt, currency="COP", amount_minor=100_000_00,
        promised_date=TODAY - dt.timedelta(days=1), status="broken", resolved_at=TUESDAY_10,
    )  # fmt: skip
    agreement_for(debtor, portfolio, status="broken", broken_at=TUESDAY_10, number="AC-9")
    with django_capture_on_commit_callbacks(execute=True):
        counts = reminders_queue(today=TODAY)
    assert (counts["promise_broken"], counts["agreement_broken"]) == (1, 1)
    promise = Message.objects.get(notice="promise_broken")
    broken = Message.objects.get(notice="agreement_broken")
    # One collection message a day in Colombia: the second waits for tomorrow, 08:00 (the
    # debtor's own hours), and the beat sends it then.
    assert {promise.status, broken.status} == {"sent", "deferred"}
    waiting = promise if promise.status == "deferred" else broken
    assert waiting.not_before == dt.datetime(2026, 11, 25, 13, 0, tzinfo=dt.UTC)
    tuesday.move_to(waiting.not_before)
    from portal.outreach.tasks import dispatch_due

    dispatch_due()
    waiting.refresh_from_db()
    assert waiting.status == "sent"


def test_reminders_respect_do_not_contact(
    tuesday, debtor, ana_consents, portfolio, django_capture_on_commit_callbacks
):
    debtor.legal_hold = True
    debtor.save()
    Installment.objects.create(
        agreement=agreement_for(debtor, portfolio), number=1, due_date=TODAY,
        amount_minor=250_000_00,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        reminders_queue(today=TODAY)
    message = Message.objects.get()
    assert (message.status, message.block_reason) == ("blocked", "legal_hold")
