"""Payments fixtures. Ana (`debtor`) owes 1,060,000.00 COP on card TC-100, 45 days late;
Carlos (`other_debtor`) owes on TC-200. `agreement` is Ana's 3-monthly-installment plan
with a down payment (installment 0), accepted through the real service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agreements.models import Agreement, OfferPolicy
from tests.access.conftest import sign_in
from tests.agreements import conftest as agreements_fixtures
from tests.localstripe import (  # noqa: F401 - fixtures
    localstripe,
    localstripe_server,
    stripe_proxy,
    stripe_settings,
    stripe_webhooks,
)

# The same people, debts and bands as the agreements tests.
DEBT_BALANCE = agreements_fixtures.DEBT_BALANCE
stages = agreements_fixtures.stages
portfolio = agreements_fixtures.portfolio
debtor = agreements_fixtures.debtor
debt = agreements_fixtures.debt
other_debtor = agreements_fixtures.other_debtor


@pytest.fixture
def policy(stages):
    return OfferPolicy.objects.create(
        name="Intermedia general",
        stage=stages["intermedia"],
        currency="COP",
        discount_interest_fees_pct=Decimal("50"),
        discount_principal_pct=Decimal("10"),
        max_installments=12,
        min_down_payment_pct=Decimal("10"),
        min_installment_minor=50_000_00,
        allowed_frequencies=["monthly"],
        max_days_to_first_payment=30,
    )


def accept_offer(debtor, offer_key: str) -> Agreement:
    from agreements.services import Evidence, agreement_accept_offer, quote_for_debtor

    quote = quote_for_debtor(debtor=debtor)
    return agreement_accept_offer(
        debtor=debtor,
        quote=quote,
        offer_key=offer_key,
        accepted_terms=True,
        accepted_esign=True,
        evidence=Evidence(
            at=dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC),
            ip="190.24.1.10",
            user_agent="pytest",
            payment_link_id=None,
        ),
    )


@pytest.fixture
def agreement(debtor, debt, policy) -> Agreement:
    return accept_offer(debtor, "plan-monthly-3")


@pytest.fixture
def ana(client, debtor, debt):
    sign_in(client, debtor)
    return client


def started(debtor, key: str, amount_minor: int | None = None, *, intent_id: str | None = None):
    """An attempt started through the service, with a made-up PaymentIntent id (for tests
    that deliver their own signed events; nothing here calls Stripe)."""
    from payments.models import PaymentAttempt
    from payments.services import attempt_start

    attempt = attempt_start(debtor=debtor, key=key, amount_minor=amount_minor)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        stripe_payment_intent_id=intent_id or f"pi_test{attempt.pk:08d}", status="open"
    )
    attempt.refresh_from_db()
    return attempt


@pytest.fixture
def webhook_secret(settings):
    from tests.localstripe import WEBHOOK_SECRET

    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


@pytest.fixture
def deliver(client, webhook_secret, django_capture_on_commit_callbacks):
    """Post a signed event to the webhook and run what it queues after commit (the test's
    transaction never commits, so on_commit work would otherwise never run)."""
    from tests.localstripe import signed_event_post

    def send(event, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return signed_event_post(client, event, **kwargs)

    return send
