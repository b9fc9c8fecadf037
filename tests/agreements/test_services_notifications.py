"""Debtor notices leave only after commit, and a debtor without email is skipped, audited."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from agreements.notifications import notify_debtor
from portal.audit.models import AuditEvent


def test_nothing_is_sent_when_the_transaction_rolls_back(
    debtor, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify_debtor(debtor=debtor, notice="proposal_rejected", context={"proposal": None})
        raise RuntimeError("decision failed")

    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="message.sent").exists()


def test_a_debtor_without_email_is_skipped_and_audited(debtor, django_capture_on_commit_callbacks):
    type(debtor).objects.filter(pk=debtor.pk).update(emails=[])
    debtor.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        notify_debtor(debtor=debtor, notice="proposal_rejected", context={"proposal": None})

    assert mail.outbox == []
    event = AuditEvent.objects.get(action="message.skipped")
    assert event.details["reason"] == "no_email"


def test_unknown_notices_are_a_programming_error(debtor):
    with pytest.raises(ValueError, match="unknown notice"):
        notify_debtor(debtor=debtor, notice="hello", context={})
