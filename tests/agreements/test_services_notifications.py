"""Debtor notices leave only after commit, and a debtor without email is skipped, audited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from portal.access.services import debtor_signed_in
from portal.audit.models import AuditEvent
from portal.outreach.models import Message
from portal.outreach.notices import notice_send


def test_nothing_is_sent_when_the_transaction_rolls_back(
    debtor, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notice_send(
            debtor=debtor,
            notice="proposal_rejected",
            context={"proposal": None},
            about=["proposal"],
        )
        raise RuntimeError("decision failed")

    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="message.sent").exists()


def test_a_debtor_without_email_is_skipped_and_audited(debtor, django_capture_on_commit_callbacks):
    type(debtor).objects.filter(pk=debtor.pk).update(emails=[])
    debtor.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(
            debtor=debtor,
            notice="proposal_rejected",
            context={"proposal": None},
            about=["proposal"],
        )

    assert mail.outbox == []
    event = AuditEvent.objects.get(action="message.skipped")
    assert event.details["reason"] == "no_email"


def test_unknown_notices_are_a_programming_error(debtor):
    with pytest.raises(ValueError, match="unknown notice"):
        notice_send(debtor=debtor, notice="hello", context={})


NIGHT = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # Tuesday 22:00 in Bogotá


@pytest.mark.parametrize(("on_portal", "status"), [(True, "sent"), (False, "deferred")])
def test_a_staff_decision_at_night_reaches_a_debtor_on_the_portal_and_otherwise_waits(
    debtor, django_capture_on_commit_callbacks, on_portal, status
):
    with time_machine.travel(NIGHT, tick=False):
        if on_portal:
            debtor_signed_in(debtor_id=debtor.pk)
        with django_capture_on_commit_callbacks(execute=True):
            notice_send(
                debtor=debtor,
                notice="proposal_rejected",
                context={"proposal": None},
                about=["proposal"],
            )

    assert Message.objects.get(notice="proposal_rejected").status == status
    assert len(mail.outbox) == (1 if on_portal else 0)
