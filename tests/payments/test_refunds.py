"""Refunds from admin through localstripe: amount checked on the server, written back as
refund entries, installments and a completed agreement reopened, permission enforced."""

from __future__ import annotations

import pytest
import requests
import stripe
from django.contrib.auth.models import Permission

from agreements.models import AgreementStatus, InstallmentStatus
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.services import payment_post_intent
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus, LedgerEntry
from tests.factories import StaffFactory
from tests.localstripe import SECRET_KEY, make_event

from .conftest import DEBT_BALANCE, accept_offer
from .test_reconcile import paid_without_webhook


def paid(debtor, key: str, amount=None) -> Payment:
    """Pay through localstripe and post the succeeded intent as the webhook would."""
    attempt = paid_without_webhook(debtor, key, amount)
    intent = stripe.PaymentIntent.retrieve(attempt.stripe_payment_intent_id, api_key=SECRET_KEY)
    return payment_post_intent(intent=intent.to_dict())


def refund_url(payment: Payment) -> str:
    return f"/admin/payments/payment/{payment.pk}/refund/"


def staff_with(*codenames: str):
    user = StaffFactory(username="tesorera")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def treasurer(client, db):
    client.force_login(staff_with("view_payment", "refund_payment"))
    return client


def localstripe_refunds(base: str, intent_id: str) -> list[dict]:
    response = requests.get(
        f"{base}/v1/refunds", params={"payment_intent": intent_id}, auth=(SECRET_KEY, ""), timeout=5
    )
    return response.json()["data"]


def test_a_partial_refund_goes_through_stripe_and_reopens_the_installment(
    treasurer, stripe_settings, agreement
):
    down = agreement.installments.order_by("number").first()
    payment = paid(agreement.debtor, f"installment-{down.pk}")
    debt = payment.allocations.get().debt
    debt.refresh_from_db()
    paid_balance = debt.balance_minor

    page = treasurer.get(refund_url(payment))
    response = treasurer.post(refund_url(payment), {"amount": "10000", "reason": "duplicate"})

    assert page.status_code == 200 and response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.status, refund.amount_minor) == (RefundStatus.SUCCEEDED, 10_000_00)
    assert refund.idempotency_key == f"refund-payment-{payment.pk}-1"
    [stripe_refund] = localstripe_refunds(stripe_settings, payment.stripe_payment_intent_id)
    assert stripe_refund["id"] == refund.stripe_refund_id and stripe_refund["amount"] == 10_000_00
    payment.refresh_from_db()
    assert payment.refunded_minor == 10_000_00
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    debt.refresh_from_db()
    assert debt.balance_minor == paid_balance + 10_000_00
    assert LedgerEntry.objects.get(kind="refund").amount_minor == 10_000_00
    down.refresh_from_db()
    assert down.paid_minor == down.amount_minor - 10_000_00
    assert down.status in (InstallmentStatus.PENDING, InstallmentStatus.LATE)
    assert AuditEvent.objects.filter(action="payment.refund_requested").count() == 1
    assert AuditEvent.objects.get(action="payment.refunded").details["source"] == "admin"


def test_stripes_charge_refunded_after_an_admin_refund_reverses_nothing_more(
    treasurer, stripe_settings, debt, deliver
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    treasurer.post(refund_url(payment), {"amount": "20000", "reason": "goodwill"})
    charge = {
        "id": payment.stripe_charge_id or "ch_x",
        "object": "charge",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": 50_000_00,
        "amount_refunded": 20_000_00,
    }

    deliver(make_event("charge.refunded", charge))

    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    payment.refresh_from_db()
    assert payment.refunded_minor == 20_000_00


@pytest.mark.parametrize("amount", ["50000.01", "0", "-5", "abc"])
def test_an_amount_above_the_remainder_or_not_positive_is_refused(
    treasurer, stripe_settings, debt, amount
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)

    response = treasurer.post(refund_url(payment), {"amount": amount, "reason": "x"})

    assert response.status_code == 400
    assert not localstripe_refunds(stripe_settings, payment.stripe_payment_intent_id)
    payment.refresh_from_db()
    assert payment.refunded_minor == 0 and not Refund.objects.exists()


def test_a_second_refund_may_only_take_what_is_left(treasurer, stripe_settings, debt):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    treasurer.post(refund_url(payment), {"amount": "30000", "reason": "a"})

    too_much = treasurer.post(refund_url(payment), {"amount": "20000.01", "reason": "b"})
    rest = treasurer.post(refund_url(payment), {"amount": "20000", "reason": "b"})

    assert too_much.status_code == 400 and rest.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    refunds = localstripe_refunds(stripe_settings, payment.stripe_payment_intent_id)
    assert sorted(r["amount"] for r in refunds) == [20_000_00, 30_000_00]


def test_staff_without_the_refund_permission_get_403(client, stripe_settings, debt):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    client.force_login(staff_with("view_payment"))

    page = client.get(refund_url(payment))
    post = client.post(refund_url(payment), {"amount": "100", "reason": "x"})
    change = client.get(f"/admin/payments/payment/{payment.pk}/change/")

    assert page.status_code == 403 and post.status_code == 403
    assert change.status_code == 200 and b"refund-link" not in change.content
    assert not Refund.objects.exists()


@pytest.mark.parametrize("offer", ["plan-monthly-3", "lump_sum"])
def test_refunding_the_payment_that_completed_an_agreement_reopens_it(
    treasurer, stripe_settings, debtor, debt, policy, offer
):
    agreement = accept_offer(debtor, offer)
    key = f"agreement-{agreement.pk}" if offer != "lump_sum" else None
    if key is None:
        key = f"installment-{agreement.installments.get().pk}"
    payment = paid(debtor, key)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.COMPLETED
    debt.refresh_from_db()
    assert debt.status == (DebtStatus.SETTLED if agreement.discount_minor else DebtStatus.PAID)

    response = treasurer.post(
        refund_url(payment), {"amount": str(payment.amount_minor // 100), "reason": "error"}
    )

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE and agreement.completed_at is None
    assert agreement.lines.filter(is_active=True).count() == agreement.lines.count()
    installments = list(agreement.installments.all())
    assert all(i.paid_minor == 0 for i in installments)
    open_statuses = (InstallmentStatus.PENDING, InstallmentStatus.LATE)
    assert all(i.status in open_statuses for i in installments)
    debt.refresh_from_db()
    assert debt.status == DebtStatus.IN_AGREEMENT
    assert debt.balance_minor == DEBT_BALANCE  # the payment back, any discount write-off too
    assert AuditEvent.objects.filter(action="agreement.reopened").count() == 1
