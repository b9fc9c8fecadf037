"""Disputes, by events signed here (localstripe has no disputes): the debt is flagged
`disputed` (so outreach leaves it alone) and gets its status back when the dispute is won;
a lost dispute takes the money back off the debt."""

from __future__ import annotations

from payments.models import DebtDispute, Payment, PaymentStatus, StripeEvent
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus, LedgerEntry
from tests.helpers.payments import started
from tests.localstripe import make_event

from .test_webhook import succeeded


def dispute_event(attempt, kind: str = "created", status: str = "needs_response", **kwargs):
    return make_event(
        f"charge.dispute.{kind}",
        {
            "id": kwargs.get("dispute_id", "dp_1"),
            "object": "dispute",
            "charge": "ch_1",
            "payment_intent": attempt.stripe_payment_intent_id,
            "amount": kwargs.get("amount", attempt.amount_minor),
            "reason": "fraudulent",
            "status": status,
        },
    )


def paid_free(debt, amount=50_000_00, deliver=None):
    attempt = started(debt.debtor, f"free-{debt.pk}", amount)
    deliver(succeeded(attempt))
    return attempt


def test_a_dispute_flags_the_debt_once_and_remembers_its_status(deliver, debt):
    attempt = paid_free(debt, deliver=deliver)

    deliver(dispute_event(attempt))
    deliver(dispute_event(attempt))  # replay

    debt.refresh_from_db()
    assert debt.status == DebtStatus.DISPUTED
    row = DebtDispute.objects.get()
    assert (row.debt_id, row.previous_status, row.closed_at) == (debt.pk, "active", None)
    assert AuditEvent.objects.filter(action="debt.disputed").count() == 1
    assert Payment.objects.get().disputed_at is not None


def test_a_won_dispute_restores_the_debts_status_and_keeps_the_money(deliver, agreement):
    down = agreement.installments.order_by("number").first()
    attempt = started(agreement.debtor, f"installment-{down.pk}")
    deliver(succeeded(attempt))
    debt = agreement.lines.get().debt
    balance = debt.balance_minor

    deliver(dispute_event(attempt))
    deliver(dispute_event(attempt, "closed", "won"))

    debt.refresh_from_db()
    assert debt.status == DebtStatus.IN_AGREEMENT
    assert DebtDispute.objects.get().outcome == "won"
    assert debt.balance_minor == balance  # read after the payment: nothing taken back
    assert not LedgerEntry.objects.filter(kind="refund").exists()


def test_a_lost_dispute_restores_the_status_and_takes_the_money_back(deliver, debt):
    attempt = paid_free(debt, deliver=deliver)

    deliver(dispute_event(attempt))
    deliver(dispute_event(attempt, "closed", "lost"))
    deliver(dispute_event(attempt, "closed", "lost"))  # replay

    debt.refresh_from_db()
    assert debt.status == DebtStatus.ACTIVE
    assert debt.balance_minor == 1_060_000_00
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert Payment.objects.get().status == PaymentStatus.REFUNDED


def test_a_closed_dispute_that_overtakes_its_opening_waits_for_it(deliver, debt):
    attempt = paid_free(debt, deliver=deliver)

    deliver(dispute_event(attempt, "closed", "won"))
    assert StripeEvent.objects.get(type="charge.dispute.closed").status == "deferred"
    deliver(dispute_event(attempt))

    debt.refresh_from_db()
    assert debt.status == DebtStatus.ACTIVE
    assert StripeEvent.objects.get(type="charge.dispute.closed").status == "processed"


def test_two_open_disputes_keep_the_debt_disputed_until_both_close(deliver, debt):
    first = paid_free(debt, 30_000_00, deliver=deliver)
    second = started(debt.debtor, f"free-{debt.pk}", 40_000_00)
    deliver(succeeded(second))

    deliver(dispute_event(first, dispute_id="dp_a"))
    deliver(dispute_event(second, dispute_id="dp_b"))
    deliver(dispute_event(first, "closed", "won", dispute_id="dp_a"))

    debt.refresh_from_db()
    assert debt.status == DebtStatus.DISPUTED
    deliver(dispute_event(second, "closed", "won", dispute_id="dp_b"))
    debt.refresh_from_db()
    assert debt.status == DebtStatus.ACTIVE
