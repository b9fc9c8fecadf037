"""Payments fixtures, on the shared cast of tests/conftest.py: `agreement` is Ana's
3-monthly-installment plan with a down payment (installment 0), accepted through the real
service; `ana` is a browser signed in as her; events are delivered signed to the webhook."""

from __future__ import annotations

import pytest

from agreements.models import Agreement
from tests.helpers.access import sign_in
from tests.helpers.payments import accept_offer
from tests.localstripe import (  # noqa: F401 - fixtures
    WEBHOOK_SECRET,
    localstripe,
    localstripe_server,
    signed_event_post,
    stripe_calls,
    stripe_proxy,
    stripe_settings,
    stripe_webhooks,
)
from tests.mercadopago import fake_mercadopago, fake_mercadopago_server  # noqa: F401 - fixtures


@pytest.fixture
def agreement(debtor, debt, policy) -> Agreement:
    return accept_offer(debtor, "plan-monthly-3")


@pytest.fixture
def ana(client, debtor, debt):
    sign_in(client, debtor)
    return client


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


@pytest.fixture
def deliver(client, webhook_secret, django_capture_on_commit_callbacks):
    """Post a signed event to the webhook and run what it queues after commit (the test's
    transaction never commits, so on_commit work would otherwise never run)."""

    def send(event, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return signed_event_post(client, event, **kwargs)

    return send
