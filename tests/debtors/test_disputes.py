"""Dispute holds: a debt is disputed while any hold is open, and goes back to the status
before the first when the last one closes."""

from __future__ import annotations

import pytest

from portal.audit.models import AuditEvent
from portal.debtors.disputes import dispute_hold_close, dispute_hold_open
from portal.debtors.models import DebtStatus, DisputeHold, HoldKind
from portal.debtors.status import debt_status_change
from tests.factories import DebtFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def debt():
    return DebtFactory(status=DebtStatus.IN_AGREEMENT)


def status_of(debt) -> str:
    debt.refresh_from_db()
    return debt.status


def test_a_hold_disputes_the_debt_and_closing_it_puts_the_status_back(debt):
    agent = StaffFactory(username="agente-ana")
    hold = dispute_hold_open(
        debt=debt, kind=HoldKind.CALL, reference="7", actor=agent, details={"source": "call"}
    )

    assert (hold.previous_status, hold.opened_by) == ("in_agreement", agent)
    assert status_of(debt) == "disputed"
    entry = AuditEvent.objects.get(action="debt.disputed")
    assert (entry.debtor_id, entry.details) == (
        debt.debtor_id,
        {"source": "call", "previous": "in_agreement"},
    )

    back = dispute_hold_close(
        debt_id=debt.pk, kind=HoldKind.CALL, reference="7", details={"dispute": "7"}
    )

    assert back == "in_agreement"
    assert status_of(debt) == "in_agreement"
    hold.refresh_from_db()
    assert hold.closed_at is not None
    closed = AuditEvent.objects.get(action="debt.dispute_closed")
    assert closed.details == {"dispute": "7", "restored_to": "in_agreement"}


def test_the_debt_stays_disputed_until_the_last_hold_closes(debt):
    dispute_hold_open(debt=debt, kind=HoldKind.CARD, reference="dp_1")
    second = dispute_hold_open(debt=debt, kind=HoldKind.CALL, reference="8")
    assert second.previous_status == "in_agreement"  # the status before the first

    assert dispute_hold_close(debt_id=debt.pk, kind=HoldKind.CARD, reference="dp_1") is None
    assert status_of(debt) == "disputed"
    assert dispute_hold_close(debt_id=debt.pk, kind=HoldKind.CALL, reference="8") == (
        "in_agreement"
    )
    assert status_of(debt) == "in_agreement"


def test_opening_the_same_dispute_twice_holds_once(debt):
    first = dispute_hold_open(debt=debt, kind=HoldKind.CARD, reference="dp_1")
    again = dispute_hold_open(debt=debt, kind=HoldKind.CARD, reference="dp_1")
    assert again == first
    assert DisputeHold.objects.count() == 1
    assert AuditEvent.objects.filter(action="debt.disputed").count() == 1


def test_closing_to_a_status_moves_the_debt_there_whatever_else_holds_it(debt):
    dispute_hold_open(debt=debt, kind=HoldKind.CARD, reference="dp_1")
    dispute_hold_open(debt=debt, kind=HoldKind.CALL, reference="9")

    moved = dispute_hold_close(
        debt_id=debt.pk, kind=HoldKind.CALL, reference="9", to=DebtStatus.CLOSED, event=None
    )

    assert moved == "closed"
    assert status_of(debt) == "closed"
    assert not AuditEvent.objects.filter(action="debt.dispute_closed").exists()
    # The card dispute closing later leaves the closed debt alone.
    assert dispute_hold_close(debt_id=debt.pk, kind=HoldKind.CARD, reference="dp_1") is None
    assert status_of(debt) == "closed"


def test_a_closed_debt_can_be_disputed_and_goes_back_to_closed():
    debt = DebtFactory(status=DebtStatus.CLOSED)
    dispute_hold_open(debt=debt, kind=HoldKind.CARD, reference="dp_old")
    assert status_of(debt) == "disputed"
    assert dispute_hold_close(debt_id=debt.pk, kind=HoldKind.CARD, reference="dp_old") == ("closed")
    assert status_of(debt) == "closed"


def test_a_debt_moved_on_meanwhile_is_left_alone(debt):
    dispute_hold_open(debt=debt, kind=HoldKind.CARD, reference="dp_1")
    debt_status_change(debt, to=DebtStatus.LEGAL, expect=[DebtStatus.DISPUTED])
    assert dispute_hold_close(debt_id=debt.pk, kind=HoldKind.CARD, reference="dp_1") is None
    assert status_of(debt) == "legal"
