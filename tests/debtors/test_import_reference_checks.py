"""The PostgreSQL loader checks its foreign keys set-based when the role allows it.

Both ways must write exactly the same rows; the per-row triggers must be back on before
the transaction goes on to write anything else (the audit event).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from portal.debtors.importing import pg_loader
from portal.debtors.importing.values import ImportRow
from portal.debtors.models import Debt, Debtor, LedgerEntry
from tests.factories import DebtFactory, DebtorFactory, StaffFactory

from .test_import_loading import ALICIA, BRUNO, portfolio, run, write  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def snapshot():
    return (
        sorted(Debtor.objects.values_list("document_number", "full_name", "phones", "emails")),
        sorted(Debt.objects.values_list("account_ref", "debtor__document_number", "balance_minor")),
        sorted(LedgerEntry.objects.values_list("debt__account_ref", "kind", "amount_minor")),
    )


def test_both_ways_of_checking_write_the_same_rows(tmp_path, portfolio, settings):  # noqa: F811
    existing = DebtorFactory(document_type="CC", document_number="79555111", full_name="B. Díaz")
    DebtFactory(portfolio=portfolio, debtor=existing, account_ref="CR-002")
    path = write(tmp_path, ALICIA + "1500000,0,0,2026-01-10", BRUNO + "2000000,10,0,2026-02-01")
    staff = StaffFactory()

    def import_with(set_based: bool):
        settings.PORTFOLIO_IMPORT_SET_BASED_CHECKS = set_based
        savepoint = transaction.savepoint()
        result = run(portfolio, path, "postgres", actor=staff)
        written = snapshot()
        transaction.savepoint_rollback(savepoint)
        return (result.imported, result.updated, result.rejected), written

    set_based = import_with(True)
    assert set_based == import_with(False)
    counts, (debtors, debts, entries) = set_based
    assert counts == (1, 1, 0)
    assert [d[:2] for d in debtors] == [("1020304050", "Alicia Peña"), ("79555111", "Bruno Díaz")]
    assert [d[:2] for d in debts] == [("CR-001", "1020304050"), ("CR-002", "79555111")]
    assert ("CR-001", "charge", 150000000) in entries
    assert any(e[:2] == ("CR-002", "adjustment") for e in entries)


def test_row_triggers_are_back_on_when_the_loader_returns(tmp_path, portfolio):  # noqa: F811
    reader = _reader(tmp_path, portfolio)
    with transaction.atomic():
        pg_loader.stage(reader)
        pg_loader.apply(
            portfolio=portfolio, reader=reader, today=dt.date(2026, 11, 25), now=_now(), actor=None
        )
        with connection.cursor() as cursor:
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone() == ("origin",)
    pg_loader.drop_temp_tables()
    assert Debt.objects.count() == 1


def test_a_role_that_may_not_skip_triggers_keeps_the_row_checks(db):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN CREATE ROLE portal_import_probe NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        cursor.execute("SET LOCAL ROLE portal_import_probe")
        cursor.execute("CREATE TEMP TABLE import_debtor (document_type text, document_number text)")

        assert pg_loader._defer_reference_checks(cursor, actor=None) is False

        cursor.execute("SHOW session_replication_role")  # the transaction is still usable
        assert cursor.fetchone() == ("origin",)
        cursor.execute("RESET ROLE")
        cursor.execute("DROP TABLE import_debtor")


def test_copy_lines_escape_what_copy_treats_specially():
    row = ImportRow(
        7, "CR\t7", "CC", "123", "Ana \\ Peña", None, None, "a\rb@x.co", None, 1, 0, 0,
        dt.date(2026, 1, 2),
    )  # fmt: skip
    assert pg_loader.copy_line(row) == (
        "7\tCR\\t7\tCC\t123\tAna \\\\ Peña\t\\N\t\\N\ta\\rb@x.co\t\\N\t1\t0\t0\t2026-01-02"
        "\t\\N\t\\N\n"  # no consent columns, no state given
    )
    assert pg_loader.copy_line(row._replace(consent="y--n", state="MA")).endswith(
        "\t2026-01-02\ty--n\tMA\n"
    )


def _reader(tmp_path, portfolio):  # noqa: F811
    from portal.debtors.importing.parsing import RowReader, source_open

    path = write(tmp_path, ALICIA + "1500000,0,0,2026-01-10")
    return RowReader(source_open(path), country="CO", currency="COP", today=dt.date(2026, 11, 25))


def _now():
    from django.utils import timezone

    return timezone.now()
