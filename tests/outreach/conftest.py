from __future__ import annotations

import pytest

from portal.debtors.services import ledger_post
from portal.outreach.channels import forget_backends
from portal.outreach.models import Campaign, CampaignTemplate
from portal.outreach.services import consent_set
from tests.factories import (
    DebtFactory,
    DebtorFactory,
    PortfolioFactory,
    StaffFactory,
    default_stages,
)


@pytest.fixture(autouse=True)
def _fresh_backends():
    forget_backends()
    yield
    forget_backends()


@pytest.fixture
def portfolio(db):
    default_stages()
    return PortfolioFactory(code="tarjetas", creditor__name="Banco Andino")


def make_debtor(portfolio, *, number: str, name: str, channels=("sms", "email"), **fields):
    debtor = DebtorFactory(document_number=number, full_name=name, **fields)
    debt = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref=f"TC-{number}")
    ledger_post(debt=debt, kind="charge", amount_minor=1_060_000_00)
    for channel in channels:
        consent_set(debtor=debtor, channel=channel, granted=True, source="import")
    return debtor


@pytest.fixture
def debtor(portfolio):
    return make_debtor(
        portfolio,
        number="1020304050",
        name="Ana María Peña",
        phones=["+573001112233"],
        emails=["ana@example.com"],
    )


@pytest.fixture
def other_debtor(portfolio):
    return make_debtor(
        portfolio,
        number="9988776655",
        name="Carlos Ruiz",
        phones=["+573009998877"],
        emails=["carlos@example.com"],
    )


@pytest.fixture
def agent(db):
    return StaffFactory(username="agente", is_superuser=True)


@pytest.fixture
def campaign(portfolio, agent):
    campaign = Campaign.objects.create(
        name="Noviembre",
        portfolio=portfolio,
        channels=["sms", "email"],
        created_by=agent,
        agreement_filter="any",
    )
    CampaignTemplate.objects.create(
        campaign=campaign,
        channel="sms",
        language="es",
        body="Hola {first_name}, {creditor}: debes {amount}. Paga aquí: {link}",
    )
    CampaignTemplate.objects.create(
        campaign=campaign,
        channel="email",
        language="es",
        subject="Tu saldo con {creditor}",
        body="Hola {first_name}, tu saldo es {amount}. Entra a {link}",
    )
    return campaign
