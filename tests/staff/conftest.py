"""Staff fixtures: Ana owes one COP card debt (45 days past due) and consents to calls;
people in each role; a Tuesday 10:00 in Bogotá, inside the contact window."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group

from portal.debtors.services import ledger_post
from portal.outreach.services import consent_set
from portal.staff.roles import AGENT, COMPLIANCE, SUPERVISOR
from tests.factories import (
    DebtFactory,
    DebtorFactory,
    PortfolioFactory,
    StaffFactory,
    default_stages,
)

BOGOTA = ZoneInfo("America/Bogota")
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=BOGOTA)


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False):
        yield TUESDAY_10


@pytest.fixture
def stages(db):
    return {stage.code: stage for stage in default_stages()}


@pytest.fixture
def portfolio(stages):
    return PortfolioFactory(code="tarjetas", creditor__name="Banco Andino")


@pytest.fixture
def debtor(portfolio):
    debtor = DebtorFactory(
        document_number="1020304050", full_name="Ana María Peña", phones=["+573001112233"]
    )
    consent_set(debtor=debtor, channel="call", granted=True, source="import")
    return debtor


@pytest.fixture
def debt(debtor, portfolio):
    debt = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-100", days_past_due=45)
    ledger_post(debt=debt, kind="charge", amount_minor=1_060_000_00)
    debt.refresh_from_db()
    return debt


def staff(role: str, username: str):
    user = StaffFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def agent(db):
    return staff(AGENT, "agente-lucia")


@pytest.fixture
def supervisor(db):
    return staff(SUPERVISOR, "supervisora-ana")


@pytest.fixture
def compliance(db):
    return staff(COMPLIANCE, "cumplimiento-marta")
