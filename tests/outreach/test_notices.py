"""`notice_send`, the one way a notice reaches a debtor: the address it picks, the link it
mints, the contact policy it goes through and the key that sends it once."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction

from agreements.models import Agreement
from portal.access.models import PaymentLink
from portal.access.tokens import hash_token
from portal.audit.models import AuditEvent
from portal.outreach.models import Message
from portal.outreach.notices import NoticeFailed, notice_send
from portal.outreach.tasks import dispatch_due

TUESDAY_10 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
NIGHT = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # Tuesday 22:00 in Bogotá
MORNING = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday 07:00 in Bogotá
ATTEMPT = SimpleNamespace(amount_minor=50_000_00, currency="COP")  # what the text reads
REMINDER = {"first_name": "Ana", "creditor": "Banco Andino", "amount_minor": 250_000_00}


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def night():
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


def remind(debtor, key="installment_due_today:1", **options) -> Message:
    notice_send(
        debtor=debtor,
        notice="installment_due_today",
        context={**REMINDER, "currency": "COP"},
        key=key,
        when="queue",
        **options,
    )
    return Message.objects.get(key=key)


def agreement_for(debtor, portfolio) -> Agreement:
    return Agreement.objects.create(
        debtor=debtor, portfolio=portfolio, kind="plan", currency="COP", number="AC-7",
        balance_minor=1_060_000_00, total_minor=1_000_000_00, terms_version="v1",
        terms_text="t", terms_sha256="0" * 64, accepted_at=TUESDAY_10,
    )  # fmt: skip


# -- the address ---------------------------------------------------------------------------


def test_a_notice_goes_to_the_debtors_first_email_whatever_channel_they_prefer(
    tuesday, debtor, django_capture_on_commit_callbacks
):
    debtor.emails = ["ana@example.com", "ana.old@example.com"]
    debtor.save()  # preferred channel: SMS

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(debtor=debtor, notice="proposal_rejected", context={"proposal": None})

    message = Message.objects.get()
    assert (message.channel, message.to, message.kind, message.status) == (
        "email",
        "ana@example.com",
        "notice",
        "sent",
    )
    (email,) = mail.outbox
    assert email.to == ["ana@example.com"]
    assert email.subject == "Tu propuesta de pago no fue aprobada"  # Spanish by default
    assert email.alternatives[0][1] == "text/html"


@pytest.mark.parametrize(
    ("preferred", "channel", "to"),
    [
        ("sms", "sms", "+573001112233"),
        ("whatsapp", "whatsapp", "+573001112233"),
        ("email", "email", "ana@example.com"),
        ("call", "sms", "+573001112233"),  # a reminder is written: a caller gets an SMS
    ],
)
def test_a_reminder_goes_on_the_preferred_written_channel(
    tuesday, debtor, django_capture_on_commit_callbacks, preferred, channel, to
):
    debtor.preferred_channel = preferred
    debtor.save()

    with django_capture_on_commit_callbacks(execute=True):
        message = remind(debtor)

    assert (message.channel, message.to, message.kind) == (channel, to, "reminder")


def test_a_debtor_without_email_is_skipped_audited_and_no_link_is_minted(debtor, portfolio):
    type(debtor).objects.filter(pk=debtor.pk).update(emails=[])
    debtor.refresh_from_db()

    status = notice_send(
        debtor=debtor, notice="payment_failed", context={}, link=portfolio, when="now"
    )

    assert status == "no email"
    assert not Message.objects.exists() and not PaymentLink.objects.exists()
    event = AuditEvent.objects.get(action="message.skipped")
    assert event.details == {"channel": "email", "notice": "payment_failed", "reason": "no_email"}


@pytest.mark.usefixtures("ana_consents")  # reminders are capped outreach: consent counts
def test_a_reminder_without_a_phone_is_kept_and_blocked_by_the_policy(
    tuesday, debtor, django_capture_on_commit_callbacks
):
    type(debtor).objects.filter(pk=debtor.pk).update(phones=[])
    debtor.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        message = remind(debtor)

    message.refresh_from_db()
    assert (message.status, message.block_reason) == ("blocked", "no_address")


# -- the link ------------------------------------------------------------------------------


def test_a_notice_that_needs_a_link_mints_one_into_the_portfolio_in_the_transaction(
    tuesday, debtor, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(
            debtor=debtor,
            notice="payment_failed",
            context={"attempt": ATTEMPT, "reason": ""},
            link=portfolio,
        )

    link = PaymentLink.objects.get()
    assert (link.debtor, link.portfolio) == (debtor, portfolio)
    assert AuditEvent.objects.filter(action="payment_link.created").count() == 1
    (email,) = mail.outbox
    token = email.body.split("/p/")[1].split()[0]
    assert hash_token(token) == link.token_hash
    assert f"/p/{token}" in email.alternatives[0][0]
    # What we keep of the message: the link without its token.
    message = Message.objects.get()
    assert token not in message.body and "/p/[link]" in message.body
    assert message.context == {}


def test_a_rolled_back_failure_leaves_no_link_and_sends_nothing(
    debtor, portfolio, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notice_send(
            debtor=debtor, notice="payment_failed", context={"attempt": ATTEMPT}, link=portfolio
        )
        raise RuntimeError("the failure was not recorded")

    assert not PaymentLink.objects.exists()
    assert not Message.objects.exists() and mail.outbox == []


def test_notices_without_a_link_mint_none(tuesday, debtor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(debtor=debtor, notice="proposal_rejected", context={"proposal": None})
        remind(debtor)

    assert not PaymentLink.objects.exists()


# -- the contact policy --------------------------------------------------------------------


def test_a_notice_outside_the_window_is_deferred_and_sent_when_it_opens(
    night, debtor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(debtor=debtor, notice="proposal_rejected", context={"proposal": None})

    message = Message.objects.get()
    assert (message.status, message.decision["reason"]) == ("deferred", "outside_window")
    assert message.not_before == MORNING and mail.outbox == []
    assert AuditEvent.objects.filter(action="message.deferred").count() == 1

    night.move_to(MORNING)
    dispatch_due()

    (email,) = mail.outbox
    assert email.subject == "Tu propuesta de pago no fue aprobada"
    message.refresh_from_db()
    assert message.status == "sent"


def test_the_debtors_own_answer_goes_at_once_at_night(
    night, debtor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(
            debtor=debtor, notice="proposal_rejected", context={"proposal": None}, on_portal=True
        )

    assert Message.objects.get().status == "sent" and len(mail.outbox) == 1


@pytest.mark.usefixtures("ana_consents")  # reminders are capped outreach: consent counts
def test_a_reminder_outside_the_window_is_deferred(
    night, debtor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = remind(debtor, country="CO")

    message.refresh_from_db()
    assert (message.status, message.decision["reason"]) == ("deferred", "outside_window")


def test_a_reminder_keeps_the_do_not_contact_rules(
    tuesday, debtor, django_capture_on_commit_callbacks
):
    debtor.legal_hold = True
    debtor.save()

    with django_capture_on_commit_callbacks(execute=True):
        message = remind(debtor)

    message.refresh_from_db()
    assert (message.status, message.block_reason) == ("blocked", "legal_hold")


# -- the key -------------------------------------------------------------------------------


def test_the_key_names_what_the_notice_is_about_and_sends_it_once(
    tuesday, debtor, portfolio, django_capture_on_commit_callbacks
):
    agreement = agreement_for(debtor, portfolio)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notice_send(
                debtor=debtor,
                notice="agreement_created",
                context={"agreement": agreement, "installments": []},
                about=["agreement"],
            )

    message = Message.objects.get()
    assert message.key == f"notice:agreement_created:{debtor.pk}:agreement={agreement.pk}"
    assert len(mail.outbox) == 1 and "AC-7" in mail.outbox[0].subject


def test_without_a_key_the_same_text_is_the_same_notice(tuesday, debtor):
    statuses = [
        notice_send(
            debtor=debtor, notice="proposal_rejected", context={"proposal": None}, when="now"
        )
        for _ in range(2)
    ]

    assert statuses == ["sent", "sent"]
    assert Message.objects.get().key.startswith(f"notice:proposal_rejected:{debtor.pk}:")
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("ana_consents")  # reminders are capped outreach: consent counts
def test_a_reminder_key_is_queued_once(tuesday, debtor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        remind(debtor)
        remind(debtor)

    assert Message.objects.get().status == "sent"


class RefusesOnce(LocmemBackend):
    """An SMTP server that refuses the first message it is given."""

    refused = 0

    def send_messages(self, messages):
        if not RefusesOnce.refused:
            RefusesOnce.refused += 1
            raise ConnectionRefusedError("smtp down")
        return super().send_messages(messages)


def test_a_refused_notice_raises_for_the_tasks_retry_which_sends_it_once(tuesday, debtor, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusesOnce"
    RefusesOnce.refused = 0

    def send() -> str | None:
        return notice_send(
            debtor=debtor, notice="proposal_rejected", context={"proposal": None}, when="now"
        )

    with pytest.raises(NoticeFailed, match="smtp down"):
        send()
    assert Message.objects.get().status == "failed" and mail.outbox == []

    assert send() == "sent"
    assert send() == "sent"
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="message.sent").count() == 1
