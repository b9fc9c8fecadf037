"""Posting a succeeded PaymentIntent: one Payment, its ledger entries, its allocation.

Called by the webhook processing inside one transaction. The attempt row is locked first,
so concurrent deliveries of the same intent queue behind each other; the first posts, the
rest find the Payment (unique PaymentIntent id) and post nothing.
Lock order: attempt → agreement → installments → debts (the ledger service locks debts).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from agreements.models import (
    Agreement,
    AgreementStatus,
    Installment,
    InstallmentStatus,
    PromiseStatus,
    PromiseToPay,
)
from portal.audit.services import record
from portal.celery import delay_on_commit
from portal.debtors.models import Debt, DebtStatus, LedgerKind
from portal.debtors.services import ledger_post, portfolio_today

from ..models import (
    AttemptStatus,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    Purpose,
)
from ..selectors import OPEN_INSTALLMENT


class PostingError(Exception):
    """The intent cannot be posted as it is (wrong currency, unknown attempt...)."""


def _attempt_for_intent(intent: dict[str, Any]) -> PaymentAttempt | None:
    # of=self: the attempt row is the lock; the debtor is only read.
    attempts = PaymentAttempt.objects.select_for_update(of=("self",)).select_related("debtor")
    attempt = attempts.filter(stripe_payment_intent_id=intent["id"]).first()
    if attempt is None:
        # The intent was created but storing its id failed: its metadata names the attempt,
        # which must still be waiting for an intent, for the same debtor and amount.
        metadata = intent.get("metadata") or {}
        attempt_id, debtor_id = metadata.get("attempt_id", ""), metadata.get("debtor_id", "")
        if attempt_id.isdigit() and debtor_id.isdigit():
            attempt = attempts.filter(
                pk=int(attempt_id),
                debtor_id=int(debtor_id),
                amount_minor=intent.get("amount"),
                stripe_payment_intent_id=None,
            ).first()
    return attempt


def _charge_id(intent: dict[str, Any]) -> str:
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        return charge.get("id", "")
    return charge or ""


@transaction.atomic
def payment_post_intent(*, intent: dict[str, Any]) -> Payment | None:
    """Post a succeeded PaymentIntent once. Returns the new Payment, or None when it was
    already posted."""
    attempt = _attempt_for_intent(intent)
    if Payment.objects.filter(stripe_payment_intent_id=intent["id"]).exists():
        return None
    if attempt is None:
        raise PostingError(f"no payment attempt for {intent['id']}")
    amount = int(intent.get("amount_received") or intent["amount"])
    currency = str(intent["currency"]).upper()
    if currency != attempt.currency:
        raise PostingError(f"{intent['id']} is in {currency}, the attempt in {attempt.currency}")

    now = timezone.now()
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                attempt=attempt,
                debtor=attempt.debtor,
                agreement=attempt.agreement,
                stripe_payment_intent_id=intent["id"],
                stripe_charge_id=_charge_id(intent),
                currency=currency,
                amount_minor=amount,
                received_at=now,
            )
    except IntegrityError:
        return None  # the unique PaymentIntent id is the last word, should a lock be skipped
    payment.number = f"PAG-{now.year}-{payment.pk:06d}"
    payment.save(update_fields=["number"])

    completed = _allocate(payment, attempt, amount)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        status=AttemptStatus.SUCCEEDED, failure_message="", updated_at=now
    )
    if not attempt.stripe_payment_intent_id:
        PaymentAttempt.objects.filter(pk=attempt.pk).update(stripe_payment_intent_id=intent["id"])
    allocations = list(payment.allocations.order_by("id"))
    record(
        "payment.posted",
        subject=payment,
        details={
            "number": payment.number,
            "payment_intent": intent["id"],
            "attempt_id": attempt.pk,
            "purpose": attempt.purpose,
            "amount_minor": amount,
            "currency": currency,
            "expected_minor": attempt.amount_minor,
            "allocations": [
                [a.debt_id, a.installment_id, a.amount_minor, a.ledger_entry_id]
                for a in allocations
            ],
            "agreement_completed": completed,
        },
    )
    from ..tasks import process_deferred_events, send_payment_receipt

    delay_on_commit(send_payment_receipt, payment.pk)
    delay_on_commit(process_deferred_events, intent["id"])
    return payment


def _allocate(payment: Payment, attempt: PaymentAttempt, amount: int) -> bool:
    """Spread the money; returns whether an agreement was completed by it."""
    agreement = attempt.agreement
    if agreement is None and attempt.debt_id:
        # A debt that went into an agreement after the attempt started pays that agreement.
        agreement = (
            Agreement.objects.filter(
                lines__debt_id=attempt.debt_id, lines__is_active=True, status=AgreementStatus.ACTIVE
            )
            .order_by("id")
            .first()
        )
    if agreement is not None:
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if agreement.status == AgreementStatus.ACTIVE:
            if payment.agreement_id != agreement.pk:
                Payment.objects.filter(pk=payment.pk).update(agreement=agreement)
                payment.agreement = agreement
            return _allocate_to_agreement(payment, agreement, amount)
        debts = list(Debt.objects.filter(agreement_lines__agreement=agreement).order_by("id"))
    else:
        debts = [Debt.objects.get(pk=attempt.debt_id)]
    _allocate_to_debts(payment, debts, amount)
    if attempt.purpose == Purpose.PROMISE and attempt.promise_id:
        _keep_promise(attempt.promise_id, amount)
    return False


def _post(payment: Payment, debt: Debt, amount: int, installment: Installment | None) -> None:
    label = payment.number if installment is None else f"{payment.number} #{installment.number}"
    entry = ledger_post(
        debt=debt,
        kind=LedgerKind.PAYMENT,
        amount_minor=-amount,
        effective_date=portfolio_today(debt.portfolio),
        description=label,
    )
    PaymentAllocation.objects.create(
        payment=payment, debt=debt, installment=installment, ledger_entry=entry, amount_minor=amount
    )


def _line_room(agreement: Agreement) -> dict[int, int]:
    """Per debt of the agreement: what is still to be paid on it (its discounted amount
    minus what earlier payments of this agreement already put on it)."""
    paid = dict(
        PaymentAllocation.objects.filter(payment__agreement=agreement)
        .values("debt_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("debt_id", "total")
    )
    return {
        line.debt_id: line.balance_minor - line.discount_minor - (paid.get(line.debt_id) or 0)
        for line in agreement.lines.order_by("debt_id")
    }


def _allocate_to_agreement(payment: Payment, agreement: Agreement, amount: int) -> bool:
    """Installments oldest first; overpayment to the next ones, then to the debts' balance."""
    installments = list(
        agreement.installments.select_for_update()
        .filter(status__in=OPEN_INSTALLMENT)
        .order_by("number")
    )
    room = _line_room(agreement)
    debts = {
        debt.pk: debt
        for debt in Debt.objects.filter(pk__in=room).select_related("portfolio").order_by("id")
    }
    left = amount
    now = timezone.now()
    for installment in installments:
        take = min(left, installment.amount_minor - installment.paid_minor)
        if take <= 0:
            continue
        rest = take
        for debt_id in room:
            part = min(rest, max(room[debt_id], 0))
            if part:
                _post(payment, debts[debt_id], part, installment)
                room[debt_id] -= part
                rest -= part
        if rest:  # the schedule asks more than the lines hold (rounding): the first debt
            _post(payment, debts[next(iter(room))], rest, installment)
        installment.paid_minor += take
        fields = ["paid_minor"]
        if installment.paid_minor >= installment.amount_minor:
            installment.status, installment.paid_at = InstallmentStatus.PAID, now
            fields += ["status", "paid_at"]
        installment.save(update_fields=fields)
        left -= take
        if not left:
            break
    if left:
        _allocate_to_debts(payment, list(debts.values()), left)
    if all(i.status == InstallmentStatus.PAID for i in installments):
        _complete_agreement(agreement)
        return True
    return False


