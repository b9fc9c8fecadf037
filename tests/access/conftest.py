from __future__ import annotations

import pytest
from django.urls import reverse

from portal.access.services import payment_link_create
from portal.debtors.services import ledger_post
from tests.factories import DebtFactory, DebtorFactory, PortfolioFactory, assign, default_stages


def link_url(token: str) -> str:
    return reverse("access:open_link", args=[token])


VERIFY_URL = "/p/verificar/"


def open_and_answer(client, token: str, answer: str, **extra):
    """Open the link in this browser, then answer the identity check."""
    client.get(link_url(token), **extra)
    return client.post(VERIFY_URL, {"answer": answer}, **extra)


def sign_in(client, debtor, *, answer: str | None = None):
    """Go through the real door: mint a link, open it, answer the identity check."""
    link, token = payment_link_create(debtor=debtor)
    answer = answer if answer is not None else debtor.document_number[-4:]
    response = open_and_answer(client, token, answer)
    assert response.status_code == 302, response.content[:500]
    return link


@pytest.fixture
def portfolio(db):
    default_stages()
    return PortfolioFactory(code="tarjetas", creditor__name="Banco Andino")


@pytest.fixture
def debtor(portfolio):
    debtor = DebtorFactory(document_number="1020304050", full_name="Ana María Peña")
    debt = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-100", days_past_due=45)
    assign(debt)
    return debtor


@pytest.fixture
def other_debtor(portfolio):
    other = DebtorFactory(document_number="9988776655", full_name="Carlos Ruiz")
    debt = DebtFactory(portfolio=portfolio, debtor=other, account_ref="TC-200")
    ledger_post(debt=debt, kind="charge", amount_minor=500_000_00)
    return other


@pytest.fixture
def link_and_token(debtor):
    return payment_link_create(debtor=debtor)


@pytest.fixture
def debtor_client(client, debtor):
    sign_in(client, debtor)
    return client
