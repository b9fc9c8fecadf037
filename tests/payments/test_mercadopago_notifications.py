"""Mercado Pago notifications through the real webhook, the real SDK and the fake server:
signatures, hostile bodies, duplicates, order, reconciliation, refunds, and posting that is
the same as Stripe's for the same amount."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agreements.models import InstallmentStatus
from payments.models import (
    AttemptStatus,
    EventStatus,
    MercadoPagoNotification,
    Payment,
    PaymentAttempt,
    RefundStatus,
)
from payments.services.mercadopago_notifications import mercadopago_notifications_sweep
from payments.services.mercadopago_reconcile import mercadopago_reconcile
from payments.services.mercadopago_start import (
    cash_voucher_start,
    cash_vouchers_expire,
    pse_payment_start,
)
from payments.services.paying import attempt_start
from payments.services.refunds import RefundError, refund_request
from portal.audit.models import AuditEvent
from tests.factories import intent_payload
from tests.helpers.payments import started
from tests.localstripe import make_event
from tests.mercadopago import WEBHOOK_SECRET, signed_notification_headers

URL = reverse("payments_webhooks:mercadopago")
_ids = itertools.count(9_000_001)


def notification(data_id: str, *, action: str = "payment.updated", **extra) -> dict:
    return {
        "id": next(_ids),
        "live_mode": False,
        "type": "payment",
        "action": action,
        "api_version": "v1",
        "date_created": timezone.now().isoformat(),
        "user_id": "1234",
        "data": {"id": data_id},
        **extra,
    }


@pytest.fixture
def notify(client, fake_mercadopago, django_capture_on_commit_callbacks):
    """Post a signed notification and run what it queues (the task reads the payment)."""

    def send(body: dict, *, data_id: str | None = None, headers: dict | None = None):
        data_id = str(body["data"]["id"]) if data_id is None else data_id
        signed = headers or signed_notification_headers(WEBHOOK_SECRET, data_id)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"{URL}?data.id={data_id}&type=payment",
                data=json.dumps(body),
                content_type="application/json",
                headers=signed,
            )

    return send


def pse_attempt(agreement, fake) -> PaymentAttempt:
    """Ana's down payment by PSE, sent to the fake bank (no notification delivered)."""
    fake.mute()
    down = agreement.installments.get(number=0)
    attempt = attempt_start(
        debtor=agreement.debtor,
        key=f"installment-{down.pk}",
        provider="mercadopago",
        method="pse",
    )
    pse_payment_start(
        attempt=attempt,
        bank_id="1007",
        person_type="individual",
        email="ana@example.com",
        ip_address="190.24.1.10",
        callback_url="http://testserver/pagos/",
    )
    attempt.refresh_from_db()
    return attempt


def test_an_approved_pse_payment_posts_once_and_pays_the_installment(
    agreement, fake_mercadopago, notify
):
    attempt = pse_attempt(agreement, fake_mercadopago)
    assert attempt.status == AttemptStatus.PROCESSING and attempt.provider_payment_id
    fake_mercadopago.set_status(attempt.provider_payment_id, "approved", "accredited", notify=False)

    response = notify(notification(attempt.provider_payment_id))

    assert response.status_code == 200 and response.content == b"ok"
    payment = Payment.objects.get()
    assert (payment.provider, payment.method) == ("mercadopago", "pse")
    assert payment.provider_payment_id == attempt.provider_payment_id
    assert payment.stripe_payment_intent_id is None
    down = agreement.installments.get(number=0)
    assert down.status == InstallmentStatus.PAID
    assert payment.amount_minor == down.amount_minor
    assert MercadoPagoNotification.objects.get().status == EventStatus.PROCESSED


def test_a_redelivered_notification_is_stored_once_and_a_second_one_posts_nothing(
    agreement, fake_mercadopago, notify
):
    attempt = pse_attempt(agreement, fake_mercadopago)
    fake_mercadopago.set_status(attempt.provider_payment_id, "approved", "accredited", notify=False)
    body = notification(attempt.provider_payment_id)

    assert notify(body).content == b"ok"
    assert notify(body).content == b"duplicate"
    assert notify(notification(attempt.provider_payment_id)).content == b"ok"

    assert Payment.objects.count() == 1
    assert MercadoPagoNotification.objects.count() == 2
    assert AuditEvent.objects.filter(action="payment.posted").count() == 1


def test_order_does_not_matter_a_late_pending_changes_nothing(agreement, fake_mercadopago, notify):
    attempt = pse_attempt(agreement, fake_mercadopago)
    pid = attempt.provider_payment_id
    created = notification(pid, action="payment.created")  # sent while pending, arrives last
    fake_mercadopago.set_status(pid, "approved", "accredited", notify=False)

    notify(notification(pid))
    notify(created)

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert Payment.objects.count() == 1


