"""Access fixtures: Ana's payment link, and a browser signed in as Ana."""

from __future__ import annotations

import pytest

from portal.access.services import payment_link_create
from tests.helpers.access import sign_in


@pytest.fixture
def link_and_token(debtor):
    return payment_link_create(debtor=debtor)


@pytest.fixture
def debtor_client(client, debtor):
    sign_in(client, debtor)
    return client
