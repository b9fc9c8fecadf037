"""Staff fixtures, on the shared cast of tests/conftest.py: a compliance officer, and a
Tuesday 10:00 in Bogotá, inside the contact window (tests.helpers.staff.TUESDAY_10)."""

from __future__ import annotations

import pytest
import time_machine

from portal.outreach.services import consent_set
from portal.staff.roles import COMPLIANCE
from tests.factories import StaffFactory
from tests.helpers.staff import TUESDAY_10


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False):
        yield TUESDAY_10


@pytest.fixture
def compliance(db):
    return StaffFactory(username="cumplimiento-marta", role=COMPLIANCE)


@pytest.fixture
def ana_consents_to_calls(debtor):
    """Ana's consent to calls, as her portfolio's import recorded it."""
    consent_set(debtor=debtor, channel="call", granted=True, source="import")
