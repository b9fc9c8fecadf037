"""No Stripe call goes out while a database transaction is open: the stripe library's own
HTTP client notes `connection.in_atomic_block` for each request (tests/localstripe.py).
These tests commit for real (transaction=True): inside an ordinary test's wrapping
transaction every call would look "inside"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from payments.models import RefundStatus
from payments.services.autopay import autopay_charge_due
from payments.services.refunds import refund_request
from tests.factories import StaffFactory

from .test_autopay import first_due, save_card
from .test_reconcile import reconcile
from .test_refunds import paid

pytestmark = pytest.mark.django_db(transaction=True)


def outside(seen, method: str, path: str) -> bool:
    calls = [inside for m, p, inside in seen if (m, p) == (method, path)]
    return bool(calls) and not any(calls)


def test_a_staff_refund_calls_stripe_after_its_request_committed(stripe_calls, debt):
    payment = paid(debt.debtor, f"free-{debt.pk}", 50_000_00)

    # Eager Celery runs the task queued on commit, as a worker would just after it.
    refund = refund_request(
        payment_id=payment.pk, amount_minor=20_000_00, reason="x", actor=StaffFactory()
    )

    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert outside(stripe_calls, "POST", "/v1/refunds")
    assert not any(inside for *_, inside in stripe_calls)


def test_reconciliation_reads_stripe_outside_transactions(stripe_calls, debt):
    paid(debt.debtor, f"free-{debt.pk}", 50_000_00)
    stripe_calls.clear()

    reconcile()

    assert outside(stripe_calls, "GET", "/v1/payment_intents")
    assert outside(stripe_calls, "GET", "/v1/refunds")
    assert not any(inside for *_, inside in stripe_calls)


def test_an_autopay_charge_calls_stripe_outside_transactions(stripe_calls, ana, agreement):
    save_card(ana, agreement)
    stripe_calls.clear()
    due = first_due(agreement).due_date
    noon = dt.datetime.combine(due, dt.time(12), tzinfo=ZoneInfo("America/Bogota"))

    assert autopay_charge_due(now=noon) == {"paid": 1}
    assert outside(stripe_calls, "POST", "/v1/payment_intents")
    assert not any(inside for *_, inside in stripe_calls)
