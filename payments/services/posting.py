"""Posting money that arrived: one Payment, its ledger entries, its allocation, whatever
the provider (`payment_post`; `payment_post_intent` is Stripe's way in, Mercado Pago's is
in `mercadopago_apply`).

Called by event processing inside one transaction. The attempt row is locked first, so
concurrent deliveries of the same payment queue behind each other; the first posts, the
rest find the Payment (unique provider and id) and post nothing. What the money does to
an agreement (installments paid, the agreement completed) or a promise (kept) is the
agreement lifecycle's (`agreements.lifecycle`): posting hands over to it.
Lock order: attempt → agreement → installments → debts (the ledger service locks debts).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from agreements.lifecycle import agreement_complete, agreement_payment_apply, promise_keep
from agreements.models import Agreement, AgreementStatus, Installment, PromiseToPay
from portal.audit.services import record
from portal.celery import delay_on_commit
from portal.debtors.models import Debt, DebtStatus, LedgerKind
from portal.debtors.services import ledger_post, portfolio_today
from portal.debtors.status import debt_status_change

from ..models import (
    AttemptStatus,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    Provider,
    Purpose,
)
from ..selectors import deferred_events_for
from ..tasks import process_deferred_events, send_payment_receipt
from .paying import payer_of


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


@transaction.atomic(savepoint=False)
def payment_post_intent(*, intent: dict[str, Any]) -> Payment | None:
    """Stripe's side of posting: a succeeded PaymentIntent, once. Returns the new Payment,
    or None when it was already posted."""
    attempt = _attempt_for_intent(intent)
    # Only a succeeded attempt (or none) can have been posted: posting an open one would
    # have marked it succeeded in the same transaction. The unique index stays the last word.
    maybe_posted = attempt is None or attempt.status == AttemptStatus.SUCCEEDED
    if maybe_posted and Payment.objects.filter(stripe_payment_intent_id=intent["id"]).exists():
        return None
    if attempt is None:
        raise PostingError(f"no payment attempt for {intent['id']}")
    payment = payment_post(
        attempt=attempt,
        provider=Provider.STRIPE,
        provider_payment_id=intent["id"],
        amount_minor=int(intent.get("amount_received") or intent["amount"]),
        currency=str(intent["currency"]).upper(),
        charge_id=_charge_id(intent),
    )
    if payment is None:
        return None
    if not attempt.stripe_payment_intent_id:
        PaymentAttempt.objects.filter(pk=attempt.pk).update(stripe_payment_intent_id=intent["id"])
    intent_id = intent["id"]

    def process_deferred_events_if_any() -> None:
        """After the commit: a refund or dispute of this intent that arrived before it
        waits as deferred; its turn comes now. Almost always there is none, so the query
        saves a task per payment. (A named function: Django logs a robust hook by name.)"""
        if deferred_events_for(intent_id):
            process_deferred_events.delay(intent_id)

    transaction.on_commit(process_deferred_events_if_any, robust=True)
    return payment


# No savepoint: inside a caller's transaction its errors roll that transaction back whole;
# a savepoint would only add two round trips to every posting.
@transaction.atomic(savepoint=False)
def payment_post(
    *,
    attempt: PaymentAttempt,
    provider: str,
    provider_payment_id: str,
    amount_minor: int,
    currency: str,
    charge_id: str = "",
) -> Payment | None:
    """Post money a provider says arrived for a locked attempt, once per provider payment:
    the one path for every provider and method (the Payment, its ledger entries, its
    allocation, the audit entry, the receipt). None when it was already posted."""
    if currency != attempt.currency:
        raise PostingError(
            f"{provider} {provider_payment_id} is in {currency}, the attempt in {attempt.currency}"
        )
    if amount_minor <= 0:
        raise PostingError(f"{provider} {provider_payment_id} has no amount")
    now = timezone.now()
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                attempt=attempt,
                debtor=attempt.debtor,
                agreement=attempt.agreement,
                provider=provider,
                method=attempt.method,
                provider_payment_id=provider_payment_id,
                stripe_payment_intent_id=(
                    provider_payment_id if provider == Provider.STRIPE else None
                ),
                stripe_charge_id=charge_id,
                currency=currency,
                amount_minor=amount_minor,
                received_at=now,
            )
    except IntegrityError:
        return None  # the unique provider payment id is the last word, should a lock be skipped
    payment.number = f"PAG-{now.year}-{payment.pk:06d}"
    payment.save(update_fields=["number"])

    allocations: list[PaymentAllocation] = []
    completed = _allocate(payment, attempt, amount_minor, allocations)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        status=AttemptStatus.SUCCEEDED, failure_message="", updated_at=now
    )
    record(
        "payment.posted",
        subject=payment,
        details={
            "number": payment.number,
            "provider": provider,
            "method": attempt.method,
            "provider_payment": provider_payment_id,
            "attempt_id": attempt.pk,
            "purpose": attempt.purpose,
            "payer": payer_of(attempt),
            "third_party_link_id": attempt.third_party_link_id,
            "amount_minor": amount_minor,
            "currency": currency,
            "expected_minor": attempt.amount_minor,
            "allocations": [
                [a.debt_id, a.installment_id, a.amount_minor, a.ledger_entry_id]
                for a in allocations
            ],
            "agreement_completed": completed,
        },
    )
    delay_on_commit(send_payment_receipt, payment.pk)  # which queues the receipt's PDF
    return payment


def _allocate(
    payment: Payment, attempt: PaymentAttempt, amount: int, posted: list[PaymentAllocation]
) -> bool:
    """Spread the money, adding each allocation to `posted`; returns whether an agreement
    was completed by it."""
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
            return _allocate_to_agreement(payment, agreement, amount, posted)
        debts = list(
            Debt.objects.filter(agreement_lines__agreement=agreement)
            .select_related("portfolio")
            .order_by("id")
        )
    else:
        debts = [Debt.objects.select_related("portfolio").get(pk=attempt.debt_id)]
    _allocate_to_debts(payment, debts, amount, posted)
    if attempt.purpose == Purpose.PROMISE and attempt.promise_id:
        promise_keep(promise=PromiseToPay.objects.get(pk=attempt.promise_id), paid_minor=amount)
    return False


def _post(
    payment: Payment,
    debt: Debt,
    amount: int,
    installment: Installment | None,
    posted: list[PaymentAllocation],
) -> None:
    label = payment.number if installment is None else f"{payment.number} #{installment.number}"
    entry = ledger_post(
        debt=debt,
        kind=LedgerKind.PAYMENT,
        amount_minor=-amount,
        effective_date=portfolio_today(debt.portfolio),
        description=label,
    )
    posted.append(
        PaymentAllocation.objects.create(
            payment=payment,
            debt=debt,
            installment=installment,
            ledger_entry=entry,
            amount_minor=amount,
        )
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


def _allocate_to_agreement(
    payment: Payment, agreement: Agreement, amount: int, posted: list[PaymentAllocation]
) -> bool:
    """The lifecycle pays the installments (oldest first, overpayment to the next ones);
    each part is spread over the agreement's debts, the rest goes to the debts' balance.
    Returns whether the payment completed the agreement."""
    applied = agreement_payment_apply(agreement=agreement, amount_minor=amount)
    room = _line_room(agreement)
    debts = {
        debt.pk: debt
        for debt in Debt.objects.filter(pk__in=room).select_related("portfolio").order_by("id")
    }
    for installment, take in applied.parts:
        rest = take
        for debt_id in room:
            part = min(rest, max(room[debt_id], 0))
            if part:
                _post(payment, debts[debt_id], part, installment, posted)
                room[debt_id] -= part
                rest -= part
        if rest:  # the schedule asks more than the lines hold (rounding): the first debt
            _post(payment, debts[next(iter(room))], rest, installment, posted)
    if applied.left_minor:
        _allocate_to_debts(payment, list(debts.values()), applied.left_minor, posted)
    # After posting: the discount written off is what the debts still owe.
    return applied.all_paid and agreement_complete(agreement=agreement)


def _allocate_to_debts(
    payment: Payment, debts: list[Debt], amount: int, posted: list[PaymentAllocation]
) -> None:
    """Outside a plan: each debt up to its balance in order, any excess on the last one
    (a credit the agency refunds or keeps, visible as a negative balance). The debts were
    read in this transaction, and `ledger_post` keeps each one's balance current."""
    left = amount
    for index, debt in enumerate(debts):
        last = index == len(debts) - 1
        part = left if last else min(left, max(debt.balance_minor, 0))
        if part:
            _post(payment, debt, part, None, posted)
            left -= part
        if debt.balance_minor <= 0:
            debt_status_change(
                debt,
                to=DebtStatus.PAID,
                expect=[DebtStatus.ACTIVE],
                event="debt.paid",
                details={"payment": payment.number},
            )
        if not left:
            break
