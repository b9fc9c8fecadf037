"""Property test: random charge/payment/discount/refund/reversal sequences keep
principal + interest + fees = balance, with interest imputed first."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.debtors.imputation import Parts
from portal.debtors.models import LedgerEntry
from portal.debtors.services import ledger_post
from tests.factories import DebtFactory

amounts = st.integers(min_value=1, max_value=5_000_000_00)
step = st.one_of(
    st.tuples(st.just("charge"), st.sampled_from(["principal", "interest", "fees"]), amounts),
    st.tuples(st.sampled_from(["payment", "discount", "adjustment-"]), st.none(), amounts),
    st.tuples(st.just("adjustment+"), st.sampled_from(["principal", "interest", "fees"]), amounts),
    # Which earlier entry to undo (an index into the ones that can be), and how much of it.
    st.tuples(st.sampled_from(["refund", "reversal"]), st.integers(0, 50), st.floats(0.01, 1)),
)


def _parts(entry: LedgerEntry) -> Parts:
    return Parts(entry.principal_minor, entry.interest_minor, entry.fees_minor)


def _remaining(entry: LedgerEntry) -> Parts:
    undone = entry.reversed_by.aggregate(
        p=Sum("principal_minor"), i=Sum("interest_minor"), f=Sum("fees_minor")
    )
    return _parts(entry) + Parts(*(undone[k] or 0 for k in "pif"))


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=14))
def test_components_always_add_up_to_the_balance(steps):
    debt = DebtFactory()
    now = Parts()
    for kind, how, amount in steps:
        debt.refresh_from_db()
        before = Parts(debt.principal_minor, debt.interest_minor, debt.fees_minor)
        if kind in ("refund", "reversal"):
            undoable = [
                e
                for e in debt.ledger_entries.order_by("id")
                if e.reverses_id is None
                and (kind == "reversal" or e.kind == "payment")
                and _remaining(e).total
            ]
            if not undoable:
                continue
            target = undoable[how % len(undoable)]
            left = _remaining(target)
            size = max(1, int(abs(left.total) * amount))
            sign = -1 if left.total > 0 else 1
            entry = ledger_post(debt=debt, kind=kind, amount_minor=sign * size, reverses=target)
            if size == abs(left.total) and sign > 0:
                assert _parts(entry) == -left  # a whole refund gives back exactly
        elif kind in ("charge", "adjustment+"):
            kind = "charge" if kind == "charge" else "adjustment"
            entry = ledger_post(debt=debt, kind=kind, amount_minor=amount, component=how)
            assert _parts(entry) == Parts(**{how: amount})
        else:
            entry = ledger_post(debt=debt, kind=kind.rstrip("-"), amount_minor=-amount)
            # Interest first, then fees, then principal (Código Civil art. 1653).
            to_interest = min(amount, before.interest)
            to_fees = min(amount - to_interest, before.fees)
            assert _parts(entry) == Parts(-(amount - to_interest - to_fees), -to_interest, -to_fees)
        debt.refresh_from_db()
        now = Parts(debt.principal_minor, debt.interest_minor, debt.fees_minor)
        assert now.total == debt.balance_minor
        assert now == before + _parts(entry)
        assert debt.interest_minor >= 0 and debt.fees_minor >= 0
    totals = LedgerEntry.objects.filter(debt=debt).aggregate(
        a=Sum("amount_minor"),
        p=Sum("principal_minor"),
        i=Sum("interest_minor"),
        f=Sum("fees_minor"),
    )
    assert Parts(totals["p"] or 0, totals["i"] or 0, totals["f"] or 0) == now
    assert (totals["a"] or 0) == debt.balance_minor
