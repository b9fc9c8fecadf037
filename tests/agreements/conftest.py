"""Shared fixtures for the agreements tests: keep these small and stable, others reuse them.

The debtor owes one debt in the `intermedia` stage (45 days past due) of portfolio
`tarjetas` (creditor Banco Andino, COP), charged 1,060,000.00 through the ledger.
`policy` is the stage-wide policy for that stage.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agreements.models import OfferPolicy
from portal.debtors.services import ledger_post
from tests.factories import (
    DebtFactory,
    DebtorFactory,
    PortfolioFactory,
    StaffFactory,
    assign,
    default_stages,
)

DEBT_BALANCE = 1_060_000_00


@pytest.fixture
def stages(db):
    """The default mora bands, by code: preventiva, temprana, intermedia, tardia, prejuridica."""
    return {stage.code: stage for stage in default_stages()}


@pytest.fixture
def portfolio(stages):
    return PortfolioFactory(code="tarjetas", creditor__name="Banco Andino")


@pytest.fixture
def debtor(portfolio):
    return DebtorFactory(
        document_number="1020304050",
        full_name="Ana María Peña",
        emails=["ana@example.com"],
        language="es",
    )


@pytest.fixture
def debt(debtor, portfolio):
    debt = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-100", days_past_due=45)
    assign(debt)
    return debt


@pytest.fixture
def other_debtor(portfolio):
    other = DebtorFactory(
        document_number="9988776655", full_name="Carlos Ruiz", emails=["carlos@example.com"]
    )
    debt = DebtFactory(portfolio=portfolio, debtor=other, account_ref="TC-200", days_past_due=45)
    ledger_post(debt=debt, kind="charge", amount_minor=500_000_00)
    return other


@pytest.fixture
def policy(stages):
    """Stage-wide COP policy for `intermedia`."""
    return OfferPolicy.objects.create(
        name="Intermedia general",
        stage=stages["intermedia"],
        currency="COP",
        discount_interest_fees_pct=Decimal("50"),
        discount_principal_pct=Decimal("10"),
        max_installments=12,
        min_down_payment_pct=Decimal("10"),
        min_installment_minor=50_000_00,
        allowed_frequencies=["weekly", "biweekly", "monthly"],
        max_days_to_first_payment=30,
        quote_validity_days=7,
        auto_max_installments=6,
        auto_min_down_payment_pct=Decimal("20"),
        auto_min_installment_minor=100_000_00,
        auto_max_days_to_first_payment=15,
    )


@pytest.fixture
def agent(db):
    return StaffFactory(username="agente")


@pytest.fixture
def supervisor(db):
    return StaffFactory(username="supervisora", is_superuser=True)


@pytest.fixture
def evidence():
    from agreements.services import Evidence

    return Evidence(
        at=dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC),
        ip="190.24.1.10",
        user_agent="Mozilla/5.0 (pytest)",
        payment_link_id=None,
    )


@pytest.fixture
def english():
    """Service tests read the English source messages; pages are tested in Spanish."""
    from django.utils import translation

    with translation.override("en"):
        yield
