"""Refunds from admin through localstripe: the admin request only records the refund
(amount checked on the server, audited with the staff user); the `execute_refund` task
calls Stripe, retries with the same key while the answer is unknown, and writes the result
back once; a double click is one refund; installments and a completed agreement reopen;
permission enforced."""

from __future__ import annotations

import pytest
import requests
import stripe
from celery.exceptions import Retry
from django.contrib.auth.models import Permission
from django.urls import reverse

from agreements.models import AgreementStatus, InstallmentStatus
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.services import payment_post_intent
from payments.tasks import execute_refund
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus, LedgerEntry
from portal.money import format_minor
from tests.factories import StaffFactory
from tests.helpers.cast import DEBT_BALANCE
from tests.helpers.payments import accept_offer
from tests.localstripe import SECRET_KEY, make_event

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


def form_token(client, payment: Payment) -> str:
    page = client.get(refund_url(payment))
    assert page.status_code == 200
    return page.context["form"]["token"].value()


@pytest.fixture
def ask_refund(treasurer, django_capture_on_commit_callbacks):
    """Open the refund page, post it, and run what it queued after commit (the task)."""

    def ask(payment: Payment, amount: str, reason: str = "x", *, token=None, run=True):
        token = token or form_token(treasurer, payment)
        data = {"amount": amount, "reason": reason, "token": token}
        with django_capture_on_commit_callbacks(execute=run):
            return treasurer.post(refund_url(payment), data)

    return ask


def localstripe_refunds(base: str, intent_id: str) -> list[dict]:
    response = requests.get(
        f"{base}/v1/refunds", params={"payment_intent": intent_id}, auth=(SECRET_KEY, ""), timeout=5
    )
    return response.json()["data"]


def test_a_partial_refund_goes_through_stripe_and_reopens_the_installment(
    ask_refund, stripe_settings, agreement
):
    down = agreement.installments.order_by("number").first()
    payment = paid(agreement.debtor, f"installment-{down.pk}")
    debt = payment.allocations.get().debt
    debt.refresh_from_db()
    paid_balance = debt.balance_minor

    response = ask_refund(payment, "10000", "duplicate")

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.status, refund.amount_minor) == (RefundStatus.SUCCEEDED, 10_000_00)
    assert refund.attempts == 1
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
    assert AuditEvent.objects.get(action="payment.refund_succeeded").actor_id is not None


def test_the_payment_page_shows_amounts_with_their_currency_never_minor_units(
    ask_refund, stripe_settings, agreement, treasurer
):
    down = agreement.installments.order_by("number").first()
    payment = paid(agreement.debtor, f"installment-{down.pk}")
    assert ask_refund(payment, "10.000", "duplicate").status_code == 302
    payment.refresh_from_db()

    page = treasurer.get(reverse("admin:payments_payment_change", args=[payment.pk]))

    html = page.content.decode()
    assert format_minor(payment.amount_minor, payment.currency) in html
    assert "$10.000" in html  # the refund, in its row and as the payment's refunded total
    assert "field-amount_minor" not in html and "field-refunded_minor" not in html
    assert str(payment.amount_minor) not in html


