"""Every signed-in page names, under its tabs, the creditors the debtor owes with their
NIT (the footer names the agency): the debtor can check who they are paying."""

from __future__ import annotations

import pytest

from portal.debtors.services import ledger_post
from tests.factories import DebtFactory, PortfolioFactory
from tests.helpers.access import sign_in

pytestmark = pytest.mark.django_db

ANDINO = "Acreedor: Banco Andino · NIT 900123456-8"


def test_the_dashboard_names_the_creditor_with_its_nit(debtor_client, settings):
    body = debtor_client.get("/mi-cuenta/").content.decode()

    assert ANDINO in body
    assert f"{settings.AGENCY_NAME} · NIT {settings.AGENCY_NIT}" in body  # the footer's


def test_other_pages_name_it_too(debtor_client):
    assert ANDINO in debtor_client.get("/mi-cuenta/historial/").content.decode()


def test_each_creditor_owed_is_named_and_no_one_elses(client, debtor, other_debtor):
    seguros = PortfolioFactory(
        code="seguros", creditor__name="Seguros del Valle", creditor__tax_id="800111222-3"
    )
    ledger_post(debt=DebtFactory(portfolio=seguros, debtor=debtor), kind="charge",
                amount_minor=10_000_00)  # fmt: skip
    other = PortfolioFactory(code="motos", creditor__name="Motos Ya", creditor__tax_id="1-1")
    DebtFactory(portfolio=other, debtor=other_debtor)
    sign_in(client, debtor)

    body = client.get("/mi-cuenta/").content.decode()

    assert ANDINO in body and "Acreedor: Seguros del Valle · NIT 800111222-3" in body
    assert "Motos Ya" not in body
