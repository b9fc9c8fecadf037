"""Reconciliation of refunds and disputes missed while webhooks were down.

Refunds go through the real client against localstripe (it lists refunds but has no
`created` filter, so the list is filtered on our side as with intents). localstripe has no
disputes at all: those tests serve a recorded Stripe dispute list through `StripeProxy`,
still read by the real `stripe` client; without the proxy the run says the disputes were
not checked instead of failing.
"""

from __future__ import annotations

import datetime as dt
import time

import stripe
from django.utils import timezone

from payments.models import PaymentStatus, Refund, RefundStatus
from payments.services.refunds import refund_request
from payments.tasks import reconcile_recent_payments
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus, LedgerEntry
from tests.factories import StaffFactory
from tests.localstripe import SECRET_KEY

from .test_reconcile import reconcile
from .test_refunds import localstripe_refunds, paid


def test_a_dashboard_refund_missed_by_the_webhook_is_written_back_once(stripe_settings, debt):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    stripe.Refund.create(
        payment_intent=payment.stripe_payment_intent_id, amount=15_000_00, api_key=SECRET_KEY
    )

    first = reconcile()

    assert f"refunded {payment.number} 1500000 COP (total 1500000)" in first
    assert "refunds=1 refunds_fixed=1 disputes=unchecked" in first
    payment.refresh_from_db()
    assert (payment.refunded_minor, payment.status) == (
        15_000_00,
        PaymentStatus.PARTIALLY_REFUNDED,
    )
    assert LedgerEntry.objects.filter(kind="refund").count() == 1

    second = reconcile()
    beat = reconcile_recent_payments()

    assert "refunds=1 refunds_fixed=0" in second and "refunds=1 refunds_fixed=0" in beat
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert AuditEvent.objects.get(action="payment.refunded").details["source"] == "reconcile"


def test_our_refund_made_in_stripe_but_never_written_back_is_settled_once(
    stripe_settings, debt, django_capture_on_commit_callbacks
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    with django_capture_on_commit_callbacks(execute=False):  # the task never ran to the end
        refund = refund_request(
            payment_id=payment.pk, amount_minor=20_000_00, reason="x", actor=StaffFactory()
        )
    made = stripe.Refund.create(
        payment_intent=payment.stripe_payment_intent_id,
        amount=20_000_00,
        metadata={"refund_id": str(refund.pk)},
        api_key=SECRET_KEY,
    )

    first = reconcile()
    second = reconcile()

    assert f"refund settled {made.id} refund={refund.pk}" in first
    assert "refunds_fixed=0" in second
    refund.refresh_from_db()
    assert (refund.status, refund.stripe_refund_id) == (RefundStatus.SUCCEEDED, made.id)
    payment.refresh_from_db()
    assert payment.refunded_minor == 20_000_00
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


def test_a_request_the_task_gave_up_on_is_asked_again_with_its_key(
    stripe_settings, debt, django_capture_on_commit_callbacks
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    with django_capture_on_commit_callbacks(execute=False):
        refund = refund_request(
            payment_id=payment.pk, amount_minor=20_000_00, reason="x", actor=StaffFactory()
        )
    Refund.objects.filter(pk=refund.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=2), attempts=9, error="try 9: timeout"
    )

    first = reconcile()
    second = reconcile()

    assert f"refund succeeded refund={refund.pk} (asked again)" in first
    assert "refunds_fixed=0" in second
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (RefundStatus.SUCCEEDED, 10)
    assert len(localstripe_refunds(stripe_settings, payment.stripe_payment_intent_id)) == 1
    payment.refresh_from_db()
    assert payment.refunded_minor == 20_000_00
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


def recorded_disputes(*disputes: dict) -> dict:
    return {"object": "list", "url": "/v1/disputes", "has_more": False, "data": list(disputes)}


def recorded_dispute(payment, status: str, amount: int) -> dict:
    """A Stripe Dispute object as the API returns it (the fields we read and a few more)."""
    return {
        "id": "dp_1QxRecorded000001",
        "object": "dispute",
        "amount": amount,
        "currency": "cop",
        "charge": payment.stripe_charge_id,
        "payment_intent": payment.stripe_payment_intent_id,
        "reason": "fraudulent",
        "status": status,
        "created": int(time.time()),
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
    }


def test_a_dispute_opened_while_webhooks_were_down_flags_the_debt_once(stripe_proxy, debt):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    before = debt.status
    stripe_proxy.recorded["/v1/disputes"] = recorded_disputes(
        recorded_dispute(payment, "needs_response", 50_000_00)
    )

    first = reconcile()
    second = reconcile()

    assert "disputes=1 disputes_fixed=1" in first
    assert "disputes=1 disputes_fixed=0" in second
    debt.refresh_from_db()
    assert debt.status == DebtStatus.DISPUTED
    assert payment.disputes.get().previous_status == before
    assert AuditEvent.objects.filter(action="debt.disputed").count() == 1


def test_a_dispute_lost_while_webhooks_were_down_is_opened_closed_and_charged_once(
    stripe_proxy, debt
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    before = debt.status
    stripe_proxy.recorded["/v1/disputes"] = recorded_disputes(
        recorded_dispute(payment, "lost", 50_000_00)
    )

    first = reconcile()
    second = reconcile()

    assert "dispute dp_1QxRecorded000001 lost" in first
    assert "disputes_fixed=0" in second
    debt.refresh_from_db()
    assert debt.status == before
    row = payment.disputes.get()
    assert row.outcome == "lost" and row.closed_at is not None
    payment.refresh_from_db()
    assert payment.refunded_minor == 50_000_00
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
