"""How ledger entries move a debt's principal, interest and fees (Código Civil art. 1653)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from portal.debtors.imputation import Parts
from portal.debtors.models import Debt, LedgerEntry
from portal.debtors.services import LedgerError, ledger_post
from tests.factories import DebtFactory


@pytest.fixture
def debt(db) -> Debt:
    """Assigned with 4.050.000 principal, 364.500 interest and 60.000 fees (COP)."""
    debt = DebtFactory(
        principal_due_minor=4_050_000_00, interest_due_minor=364_500_00, fees_due_minor=60_000_00
    )
    ledger_post(
        debt=debt,
        kind="charge",
        amount_minor=4_474_500_00,
        parts=Parts(4_050_000_00, 364_500_00, 60_000_00),
    )
    return debt


def parts(debt: Debt) -> tuple[int, int, int, int]:
    debt.refresh_from_db()
    return debt.principal_minor, debt.interest_minor, debt.fees_minor, debt.balance_minor


def test_a_later_interest_charge_reaches_the_interest_column(debt):
    ledger_post(debt=debt, kind="charge", amount_minor=14_000_00, component="interest")
    assert parts(debt) == (4_050_000_00, 378_500_00, 60_000_00, 4_488_500_00)


def test_a_charge_names_no_component_lands_on_principal(debt):
    ledger_post(debt=debt, kind="charge", amount_minor=1_00)
    assert parts(debt)[0] == 4_050_001_00


def test_a_payment_goes_to_interest_then_fees_then_principal(debt):
    entry = ledger_post(debt=debt, kind="payment", amount_minor=-400_000_00)
    assert (entry.principal_minor, entry.interest_minor, entry.fees_minor) == (
        -(400_000_00 - 364_500_00 - 35_500_00),
        -364_500_00,
        -35_500_00,
    )
    assert parts(debt) == (4_050_000_00, 0, 24_500_00, 4_074_500_00)


def test_a_discount_is_imputed_like_a_payment(debt):
    ledger_post(debt=debt, kind="discount", amount_minor=-500_000_00)
    assert parts(debt) == (3_974_500_00, 0, 0, 3_974_500_00)


def test_an_overpayment_is_a_credit_on_principal(debt):
    ledger_post(debt=debt, kind="payment", amount_minor=-4_500_000_00)
    assert parts(debt) == (-25_500_00, 0, 0, -25_500_00)


def test_a_refund_gives_back_exactly_what_the_payment_imputed(debt):
    payment = ledger_post(debt=debt, kind="payment", amount_minor=-400_000_00)
    ledger_post(debt=debt, kind="charge", amount_minor=10_000_00, component="interest")
    refund = ledger_post(debt=debt, kind="refund", amount_minor=400_000_00, reverses=payment)
    assert (refund.principal_minor, refund.interest_minor, refund.fees_minor) == (
        0,
        364_500_00,
        35_500_00,
    )
    assert parts(debt) == (4_050_000_00, 374_500_00, 60_000_00, 4_484_500_00)


def test_a_partial_refund_gives_back_principal_then_fees_then_interest(debt):
    payment = ledger_post(debt=debt, kind="payment", amount_minor=-500_000_00)
    first = ledger_post(debt=debt, kind="refund", amount_minor=100_000_00, reverses=payment)
    assert (first.principal_minor, first.interest_minor, first.fees_minor) == (
        75_500_00,
        0,
        24_500_00,
    )
    ledger_post(debt=debt, kind="refund", amount_minor=400_000_00, reverses=payment)
    assert parts(debt) == (4_050_000_00, 364_500_00, 60_000_00, 4_474_500_00)


def test_nothing_more_than_the_entry_can_be_undone(debt):
    payment = ledger_post(debt=debt, kind="payment", amount_minor=-100_00)
    ledger_post(debt=debt, kind="refund", amount_minor=100_00, reverses=payment)
    with pytest.raises(LedgerError, match="left"):
        ledger_post(debt=debt, kind="refund", amount_minor=1, reverses=payment)
    assert parts(debt)[3] == 4_474_500_00


def test_a_refund_must_name_an_entry_of_the_same_debt(debt):
    with pytest.raises(LedgerError, match="must name"):
        ledger_post(debt=debt, kind="refund", amount_minor=100)
    other = DebtFactory()
    elsewhere = ledger_post(debt=other, kind="payment", amount_minor=-100)
    with pytest.raises(LedgerError, match="same debt"):
        ledger_post(debt=debt, kind="refund", amount_minor=100, reverses=elsewhere)


def test_reversing_a_paid_interest_charge_leaves_no_negative_interest(debt):
    charge = ledger_post(debt=debt, kind="charge", amount_minor=14_000_00, component="interest")
    ledger_post(debt=debt, kind="payment", amount_minor=-378_500_00)
    ledger_post(debt=debt, kind="reversal", amount_minor=-14_000_00, reverses=charge)
    assert parts(debt) == (4_050_000_00, 0, 46_000_00, 4_096_000_00)


def test_parts_that_do_not_add_up_are_refused(debt):
    with pytest.raises(LedgerError, match="add up"):
        ledger_post(debt=debt, kind="charge", amount_minor=100, parts=Parts(50, 40, 0))
    with pytest.raises(LedgerError, match="same way"):
        ledger_post(debt=debt, kind="charge", amount_minor=100, parts=Parts(150, -50, 0))
    assert LedgerEntry.objects.filter(debt=debt).count() == 1


def test_the_database_refuses_components_that_do_not_add_up(debt):
    with pytest.raises(IntegrityError), transaction.atomic():
        Debt.objects.filter(pk=debt.pk).update(interest_minor=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(debt=debt).update(fees_minor=1)
