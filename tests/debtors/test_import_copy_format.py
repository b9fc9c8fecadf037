"""The PostgreSQL loader formats COPY text itself; awkward characters must survive it."""

import pytest

from portal.debtors.models import Debt, Debtor

from .test_import_loading import portfolio, run, write  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_backslashes_and_quotes_reach_the_database_unchanged(tmp_path, portfolio):  # noqa: F811
    name = "Peña \\N O'Neil \\ \\t Díaz"  # a literal backslash-N, backslash and backslash-t
    csv_row = f'CR-\\9,CC,1020304050,"{name}",,,,100,0,0,2026-01-01'
    result = run(portfolio, write(tmp_path, csv_row), "postgres")
    assert (result.imported, result.rejected) == (1, 0), result.errors
    assert Debtor.objects.get().full_name == name
    assert Debt.objects.get().account_ref == "CR-\\9"
    assert Debtor.objects.get().birth_date is None  # empty value arrives as NULL, not "\N"
