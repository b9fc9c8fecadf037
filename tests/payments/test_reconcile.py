"""Reconciliation against localstripe: a payment whose webhook was lost (the endpoint
registered by `stripe_settings` delivers nowhere) is posted by the command, once."""

from __future__ import annotations

from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command

from agreements.models import InstallmentStatus
from payments.models import AttemptStatus, Payment
from payments.services import attempt_confirm_card, attempt_open_intent, attempt_start
from payments.tasks import reconcile_recent_payments
from portal.audit.models import AuditEvent
from tests.localstripe import card_token


def reconcile(*args: str) -> str:
    out = StringIO()
    call_command("reconcile_payments", "--since", "2026-11-01", *args, stdout=out)
    return out.getvalue()


def paid_without_webhook(
    debtor, key: str, amount: int | None = None, card: str = "4242424242424242"
):
    from django.conf import settings

    attempt = attempt_open_intent(
        attempt=attempt_start(debtor=debtor, key=key, amount_minor=amount)
    )
    return attempt_confirm_card(
        attempt=attempt, token_id=card_token(settings.STRIPE_API_BASE, card)
    )


def test_a_dropped_webhook_is_posted_by_the_command_and_only_once(stripe_settings, agreement):
    down = agreement.installments.order_by("number").first()
    attempt = paid_without_webhook(agreement.debtor, f"installment-{down.pk}")
    assert attempt.status == AttemptStatus.PROCESSING and not Payment.objects.exists()

    first = reconcile()

    payment = Payment.objects.get()
    assert payment.amount_minor == down.amount_minor
    assert (
        f"posted {attempt.stripe_payment_intent_id} attempt={attempt.pk} {payment.number}" in first
    )
    assert "checked=1 posted=1 failed=0 canceled=0 unchanged=0 errors=0" in first
    down.refresh_from_db()
    attempt.refresh_from_db()
    assert down.status == InstallmentStatus.PAID and attempt.status == AttemptStatus.SUCCEEDED
    assert AuditEvent.objects.filter(action="payment.reconciled").count() == 1

    second = reconcile()

    assert "checked=1 posted=0 failed=0 canceled=0 unchanged=1 errors=0" in second
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action="payment.reconciled").count() == 1


def test_every_page_is_read(stripe_settings, debt):
    for amount in (30_000_00, 40_000_00, 50_000_00):
        paid_without_webhook(debt.debtor, f"free-{debt.pk}", amount)

    output = reconcile("--page-size", "2")

    assert "checked=3 posted=3" in output
    assert sorted(Payment.objects.values_list("amount_minor", flat=True)) == [
        30_000_00,
        40_000_00,
        50_000_00,
    ]


def test_a_failure_whose_webhook_was_lost_is_marked_failed_and_the_debtor_told(
    stripe_settings, ana, debt, mailoutbox, django_capture_on_commit_callbacks
):
    # Ana is on the portal, so she is told at once at any hour (the window for a debtor
    # who is not: test_notice_window).
    # A 3-D Secure card that is declined after authentication: our attempt was left open
    # (requires_action), and the payment_intent.payment_failed delivery was lost.
    attempt = paid_without_webhook(debt.debtor, f"free-{debt.pk}", 50_000_00, "4000008260003178")
    assert attempt.status == AttemptStatus.OPEN
    requests.post(
        f"{stripe_settings}/v1/payment_intents/{attempt.stripe_payment_intent_id}/_authenticate",
        data={"client_secret": attempt.client_secret, "success": "true", "key": "pk_test_portal"},
        timeout=5,
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = reconcile()
    second = reconcile()

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED
    assert (
        "checked=1 posted=0 failed=1" in first
        and f"failed {attempt.stripe_payment_intent_id}" in first
    )
    assert "checked=1 posted=0 failed=0 canceled=0 unchanged=1" in second
    assert len(mailoutbox) == 1 and not Payment.objects.exists()


def test_an_attempt_stuck_in_processing_before_the_window_is_fixed_too(stripe_settings, debt):
    attempt = paid_without_webhook(debt.debtor, f"free-{debt.pk}", 50_000_00)

    out = StringIO()
    call_command("reconcile_payments", "--since", "2099-01-01", stdout=out)

    assert "checked=1 posted=1" in out.getvalue()
    assert Payment.objects.get().attempt_id == attempt.pk


def test_the_beat_task_reconciles_the_last_days(stripe_settings, debt):
    paid_without_webhook(debt.debtor, f"free-{debt.pk}", 50_000_00)

    assert reconcile_recent_payments().startswith("checked=1 posted=1")
    assert reconcile_recent_payments().startswith("checked=1 posted=0")


def test_without_stripe_keys_the_command_says_so(db, settings):
    settings.STRIPE_SECRET_KEY = ""

    with pytest.raises(CommandError, match="not configured"):
        reconcile()
