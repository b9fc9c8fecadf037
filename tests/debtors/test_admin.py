from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.debtors.admin import LEDGER_CAP
from portal.debtors.models import Debt, MoraStage
from portal.debtors.services import ledger_post
from tests.factories import (
    CreditorFactory,
    DebtFactory,
    DebtorFactory,
    PortfolioFactory,
    default_stages,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stages() -> dict[str, MoraStage]:
    return {s.code: s for s in default_stages()}


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="bancolombia-2026", creditor=CreditorFactory(name="Banco Andino"))


@pytest.fixture
def debtor():
    return DebtorFactory(full_name="María Fernanda Ríos", document_number="52123456")


@pytest.fixture
def other_debtor():
    return DebtorFactory(full_name="Jorge Castaño", document_number="80111222")


@pytest.fixture
def debt(portfolio, debtor, stages) -> Debt:
    debt = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-0001", days_past_due=45)
    ledger_post(debt=debt, kind="charge", amount_minor=1_234_567)
    return debt


@pytest.fixture
def other_debt(portfolio, other_debtor, stages) -> Debt:
    return DebtFactory(
        portfolio=portfolio, debtor=other_debtor, account_ref="TC-0002", days_past_due=200
    )


def _results(admin_client, name: str, **params) -> list:
    response = admin_client.get(reverse(f"admin:debtors_{name}_changelist"), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize(
    "name", ["creditor", "portfolio", "debtor", "debt", "ledgerentry", "morastage"]
)
def test_every_changelist_shows_its_rows(admin_client, debt, name):
    assert len(_results(admin_client, name)) >= 1


def test_change_pages_answer_with_data(admin_client, debt, stages):
    pages = [
        ("creditor", debt.portfolio.creditor_id, "bancolombia-2026"),
        ("portfolio", debt.portfolio_id, "Banco Andino"),
        ("debtor", debt.debtor_id, "TC-0001"),
        ("debt", debt.pk, "$12.345,67"),
        ("ledgerentry", debt.ledger_entries.get().pk, "TC-0001"),
        ("morastage", stages["intermedia"].pk, "intermedia"),
    ]
    for name, pk, text in pages:
        response = admin_client.get(reverse(f"admin:debtors_{name}_change", args=[pk]))
        assert response.status_code == 200, name
        assert text in response.content.decode(), name


def test_portfolio_list_shows_debt_count_and_total_balance(admin_client, debt, other_debt):
    ledger_post(debt=other_debt, kind="charge", amount_minor=100_00)
    (row,) = _results(admin_client, "portfolio")
    assert (row.debt_count, row.total_balance) == (2, 1_234_567 + 100_00)


def test_debtor_search_by_document_number_and_name(admin_client, debt, other_debt):
    assert _results(admin_client, "debtor", q="52123456") == [debt.debtor]
    assert _results(admin_client, "debtor", q="Castaño") == [other_debt.debtor]


def test_debt_search_by_account_ref_document_number_and_name(admin_client, debt, other_debt):
    assert _results(admin_client, "debt", q="TC-0002") == [other_debt]
    assert _results(admin_client, "debt", q="52123456") == [debt]
    assert _results(admin_client, "debt", q="Jorge") == [other_debt]


def test_ledger_search_by_account_ref(admin_client, debt, other_debt):
    ledger_post(debt=other_debt, kind="charge", amount_minor=500)
    assert [e.debt for e in _results(admin_client, "ledgerentry", q="TC-0001")] == [debt]


def test_debt_list_shows_the_derived_stage_and_filters_by_it(admin_client, debt, other_debt):
    rows = _results(admin_client, "debt")
    assert {d.account_ref: d.stage_code for d in rows} == {
        "TC-0001": "intermedia",
        "TC-0002": "prejuridica",
    }
    assert _results(admin_client, "debt", stage="prejuridica") == [other_debt]
    assert _results(admin_client, "debt", stage="intermedia") == [debt]
    assert _results(admin_client, "debt", stage="temprana") == []


def test_debtor_page_shows_debts_with_stage_and_the_ledger(admin_client, debt):
    ledger_post(debt=debt, kind="payment", amount_minor=-34_567, description="PSE 8812")
    response = admin_client.get(reverse("admin:debtors_debtor_change", args=[debt.debtor_id]))
    page = response.content.decode()
    assert "Intermedia" in page and "$12.000" in page
    assert page.index("PSE 8812") < page.index("$12.345,67")  # most recent first


def test_debtor_ledger_is_capped_with_a_count(admin_client, debt):
    for _ in range(LEDGER_CAP + 5):
        ledger_post(debt=debt, kind="charge", amount_minor=1)
    response = admin_client.get(reverse("admin:debtors_debtor_change", args=[debt.debtor_id]))
    page = response.content.decode()
    assert f"Se muestran los últimos {LEDGER_CAP} de {LEDGER_CAP + 6} movimientos" in page
    link = reverse("admin:debtors_ledgerentry_changelist")
    assert len(_results(admin_client, "ledgerentry", debt__debtor__id__exact=debt.debtor_id)) == (
        LEDGER_CAP + 6
    )
    assert link in page


def _queries(admin_client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert admin_client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["debt", "portfolio", "debtor", "ledgerentry", "creditor"])
def test_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, stages, name
):
    def add_debts(n: int) -> None:
        for _ in range(n):
            debt = DebtFactory(portfolio=PortfolioFactory(creditor=CreditorFactory()))
            ledger_post(debt=debt, kind="charge", amount_minor=100)

    url = reverse(f"admin:debtors_{name}_changelist")
    add_debts(3)
    few = _queries(admin_client, url)
    add_debts(27)
    with django_assert_max_num_queries(few):
        admin_client.get(url)


def test_debt_saved_in_admin_gets_its_days_past_due_derived(admin_client, portfolio, debtor):
    response = admin_client.post(
        reverse("admin:debtors_debt_add"),
        {
            "portfolio": portfolio.pk,
            "debtor": debtor.pk,
            "account_ref": "TC-NEW",
            "currency": "COP",
            "principal_due_minor": "1.000",  # typed in pesos
            "interest_due_minor": "",
            "fees_due_minor": "250,50",
            "original_due_date": "2000-01-01",
            "status": "active",
        },
    )
    assert response.status_code == 302
    debt = Debt.objects.get(account_ref="TC-NEW")
    assert debt.days_past_due > 9000
    assert (debt.principal_due_minor, debt.interest_due_minor, debt.fees_due_minor) == (
        1_000_00,
        0,
        250_50,
    )
    page = admin_client.get(reverse("admin:debtors_debt_change", args=[debt.pk]))
    assert 'name="principal_due_minor" value="1.000"' in page.content.decode()


def test_ledger_entries_cannot_be_added_changed_or_deleted(admin_client, debt):
    entry = debt.ledger_entries.get()
    assert admin_client.get(reverse("admin:debtors_ledgerentry_add")).status_code == 403
    change = reverse("admin:debtors_ledgerentry_change", args=[entry.pk])
    assert admin_client.post(change, {"amount_minor": 1}).status_code == 403
    delete = reverse("admin:debtors_ledgerentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.amount_minor == 1_234_567


def test_audit_events_cannot_be_added_changed_or_deleted(admin_client, debt):
    event = AuditEvent.objects.first()
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert admin_client.post(change, {"action": "forged"}).status_code == 403
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
