from __future__ import annotations

import csv

import pytest
from django.core.management import CommandError, call_command

from portal.debtors.models import Debt
from tests.factories import PortfolioFactory

HEADER = (
    "account_ref,document_type,document_number,full_name,birth_date,phone,email,"
    "principal,interest,fees,due_date"
)
ALICIA = "CR-001,CC,1020304050,Alicia Peña,1985-04-12,3001234567,alicia@example.com,"

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="banco-andino-2026")


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "cartera.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                ALICIA + "1000,0,0,2026-09-01",
                "CR-002,CC,79555111,Bruno Díaz,,12,,700,0,0,2026-09-01",
                "CR-003,CC,80111222,Carmen Ruiz,,,,-1,0,0,2026-09-01",
            ]
        ),
        encoding="utf-8",
    )
    return path


def test_command_prints_counts_and_errors(capsys, portfolio, path):
    call_command("import_portfolio", str(path), portfolio="banco-andino-2026")

    out, err = capsys.readouterr()
    assert out.strip() == "imported=1 updated=0 rejected=2"
    assert "line 3, phone: no es un teléfono válido para CO" in err
    assert "line 4, principal: debe ser cero o más" in err
    assert Debt.objects.count() == 1


def test_reimport_through_the_command_changes_nothing(capsys, portfolio, path):
    call_command("import_portfolio", str(path), portfolio="banco-andino-2026")
    capsys.readouterr()

    call_command("import_portfolio", str(path), portfolio="banco-andino-2026")

    assert capsys.readouterr().out.strip() == "imported=0 updated=0 rejected=2"


def test_command_writes_the_errors_csv(capsys, portfolio, path, tmp_path):
    out_path = tmp_path / "errores.csv"

    call_command(
        "import_portfolio", str(path), portfolio="banco-andino-2026", errors_csv=str(out_path)
    )

    with out_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["line", "column", "reason"],
        ["3", "phone", "no es un teléfono válido para CO"],
        ["4", "principal", "debe ser cero o más"],
    ]


def test_a_refused_file_is_a_command_error_and_writes_nothing(portfolio, tmp_path):
    path = tmp_path / "foto.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")

    with pytest.raises(CommandError, match="refused, nothing imported: .*binary"):
        call_command("import_portfolio", str(path), portfolio="banco-andino-2026")

    assert not Debt.objects.exists()


def test_a_wrong_header_is_a_command_error(portfolio, tmp_path):
    path = tmp_path / "cartera.csv"
    path.write_text("cuenta,nombre\nCR-1,Ana\n", encoding="utf-8")

    with pytest.raises(CommandError, match="missing required columns"):
        call_command("import_portfolio", str(path), portfolio="banco-andino-2026")


def test_an_unknown_portfolio_is_a_command_error(path):
    with pytest.raises(CommandError, match="No portfolio with code 'no-existe'"):
        call_command("import_portfolio", str(path), portfolio="no-existe")


def test_a_missing_file_is_a_command_error(portfolio, tmp_path):
    with pytest.raises(CommandError, match="No file at"):
        call_command("import_portfolio", str(tmp_path / "nada.csv"), portfolio="banco-andino-2026")
