"""The data migration that gives existing debts their components replays each ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.debtors.models import Debt, LedgerEntry

BEFORE = [("debtors", "0009_portfolio_payment_methods")]
AFTER = [("debtors", "0010_outstanding_components_and_entry_split")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_ledgers_are_replayed_interest_first():
    old = _migrate(BEFORE)
    try:
        creditor = old.get_model("debtors", "Creditor").objects.create(name="Banco Andino")
        portfolio = old.get_model("debtors", "Portfolio").objects.create(
            creditor=creditor, code="tarjetas", name="Tarjetas", currency="COP"
        )
        debtor = old.get_model("debtors", "Debtor").objects.create(
            document_type="CC", document_number="1020304050", full_name="Ana María Peña"
        )
        debt = old.get_model("debtors", "Debt").objects.create(
            portfolio=portfolio,
            debtor=debtor,
            account_ref="TC-100",
            currency="COP",
            principal_due_minor=100_000,
            interest_due_minor=10_000,
            fees_due_minor=5_000,
            balance_minor=0,
            original_due_date=dt.date(2026, 9, 1),
        )
        entry = old.get_model("debtors", "LedgerEntry").objects
        for kind, amount, text in [
            ("charge", 115_000, "Saldo asignado por importación"),
            ("charge", 1_400, "Intereses de mora del periodo"),
            ("payment", -20_000, "PAY-1"),  # 11.400 interest, 5.000 fees, 3.600 principal
            ("refund", 5_000, "PAY-1 refund"),  # gives back principal, then fees
            ("discount", -3_000, "AC-1"),  # 1.400 fees, then 1.600 principal
            ("reversal", 3_000, "AC-1 discount reversed"),
        ]:
            entry.create(
                debt=debt,
                kind=kind,
                amount_minor=amount,
                currency="COP",
                effective_date=dt.date(2026, 11, 1),
                description=text,
            )
        old.get_model("debtors", "Debt").objects.filter(pk=debt.pk).update(balance_minor=101_400)

        _migrate(AFTER)

        migrated = Debt.objects.get(pk=debt.pk)
        assert (migrated.principal_minor, migrated.interest_minor, migrated.fees_minor) == (
            100_000,
            0,
            1_400,
        )
        entries = list(LedgerEntry.objects.filter(debt=migrated).order_by("id"))
        splits = [(e.principal_minor, e.interest_minor, e.fees_minor) for e in entries]
        assert splits == [
            (100_000, 10_000, 5_000),
            (0, 1_400, 0),
            (-3_600, -11_400, -5_000),
            (3_600, 0, 1_400),
            (-1_600, 0, -1_400),
            (1_600, 0, 1_400),
        ]
        assert entries[3].reverses_id == entries[2].pk
        assert entries[5].reverses_id == entries[4].pk
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