def test_a_notification_while_pending_waits_then_the_approval_posts(
    agreement, fake_mercadopago, notify
):
    attempt = pse_attempt(agreement, fake_mercadopago)
    pid = attempt.provider_payment_id

    notify(notification(pid, action="payment.created"))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.PROCESSING and not Payment.objects.exists()

    fake_mercadopago.set_status(pid, "approved", "accredited", notify=False)
    notify(notification(pid))
    assert Payment.objects.count() == 1


def test_a_rejected_transfer_fails_the_attempt_and_tells_the_debtor(
    agreement, fake_mercadopago, notify, mailoutbox
):
    attempt = pse_attempt(agreement, fake_mercadopago)
    fake_mercadopago.set_status(
        attempt.provider_payment_id, "rejected", "cc_rejected_other_reason", notify=False
    )

    notify(notification(attempt.provider_payment_id))

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED
    assert "banco" in attempt.failure_message
    assert not Payment.objects.exists()
    assert AuditEvent.objects.filter(action="payment.failed").count() == 1


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "missing", "stale", "other payment", "request id changed"],
)
def test_a_badly_signed_notification_is_refused_and_nothing_is_stored(
    agreement, fake_mercadopago, notify, case
):
    pid = "1320000001"
    headers = {
        "wrong secret": signed_notification_headers("not-the-secret", pid),
        "missing": {"x-request-id": "abc"},
        "stale": signed_notification_headers(
            WEBHOOK_SECRET, pid, ts=int(timezone.now().timestamp()) - 3600
        ),
        "other payment": signed_notification_headers(WEBHOOK_SECRET, "1320000002"),
        "request id changed": {
            **signed_notification_headers(WEBHOOK_SECRET, pid),
            "x-request-id": "another-request",
        },
    }[case]

    response = notify(notification(pid), headers=headers)

    assert response.status_code == 400
    assert not MercadoPagoNotification.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        [],
        "a string",
        {"type": "payment", "data": {"id": "1320000001"}},  # no id
        {"id": 1, "type": "payment", "data": {}},
        {"id": 1, "type": "payment", "data": {"id": "1320000002"}},  # not the signed id
        {"id": 1, "type": "payment", "data": {"id": "1320000001"}, "action": ["x"]},
        {"id": "x" * 65, "type": "payment", "data": {"id": "1320000001"}},
    ],
)
def test_a_signed_but_malformed_body_gets_a_400(db, fake_mercadopago, notify, body):
    response = notify(body, data_id="1320000001")
    assert response.status_code == 400
    assert not MercadoPagoNotification.objects.exists()


def test_not_json_and_an_over_long_request_id_get_a_400(db, client, fake_mercadopago):
    pid = "1320000001"
    response = client.post(
        f"{URL}?data.id={pid}",
        data="{not json",
        content_type="application/json",
        headers=signed_notification_headers(WEBHOOK_SECRET, pid),
    )
    assert response.status_code == 400
    long_id = "r" * 65
    response = client.post(
        f"{URL}?data.id={pid}",
        data=json.dumps(notification(pid)),
        content_type="application/json",
        headers=signed_notification_headers(WEBHOOK_SECRET, pid, request_id=long_id),
    )
    assert response.status_code == 400
    assert not MercadoPagoNotification.objects.exists()


def test_without_a_webhook_secret_the_endpoint_says_it_is_not_configured(db, client, settings):
    settings.MERCADOPAGO_WEBHOOK_SECRET = ""
    assert client.post(URL, data="{}", content_type="application/json").status_code == 503


def test_reconciliation_posts_a_payment_whose_notification_never_came(agreement, fake_mercadopago):
    attempt = pse_attempt(agreement, fake_mercadopago)
    fake_mercadopago.set_status(attempt.provider_payment_id, "approved", "accredited", notify=False)

    first = mercadopago_reconcile(since=timezone.now() - dt.timedelta(hours=1))
    again = mercadopago_reconcile(since=timezone.now() - dt.timedelta(hours=1))

    assert first["posted"] == 1 and "posted" not in again
    assert Payment.objects.get().provider_payment_id == attempt.provider_payment_id
    assert AuditEvent.objects.filter(action="payment.reconciled").count() == 1


def test_a_voucher_past_its_deadline_expires_and_a_late_payment_still_posts(
    agreement, fake_mercadopago, time_machine
):
    fake_mercadopago.mute()
    down = agreement.installments.get(number=0)
    attempt = attempt_start(
        debtor=agreement.debtor, key=f"installment-{down.pk}", provider="mercadopago", method="cash"
    )
    attempt = cash_voucher_start(attempt=attempt, email="ana@example.com")
    assert attempt.status == AttemptStatus.PROCESSING and attempt.expires_at

    time_machine.move_to(attempt.expires_at + dt.timedelta(hours=2))
    assert cash_vouchers_expire() == 1
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.EXPIRED

    fake_mercadopago.set_status(attempt.provider_payment_id, "approved", "accredited", notify=False)
    mercadopago_reconcile(since=timezone.now() - dt.timedelta(days=5))
    assert Payment.objects.filter(attempt=attempt).exists()


