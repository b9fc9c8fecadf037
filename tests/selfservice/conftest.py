"""Debtor-page fixtures for disputes: Ana signed in on a Tuesday 10:00 in Bogotá (inside
the contact window, so the acknowledgement leaves at once)."""

from __future__ import annotations

import pytest
import time_machine

from tests.helpers.access import sign_in
from tests.helpers.staff import TUESDAY_10


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10, tick=False):
        yield TUESDAY_10


@pytest.fixture
def ana(client, tuesday, debtor):
    sign_in(client, debtor)
    return client
