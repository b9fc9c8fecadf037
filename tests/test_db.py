"""portal/db.py gives the same rows on every engine: this file runs on SQLite in `make test`
and on PostgreSQL in CI's second round."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from portal import db
from portal.debtors.models import Debt
from tests.factories import DebtFactory, DebtorFactory

pytestmark = pytest.mark.django_db


def _one(sql: str, params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@pytest.mark.parametrize(
    ("later", "earlier", "days"),
    [
        (dt.date(2026, 3, 1), dt.date(2026, 2, 1), 28),
        (dt.date(2024, 3, 1), dt.date(2024, 2, 1), 29),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 11), -10),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1), 0),
    ],
)
def test_days_between_counts_whole_days_either_way(later, earlier, days):
    debt = DebtFactory(original_due_date=earlier)
    sql = f"SELECT {db.days_between_sql('%s', 'original_due_date')} FROM debtors_debt WHERE id = %s"
    assert _one(sql, [later, debt.pk]) == (days,)


def test_first_row_join_takes_the_first_row_by_order_or_nulls():
    maria, jose = DebtorFactory(full_name="María Gómez"), DebtorFactory(full_name="José Díaz")
    first = DebtFactory(debtor=maria, account_ref="TC-1")
    DebtFactory(debtor=maria, account_ref="TC-2")
    join = db.first_row_join(
        table="debtors_debt",
        alias="f",
        columns=["account_ref", "currency"],
        where="c.debtor_id = p.id",
        order="c.id",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.full_name, f.account_ref, f.currency FROM debtors_debtor p {join} "
            "WHERE p.id IN (%s, %s) ORDER BY p.id",
            [maria.pk, jose.pk],
        )
        rows = cursor.fetchall()
    assert rows == [("María Gómez", "TC-1", first.currency), ("José Díaz", None, None)]


def test_ids_param_selects_exactly_those_rows():
    debts = [DebtFactory() for _ in range(3)]
    wanted = [debts[0].pk, debts[2].pk]
    found = Debt.objects.filter(pk__in=db.ids_param(wanted)).values_list("pk", flat=True)
    assert sorted(found) == wanted
    assert not Debt.objects.filter(pk__in=db.ids_param([])).exists()


def test_local_date_is_the_day_in_that_timezone():
    debt = DebtFactory()
    # 03:00 UTC on the 2nd is still the evening of the 1st in Bogotá (UTC-5).
    Debt.objects.filter(pk=debt.pk).update(created_at=dt.datetime(2026, 9, 2, 3, 0, tzinfo=dt.UTC))
    sql, params = db.local_date_sql("created_at", "America/Bogota")
    value = _one(f"SELECT {sql} FROM debtors_debt WHERE id = %s", [*params, debt.pk])[0]
    assert str(value) == "2026-09-01"


def test_transaction_helpers_run_inside_a_transaction():
    with transaction.atomic(), connection.cursor() as cursor:
        db.advisory_xact_lock(cursor, 42)
        db.set_local(cursor, "parallel_tuple_cost", "0.01")
        if db.is_postgresql():
            cursor.execute("SHOW parallel_tuple_cost")
            assert cursor.fetchone() == ("0.01",)
        db.analyze(cursor, ["debtors_debt"])
        # VACUUM cannot run in a transaction: it says it did not.
        assert db.vacuum_analyze(["debtors_debt"]) is False