def test_stripes_charge_refunded_after_an_admin_refund_reverses_nothing_more(
    ask_refund, stripe_settings, debt, deliver
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    ask_refund(payment, "20000", "goodwill")
    charge = {
        "id": payment.stripe_charge_id or "ch_x",
        "object": "charge",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": 50_000_00,
        "amount_refunded": 20_000_00,
    }

    refund = Refund.objects.get()
    stripe_refund = {
        "id": refund.stripe_refund_id,
        "object": "refund",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": 20_000_00,
        "status": "succeeded",
        "metadata": {"refund_id": str(refund.pk)},
    }

    deliver(make_event("charge.refunded", charge))
    deliver(make_event("refund.updated", stripe_refund))

    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    payment.refresh_from_db()
    assert payment.refunded_minor == 20_000_00


@pytest.mark.parametrize("amount", ["50000.01", "0", "-5", "abc"])
def test_an_amount_above_the_remainder_or_not_positive_is_refused(
    ask_refund, stripe_settings, debt, amount
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)

    response = ask_refund(payment, amount)

    assert response.status_code == 400
    assert not localstripe_refunds(stripe_settings, payment.stripe_payment_intent_id)
    payment.refresh_from_db()
    assert payment.refunded_minor == 0 and not Refund.objects.exists()


def test_a_second_refund_may_only_take_what_is_left(ask_refund, stripe_settings, debt):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    ask_refund(payment, "30000", "a")

    too_much = ask_refund(payment, "20000.01", "b")
    rest = ask_refund(payment, "20000", "b")

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
    ask_refund, stripe_settings, debtor, debt, policy, offer
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

    response = ask_refund(payment, str(payment.amount_minor // 100), "error")

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


def test_the_admin_request_only_records_the_refund_stripe_is_asked_by_the_task(
    ask_refund, treasurer, stripe_settings, debt
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)

    response = ask_refund(payment, "20000", run=False)

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.status, refund.attempts) == (RefundStatus.REQUESTED, 0)
    assert not localstripe_refunds(stripe_settings, payment.stripe_payment_intent_id)
    requested = AuditEvent.objects.get(action="payment.refund_requested")
    assert requested.actor_id == str(refund.requested_by_id) == treasurer.session["_auth_user_id"]
    change = treasurer.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert "solicitado (se le pidió al proveedor en segundo plano)" in change.content.decode()
    page = treasurer.get(refund_url(payment))
    assert page.context["refundable"] == format_minor(30_000_00, "COP")  # the rest is reserved

    assert execute_refund.delay(refund.pk).get() == RefundStatus.SUCCEEDED

    assert len(localstripe_refunds(stripe_settings, payment.stripe_payment_intent_id)) == 1


def test_a_double_click_on_refund_makes_one_refund(ask_refund, treasurer, stripe_settings, debt):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    token = form_token(treasurer, payment)

    first = ask_refund(payment, "20000", token=token)
    second = ask_refund(payment, "20000", token=token)

    assert first.status_code == second.status_code == 302
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.SUCCEEDED
    assert len(localstripe_refunds(stripe_settings, payment.stripe_payment_intent_id)) == 1
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert AuditEvent.objects.filter(action="payment.refund_requested").count() == 1
    payment.refresh_from_db()
    assert payment.refunded_minor == 20_000_00


def test_stripe_unavailable_is_retried_with_the_same_key(ask_refund, stripe_proxy, debt):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    stripe_proxy.fail("POST", "/v1/refunds", after=False)
    ask_refund(payment, "20000", run=False)
    refund = Refund.objects.get()

    with pytest.raises(Retry) as retry:
        execute_refund.delay(refund.pk)
    refund.refresh_from_db()
    assert retry.value.when == 10
    assert (refund.status, refund.attempts) == (RefundStatus.REQUESTED, 1)
    assert "Service unavailable" in refund.error
    # The worker runs the task again after the countdown (eager Celery raises instead).
    assert execute_refund.apply(args=[refund.pk], retries=1).get() == RefundStatus.SUCCEEDED

    refund.refresh_from_db()
    assert (refund.status, refund.attempts, refund.error) == (RefundStatus.SUCCEEDED, 2, "")
    keys = [
        key for method, path, key in stripe_proxy.calls if (method, path) == ("POST", "/v1/refunds")
    ]
    assert keys == [refund.idempotency_key] * 2
    [made] = localstripe_refunds(stripe_proxy.target, payment.stripe_payment_intent_id)
    assert made["id"] == refund.stripe_refund_id
    payment.refresh_from_db()
    assert payment.refunded_minor == 20_000_00
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


def test_a_refund_whose_answer_was_lost_is_found_again_not_made_twice(
    ask_refund, stripe_proxy, debt
):
    """localstripe ignores idempotency keys (Stripe would replay the first answer): the
    retry finds the refund Stripe already made by our id in its metadata."""
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    stripe_proxy.fail("POST", "/v1/refunds", after=True)
    ask_refund(payment, "20000", run=False)
    refund = Refund.objects.get()

    with pytest.raises(Retry):
        execute_refund.delay(refund.pk)
    execute_refund.apply(args=[refund.pk], retries=1)

    refund.refresh_from_db()
    [made] = localstripe_refunds(stripe_proxy.target, payment.stripe_payment_intent_id)
    assert (refund.status, refund.attempts) == (RefundStatus.SUCCEEDED, 2)
    assert made["id"] == refund.stripe_refund_id
    assert made["metadata"] == {"refund_id": str(refund.pk), "payment": payment.number}
    refund_calls = [method for method, path, _key in stripe_proxy.calls if path == "/v1/refunds"]
    assert refund_calls == ["POST", "GET"]  # the retry looked it up instead of refunding again
    payment.refresh_from_db()
    assert payment.refunded_minor == 20_000_00
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


def test_a_refund_webhook_before_the_task_writes_back_once(
    ask_refund, stripe_settings, debt, deliver
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    ask_refund(payment, "20000", run=False)
    refund = Refund.objects.get()
    stripe_refund = {
        "id": "re_from_webhook",
        "object": "refund",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": 20_000_00,
        "status": "succeeded",
        "metadata": {"refund_id": str(refund.pk)},
    }

    deliver(make_event("refund.updated", stripe_refund))
    deliver(make_event("refund.updated", stripe_refund))
    execute_refund.delay(refund.pk)

    refund.refresh_from_db()
    assert (refund.status, refund.stripe_refund_id) == (RefundStatus.SUCCEEDED, "re_from_webhook")
    assert refund.attempts == 0  # the task found it settled and did not call Stripe
    payment.refresh_from_db()
    assert payment.refunded_minor == 20_000_00
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


def test_a_refund_stripe_refuses_is_failed_and_frees_the_amount(
    ask_refund, treasurer, stripe_proxy, debt
):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    # localstripe refunds anything; Stripe's answer when the charge was meanwhile fully
    # refunded in its dashboard is recorded here.
    refused = {
        "error": {
            "type": "invalid_request_error",
            "code": "charge_already_refunded",
            "message": "Charge ch_x has already been refunded.",
        }
    }
    stripe_proxy.answer_once("POST", "/v1/refunds", 400, refused)

    ask_refund(payment, "20000")

    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED and "already been refunded" in refund.error
    assert refund.attempts == 1
    failed = AuditEvent.objects.get(action="payment.refund_failed")
    assert failed.actor_id == str(refund.requested_by_id)
    assert not localstripe_refunds(stripe_proxy.target, payment.stripe_payment_intent_id)
    page = treasurer.get(refund_url(payment))
    assert page.context["refundable"] == format_minor(50_000_00, "COP")