def _allocate_to_debts(payment: Payment, debts: list[Debt], amount: int) -> None:
    """Outside a plan: each debt up to its balance in order, any excess on the last one
    (a credit the agency refunds or keeps, visible as a negative balance)."""
    left = amount
    for index, debt in enumerate(debts):
        debt.refresh_from_db(fields=["balance_minor"])
        last = index == len(debts) - 1
        part = left if last else min(left, max(debt.balance_minor, 0))
        if part:
            _post(payment, debt, part, None)
            left -= part
        debt.refresh_from_db(fields=["balance_minor", "status"])
        if debt.balance_minor <= 0 and debt.status == DebtStatus.ACTIVE:
            Debt.objects.filter(pk=debt.pk, status=DebtStatus.ACTIVE).update(
                status=DebtStatus.PAID, updated_at=timezone.now()
            )
            record("debt.paid", subject=debt, details={"payment": payment.number})
        if not left:
            break


def _complete_agreement(agreement: Agreement) -> None:
    """All installments paid: the agreement is completed, its discount is written off and
    its debts are settled (discounted) or paid; a debt charged again meanwhile stays open."""
    changed = Agreement.objects.filter(pk=agreement.pk, status=AgreementStatus.ACTIVE).update(
        status=AgreementStatus.COMPLETED, completed_at=timezone.now()
    )
    if not changed:
        return
    outcomes = {}
    for line in agreement.lines.select_related("debt__portfolio").order_by("debt_id"):
        debt = line.debt
        debt.refresh_from_db(fields=["balance_minor"])
        discount = min(line.discount_minor, max(debt.balance_minor, 0))
        if discount:
            ledger_post(
                debt=debt,
                kind=LedgerKind.DISCOUNT,
                amount_minor=-discount,
                effective_date=portfolio_today(debt.portfolio),
                description=agreement.number or "",
            )
        if debt.balance_minor <= 0:
            status = DebtStatus.SETTLED if line.discount_minor else DebtStatus.PAID
        else:
            status = DebtStatus.ACTIVE
        Debt.objects.filter(pk=debt.pk, status=DebtStatus.IN_AGREEMENT).update(
            status=status, updated_at=timezone.now()
        )
        outcomes[debt.pk] = {"status": status, "discount_minor": discount}
    agreement.lines.update(is_active=False)
    record(
        "agreement.completed",
        subject=agreement,
        details={"number": agreement.number, "debts": outcomes},
    )


def _keep_promise(promise_id: int, amount: int) -> None:
    promise = PromiseToPay.objects.get(pk=promise_id)
    if amount < promise.amount_minor:
        return  # the daily review adds up partial payments
    changed = PromiseToPay.objects.filter(pk=promise_id, status=PromiseStatus.PENDING).update(
        status=PromiseStatus.KEPT, resolved_at=timezone.now()
    )
    if changed:
        record(
            "promise.kept",
            subject=promise,
            details={"amount_minor": promise.amount_minor, "paid_minor": amount, "online": True},
        )
