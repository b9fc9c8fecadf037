"""Posting: installments oldest first, overpayment to the next ones and then to the
balance, agreements completed with their discount, promises kept, receipts sent."""

from __future__ import annotations

import datetime as dt

from django.core import mail

from agreements.models import AgreementStatus, InstallmentStatus, PromiseStatus
from agreements.promises import promise_create
from payments.models import Payment, PaymentAllocation
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus, LedgerEntry
from portal.debtors.services import portfolio_today
from tests.factories import intent_payload
from tests.helpers.access import sign_in
from tests.helpers.payments import accept_offer, started
from tests.localstripe import make_event


def pay(deliver, attempt, amount_minor=None):
    event = make_event(
        "payment_intent.succeeded", intent_payload(attempt, amount_minor=amount_minor)
    )
    assert deliver(event).status_code == 200
    return Payment.objects.get(stripe_payment_intent_id=attempt.stripe_payment_intent_id)


def test_paying_the_next_installment_marks_it_paid(deliver, agreement):
    down, first, *_ = agreement.installments.order_by("number")

    payment = pay(deliver, started(agreement.debtor, f"installment-{down.pk}"))

    down.refresh_from_db()
    assert down.status == InstallmentStatus.PAID and down.paid_minor == down.amount_minor
    first.refresh_from_db()
    assert first.paid_minor == 0
    (allocation,) = payment.allocations.all()
    assert (allocation.installment, allocation.amount_minor) == (down, down.amount_minor)
    assert allocation.ledger_entry.amount_minor == -down.amount_minor


def test_an_overpayment_goes_to_the_next_installments_oldest_first(deliver, agreement):
    down, first, second, third = agreement.installments.order_by("number")
    attempt = started(agreement.debtor, f"installment-{down.pk}")
    extra = first.amount_minor + 1_000_00

    pay(deliver, attempt, amount_minor=down.amount_minor + extra)

    for installment in (down, first, second):
        installment.refresh_from_db()
    assert down.status == first.status == InstallmentStatus.PAID
    assert second.paid_minor == 1_000_00 and second.status == InstallmentStatus.PENDING
    assert [a.installment_id for a in PaymentAllocation.objects.order_by("id")] == [
        down.pk,
        first.pk,
        second.pk,
    ]


def test_paying_everything_completes_the_plan_and_the_debt_is_paid(deliver, agreement):
    debt = agreement.lines.get().debt
    attempt = started(agreement.debtor, f"agreement-{agreement.pk}")
    assert attempt.amount_minor == agreement.total_minor

    pay(deliver, attempt)

    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.COMPLETED and agreement.completed_at
    assert set(agreement.installments.values_list("status", flat=True)) == {"paid"}
    debt.refresh_from_db()
    assert agreement.discount_minor == 0  # plans carry no discount under this policy
    assert (debt.balance_minor, debt.status) == (0, DebtStatus.PAID)
    assert not agreement.lines.filter(is_active=True).exists()
    assert AuditEvent.objects.filter(action="agreement.completed").count() == 1


def test_money_beyond_the_whole_plan_goes_to_the_balance(deliver, agreement):
    debt = agreement.lines.get().debt
    attempt = started(agreement.debtor, f"agreement-{agreement.pk}")

    pay(deliver, attempt, amount_minor=agreement.total_minor + 5_000_00)

    debt.refresh_from_db()
    # The plan is paid and its discount written off; the extra is a credit on the debt.
    assert debt.balance_minor == -5_000_00
    extra = PaymentAllocation.objects.get(installment__isnull=True)
    assert extra.amount_minor == 5_000_00


def test_a_lump_sum_settlement_pays_the_discounted_total(deliver, debtor, debt, policy):
    agreement = accept_offer(debtor, "lump_sum")
    (only,) = agreement.installments.all()

    pay(deliver, started(debtor, f"installment-{only.pk}"))

    agreement.refresh_from_db()
    debt.refresh_from_db()
    assert agreement.status == AgreementStatus.COMPLETED and agreement.discount_minor > 0
    assert (debt.balance_minor, debt.status) == (0, DebtStatus.SETTLED)
    discount = LedgerEntry.objects.get(debt=debt, kind="discount")
    assert discount.amount_minor == -agreement.discount_minor


def test_a_free_amount_lowers_the_debt_and_the_full_balance_marks_it_paid(deliver, debt):
    pay(deliver, started(debt.debtor, f"free-{debt.pk}", 60_000_00))
    debt.refresh_from_db()
    assert debt.balance_minor == 1_000_000_00 and debt.status == DebtStatus.ACTIVE

    pay(deliver, started(debt.debtor, f"free-{debt.pk}", 1_000_000_00))

    debt.refresh_from_db()
    assert (debt.balance_minor, debt.status) == (0, DebtStatus.PAID)


def test_paying_a_promise_keeps_it(deliver, debtor, debt):
    promise = promise_create(
        debtor=debtor,
        debt=debt,
        amount_minor=80_000_00,
        promised_date=portfolio_today(debt.portfolio) + dt.timedelta(days=5),
    )

    pay(deliver, started(debtor, f"promise-{promise.pk}"))

    promise.refresh_from_db()
    assert promise.status == PromiseStatus.KEPT


def test_the_receipt_is_emailed_once_in_the_debtors_language_and_its_pdf_stored(
    deliver, client, debt
):
    debt.debtor.language = "en"
    debt.debtor.save()
    sign_in(client, debt.debtor)  # on the portal: sent at once at any hour (test_notice_window)

    payment = pay(deliver, started(debt.debtor, f"free-{debt.pk}", 60_000_00))

    (message,) = mail.outbox
    assert message.to == ["ana@example.com"]
    assert payment.number in message.subject and "receipt" in message.subject.lower()
    assert "We received your payment" in message.body and message.attachments == []
    payment.refresh_from_db()
    assert payment.receipt_sent_at and len(payment.receipt_sha256) == 64
    assert AuditEvent.objects.filter(action="payment.receipt_rendered").count() == 1


def test_posting_and_its_ledger_entries_are_audited(deliver, agreement):
    down = agreement.installments.order_by("number").first()

    payment = pay(deliver, started(agreement.debtor, f"installment-{down.pk}"))

    posted = AuditEvent.objects.get(action="payment.posted")
    assert posted.details["number"] == payment.number
    assert posted.details["amount_minor"] == down.amount_minor
    assert AuditEvent.objects.filter(action="ledger.posted", details__kind="payment").count() == 1
