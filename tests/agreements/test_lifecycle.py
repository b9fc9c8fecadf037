"""The lifecycle's moves of agreements, installments and promises: each allowed one is made,
every other one is refused, and the services check their moves against the same maps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.lifecycle import (
    MOVES,
    LifecycleError,
    agreement_complete,
    installment_pay,
    promise_keep,
    status_move,
)
from agreements.models import (
    Agreement,
    AgreementStatus,
    Installment,
    InstallmentStatus,
    PromiseStatus,
    PromiseToPay,
)
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus
from tests.agreements.test_pdf import make_agreement

pytestmark = pytest.mark.django_db

STATUSES = {
    Agreement: AgreementStatus,
    Installment: InstallmentStatus,
    PromiseToPay: PromiseStatus,
}
ALLOWED = [
    pytest.param(model, before, to, id=f"{model.__name__}-{before}-{to}")
    for model, moves in MOVES.items()
    for before, targets in moves.items()
    for to in sorted(targets)
]
FORBIDDEN = [
    pytest.param(model, before, to, id=f"{model.__name__}-{before}-{to}")
    for model, choices in STATUSES.items()
    for before in choices.values
    for to in choices.values
    if to != before and to not in MOVES[model][before]
]


@pytest.fixture
def agreement(debtor, debt):
    return make_agreement(debtor=debtor, debts=[debt], installments=3)


@pytest.fixture
def rows(agreement, debtor, debt):
    """One row of each kind, by model."""
    promise = PromiseToPay.objects.create(
        debtor=debtor,
        debt=debt,
        currency="COP",
        amount_minor=100_000_00,
        promised_date=dt.date(2026, 12, 5),
    )
    return {
        Agreement: agreement,
        Installment: agreement.installments.order_by("number").first(),
        PromiseToPay: promise,
    }


def test_every_status_has_its_moves_written_down():
    for model, choices in STATUSES.items():
        assert set(MOVES[model]) == set(choices.values)
        assert all(before not in targets for before, targets in MOVES[model].items())


@pytest.mark.parametrize(("model", "before", "to"), ALLOWED)
def test_an_allowed_move_changes_the_row(rows, model, before, to):
    row = rows[model]
    model.objects.filter(pk=row.pk).update(status=before)
    moved = status_move(model.objects.filter(pk=row.pk), to=to, expect=[before])
    row.refresh_from_db()
    assert moved == 1
    assert row.status == to


@pytest.mark.parametrize(("model", "before", "to"), FORBIDDEN)
def test_a_move_the_maps_do_not_allow_is_refused(rows, model, before, to):
    row = rows[model]
    model.objects.filter(pk=row.pk).update(status=before)
    with pytest.raises(LifecycleError):
        status_move(model.objects.filter(pk=row.pk), to=to, expect=[before])
    row.refresh_from_db()
    assert row.status == before


def test_a_row_someone_moved_first_is_left_alone(rows):
    promise = rows[PromiseToPay]
    PromiseToPay.objects.filter(pk=promise.pk).update(status=PromiseStatus.BROKEN)
    assert not promise_keep(promise=promise, paid_minor=promise.amount_minor)
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN
    assert not AuditEvent.objects.filter(action="promise.kept").exists()


def test_paying_a_cancelled_installment_in_full_is_refused(rows):
    installment = rows[Installment]
    installment.status = InstallmentStatus.CANCELLED
    installment.save(update_fields=["status"])
    with pytest.raises(LifecycleError):
        installment_pay(
            installment=installment, amount_minor=installment.amount_minor, now=timezone.now()
        )


def test_a_partly_paid_installment_stays_open(rows):
    installment = rows[Installment]
    installment_pay(installment=installment, amount_minor=1_00, now=timezone.now())
    installment.refresh_from_db()
    assert installment.status == InstallmentStatus.PENDING
    assert installment.paid_minor == 1_00


def test_a_broken_agreement_is_not_completed(agreement, debt):
    Agreement.objects.filter(pk=agreement.pk).update(status=AgreementStatus.BROKEN)
    assert not agreement_complete(agreement=agreement)
    agreement.refresh_from_db()
    debt.refresh_from_db()
    assert agreement.status == AgreementStatus.BROKEN
    assert debt.status == DebtStatus.IN_AGREEMENT
    assert not AuditEvent.objects.filter(action="agreement.completed").exists()
