"""Upserts, ledger and idempotency: every case runs through both loaders.

The ORM loader runs everywhere; the PostgreSQL COPY loader only on PostgreSQL, where
both must give identical results.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import translation

from portal.audit.models import AuditEvent
from portal.debtors import services
from portal.debtors.importing import FileRefused, portfolio_import_file
from portal.debtors.models import Debt, Debtor, LedgerEntry
from tests.factories import DebtFactory, DebtorFactory, PortfolioFactory, StaffFactory

HEADER = (
    "account_ref,document_type,document_number,full_name,birth_date,phone,email,"
    "principal,interest,fees,due_date"
)
ALICIA = "CR-001,CC,1.020.304.050,Alicia Peña,1985-04-12,300 123 4567,Alicia@Example.com,"
BRUNO = "CR-002,CC,79555111,Bruno Díaz,,+57 310 555 0101,,"

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["orm", pytest.param("postgres", marks=pytest.mark.postgres)])
def loader(request) -> str:
    return request.param


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="banco-andino-2026", currency="COP", country="CO")


def write(tmp_path: Path, *rows: str, name: str = "cartera.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def run(portfolio, path: Path, loader: str, actor=None):
    return portfolio_import_file(portfolio=portfolio, path_or_file=path, loader=loader, actor=actor)


def assert_ledger_invariant() -> None:
    for debt in Debt.objects.all():
        sums = debt.ledger_entries.aggregate(
            total=Sum("amount_minor"),
            p=Sum("principal_minor"),
            i=Sum("interest_minor"),
            f=Sum("fees_minor"),
        )
        assert debt.balance_minor == (sums["total"] or 0), debt.account_ref
        outstanding = (debt.principal_minor, debt.interest_minor, debt.fees_minor)
        assert outstanding == (sums["p"] or 0, sums["i"] or 0, sums["f"] or 0)
        assert sum(outstanding) == debt.balance_minor


def outstanding(debt: Debt) -> tuple[int, int, int]:
    debt.refresh_from_db()
    return debt.principal_minor, debt.interest_minor, debt.fees_minor


def test_new_rows_create_debtors_debts_and_one_charge_each(tmp_path, portfolio, loader):
    agent = StaffFactory(username="agente-lucia")
    path = write(
        tmp_path, ALICIA + "1234567.89,1000.50,0,2026-09-01", BRUNO + "500000,0,25000,2026-12-15"
    )

    result = run(portfolio, path, loader, actor=agent)

    assert (result.imported, result.updated, result.rejected) == (2, 0, 0)
    alicia = Debtor.objects.get(document_type="CC", document_number="1020304050")
    assert alicia.full_name == "Alicia Peña"
    assert alicia.birth_date == dt.date(1985, 4, 12)
    assert alicia.phones == ["+573001234567"]
    assert alicia.emails == ["alicia@example.com"]
    assert alicia.language == "es"
    debt = Debt.objects.get(portfolio=portfolio, account_ref="CR-001")
    assert debt.debtor == alicia
    assert (debt.principal_due_minor, debt.interest_due_minor, debt.fees_due_minor) == (
        123456789,
        100050,
        0,
    )
    assert debt.currency == "COP"
    assert debt.balance_minor == 123556839
    today = services.portfolio_today(portfolio)
    assert debt.days_past_due == services.days_past_due(dt.date(2026, 9, 1), today)
    (charge,) = debt.ledger_entries.all()
    assert (charge.kind, charge.amount_minor, charge.effective_date) == ("charge", 123556839, today)
    assert charge.description == "Saldo asignado por importación"
    assert charge.created_by == agent
    bruno = Debtor.objects.get(document_number="79555111")
    assert (bruno.birth_date, bruno.emails, bruno.phones) == (None, [], ["+573105550101"])
    assert_ledger_invariant()


def test_reimporting_same_file_changes_nothing(tmp_path, portfolio, loader):
    path = write(
        tmp_path, ALICIA + "1234567.89,1000.50,0,2026-09-01", BRUNO + "500000,0,25000,2026-12-15"
    )
    run(portfolio, path, loader)
    before = {
        "debts": list(Debt.objects.order_by("pk").values()),
        "debtors": list(Debtor.objects.order_by("pk").values()),
        "ledger": LedgerEntry.objects.count(),
    }

    result = run(portfolio, path, loader)

    assert (result.imported, result.updated, result.rejected) == (0, 0, 0)
    assert list(Debt.objects.order_by("pk").values()) == before["debts"]  # updated_at too
    assert list(Debtor.objects.order_by("pk").values()) == before["debtors"]
    assert LedgerEntry.objects.count() == before["ledger"]


def test_changed_amounts_post_one_adjustment_and_keep_the_balance_invariant(
    tmp_path, portfolio, loader
):
    run(portfolio, write(tmp_path, ALICIA + "1000,100,0,2026-09-01"), loader)
    debt = Debt.objects.get(account_ref="CR-001")
    services.ledger_post(debt=debt, kind="payment", amount_minor=-30000)

    result = run(portfolio, write(tmp_path, ALICIA + "1200,100,50,2026-09-01"), loader)

    assert (result.imported, result.updated) == (0, 1)
    debt.refresh_from_db()
    assert debt.total_due_minor == 135000
    adjustment = debt.ledger_entries.get(kind="adjustment")
    assert adjustment.amount_minor == 135000 - 110000  # new total - old total, not vs balance
    assert adjustment.description == "Ajuste de saldo por importación"
    assert debt.balance_minor == 110000 - 30000 + 25000
    assert debt.ledger_entries.count() == 3
    # The payment took the 10.000 interest first; the increases land on their component.
    assert outstanding(debt) == (100000, 0, 5000)
    assert (adjustment.principal_minor, adjustment.interest_minor, adjustment.fees_minor) == (
        20000,
        0,
        5000,
    )
    assert_ledger_invariant()


def test_a_new_debt_starts_with_the_statements_components(tmp_path, portfolio, loader):
    run(portfolio, write(tmp_path, ALICIA + "1000,100,50,2026-09-01"), loader)

    debt = Debt.objects.get(account_ref="CR-001")
    assert outstanding(debt) == (100000, 10000, 5000)
    charge = debt.ledger_entries.get()
    assert (charge.principal_minor, charge.interest_minor, charge.fees_minor) == (
        100000,
        10000,
        5000,
    )


def test_statement_decreases_are_imputed_interest_first(tmp_path, portfolio, loader):
    run(portfolio, write(tmp_path, ALICIA + "1000,100,50,2026-09-01"), loader)
    debt = Debt.objects.get(account_ref="CR-001")
    services.ledger_post(debt=debt, kind="payment", amount_minor=-12000)  # interest, 20 fees
    assert outstanding(debt) == (100000, 0, 3000)

    # Interest down 80, fees up 30: the fees land, then the 80 cut finds no interest left
    # and is taken from fees, then principal.
    run(portfolio, write(tmp_path, ALICIA + "1000,20,80,2026-09-01"), loader)

    assert outstanding(debt) == (98000, 0, 0)
    assert debt.balance_minor == 98000
    assert_ledger_invariant()


def test_a_shift_between_components_posts_a_zero_adjustment(tmp_path, portfolio, loader):
    run(portfolio, write(tmp_path, ALICIA + "1000,100,0,2026-09-01"), loader)

    run(portfolio, write(tmp_path, ALICIA + "1100,0,0,2026-09-01"), loader)

    debt = Debt.objects.get(account_ref="CR-001")
    assert outstanding(debt) == (110000, 0, 0)
    assert debt.ledger_entries.get(kind="adjustment").amount_minor == 0
    assert_ledger_invariant()


def test_lower_amounts_post_a_negative_adjustment(tmp_path, portfolio, loader):
    run(portfolio, write(tmp_path, ALICIA + "1000,0,0,2026-09-01"), loader)

    run(portfolio, write(tmp_path, ALICIA + "400,0,0,2026-09-01"), loader)

    debt = Debt.objects.get(account_ref="CR-001")
    assert debt.ledger_entries.get(kind="adjustment").amount_minor == -60000
    assert debt.balance_minor == 40000
    assert_ledger_invariant()


def test_new_due_date_alone_updates_the_debt_without_a_ledger_entry(tmp_path, portfolio, loader):
    run(portfolio, write(tmp_path, ALICIA + "1000,0,0,2026-09-01"), loader)

    result = run(portfolio, write(tmp_path, ALICIA + "1000,0,0,2026-10-01"), loader)

    assert result.updated == 1
    debt = Debt.objects.get(account_ref="CR-001")
    assert debt.original_due_date == dt.date(2026, 10, 1)
    today = services.portfolio_today(portfolio)
    assert debt.days_past_due == services.days_past_due(dt.date(2026, 10, 1), today)
    assert list(debt.ledger_entries.values_list("kind", flat=True)) == ["charge"]


def test_a_new_debt_with_zero_total_gets_no_ledger_entry(tmp_path, portfolio, loader):
    result = run(portfolio, write(tmp_path, ALICIA + "0,0,0,2026-09-01"), loader)

    assert result.imported == 1
    debt = Debt.objects.get(account_ref="CR-001")
    assert debt.balance_minor == 0
    assert not debt.ledger_entries.exists()


def test_phones_and_emails_are_merged_keeping_the_first_as_main(tmp_path, portfolio, loader):
    carmen = DebtorFactory(
        document_number="52000111",
        full_name="Carmen Ruiz",
        phones=["+573001112233"],
        emails=["carmen@example.com"],
    )
    rows = (
        "CR-010,CC,52000111,Carmen Ruiz,,3209998877,carmen.ruiz@trabajo.co,100,0,0,2026-09-01",
        "CR-011,CC,52.000.111,Carmen Ruiz,,300 111 2233,CARMEN@example.com,100,0,0,2026-09-01",
        "CR-012,CC,52000111,Carmen Ruiz,,3209998877,,100,0,0,2026-09-01",
    )

    result = run(portfolio, write(tmp_path, *rows), loader)

    assert result.imported == 3
    carmen.refresh_from_db()
    assert carmen.phones == ["+573001112233", "+573209998877"]
    assert carmen.emails == ["carmen@example.com", "carmen.ruiz@trabajo.co"]


def test_later_rows_win_for_name_and_given_values_for_birth_date_and_language(
    tmp_path, portfolio, loader
):
    path = tmp_path / "con-idioma.csv"
    path.write_text(
        HEADER + ",language\n"
        "CR-020,CC,80111222,Diego Mora,1970-01-02,,,100,0,0,2026-09-01,en\n"
        "CR-021,CC,80111222,Diego Mora Pérez,,,,100,0,0,2026-09-01,\n",
        encoding="utf-8",
    )

    run(portfolio, path, loader)

    diego = Debtor.objects.get(document_number="80111222")
    assert (diego.full_name, diego.birth_date, diego.language) == (
        "Diego Mora Pérez",
        dt.date(1970, 1, 2),
        "en",
    )


def write_with_state(tmp_path: Path, *rows: str, name: str = "con-estado.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER + ",state", *rows]) + "\n", encoding="utf-8")
    return path


def test_state_is_stored_and_a_later_given_state_replaces_it(tmp_path, portfolio, loader):
    DebtorFactory(document_number="52000111", full_name="Carmen Ruiz", state="NY")
    first = write_with_state(
        tmp_path,
        ALICIA + "1000,0,0,2026-09-01, ma ",
        BRUNO + "700,0,0,2026-09-01,",
        "CR-010,CC,52000111,Carmen Ruiz,,,,100,0,0,2026-09-01,",  # empty: keeps NY
        "CR-020,CC,80111222,Diego Mora,,,,100,0,0,2026-09-01,ny",
        "CR-021,CC,80111222,Diego Mora,,,,100,0,0,2026-09-01,tx",  # the last given wins
        "CR-022,CC,80111222,Diego Mora,,,,100,0,0,2026-09-01,",
    )

    result = run(portfolio, first, loader)

    assert (result.imported, result.updated, result.rejected) == (6, 0, 0), result.errors
    states = dict(Debtor.objects.values_list("document_number", "state"))
    assert states == {"1020304050": "MA", "79555111": "", "52000111": "NY", "80111222": "TX"}

    moved = write_with_state(
        tmp_path,
        ALICIA + "1000,0,0,2026-09-01,",  # empty: keeps MA
        BRUNO + "700,0,0,2026-09-01,PR",
        "CR-010,CC,52000111,Carmen Ruiz,,,,100,0,0,2026-09-01,ma",
        name="mudanzas.csv",
    )

    result = run(portfolio, moved, loader)

    assert (result.imported, result.updated, result.rejected) == (0, 2, 0)
    states = dict(Debtor.objects.values_list("document_number", "state"))
    assert states == {"1020304050": "MA", "79555111": "PR", "52000111": "MA", "80111222": "TX"}
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 0

    assert run(portfolio, moved, loader).updated == 0  # idempotent


def test_a_debtor_only_change_counts_as_updated(tmp_path, portfolio, loader):
    run(portfolio, write(tmp_path, ALICIA + "1000,0,0,2026-09-01"), loader)
    renamed = ALICIA.replace("Alicia Peña", "Alicia Peña Gómez")

    result = run(portfolio, write(tmp_path, renamed + "1000,0,0,2026-09-01"), loader)

    assert (result.imported, result.updated) == (0, 1)
    assert Debtor.objects.get(document_number="1020304050").full_name == "Alicia Peña Gómez"
    assert LedgerEntry.objects.count() == 1


def test_account_ref_of_another_debtor_is_rejected(tmp_path, portfolio, loader):
    bruno_debt = DebtFactory(
        portfolio=portfolio,
        account_ref="CR-001",
        debtor=DebtorFactory(document_number="79555111", full_name="Bruno Díaz"),
    )
    path = write(tmp_path, ALICIA + "1000,0,0,2026-09-01", BRUNO + "700,0,0,2026-09-01")

    result = run(portfolio, path, loader)

    assert (result.imported, result.updated, result.rejected) == (1, 0, 1)
    (error,) = result.errors
    assert (error.line, error.column) == (2, "account_ref")
    assert "otro deudor" in error.reason
    bruno_debt.refresh_from_db()
    assert bruno_debt.principal_due_minor == 1_000_000_00
    assert not Debtor.objects.filter(document_number="1020304050").exists()


def test_invalid_rows_are_rejected_while_valid_rows_load(tmp_path, portfolio, loader):
    path = write(
        tmp_path,
        ALICIA + "1000,0,0,2026-09-01",
        BRUNO + "-5,0,0,2026-09-01",
        "CR-003,CC,10101010,Elena Gil,,,,10,0,0,2026-13-01",
    )

    result = run(portfolio, path, loader)

    assert (result.imported, result.rejected) == (1, 2)
    assert [(e.line, e.column) for e in result.errors] == [(3, "principal"), (4, "due_date")]
    assert list(Debt.objects.values_list("account_ref", flat=True)) == ["CR-001"]


def test_an_amount_too_large_for_the_database_rejects_only_its_row(tmp_path, portfolio, loader):
    path = write(
        tmp_path, ALICIA + "1000,0,0,2026-09-01", BRUNO + "1,99999999999999999999,0,2026-09-01"
    )

    result = run(portfolio, path, loader)

    assert (result.imported, result.rejected) == (1, 1)
    assert [(e.line, e.column) for e in result.errors] == [(3, "interest")]
    assert "demasiado grande" in result.errors[0].reason


def test_one_audit_event_per_import(tmp_path, portfolio, loader):
    agent = StaffFactory(username="agente-marta")
    path = write(tmp_path, ALICIA + "1000,0,0,2026-09-01", BRUNO + "700,0,0,2026-09-01")

    result = run(portfolio, path, loader, actor=agent)

    (event,) = AuditEvent.objects.filter(action="portfolio.imported")
    assert event.actor_label == "agente-marta"
    assert event.details["portfolio"] == "banco-andino-2026"
    assert event.details["sha256"] == result.sha256
    assert (event.details["imported"], event.details["updated"], event.details["rejected"]) == (
        2,
        0,
        0,
    )
    assert not AuditEvent.objects.filter(action="ledger.posted").exists()


class Rollback(Exception):
    pass


def outcome(portfolio, path: Path, loader: str):
    """Import inside a rolled-back transaction; return the result and the database state."""
    try:
        with transaction.atomic():
            DebtFactory(
                portfolio=portfolio,
                account_ref="CR-900",
                debtor=DebtorFactory(
                    document_number="99000001",
                    phones=["+573001112233"],
                    emails=["fabio@old.example"],
                    state="FL",
                ),
            )
            result = run(portfolio, path, loader)
            state = (
                sorted(
                    Debtor.objects.values_list(
                        "document_type",
                        "document_number",
                        "full_name",
                        "birth_date",
                        "phones",
                        "emails",
                        "language",
                        "state",
                        "preferred_channel",
                    )
                ),
                sorted(
                    Debt.objects.values_list(
                        "account_ref",
                        "debtor__document_number",
                        "principal_due_minor",
                        "interest_due_minor",
                        "fees_due_minor",
                        "balance_minor",
                        "principal_minor",
                        "interest_minor",
                        "fees_minor",
                        "days_past_due",
                        "status",
                    )
                ),
                sorted(
                    LedgerEntry.objects.values_list(
                        "debt__account_ref",
                        "kind",
                        "amount_minor",
                        "principal_minor",
                        "interest_minor",
                        "fees_minor",
                        "description",
                    )
                ),
            )
            raise Rollback
    except Rollback:
        pass
    return (result.imported, result.updated, result.rejected, result.errors), state


@pytest.mark.postgres
def test_both_loaders_give_identical_results(tmp_path, portfolio):
    path = write(
        tmp_path,
        ALICIA + "1000,0,0,2026-09-01",
        BRUNO + "700,0,0,2026-09-01",
        "CR-900,CC,99000001,Fabio Lara,1990-05-05,3205550000,fabio@example.com,5,0,0,2026-01-01",
        "CR-003,CC,1020304050,Alicia P.,,3001234567,otra@example.com,0,0,0,2026-10-01",
        "CR-004,NIT,900.123.456-8,Ferretería Andina,,,,99.99,0,0,2026-11-01",
        "CR-005,CC,11,Corto,,,,1,0,0,2026-11-01",
        "CR-001,CC,1020304050,Repetida,,,,1,0,0,2026-11-01",
    )

    assert outcome(portfolio, path, "orm") == outcome(portfolio, path, "postgres")


@pytest.mark.postgres
def test_progress_is_reported_and_may_write_to_the_database(tmp_path, portfolio):
    rows = [
        f"CR-{n:05d},CC,{10_000_000 + n},Deudor {n},,3001{n:06d},,100,0,0,2026-09-01"
        for n in range(5_001)
    ]
    seen = []

    def progress(processed: int) -> None:
        # The admin task writes processed_rows on the import's connection; this must not
        # collide with the COPY the PostgreSQL loader runs on it.
        seen.append((processed, Debtor.objects.filter(document_number="1").exists()))

    result = portfolio_import_file(
        portfolio=portfolio, path_or_file=write(tmp_path, *rows), progress=progress
    )

    assert result.imported == 5_001
    assert [processed for processed, _ in seen] == [5_000, 5_001]


@pytest.mark.postgres
def test_both_loaders_give_identical_results_with_states(tmp_path, portfolio):
    path = write_with_state(
        tmp_path,
        ALICIA + "1000,0,0,2026-09-01,ma",
        BRUNO + "700,0,0,2026-09-01,",
        "CR-900,CC,99000001,Fabio Lara,,,,5,0,0,2026-01-01,",
        "CR-901,CC,99000001,Fabio Lara,,,,5,0,0,2026-01-01,ga",
        "CR-003,CC,1020304050,Alicia P.,,,,0,0,0,2026-10-01, Tx ",
        "CR-004,CC,1020304050,Alicia P.,,,,0,0,0,2026-10-01,",
        "CR-005,CC,80111222,Diego Mora,,,,1,0,0,2026-11-01,Massachusetts",
        "CR-006,CC,80111223,Elena Gil,,,,1,0,0,2026-11-01,vi",
    )

    orm = outcome(portfolio, path, "orm")

    assert orm == outcome(portfolio, path, "postgres")
    debtors = {d[1]: d[7] for d in orm[1][0]}
    assert debtors == {"1020304050": "TX", "79555111": "", "99000001": "GA", "80111223": "VI"}
    assert [(e.line, e.column) for e in orm[0][3]] == [(8, "state")]


@pytest.mark.parametrize(
    "rows",
    [
        (ALICIA + "1000,0,0,2026-09-01", "CR-009,CC,79555111," + "B" * 200_000 + ",,,,1,0,0,"),
        (ALICIA + "1000,0,0,2026-09-01", 'CR-009,CC,79555111,"Bruno never closed,,,,1,0,0,'),
    ],
    ids=["a-huge-field", "an-unclosed-quote-running-past-the-limit"],
)
def test_a_field_past_the_csv_limit_refuses_the_file_and_writes_nothing(
    tmp_path, portfolio, loader, rows
):
    first, second = rows
    # An unclosed quote swallows every later line into one field.
    later = [ALICIA.replace("CR-001", f"X{i:05d}") + "5,0,0,2026-09-01" for i in range(4000)]
    path = write(tmp_path, first, second, *later)

    with (
        translation.override("en"),
        pytest.raises(FileRefused, match="field longer than 131072 characters") as refused,
    ):
        run(portfolio, path, loader)

    assert "Line 3 " in str(refused.value)
    assert not Debt.objects.exists() and not Debtor.objects.exists()
    assert not AuditEvent.objects.filter(action="portfolio.imported").exists()


def test_a_header_past_the_csv_limit_refuses_the_file(tmp_path, portfolio, loader):
    path = tmp_path / "cartera.csv"
    path.write_text(HEADER + ',"' + "x" * 200_000 + '"\n', encoding="utf-8")

    with translation.override("en"), pytest.raises(FileRefused, match="Line 1 has a field longer"):
        run(portfolio, path, loader)

    assert not Debt.objects.exists()
