from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from portal.audit.models import AuditEvent
from portal.audit.selectors import verify_chain
from portal.audit.services import audit_chain_seal
from portal.debtors.models import Debt, LedgerEntry
from portal.debtors.services import LedgerError, ledger_post
from tests.factories import DebtFactory, DebtorFactory, StaffFactory
from tests.helpers.concurrency import errors_of, run_times


def _ledger_sum(debt: Debt) -> int:
    return LedgerEntry.objects.filter(debt=debt).aggregate(s=Sum("amount_minor"))["s"] or 0


@pytest.fixture
def debt(db) -> Debt:
    return DebtFactory()


def test_balance_is_the_sum_of_entries_after_mixed_kinds(debt):
    charge = ledger_post(debt=debt, kind="charge", amount_minor=1_000_000)
    payment = ledger_post(debt=debt, kind="payment", amount_minor=-300_000)
    ledger_post(debt=debt, kind="discount", amount_minor=-100_000)
    ledger_post(debt=debt, kind="adjustment", amount_minor=-5_000)
    ledger_post(debt=debt, kind="adjustment", amount_minor=2_000)
    ledger_post(debt=debt, kind="refund", amount_minor=30_000, reverses=payment)
    ledger_post(debt=debt, kind="reversal", amount_minor=270_000, reverses=payment)
    ledger_post(debt=debt, kind="reversal", amount_minor=-1_000, reverses=charge)
    debt.refresh_from_db()
    assert debt.balance_minor == _ledger_sum(debt) == 896_000


def test_the_callers_debt_object_sees_the_new_balance(debt):
    ledger_post(debt=debt, kind="charge", amount_minor=500)
    assert debt.balance_minor == 500


@pytest.mark.parametrize(
    ("kind", "amount"),
    [("charge", -100), ("payment", 100), ("discount", 100), ("refund", -100)],
)
def test_wrong_sign_for_the_kind_is_refused_and_nothing_written(debt, kind, amount):
    with pytest.raises(LedgerError, match="must be"):
        ledger_post(debt=debt, kind=kind, amount_minor=amount)
    debt.refresh_from_db()
    assert debt.balance_minor == 0
    assert not LedgerEntry.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("amount", [0, 1.5, 100.0, Decimal("100"), "100", True, None])
def test_zero_and_non_integer_amounts_are_refused(debt, amount):
    with pytest.raises(LedgerError):
        ledger_post(debt=debt, kind="adjustment", amount_minor=amount)
    assert not LedgerEntry.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unknown_kind_is_refused(debt):
    with pytest.raises(ValueError):
        ledger_post(debt=debt, kind="gift", amount_minor=100)
    assert not LedgerEntry.objects.exists()


def test_every_post_writes_an_audit_event_in_the_chain(debt):
    agent = StaffFactory(username="agente_lucia")
    first = ledger_post(debt=debt, kind="charge", amount_minor=10_000, actor=agent)
    second = ledger_post(debt=debt, kind="payment", amount_minor=-4_000)
    events = list(AuditEvent.objects.filter(action="ledger.posted"))
    assert [e.details["entry_id"] for e in events] == [first.pk, second.pk]
    assert [e.details["balance_minor"] for e in events] == [10_000, 6_000]
    assert {e.subject_id for e in events} == {str(debt.pk)}
    assert [e.actor_label for e in events] == ["agente_lucia", "system"]
    assert audit_chain_seal() == 2
    assert verify_chain().ok


def test_only_staff_are_recorded_as_creator(debt):
    by_staff = ledger_post(debt=debt, kind="charge", amount_minor=100, actor=StaffFactory())
    by_debtor = ledger_post(debt=debt, kind="payment", amount_minor=-50, actor=DebtorFactory())
    assert by_staff.created_by is not None
    assert by_debtor.created_by is None


def test_entry_takes_the_debts_currency(db):
    usd_debt = DebtFactory(portfolio__currency="USD")
    entry = ledger_post(debt=usd_debt, kind="charge", amount_minor=100)
    assert entry.currency == "USD"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_to_one_debt_keep_balance_equal_to_sum(on_postgres):
    debt = DebtFactory()
    threads, per_thread = 8, 10

    def post(n: int) -> None:
        for i in range(per_thread):
            if i % 2:
                ledger_post(debt=debt, kind="payment", amount_minor=-(n + 1))
            else:
                ledger_post(debt=debt, kind="charge", amount_minor=1_000 + n)

    errors = errors_of(run_times(post, threads))
    assert errors == []
    debt.refresh_from_db()
    expected = sum(5 * (1_000 + n) - 5 * (n + 1) for n in range(threads))
    assert debt.balance_minor == _ledger_sum(debt) == expected
    assert LedgerEntry.objects.filter(debt=debt).count() == threads * per_thread
    audit_chain_seal()
    assert verify_chain().checked == threads * per_thread
