"""Bad input: refused files write nothing; bad rows are rejected whole with line,
column and reason. Runs through the default loader of the database under test."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from portal.audit.models import AuditEvent
from portal.debtors.importing import (
    FileRefused,
    RowError,
    errors_csv_write,
    portfolio_import_file,
)
from portal.debtors.importing.parsing import RowReader, source_open
from portal.debtors.importing.pg_loader import copy_line
from portal.debtors.importing.phones import PhoneNormalizer
from portal.debtors.importing.values import amount_parser, email_valid, validate_email
from portal.debtors.models import Debt, Debtor
from tests.factories import DebtFactory, DebtorFactory, PortfolioFactory

HEADER = (
    "account_ref,document_type,document_number,full_name,birth_date,phone,email,"
    "principal,interest,fees,due_date"
)
GOOD = {
    "account_ref": "CR-001",
    "document_type": "CC",
    "document_number": "1020304050",
    "full_name": "Alicia Peña",
    "birth_date": "1985-04-12",
    "phone": "3001234567",
    "email": "alicia@example.com",
    "principal": "1000.00",
    "interest": "0",
    "fees": "0",
    "due_date": "2026-09-01",
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reasons_in_english():
    """The parser's reasons are pinned here by their English source text; staff read them
    translated (Spanish by default: test_import_admin, test_import_command)."""
    with translation.override("en"):
        yield


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="banco-andino-2026", currency="COP", country="CO")


def row(**changes: str) -> str:
    values = {**GOOD, **changes}
    return ",".join(values[name] for name in HEADER.split(","))


def import_bytes(tmp_path, portfolio, data: bytes):
    path = tmp_path / "cartera.csv"
    path.write_bytes(data)
    return portfolio_import_file(portfolio=portfolio, path_or_file=path)


def import_text(tmp_path, portfolio, *rows: str, header: str = HEADER):
    return import_bytes(tmp_path, portfolio, "\n".join([header, *rows]).encode("utf-8") + b"\n")


def assert_nothing_written() -> None:
    assert not Debt.objects.exists()
    assert not Debtor.objects.exists()
    assert not AuditEvent.objects.filter(action="portfolio.imported").exists()


def test_utf8_with_bom_is_read(tmp_path, portfolio):
    data = "\ufeff" + HEADER + "\n" + row() + "\n"

    result = import_bytes(tmp_path, portfolio, data.encode("utf-8"))

    assert result.imported == 1
    assert Debtor.objects.get().full_name == "Alicia Peña"


def test_plain_utf8_is_read(tmp_path, portfolio):
    result = import_text(tmp_path, portfolio, row(full_name="José Núñez"))

    assert result.imported == 1
    assert Debtor.objects.get().full_name == "José Núñez"


def test_latin1_names_are_decoded(tmp_path, portfolio):
    data = (HEADER + "\n" + row(full_name="Mónica Peña") + "\n").encode("latin-1")

    result = import_bytes(tmp_path, portfolio, data)

    assert result.imported == 1
    assert Debtor.objects.get().full_name == "Mónica Peña"


def test_semicolon_file_takes_grouped_and_comma_decimal_amounts(tmp_path, portfolio):
    header = HEADER.replace(",", ";")
    lines = [
        "CR-001;CC;1020304050;Alicia Peña;12/04/1985;3001234567;;1.234.567,89;1234,5;1.500;"
        "01/09/2026",
        "CR-002;CC;79555111;Bruno Díaz;;;;1234567.89;0;0;2026-09-01",
    ]

    result = import_bytes(tmp_path, portfolio, "\n".join([header, *lines]).encode("utf-8"))

    assert (result.imported, result.rejected) == (2, 0)
    alicia = Debt.objects.get(account_ref="CR-001")
    assert (alicia.principal_due_minor, alicia.interest_due_minor, alicia.fees_due_minor) == (
        123456789,
        123450,
        150000,
    )
    assert alicia.original_due_date == dt.date(2026, 9, 1)
    assert alicia.debtor.birth_date == dt.date(1985, 4, 12)
    assert Debt.objects.get(account_ref="CR-002").principal_due_minor == 123456789


def test_header_is_case_insensitive_trimmed_and_in_any_order(tmp_path, portfolio):
    names = HEADER.split(",")
    header = ", ".join(name.upper() for name in reversed(names))
    line = ",".join(GOOD[name] for name in reversed(names))

    result = import_text(tmp_path, portfolio, line, header=header)

    assert result.imported == 1


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("due_date", "31/02/2026", "not a date"),
        ("due_date", "2026/09/01", "not a date"),
        ("birth_date", "2099-01-01", "in the past"),
        ("birth_date", "1899-12-31", "1900-01-01"),
        ("principal", "-5", "zero or more"),
        ("interest", "10.123", "more than 2 decimals"),
        ("fees", "1.234", "more than 2 decimals"),  # grouping is for ; files only
        ("fees", "12abc", "not an amount"),
        ("phone", "12345", "not a valid phone number for CO"),
        ("phone", "+57 300 123", "not a valid phone number for CO"),
        ("email", "alicia@", "not a valid email"),
        ("document_number", "12AB", "3 to 10 digits"),
        ("document_type", "XX", "unknown type"),
        ("full_name", "", "required"),
        ("account_ref", "", "required"),
        ("principal", "", "required"),
        ("due_date", "", "required"),
    ],
)
def test_a_bad_value_rejects_its_row_naming_line_and_column(
    tmp_path, portfolio, column, value, reason
):
    other = row(account_ref="CR-000", document_number="79555111")

    result = import_text(tmp_path, portfolio, other, row(**{column: value}))

    assert (result.imported, result.rejected) == (1, 1)
    (error,) = result.errors
    assert (error.line, error.column) == (3, column)
    assert reason in error.reason
    assert not Debt.objects.filter(account_ref=GOOD["account_ref"]).exists()


def test_bad_nit_check_digit_is_rejected_and_a_good_one_stored_compact(tmp_path, portfolio):
    result = import_text(
        tmp_path,
        portfolio,
        row(account_ref="CR-001", document_type="NIT", document_number="900.123.456-8"),
        row(account_ref="CR-002", document_type="nit", document_number="900123456-7"),
    )

    assert (result.imported, result.rejected) == (1, 1)
    assert result.errors == [RowError(3, "document_number", "the NIT check digit is wrong")]
    assert Debtor.objects.get().document_number == "9001234568"


def test_wrong_currency_and_language_are_rejected(tmp_path, portfolio):
    header = HEADER + ",currency,language"

    result = import_text(
        tmp_path,
        portfolio,
        row(account_ref="CR-001") + ",COP,en",
        row(account_ref="CR-002") + ",USD,es",
        row(account_ref="CR-003") + ",,fr",
        header=header,
    )

    assert result.imported == 1
    assert [(e.line, e.column) for e in result.errors] == [(3, "currency"), (4, "language")]
    assert Debtor.objects.get().language == "en"


def test_state_is_read_in_any_case_and_trimmed(tmp_path, portfolio):
    header = HEADER + ",state"

    result = import_text(
        tmp_path,
        portfolio,
        row(account_ref="CR-001") + ", ma ",
        row(account_ref="CR-002", document_number="79555111") + ",Pr",
        row(account_ref="CR-003", document_number="80111222") + ",",
        header=header,
    )

    assert (result.imported, result.rejected) == (3, 0), result.errors
    states = dict(Debtor.objects.values_list("document_number", "state"))
    assert states == {"1020304050": "MA", "79555111": "PR", "80111222": ""}


@pytest.mark.parametrize("value", ["XX", "Mass", "M", "UM", "CZ", "M A"])
def test_a_code_that_is_no_usps_state_rejects_its_row(tmp_path, portfolio, value):
    header = HEADER + ",state"

    result = import_text(
        tmp_path,
        portfolio,
        row(account_ref="CR-000", document_number="79555111") + ",NY",
        row() + f",{value}",
        header=header,
    )

    assert (result.imported, result.rejected) == (1, 1)
    assert result.errors == [
        RowError(
            3,
            "state",
            "not a US state or territory (use its two-letter USPS code, such as MA)",
        )
    ]
    assert not Debtor.objects.filter(document_number=GOOD["document_number"]).exists()


def test_every_error_of_a_row_is_reported(tmp_path, portfolio):
    result = import_text(tmp_path, portfolio, row(principal="-1", email="x", phone="1"))

    assert result.rejected == 1
    assert [e.column for e in result.errors] == ["principal", "phone", "email"]


def test_duplicate_account_ref_rejects_the_later_row_naming_the_earlier_line(tmp_path, portfolio):
    result = import_text(
        tmp_path,
        portfolio,
        row(),
        row(account_ref="CR-002", document_number="79555111"),
        row(document_number="80111222"),
    )

    assert (result.imported, result.rejected) == (2, 1)
    assert result.errors == [RowError(4, "account_ref", "duplicate account_ref, first on line 2")]


def test_account_ref_of_another_debtor_is_rejected(tmp_path, portfolio):
    DebtFactory(portfolio=portfolio, account_ref="CR-001", debtor=DebtorFactory(full_name="Bruno"))

    result = import_text(tmp_path, portfolio, row())

    assert result.rejected == 1
    assert result.errors[0].column == "account_ref"
    assert "another debtor" in result.errors[0].reason


def test_a_row_with_missing_fields_is_rejected(tmp_path, portfolio):
    result = import_text(tmp_path, portfolio, "CR-001,CC,1020304050")

    assert result.errors == [RowError(2, "(row)", "expected 11 fields, found 3")]


def test_errors_report_physical_line_numbers(tmp_path, portfolio):
    multiline = row(account_ref="CR-001", full_name='"Alicia\nPeña"')

    result = import_text(tmp_path, portfolio, "", multiline, row(account_ref="CR-002", fees="-1"))

    assert result.imported == 1
    assert result.errors == [RowError(5, "fees", "must be zero or more")]


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (HEADER.replace(",email", ""), "missing required columns: email"),
        (HEADER + ",saldo", "unknown columns: saldo"),
        (HEADER + ",phone", "duplicate columns: phone"),
        ("cuenta,documento,nombre", "missing required columns: account_ref"),
    ],
)
def test_a_wrong_header_refuses_the_file_and_writes_nothing(tmp_path, portfolio, header, named):
    with pytest.raises(FileRefused, match=named):
        import_text(tmp_path, portfolio, row(), header=header)

    assert_nothing_written()


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # an .xlsx is a zip
        (HEADER + "\n" + row() + "\n").encode() + b"\x00\x01\x02",
    ],
    ids=["png", "xlsx", "csv-with-binary-tail"],
)
def test_a_binary_file_is_refused_and_writes_nothing(tmp_path, portfolio, data):
    with pytest.raises(FileRefused, match="binary"):
        import_bytes(tmp_path, portfolio, data)

    assert_nothing_written()


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n"], ids=["empty", "bom", "blank"])
def test_an_empty_file_is_refused_and_writes_nothing(tmp_path, portfolio, data):
    with pytest.raises(FileRefused, match="empty"):
        import_bytes(tmp_path, portfolio, data)

    assert_nothing_written()


def test_a_file_object_can_be_imported(portfolio):
    handle = io.BytesIO((HEADER + "\n" + row() + "\n").encode("utf-8"))

    result = portfolio_import_file(portfolio=portfolio, path_or_file=handle)

    assert result.imported == 1


def test_errors_csv_has_line_column_reason():
    buffer = io.StringIO()

    errors_csv_write([RowError(3, "phone", "not a valid phone number, for CO")], buffer)

    assert buffer.getvalue().splitlines() == [
        "line,column,reason",
        '3,phone,"not a valid phone number, for CO"',
    ]


def test_errors_csv_defuses_cells_a_spreadsheet_would_run():
    buffer = io.StringIO()

    errors_csv_write(
        [RowError(4, "full_name", '=HYPERLINK("http://x")'), RowError(5, "-col", "+1")], buffer
    )

    assert list(csv.reader(io.StringIO(buffer.getvalue())))[1:] == [
        ["4", "full_name", '\'=HYPERLINK("http://x")'],
        ["5", "'-col", "'+1"],
    ]


def test_parallel_validation_gives_the_same_rows_and_errors_as_serial(tmp_path):
    lines = [HEADER]
    for n in range(300):
        lines.append(
            row(
                account_ref=f"CR-{n % 290:03d}",
                document_number=str(10_000_000 + n),
                phone="12" if n % 7 == 0 else f"300{n:07d}",
                principal="-1" if n % 11 == 0 else f"{n}.50",
            )
        )
    path = tmp_path / "grande.csv"
    path.write_text("\n".join(lines), encoding="utf-8")

    def read(parallel: bool):
        reader = RowReader(
            source_open(path),
            country="CO",
            currency="COP",
            today=dt.date(2026, 11, 25),
            parallel=parallel,
        )
        text = "".join(reader.formatted(copy_line))
        return text, reader.errors, reader.rejected, reader.processed

    serial = read(False)
    assert serial == read(True)
    assert serial[2] > 0 and serial[3] == 300
    assert serial[0].count("\n") == 300 - serial[2]


@pytest.mark.parametrize("country", ["CO", "US", "MX", "BR", "ES"])
def test_phone_fast_path_agrees_with_phonenumbers(country):
    normalize = PhoneNormalizer(country)
    code = normalize.code
    rnd = random.Random(country)

    for _ in range(3000):
        digits = str(rnd.randrange(10**5, 10**12))
        shape = rnd.choice(
            [digits, f"+{code}{digits}", f"+{code} {digits[:3]} {digits[3:]}", f"0{digits}"]
        )
        try:
            parsed = phonenumbers.parse(shape, country)
            expected = (
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                if phonenumbers.is_valid_number(parsed)
                else None
            )
        except phonenumbers.NumberParseException:
            expected = None
        assert normalize(shape) == expected, shape


@pytest.mark.parametrize(
    ("semicolon", "value", "expected"),
    [
        (False, "1234567.89", 123456789),
        (False, "1234567.8", 123456780),
        (False, "1234567", 123456700),
        (False, "007.05", 705),
        (False, "١٢٣.٤٥", 12345),  # any decimal digits, as the patterns' \d
        (False, "1.234", "more than 2 decimals"),
        (False, "1.", "not an amount"),
        (False, ".5", "not an amount"),
        (False, "1.2.3", "not an amount"),
        (False, "1,5", "not an amount"),
        (False, "-1.00", "zero or more"),
        (False, "²", "not an amount"),
        (True, "1500", 150000),
        (True, "1.500", 150000),  # thousands in ; files
        (True, "1.234.567,89", 123456789),
        (True, "1234,5", 123450),
        (True, "1234567.89", 123456789),
        (True, "1.5", 150),
        (False, "10000000000000", 10**15),  # the largest accepted, in whole units
        (False, "10000000000000.01", "too large"),
        (True, "10.000.000.000.000,01", "too large"),
        (False, "99999999999999999999999", "too large"),  # would overflow bigint
    ],
)
def test_amounts_read_by_the_fast_path_and_the_patterns_alike(semicolon, value, expected):
    parsed = amount_parser(semicolon=semicolon, exponent=2)(value)

    if isinstance(expected, int):
        assert parsed == expected
    else:
        assert expected in parsed


@pytest.mark.parametrize(
    "value",
    [
        "alicia@example.com",
        "Alicia.Peña@example.com",
        "a@b",
        "a@localhost",
        "a@[127.0.0.1]",
        "a@[300.1.1.1]",
        '"quoted user"@example.com',
        "a@@example.com",
        "a@example..com",
        "a@-example.com",
        "a@ejemplo.españa",
        "a@xn--espaa-rta.es",
        "@example.com",
        "a@",
        "a" * 310 + "@example.com",
        "",
    ],
)
def test_email_check_agrees_with_djangos_validator(value):
    try:
        validate_email(value)
        expected = True
    except ValidationError:
        expected = False

    assert email_valid(value) is expected
    assert email_valid(value) is expected  # the remembered domain verdict too