def _outcome(pay) -> dict:
    """What a payment did, without the ids a rolled-back run does not reuse."""
    with transaction.atomic():
        since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        payment = pay()
        result = {
            "allocations": [
                (
                    a.installment.number,
                    a.amount_minor,
                    a.ledger_entry.kind,
                    a.ledger_entry.amount_minor,
                )
                for a in payment.allocations.select_related("installment", "ledger_entry")
            ],
            "installments": list(
                payment.agreement.installments.order_by("number").values_list(
                    "status", "paid_minor"
                )
            ),
            "audit": sorted(
                AuditEvent.objects.filter(id__gt=since)
                .exclude(action__in=("payment.provider_confirmed", "payment.pse_started"))
                .values_list("action", flat=True)
            ),
            "posted": {
                key: value
                for key, value in AuditEvent.objects.get(
                    id__gt=since, action="payment.posted"
                ).details.items()
                if key in ("amount_minor", "currency", "purpose", "agreement_completed")
            },
        }
        transaction.set_rollback(True)
    return result


def test_a_mercado_pago_payment_posts_like_a_stripe_payment_of_the_same_amount(
    agreement, fake_mercadopago, notify, deliver
):
    down = agreement.installments.get(number=0)

    def by_stripe():
        attempt = started(agreement.debtor, f"installment-{down.pk}")
        deliver(make_event("payment_intent.succeeded", intent_payload(attempt)))
        return Payment.objects.get(attempt=attempt)

    def by_mercadopago():
        attempt = pse_attempt(agreement, fake_mercadopago)
        fake_mercadopago.set_status(
            attempt.provider_payment_id, "approved", "accredited", notify=False
        )
        notify(notification(attempt.provider_payment_id))
        return Payment.objects.get(attempt=attempt)

    stripe_outcome = _outcome(by_stripe)
    assert stripe_outcome["allocations"]
    assert _outcome(by_mercadopago) == stripe_outcome


def test_a_refund_staff_ask_for_goes_through_mercado_pago(
    agreement, fake_mercadopago, notify, supervisor, django_capture_on_commit_callbacks
):
    attempt = pse_attempt(agreement, fake_mercadopago)
    fake_mercadopago.set_status(attempt.provider_payment_id, "approved", "accredited", notify=False)
    notify(notification(attempt.provider_payment_id))
    payment = Payment.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(
            payment_id=payment.pk, amount_minor=10_000_00, reason="error", actor=supervisor
        )

    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_refund_id
    assert payment.refunded_minor == 10_000_00
    # Mercado Pago's own notification of the refund then adds nothing twice.
    notify(notification(attempt.provider_payment_id))
    payment.refresh_from_db()
    assert payment.refunded_minor == 10_000_00


def test_cash_payments_are_not_refunded_through_the_provider(
    agreement, fake_mercadopago, supervisor
):
    fake_mercadopago.mute()
    down = agreement.installments.get(number=0)
    attempt = attempt_start(
        debtor=agreement.debtor, key=f"installment-{down.pk}", provider="mercadopago", method="cash"
    )
    attempt = cash_voucher_start(attempt=attempt, email="ana@example.com")
    fake_mercadopago.set_status(attempt.provider_payment_id, "approved", "accredited", notify=False)
    mercadopago_reconcile(since=timezone.now() - dt.timedelta(hours=1))
    payment = Payment.objects.get()

    with pytest.raises(RefundError, match="efectivo|Cash"):
        refund_request(payment_id=payment.pk, amount_minor=1_00, reason="x", actor=supervisor)


def test_while_mercado_pago_is_down_the_notification_waits_and_the_sweep_gets_it(
    agreement, fake_mercadopago, notify, settings
):
    attempt = pse_attempt(agreement, fake_mercadopago)
    fake_mercadopago.set_status(attempt.provider_payment_id, "approved", "accredited", notify=False)
    settings.MERCADOPAGO_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    assert notify(notification(attempt.provider_payment_id)).status_code == 200

    waiting = MercadoPagoNotification.objects.get()
    assert waiting.status == EventStatus.RECEIVED and waiting.error.startswith("waiting")
    assert not Payment.objects.exists()

    settings.MERCADOPAGO_API_BASE = fake_mercadopago.base
    assert mercadopago_notifications_sweep(older_than=dt.timedelta(0)) == 1
    waiting.refresh_from_db()
    assert waiting.status == EventStatus.PROCESSED
    assert Payment.objects.count() == 1
