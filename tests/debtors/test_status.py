"""The debt status table and the one service that moves a debt through it."""

import pytest

from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus
from portal.debtors.status import MOVES, DebtStatusError, debt_status_change
from tests.factories import DebtFactory

pytestmark = pytest.mark.django_db

ALLOWED = [(before, to) for before, targets in MOVES.items() for to in sorted(targets)]
FORBIDDEN = [
    (before, to)
    for before in DebtStatus.values
    for to in DebtStatus.values
    if to not in MOVES[before]
]


def test_every_status_has_its_moves_written_down():
    assert set(MOVES) == set(DebtStatus.values)
    assert all(before not in targets for before, targets in MOVES.items())


@pytest.mark.parametrize(("before", "to"), ALLOWED)
def test_an_allowed_move_changes_the_debt_and_is_audited(before, to):
    debt = DebtFactory(status=before)
    moved = debt_status_change(debt, to=to, expect=[before], event="debt.status_changed")
    debt.refresh_from_db()
    assert moved == [debt.pk]
    assert debt.status == to
    entry = AuditEvent.objects.get(action="debt.status_changed")
    assert entry.subject_id == str(debt.pk)
    assert entry.debtor_id == debt.debtor_id
    assert entry.details == {"from": before, "to": to}


@pytest.mark.parametrize(("before", "to"), FORBIDDEN)
def test_a_move_the_table_does_not_allow_is_refused(before, to):
    debt = DebtFactory(status=before)
    with pytest.raises(DebtStatusError):
        debt_status_change(debt, to=to, expect=[before], event="debt.status_changed")
    debt.refresh_from_db()
    assert debt.status == before
    assert not AuditEvent.objects.filter(action="debt.status_changed").exists()


def test_a_debt_someone_moved_first_is_left_alone():
    debt = DebtFactory(status=DebtStatus.CLOSED)
    other = DebtFactory(status=DebtStatus.ACTIVE)
    moved = debt_status_change(
        [debt.pk, other.pk], to=DebtStatus.IN_AGREEMENT, expect=[DebtStatus.ACTIVE]
    )
    debt.refresh_from_db()
    assert moved == [other.pk]
    assert debt.status == DebtStatus.CLOSED
