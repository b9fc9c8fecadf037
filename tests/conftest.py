"""The shared cast, used by every directory's tests (see docs/architecture.md, Tests).

Ana (`debtor`, CC 1020304050, Spanish, ana@example.com, +573001112233) owes one card debt
(`debt`, TC-100, 45 days past due, so in the `intermedia` stage) of portfolio `tarjetas`
(creditor Banco Andino, COP), charged 1,060,000.00 through the ledger. Carlos
(`other_debtor`, CC 9988776655, carlos@example.com, +573009998877) owes 500,000.00 on TC-200.
Neither has consent on record for any channel (outreach and staff tests add it with their
own fixtures). `agent` and `supervisor` are staff in those roles; `policy` is the
stage-wide offer policy for `intermedia`. Built with tests/factories.py; functions the tests
call are in tests/helpers/.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from agreements.services import Evidence
from portal.debtors.selectors import forget_mora_stages
from portal.debtors.services import ledger_post
from portal.staff.roles import AGENT, SUPERVISOR
from tests.factories import (
    DebtFactory,
    DebtorFactory,
    OfferPolicyFactory,
    PortfolioFactory,
    StaffFactory,
    assign,
    default_stages,
)
from tests.helpers.cast import OTHER_DEBT_BALANCE


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped with a reason on SQLite, never silently passed."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... to run")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def on_postgres():
    assert connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Cached data (the mora stages, the cache backend) must not leak between tests."""
    forget_mora_stages()
    cache.clear()
    yield
    forget_mora_stages()
    cache.clear()


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """Stored PDFs and uploads land in the test's own directory, never in ./private."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def stages(db):
    """The default mora bands, by code: preventiva, temprana, intermedia, tardia, prejuridica."""
    return {stage.code: stage for stage in default_stages()}


@pytest.fixture
def portfolio(stages):
    return PortfolioFactory(code="tarjetas", creditor__name="Banco Andino")


@pytest.fixture
def debtor(portfolio):
    ana = DebtorFactory(
        document_number="1020304050",
        full_name="Ana María Peña",
        phones=["+573001112233"],
        emails=["ana@example.com"],
        language="es",
    )
    assign(DebtFactory(portfolio=portfolio, debtor=ana, account_ref="TC-100", days_past_due=45))
    return ana


@pytest.fixture
def debt(debtor):
    """Ana's card debt TC-100 (tests.helpers.cast.DEBT_BALANCE)."""
    return debtor.debts.get(account_ref="TC-100")


@pytest.fixture
def other_debtor(portfolio):
    carlos = DebtorFactory(
        document_number="9988776655",
        full_name="Carlos Ruiz",
        phones=["+573009998877"],
        emails=["carlos@example.com"],
        language="es",
    )
    debt = DebtFactory(portfolio=portfolio, debtor=carlos, account_ref="TC-200", days_past_due=45)
    ledger_post(debt=debt, kind="charge", amount_minor=OTHER_DEBT_BALANCE)
    return carlos


@pytest.fixture
def agent(db):
    return StaffFactory(username="agente-lucia", role=AGENT)


@pytest.fixture
def supervisor(db):
    return StaffFactory(username="supervisora-ana", role=SUPERVISOR)


@pytest.fixture
def policy(stages):
    """Stage-wide COP policy for `intermedia`."""
    return OfferPolicyFactory(
        name="Intermedia general",
        stage=stages["intermedia"],
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
def evidence():
    """What a debtor's acceptance records: when, from where, with which browser."""
    return Evidence(
        at=dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC),
        ip="190.24.1.10",
        user_agent="Mozilla/5.0 (pytest)",
        payment_link_id=None,
    )


@pytest.fixture
def english():
    """Service tests read the English source messages; pages are tested in Spanish."""
    with translation.override("en"):
        yield
